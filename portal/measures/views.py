"""IML measures: list, opening, the measure's page with its calendar, bilans, rent record,
points de situation and the fiche-bilan. Each view: load, check, validate, act, commit,
respond."""

from datetime import date, datetime, timedelta
from pathlib import Path

import sqlalchemy as sa
from flask import Response, abort, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from sqlalchemy.orm import joinedload, selectinload

from portal import permissions
from portal.audit import record_event
from portal.cases.services import audit_household_read
from portal.extensions import db
from portal.forms import record_id
from portal.i18n import _
from portal.loading import get_visible_or_404, require
from portal.measures import bp
from portal.measures.forms import BilanForm, MeasureFilterForm, OpenMeasureForm, PointForm, RentForm
from portal.measures.services import (
    EARLY_SLIDE_MONTHS,
    OPEN_STATUSES,
    BilanError,
    allowed_outcomes,
    open_measure,
    open_measures_count,
    openable_candidacies,
    openable_units,
    organisation_members,
    paris_moment,
    record_bilan,
    record_rent,
    rent_evidence,
    schedule_point,
)
from portal.measures.timeline import (
    ALERT_DAYS,
    add_months,
    calendar_steps,
    months_between,
    today_position,
)
from portal.models import (
    AuditAction,
    Bilan,
    Candidacy,
    Case,
    Committee,
    Measure,
    MeasureStatus,
    Programme,
    RentStatus,
    Unit,
    User,
)
from portal.pagination import paginate
from portal.transactions import commit_unless_refused

# Loading ---------------------------------------------------------------------------------


def load_measure(measure_id: int, options=()) -> Measure:
    return get_visible_or_404(Measure, measure_id, permissions.can_view_measure, options)


# What the measure's page shows besides the measure: its referent, and its case, with what
# deciding whether the reader may open the case reads (``permissions.case_access``).
_SHOWN_CASE = sa.orm.defaultload(Measure.candidacy).joinedload(Candidacy.case)
MEASURE_SHOWN = (
    joinedload(Measure.referent),
    _SHOWN_CASE.selectinload(Case.participants),
    _SHOWN_CASE.joinedload(Case.committee).selectinload(Committee.organisations),
)


def load_bilan(measure: Measure, bilan_id: int) -> Bilan:
    bilan = db.session.get(Bilan, bilan_id, options=[joinedload(Bilan.recorded_by)])
    if bilan is None or bilan.measure_id != measure.id:
        abort(404)
    return bilan


def audit_read(measure: Measure, what: str) -> None:
    """The owner reads household data; the landlord's reduced view is logged too."""
    if permissions.can_view_measure_household(current_user, measure):
        audit_household_read(measure.household, what)
    else:
        record_event(AuditAction.VIEW, "measure", measure.id, f"{what} (vue bailleur)")


# List ------------------------------------------------------------------------------------


def visible_programmes() -> list[Programme]:
    return list(db.session.scalars(sa.select(Programme).order_by(Programme.name)))


def filtered_measures(form: MeasureFilterForm, today: date):
    query = (
        sa.select(Measure)
        .where(permissions.visible_measures_clause(current_user))
        .options(
            selectinload(Measure.bilans),
            joinedload(Measure.unit).joinedload(Unit.private_owner),
        )
    )
    valid = form.validate()
    status = (form.status.data or "") if valid else ""
    if status == "":
        query = query.where(Measure.status.in_(OPEN_STATUSES))
    elif status != "all":
        query = query.where(Measure.status == MeasureStatus(status))
    if valid and form.programme.data:
        query = query.where(Measure.programme_id == form.programme.data)
    if valid and form.bilan.data:
        due = (
            sa.and_(Bilan.due_date >= today, Bilan.due_date <= today + timedelta(days=ALERT_DAYS))
            if form.bilan.data == "soon"
            else Bilan.due_date < today
        )
        query = query.where(
            Measure.status.in_(OPEN_STATUSES),
            Measure.id.in_(sa.select(Bilan.measure_id).where(Bilan.held_on.is_(None), due)),
        )
    return query.order_by(Measure.start_date.desc(), Measure.id.desc())


def next_bilan(measure: Measure) -> Bilan | None:
    return next((b for b in measure.bilans if not b.is_done), None)


