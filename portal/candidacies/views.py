import sqlalchemy as sa
from flask import flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from sqlalchemy.orm import joinedload

from portal import permissions
from portal.candidacies import bp
from portal.candidacies.forms import (
    CandidacyFilterForm,
    CandidacyForm,
    DecisionForm,
    SubmitCandidacyForm,
    WithdrawCandidacyForm,
    informed_households,
)
from portal.candidacies.services import (
    CandidacyError,
    audit_candidacy_read,
    available_transitions,
    change_candidacy_status,
    commission_meetings,
    create_candidacy,
    update_candidacy,
)
from portal.extensions import db
from portal.forms import record_id
from portal.i18n import _, _l
from portal.loading import get_visible_or_404, require
from portal.models import (
    Accommodation,
    Candidacy,
    CandidacyStatus,
    Case,
    Commune,
    Household,
    Meeting,
    OrganisationKind,
    Programme,
    RefusalReason,
)
from portal.pagination import paginate
from portal.transactions import commit_unless_refused
from portal.units.services import programme_figures


def load_candidacy(candidacy_id: int, options=()) -> Candidacy:
    """A draft is the CCAS's own: to the SIAO it does not exist yet."""
    return get_visible_or_404(Candidacy, candidacy_id, permissions.can_view_candidacy, options)


# What the candidacy's page shows: who proposed it, its communes, its history and its
# household's situation and identity.
CANDIDACY_SHOWN = (
    joinedload(Candidacy.organisation),
    joinedload(Candidacy.siao),
    joinedload(Candidacy.created_by),
    sa.orm.selectinload(Candidacy.communes),
    sa.orm.selectinload(Candidacy.events),
    sa.orm.defaultload(Candidacy.household).selectinload(Household.communes),
    sa.orm.defaultload(Candidacy.household).selectinload(Household.obstacles),
    sa.orm.defaultload(Candidacy.household).selectinload(Household.persons),
    sa.orm.defaultload(Candidacy.household).selectinload(Household.identity),
)


def territory_ids() -> set[int]:
    return {o.territory_id for o in current_user.organisations}


def active_programmes(include: int | None = None) -> list[Programme]:
    query = sa.select(Programme).where(Programme.territory_id.in_(territory_ids()))
    condition = (
        Programme.active if include is None else sa.or_(Programme.active, Programme.id == include)
    )
    return list(db.session.scalars(query.where(condition).order_by(Programme.name)))


def visible_programmes() -> list[Programme]:
    return list(
        db.session.scalars(
            sa.select(Programme)
            .where(Programme.territory_id.in_(territory_ids()))
            .order_by(Programme.name)
        )
    )


def own_cases(household_ids: list[int]) -> list[Case]:
    return list(
        db.session.scalars(
            sa.select(Case)
            .where(Case.household_id.in_(household_ids))
            .order_by(Case.created.desc())
        )
    )


def territory_communes(household: Household | None = None) -> list[Commune]:
    ids = territory_ids() if household is None else {household.organisation.territory_id}
    return list(
        db.session.scalars(
            sa.select(Commune).where(Commune.territory_id.in_(ids)).order_by(Commune.name)
        )
    )


# List --------------------------------------------------------------------------------------


def filtered_candidacies(form: CandidacyFilterForm):
    query = (
        sa.select(Candidacy)
        .where(permissions.visible_candidacies_clause(current_user))
        .options(joinedload(Candidacy.organisation))
    )
    if form.validate():
        if form.status.data:
            query = query.where(Candidacy.status == CandidacyStatus(form.status.data))
        if form.programme.data:
            query = query.where(Candidacy.programme_id == form.programme.data)
    return query.order_by(Candidacy.updated.desc(), Candidacy.id.desc())


@bp.route("/")
@login_required
def index():
    """The CCAS's candidacies, and those submitted to the reader's SIAO."""
    require(permissions.is_staff(current_user))
    form = CandidacyFilterForm(formdata=request.args, programmes=visible_programmes())
    page = paginate(filtered_candidacies(form))
    return render_template(
        "candidacies/index.html",
        page=page,
        form=form,
        can_propose=permissions.can_propose_candidacy(current_user),
    )


