import sqlalchemy as sa
from flask import flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from portal import permissions
from portal.extensions import db
from portal.i18n import _
from portal.loading import get_visible_or_404, require
from portal.models import (
    Commune,
    Organisation,
    OrganisationKind,
    Programme,
    Typology,
    Unit,
    UnitStatus,
)
from portal.organisations.acting import creating_for
from portal.pagination import paginate
from portal.transactions import commit_unless_refused
from portal.units import bp
from portal.units.forms import ProgrammeForm, UnitFilterForm, UnitForm, UnitStatusForm
from portal.units.services import (
    available_unit_transitions,
    change_unit_status,
    create_programme,
    create_unit,
    programme_figures,
    update_programme,
    update_unit,
)


def territory_ids() -> set[int]:
    return {o.territory_id for o in current_user.organisations}


def home_organisation() -> Organisation:
    """The organisation a person acts for here: the one chosen in the header if it is a
    social landlord, else their first social landlord, else their first organisation."""
    organisations = [m.organisation for m in current_user.active_memberships]
    landlords = [o for o in organisations if o.kind == OrganisationKind.BAILLEUR_SOCIAL]
    return creating_for(current_user, landlords or organisations)


def territory_communes() -> list[Commune]:
    """Units are recorded in the communes of the person's organisations' territories."""
    return list(
        db.session.scalars(
            sa.select(Commune)
            .where(Commune.territory_id.in_(territory_ids()))
            .order_by(Commune.name)
        )
    )


# Programmes --------------------------------------------------------------------------------


def load_programme(programme_id: int) -> Programme:
    programme = db.get_or_404(Programme, programme_id)
    require(programme.territory_id in territory_ids())
    return programme


@bp.route("/programmes")
@login_required
def programmes():
    """Each programme's occupancy, waiting list and free units, without any identity."""
    require(permissions.can_view_programmes(current_user))
    rows = list(
        db.session.scalars(
            sa.select(Programme)
            .where(Programme.territory_id.in_(territory_ids()))
            .order_by(Programme.active.desc(), Programme.name)
        )
    )
    return render_template(
        "units/programmes.html",
        figures=programme_figures(rows),
        can_manage=permissions.can_manage_programmes(current_user),
    )


@bp.route("/programmes/<int:programme_id>")
@login_required
def programme(programme_id):
    require(permissions.can_view_programmes(current_user))
    found = load_programme(programme_id)
    return render_template(
        "units/programme.html",
        figures=programme_figures([found])[0],
        can_manage=permissions.can_manage_programmes(current_user),
    )


@bp.route("/programmes/new", methods=["GET", "POST"])
@login_required
def new_programme():
    require(permissions.can_manage_programmes(current_user))
    form = ProgrammeForm()
    if form.validate_on_submit():
        territory = home_organisation().territory
        with commit_unless_refused() as outcome:
            created = create_programme(territory, current_user._get_current_object(), form.data)
        if outcome.refused:
            form.name.errors.append(outcome.message)
        else:
            flash(_("Le programme est enregistré."), "success")
            return redirect(url_for("units.programme", programme_id=created.id))
    status = 400 if form.is_submitted() else 200
    return render_template("units/programme_form.html", form=form, programme=None), status


@bp.route("/programmes/<int:programme_id>/edit", methods=["GET", "POST"])
@login_required
def edit_programme(programme_id):
    require(permissions.can_manage_programmes(current_user))
    found = load_programme(programme_id)
    form = ProgrammeForm(obj=found)
    if not form.is_submitted():
        form.situation_codes.data = [code.value for code in found.situation_values]
    if form.validate_on_submit():
        with commit_unless_refused() as outcome:
            update_programme(found, current_user._get_current_object(), form.data)
        if outcome.refused:
            form.name.errors.append(outcome.message)
        else:
            flash(_("Le programme est modifié."), "success")
            return redirect(url_for("units.programme", programme_id=found.id))
    status = 400 if form.is_submitted() else 200
    return render_template("units/programme_form.html", form=form, programme=found), status


# Units -------------------------------------------------------------------------------------


def load_unit(unit_id: int) -> Unit:
    return get_visible_or_404(Unit, unit_id, permissions.can_view_unit)