@bp.route("/")
@login_required
def index():
    """The measures of my CCAS, or, for a social landlord, those in its units."""
    require(permissions.can_list_measures(current_user))
    today = date.today()
    form = MeasureFilterForm(formdata=request.args, programmes=visible_programmes())
    page = paginate(filtered_measures(form, today))
    return render_template(
        "measures/index.html",
        page=page,
        form=form,
        today=today,
        alert_limit=today + timedelta(days=ALERT_DAYS),
        next_bilan=next_bilan,
        can_open=permissions.can_open_measures(current_user),
    )


# Opening ---------------------------------------------------------------------------------


def ccas_members(user: User) -> list[User]:
    ccas_ids = [
        m.organisation_id for m in user.active_memberships if m.organisation.kind.value == "ccas"
    ]
    people = {}
    for organisation_id in ccas_ids:
        for person in organisation_members(organisation_id):
            people[person.id] = person
    return sorted(people.values(), key=lambda p: p.full_name)


@bp.route("/new", methods=["GET", "POST"])
@login_required
def new():
    """Open a measure: a candidacy validated by the SIAO moves into an available unit."""
    require(permissions.can_open_measures(current_user))
    form = OpenMeasureForm(
        candidacies=openable_candidacies(current_user),
        units=openable_units({o.territory_id for o in current_user.organisations}),
        referents=ccas_members(current_user),
    )
    if not form.is_submitted():
        form.candidacy_id.data = request.args.get("candidacy", type=record_id)
        form.unit_id.data = request.args.get("unit", type=record_id)
        form.referent_id.data = current_user.id
        unit = form.units.get(form.unit_id.data)
        if unit is not None:
            form.rent.data, form.charges.data = unit.rent, unit.charges
    if form.validate_on_submit():
        candidacy = form.candidacies[form.candidacy_id.data]
        require(permissions.can_open_measure_for(current_user, candidacy))
        with commit_unless_refused() as outcome:
            measure = open_measure(
                candidacy,
                form.units[form.unit_id.data],
                current_user._get_current_object(),
                {
                    "start_date": form.start_date.data,
                    "rent": form.rent.data,
                    "charges": form.charges.data,
                    "household_share": form.household_share.data,
                    "referent": form.referents[form.referent_id.data],
                },
            )
        if outcome.refused:
            form.candidacy_id.errors.append(outcome.message)
        else:
            flash(
                _("La mesure est ouverte ; ses bilans sont programmés dans son calendrier."),
                "success",
            )
            return redirect(url_for("measures.show", measure_id=measure.id))
    status = 400 if form.is_submitted() else 200
    capacities = [
        (p, open_measures_count(p.id))
        for p in {c.programme.id: c.programme for c in form.candidacies.values()}.values()
    ]
    return render_template("measures/new.html", form=form, capacities=capacities), status


# The measure's page ----------------------------------------------------------------------


def rent_rows(measure: Measure, today: date):
    """Every month of the measure so far, with its record when there is one."""
    by_month = {r.month: r for r in measure.rent_records}
    last = min(measure.end_date or today, today)
    months = months_between(measure.start_date, last) if measure.start_date <= today else []
    return [(month, by_month.get(month)) for month in sorted({*months, *by_month}, reverse=True)]


def measure_context(measure: Measure, today: date) -> dict:
    steps = calendar_steps(
        measure.start_date,
        [
            (b.kind, b.due_date, b.is_done, b.outcome.label if b.outcome else "")
            for b in measure.bilans
        ],
        today,
    )
    return {
        "measure": measure,
        "today": today,
        "steps": steps,
        "today_index": today_position(steps, today),
        "rent": rent_evidence(measure, min(measure.end_date or today, today)),
        "sees_household": permissions.can_view_measure_household(current_user, measure),
        "can_manage": permissions.can_manage_measure(current_user, measure),
        "can_record_rent": permissions.can_record_rent(current_user, measure),
        "view_functions": current_app.view_functions,
    }