# Writing -----------------------------------------------------------------------------------


@bp.route("/new", methods=["GET", "POST"])
@login_required
def new():
    """A CCAS social worker proposes one of its informed households for a programme."""
    require(permissions.can_propose_candidacy(current_user))
    # A CCAS proposes its own households (the person may belong to other organisations).
    households = informed_households(
        [o.id for o in current_user.organisations if o.kind == OrganisationKind.CCAS]
    )
    form = CandidacyForm(
        households=households,
        programmes=active_programmes(),
        cases=own_cases([h.id for h in households]),
        communes=territory_communes(),
    )
    if not form.is_submitted():
        chosen = request.args.get("household", type=record_id)
        form.household_id.data = chosen if chosen in form.households else None
        if chosen in form.households:
            household = form.households[chosen]
            form.requested_typology.data = household.typology.value if household.typology else ""
            form.commune_ids.data = [c.id for c in household.communes]
            if household.accommodation == Accommodation.HOTEL:
                form.in_hotel.data = True
                form.hotel_since.data = household.accommodation_since
    if form.validate_on_submit():
        household = form.households[form.household_id.data]
        with commit_unless_refused() as outcome:
            candidacy = create_candidacy(
                household, current_user._get_current_object(), form.candidacy_data
            )
        if outcome.refused:
            error = outcome.error
            field = form[error.field] if isinstance(error, CandidacyError) else form.household_id
            field.errors = [*field.errors, outcome.message]
        else:
            flash(
                _("La candidature est enregistrée en brouillon : le SIAO ne la voit pas encore."),
                "success",
            )
            return redirect(url_for("candidacies.show", candidacy_id=candidacy.id))
    status = 400 if form.is_submitted() else 200
    return render_template(
        "candidacies/form.html", form=form, candidacy=None, programmes=form.programmes
    ), status


@bp.route("/<int:candidacy_id>/edit", methods=["GET", "POST"])
@login_required
def edit(candidacy_id):
    candidacy = load_candidacy(candidacy_id)
    require(permissions.can_edit_candidacy(current_user, candidacy))
    household = candidacy.household
    form = CandidacyForm(
        obj=candidacy,
        households=None,
        fixed_household_id=household.id,
        programmes=active_programmes(include=candidacy.programme_id),
        cases=own_cases([household.id]),
        communes=territory_communes(household),
    )
    if not request.form:  # nothing typed yet: the form shows the candidacy's values
        form.requested_typology.data = candidacy.requested_typology.value
        form.commune_ids.data = [c.id for c in candidacy.communes]
    if form.validate_on_submit():
        with commit_unless_refused() as outcome:
            update_candidacy(candidacy, current_user._get_current_object(), form.candidacy_data)
        if outcome.refused:
            error = outcome.error
            field = form[error.field] if isinstance(error, CandidacyError) else form.programme_id
            field.errors = [*field.errors, outcome.message]
        else:
            flash(_("La candidature est modifiée."), "success")
            return redirect(url_for("candidacies.show", candidacy_id=candidacy.id))
    status = 400 if form.is_submitted() else 200
    return render_template(
        "candidacies/form.html", form=form, candidacy=candidacy, programmes=form.programmes
    ), status


# Reading -----------------------------------------------------------------------------------


def decision_meetings(candidacy: Candidacy) -> list[Meeting]:
    return commission_meetings(permissions.visible_meetings_clause(current_user))