def social_landlords() -> list[Organisation] | None:
    """Owners the CCAS may pick from; a social landlord's staff record their own units."""
    if permissions.social_landlord_ids(current_user) and not (
        permissions.works_for_ccas(current_user)
    ):
        return None
    return list(
        db.session.scalars(
            sa.select(Organisation)
            .where(
                Organisation.kind == OrganisationKind.BAILLEUR_SOCIAL,
                Organisation.active,
                Organisation.territory_id.in_(territory_ids()),
            )
            .order_by(Organisation.name)
        )
    )


def filtered_units(form: UnitFilterForm):
    query = (
        sa.select(Unit)
        .join(Commune, Unit.commune_id == Commune.id)
        .where(permissions.visible_units_clause(current_user))
        .options(sa.orm.joinedload(Unit.private_owner))  # the list shows the landlord
    )
    if form.validate():
        if form.commune.data:
            query = query.where(Unit.commune_id == form.commune.data)
        if form.typology.data:
            query = query.where(Unit.typology == Typology(form.typology.data))
        if form.status.data:
            query = query.where(Unit.status == UnitStatus(form.status.data))
    return query.order_by(Commune.name, Unit.address, Unit.id)


@bp.route("/units")
@login_required
def units():
    require(permissions.can_list_units(current_user))
    form = UnitFilterForm(formdata=request.args, communes=territory_communes())
    page = paginate(filtered_units(form))
    return render_template("units/units.html", page=page, form=form)


@bp.route("/units/new", methods=["GET", "POST"])
@login_required
def new_unit():
    require(permissions.can_list_units(current_user))
    landlords = social_landlords()
    form = UnitForm(communes=territory_communes(), landlords=landlords)
    if form.validate_on_submit():
        owner_id = form.social_landlord_id.data if landlords is not None else home_organisation().id
        unit = create_unit(
            current_user._get_current_object(), form.unit_data, social_landlord_id=owner_id
        )
        db.session.commit()
        flash(_("Le logement est enregistré, disponible pour une mesure."), "success")
        return redirect(url_for("units.unit", unit_id=unit.id))
    status = 400 if form.is_submitted() else 200
    return render_template("units/unit_form.html", form=form, unit=None), status


@bp.route("/units/<int:unit_id>")
@login_required
def unit(unit_id):
    found = load_unit(unit_id)
    can_manage = permissions.can_manage_unit(current_user, found)
    return render_template(
        "units/unit.html",
        unit=found,
        can_manage=can_manage,
        transitions=available_unit_transitions(found) if can_manage else [],
        status_form=UnitStatusForm(),
    )


@bp.route("/units/<int:unit_id>/edit", methods=["GET", "POST"])
@login_required
def edit_unit(unit_id):
    found = load_unit(unit_id)
    require(permissions.can_manage_unit(current_user, found))
    form = UnitForm(obj=found, communes=territory_communes())
    if not request.form:  # nothing typed yet: the selects show the unit's values
        form.typology.data = found.typology.value
        form.dpe_class.data = found.dpe_class.value if found.dpe_class else ""
    if form.validate_on_submit():
        update_unit(found, current_user._get_current_object(), form.unit_data)
        db.session.commit()
        flash(_("Le logement est modifié."), "success")
        return redirect(url_for("units.unit", unit_id=found.id))
    status = 400 if form.is_submitted() else 200
    return render_template("units/unit_form.html", form=form, unit=found), status


@bp.route("/units/<int:unit_id>/status", methods=["POST"])
@login_required
def unit_status(unit_id):
    found = load_unit(unit_id)
    require(permissions.can_manage_unit(current_user, found))
    form = UnitStatusForm()
    if not form.validate_on_submit():
        flash(_("Choisissez une action."), "error")
        return redirect(url_for("units.unit", unit_id=found.id))
    with commit_unless_refused() as outcome:
        change_unit_status(found, form.transition.data, current_user._get_current_object())
    if outcome.refused:
        flash(outcome.message, "error")
    else:
        flash(_("Le logement est maintenant « %(status)s ».", status=found.status.label), "success")
    return redirect(url_for("units.unit", unit_id=found.id))