@bp.route("/<int:measure_id>")
@login_required
def show(measure_id):
    measure = load_measure(measure_id, MEASURE_SHOWN)
    today = date.today()
    context = measure_context(measure, today)
    # Render before committing the reading: a commit expires what the page shows.
    page = render_template("measures/show.html", rent_rows=rent_rows(measure, today), **context)
    audit_read(measure, "Mesure IML consultée")
    db.session.commit()
    return page


# Bilans ----------------------------------------------------------------------------------


def bilan_page(measure, bilan, form, point_form, status=200):
    context = measure_context(measure, date.today())
    as_of = bilan.held_on or form.held_on.data or date.today()
    return render_template(
        "measures/bilan.html",
        bilan=bilan,
        form=form,
        point_form=point_form,
        # The rent record as the bilan reads it (up to the day it is or was held).
        evidence=rent_evidence(measure, as_of),
        early_from=add_months(measure.start_date, EARLY_SLIDE_MONTHS),
        can_record=context["can_manage"] and measure.is_open and not bilan.is_done,
        can_view_fiche=permissions.can_view_fiche_bilan(current_user, bilan),
        **context,
    ), status


def new_bilan_form(bilan: Bilan) -> BilanForm:
    form = BilanForm(bilan=bilan, outcomes=allowed_outcomes(bilan))
    if not form.is_submitted():
        form.held_on.data = min(bilan.due_date, date.today())
        # What the rent record shows is the starting point; the worker may say otherwise,
        # with a written reason.
        evidence = rent_evidence(bilan.measure, form.held_on.data)
        if evidence.regular:
            form.rent_paid_regularly.data = "yes"
        elif evidence.unpaid or evidence.arrears:
            form.rent_paid_regularly.data = "no"
    return form


@bp.route("/<int:measure_id>/bilans/<int:bilan_id>", methods=["GET", "POST"])
@login_required
def bilan(measure_id, bilan_id):
    """A bilan: what it is for, and once held, what was found and decided."""
    measure = load_measure(measure_id)
    bilan = load_bilan(measure, bilan_id)
    if request.method == "GET":
        # Render before committing the reading: a commit expires what the page shows.
        page = bilan_page(measure, bilan, new_bilan_form(bilan), PointForm())
        audit_read(measure, f"{bilan.kind.label} consulté")
        db.session.commit()
        return page
    require(permissions.can_manage_measure(current_user, measure))
    form = new_bilan_form(bilan)
    if form.validate_on_submit():
        with commit_unless_refused() as outcome:
            record_bilan(bilan, current_user._get_current_object(), form.data_for_service())
        if outcome.refused:
            error = outcome.error
            if measure.is_open and not bilan.is_done:
                field = form[error.field] if isinstance(error, BilanError) else form.outcome
                field.errors = [*field.errors, outcome.message]
            else:  # the form is no longer shown: say it above the page
                flash(outcome.message, "error")
        else:
            flash(_("Le bilan est enregistré."), "success")
            return redirect(url_for("measures.bilan", measure_id=measure.id, bilan_id=bilan.id))
    return bilan_page(measure, bilan, form, PointForm(formdata=None), 400)


@bp.route("/<int:measure_id>/bilans/<int:bilan_id>/meeting", methods=["POST"])
@login_required
def point(measure_id, bilan_id):
    """Schedule the bilan as a point de situation with the landlord and the household."""
    measure = load_measure(measure_id)
    bilan = load_bilan(measure, bilan_id)
    require(permissions.can_manage_measure(current_user, measure))
    form = PointForm()
    if form.validate_on_submit():
        with commit_unless_refused() as outcome:
            meeting = schedule_point(
                bilan,
                current_user._get_current_object(),
                paris_moment(form.day.data, form.time.data),
                form.location.data,
            )
        if outcome.refused:
            flash(outcome.message, "error")
        else:
            flash(_("Le point de situation est programmé ; les invités sont prévenus."), "success")
            if "meetings.show" in current_app.view_functions:
                return redirect(url_for("meetings.show", meeting_id=meeting.id))
            return redirect(url_for("measures.bilan", measure_id=measure.id, bilan_id=bilan.id))
    return bilan_page(
        measure,
        bilan,
        BilanForm(formdata=None, bilan=bilan, outcomes=allowed_outcomes(bilan)),
        form,
        400,
    )


# Fiche-bilan for the State service -------------------------------------------------------