def render_show(candidacy: Candidacy, *, status: int = 200, **forms):
    """The candidacy, its history and the forms the reader may use (the one posted, with
    its errors, replaces the blank one)."""
    can_manage = permissions.can_manage_candidacy(current_user, candidacy)
    can_decide = permissions.can_decide_candidacy(current_user, candidacy)
    with_identity = permissions.can_view_candidacy_identity(current_user, candidacy)
    owner_steps = (
        {t.name for t in available_transitions(candidacy, "owner")} if can_manage else set()
    )
    deciding = can_decide and bool(available_transitions(candidacy, "siao"))
    decision_form = None
    if deciding:
        decision_form = forms.get("decision_form") or DecisionForm(
            meetings=decision_meetings(candidacy)
        )
    case = candidacy.case
    # Render before committing the reading: a commit expires what the page shows.
    page = render_template(
        "candidacies/show.html",
        candidacy=candidacy,
        household=candidacy.household,
        with_identity=with_identity,
        can_edit=permissions.can_edit_candidacy(current_user, candidacy),
        can_submit="submit" in owner_steps,
        can_withdraw="withdraw" in owner_steps,
        submit_form=forms.get("submit_form") or SubmitCandidacyForm(candidacy=candidacy),
        withdraw_form=forms.get("withdraw_form") or WithdrawCandidacyForm(),
        decision_form=decision_form,
        figures=programme_figures([candidacy.programme])[0] if deciding else None,
        can_view_case=case is not None and permissions.can_view_case(current_user, case),
    )
    audit_candidacy_read(candidacy, with_identity)
    db.session.commit()
    return page, status


@bp.route("/<int:candidacy_id>")
@login_required
def show(candidacy_id):
    return render_show(load_candidacy(candidacy_id, CANDIDACY_SHOWN))


# Transitions -------------------------------------------------------------------------------


def apply_transition(candidacy: Candidacy, name: str, success: str, **details):
    with commit_unless_refused() as outcome:
        change_candidacy_status(candidacy, name, current_user._get_current_object(), **details)
    if outcome.refused:
        flash(outcome.message, "error")
    else:
        flash(success, "success")
    return redirect(url_for("candidacies.show", candidacy_id=candidacy.id))


@bp.route("/<int:candidacy_id>/submit", methods=["POST"])
@login_required
def submit(candidacy_id):
    candidacy = load_candidacy(candidacy_id)
    require(permissions.can_manage_candidacy(current_user, candidacy))
    form = SubmitCandidacyForm(candidacy=candidacy)
    if not form.validate_on_submit():
        return render_show(candidacy, status=400, submit_form=form)
    return apply_transition(
        candidacy,
        "submit",
        _("La candidature est soumise au SIAO."),
        comment=form.comment.data,
    )


@bp.route("/<int:candidacy_id>/withdraw", methods=["POST"])
@login_required
def withdraw(candidacy_id):
    candidacy = load_candidacy(candidacy_id)
    require(permissions.can_manage_candidacy(current_user, candidacy))
    form = WithdrawCandidacyForm()
    if not form.validate_on_submit():
        return render_show(candidacy, status=400, withdraw_form=form)
    return apply_transition(
        candidacy, "withdraw", _("La candidature est retirée."), comment=form.comment.data
    )


DECISION_MESSAGES = {
    "validate": _l("La candidature est validée : elle rejoint la liste d'attente du programme."),
    "refuse": _l("La candidature est refusée ; le CCAS en est prévenu."),
    "request_more_info": _l("Les compléments sont demandés au CCAS."),
}


@bp.route("/<int:candidacy_id>/decide", methods=["POST"])
@login_required
def decide(candidacy_id):
    """The SIAO's decision, possibly taken in a commission SIAO; the CCAS is e-mailed."""
    candidacy = load_candidacy(candidacy_id)
    require(permissions.can_decide_candidacy(current_user, candidacy))
    form = DecisionForm(meetings=decision_meetings(candidacy))
    if candidacy.status != CandidacyStatus.SUBMITTED:
        flash(
            _(
                "Cette action n'est pas possible pour une candidature « %(status)s ».",
                status=candidacy.status.label,
            ),
            "error",
        )
        return redirect(url_for("candidacies.show", candidacy_id=candidacy.id))
    if not form.validate_on_submit():
        return render_show(candidacy, status=400, decision_form=form)
    name = form.decision.data
    return apply_transition(
        candidacy,
        name,
        str(DECISION_MESSAGES[name]),
        comment=form.comment.data,
        reason=RefusalReason(form.refusal_reason.data) if name == "refuse" else None,
        meeting=form.meetings.get(form.meeting_id.data),
    )