def load_fiche(measure_id: int, bilan_id: int) -> Bilan:
    """The State service sees the fiche without seeing the measure: both are checked here."""
    bilan = db.session.get(Bilan, bilan_id)
    if (
        bilan is None
        or bilan.measure_id != measure_id
        or not permissions.can_view_fiche_bilan(current_user, bilan)
    ):
        abort(404)
    return bilan


def fiche_context(bilan: Bilan) -> dict:
    measure = bilan.measure
    records = [r for r in measure.rent_records if r.month <= (bilan.held_on or date.today())]
    return {
        "bilan": bilan,
        "measure": measure,
        "household": measure.household,
        "rent": rent_evidence(measure, bilan.held_on or date.today()),
        "rent_records": records,
        # The fiche tells what led to this bilan: the ones held before it, not after.
        "earlier_bilans": [
            b
            for b in measure.bilans
            if b.is_done and bilan.is_done and (b.held_on, b.id) < (bilan.held_on, bilan.id)
        ],
    }


@bp.route("/<int:measure_id>/bilans/<int:bilan_id>/fiche")
@login_required
def fiche(measure_id, bilan_id):
    """The pseudonymised fiche-bilan, printable: no names, no identity."""
    bilan = load_fiche(measure_id, bilan_id)
    # Render before committing the reading: a commit expires what the page shows.
    page = render_template("measures/fiche.html", **fiche_context(bilan))
    record_event(
        AuditAction.VIEW, "bilan", bilan.id, f"Fiche-bilan consultée — mesure n° {measure_id}"
    )
    db.session.commit()
    return page


@bp.route("/<int:measure_id>/bilans/<int:bilan_id>/fiche.pdf")
@login_required
def fiche_pdf(measure_id, bilan_id):
    from portal.pdf import render_pdf

    bilan = load_fiche(measure_id, bilan_id)
    stylesheet = Path(current_app.static_folder, "css", "minutes-pdf.css").read_text("utf-8")
    html = render_template("measures/fiche_pdf.html", **fiche_context(bilan))
    document = render_pdf(html, stylesheet)
    record_event(
        AuditAction.EXPORT,
        "bilan",
        bilan.id,
        f"Fiche-bilan exportée en PDF — mesure n° {measure_id}",
    )
    db.session.commit()
    filename = f"fiche-bilan-mesure-{measure_id}-{bilan.kind.value.replace('_', '-')}.pdf"
    return Response(
        document,
        mimetype="application/pdf",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


# Rent record -----------------------------------------------------------------------------


def requested_month(value: str) -> date | None:
    """The month of the « Renseigner » link (aaaa-mm), if it is one."""
    try:
        return datetime.strptime(value, "%Y-%m").date()
    except ValueError:
        return None


@bp.route("/<int:measure_id>/rent", methods=["GET", "POST"])
@login_required
def rent(measure_id):
    """Enter one month of the rent record (a second entry corrects the first)."""
    measure = load_measure(measure_id)
    require(permissions.can_record_rent(current_user, measure))
    form = RentForm()
    if not form.is_submitted():
        month = requested_month(request.args.get("month", ""))
        existing = next((r for r in measure.rent_records if r.month == month), None)
        form.month.data = month
        if existing is not None:
            form.status.data = existing.status.value
            form.amount_due.data = existing.amount_due
            form.amount_paid.data = existing.amount_paid
        else:
            form.amount_due.data = measure.household_share
    if form.validate_on_submit():
        with commit_unless_refused() as outcome:
            record = record_rent(
                measure,
                current_user._get_current_object(),
                {
                    "month": form.month.data,
                    "status": RentStatus(form.status.data),
                    "amount_due": form.amount_due.data,
                    "amount_paid": form.amount_paid.data,
                },
            )
        if outcome.refused:
            form.month.errors = [*form.month.errors, outcome.message]
        else:
            flash(
                _("Loyer de %(month)s enregistré.", month=record.month.strftime("%m/%Y")),
                "success",
            )
            return redirect(url_for("measures.show", measure_id=measure.id) + "#loyers")
    status = 400 if form.is_submitted() else 200
    return render_template("measures/rent.html", measure=measure, form=form), status
