from datetime import date

import sqlalchemy as sa
from flask import Response, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from portal import permissions
from portal.actions import bp
from portal.actions.forms import (
    ActionFilterForm,
    ActionForm,
    ActionNoteForm,
    CloseActionForm,
    DecisionFilterForm,
    DecisionForm,
)
from portal.actions.services import (
    WITH_CASE,
    add_action_note,
    close_action,
    correct_decision,
    create_action,
    export_decisions,
    record_decision,
    responsible_clause,
)
from portal.case_content import (
    ActionView,
    action_views,
    audit_reads,
    decision_views,
    reading_loads,
)
from portal.cases.forms import committees_of
from portal.extensions import db
from portal.forms import record_id
from portal.i18n import _
from portal.loading import load_meeting, require
from portal.local_time import paris_day_end_utc, paris_midnight_utc
from portal.minutes.services import minutes_of
from portal.models import (
    ActionStatus,
    AgendaItem,
    Attendance,
    Committee,
    Decision,
    DecisionKind,
    FollowUpAction,
    Meeting,
    Organisation,
    User,
)
from portal.pagination import paginate
from portal.transactions import commit_unless_refused

# Loading: an object the reader may not know about is simply not found ---------------------


# What a decision's page and the decisions list show: its agenda item, the organisations
# that took part and its actions, with the case's reading (``reading_loads``).
DECISION_SHOWN = (
    *reading_loads(Decision.case),
    sa.orm.joinedload(Decision.agenda_item),
    sa.orm.selectinload(Decision.organisations),
)


def load_decision(decision_id: int) -> Decision:
    decision = db.get_or_404(
        Decision,
        decision_id,
        options=[
            *DECISION_SHOWN,
            sa.orm.selectinload(Decision.actions).options(*WITH_CASE),
        ],
    )
    if not permissions.can_view_meeting(current_user, decision.meeting):
        abort(404)
    return decision


def load_action(action_id: int) -> FollowUpAction:
    action = db.get_or_404(
        FollowUpAction,
        action_id,
        options=[
            *WITH_CASE,
            sa.orm.joinedload(FollowUpAction.decision),
            sa.orm.selectinload(FollowUpAction.notes),
        ],
    )
    if not permissions.can_view_action(current_user, action):
        abort(404)
    return action


def visible_committees() -> list[Committee]:
    if permissions.is_coordinator(current_user):
        return list(db.session.scalars(sa.select(Committee).order_by(Committee.name)))
    return committees_of(current_user.organisation_ids)


# « Mes actions » ---------------------------------------------------------------------------


def filtered_actions(form: ActionFilterForm):
    today = date.today()
    overdue = sa.and_(FollowUpAction.status == ActionStatus.OPEN, FollowUpAction.due_on < today)
    query = sa.select(FollowUpAction).options(*WITH_CASE)
    valid = form.validate()
    scope = form.scope.data if valid else ""
    if scope == "mine":
        query = query.where(FollowUpAction.user_id == current_user.id)
    elif scope == "organisation":
        query = query.where(FollowUpAction.organisation_id.in_(list(current_user.organisation_ids)))
    else:
        query = query.where(responsible_clause(current_user))
    status = (form.status.data or ActionStatus.OPEN.value) if valid else ActionStatus.OPEN.value
    if status != "all":
        query = query.where(FollowUpAction.status == ActionStatus(status))
    if valid and form.committee.data:
        query = query.where(FollowUpAction.committee_id == form.committee.data)
    if valid and form.overdue.data:
        query = query.where(overdue)
    return query.order_by(
        sa.case((overdue, 0), else_=1),
        sa.case((FollowUpAction.status == ActionStatus.OPEN, 0), else_=1),
        FollowUpAction.due_on,
        FollowUpAction.id,
    )


@bp.route("/")
@login_required
def index():
    """« Mes actions »: what my organisation and I must do, overdue first."""
    require(permissions.is_staff(current_user))
    form = ActionFilterForm(formdata=request.args, committees=visible_committees())
    page = paginate(filtered_actions(form))
    views = action_views(current_user, page.items)
    updatable = {a.id for a in page.items if permissions.can_update_action(current_user, a)}
    rendered = render_template(
        "actions/index.html",
        page=page,
        views=views,
        form=form,
        updatable=updatable,
        today=date.today(),
    )
    audit_reads(views, "Consultation de « Mes actions »")
    db.session.commit()
    return rendered


def render_action(action, form=None, note_form=None, status=200):
    view = ActionView(
        action,
        permissions.case_access(current_user, action.case) if action.case else None,
        permissions.is_action_assignee(current_user, action),
    )
    page = render_template(
        "actions/show.html",
        action=action,
        view=view,
        form=form or CloseActionForm(),
        note_form=note_form or ActionNoteForm(),
        can_update=permissions.can_update_action(current_user, action),
        can_view_meeting=permissions.can_view_meeting(current_user, action.meeting),
        can_view_case=action.case is not None
        and permissions.can_view_case(current_user, action.case),
    )
    audit_reads([view], "Consultation d'une action de suivi")
    db.session.commit()
    return page, status


@bp.route("/<int:action_id>")
@login_required
def show(action_id):
    return render_action(load_action(action_id))


def finish(action_id: int, status: ActionStatus):
    action = load_action(action_id)
    require(permissions.can_update_action(current_user, action))
    form = CloseActionForm()
    if form.validate_on_submit():
        with commit_unless_refused() as outcome:
            close_action(action, current_user._get_current_object(), status, form.note.data)
        if outcome.refused:
            if action.status != ActionStatus.OPEN:  # closed meanwhile, by someone else maybe
                flash(outcome.message, "error")
                return redirect(url_for("actions.show", action_id=action.id))
            form.note.errors = [*form.note.errors, outcome.message]
        else:
            if status == ActionStatus.DONE:
                flash(_("L'action est marquée comme faite."), "success")
            else:
                flash(_("L'action est marquée comme annulée."), "success")
            return redirect(safe_next() or url_for("actions.show", action_id=action.id))
    return render_action(action, form=form, status=400)


@bp.route("/<int:action_id>/notes", methods=["POST"])
@login_required
def add_note(action_id):
    """Where the action stands: a note by its organisation or the organisers."""
    action = load_action(action_id)
    require(permissions.can_update_action(current_user, action))
    form = ActionNoteForm()
    if form.validate_on_submit():
        with commit_unless_refused() as outcome:
            add_action_note(action, current_user._get_current_object(), form.text.data)
        if outcome.refused:
            form.text.errors.append(outcome.message)
        else:
            flash(_("La note est ajoutée à l'action."), "success")
            return redirect(url_for("actions.show", action_id=action.id) + "#notes")
    return render_action(action, note_form=form, status=400)


def safe_next() -> str | None:
    """Back to the list the button was pressed on (a local path only)."""
    target = request.form.get("next", "")
    return target if target.startswith("/actions/") and "//" not in target else None


@bp.route("/<int:action_id>/done", methods=["POST"])
@login_required
def done(action_id):
    return finish(action_id, ActionStatus.DONE)


@bp.route("/<int:action_id>/cancel", methods=["POST"])
@login_required
def cancel(action_id):
    return finish(action_id, ActionStatus.CANCELLED)


# Recording decisions and actions -----------------------------------------------------------


@bp.route("/meetings/<int:meeting_id>/decisions/new", methods=["GET", "POST"])
@login_required
def new_decision(meeting_id):
    """Record a joint decision, on an agenda item (and its case) or on the meeting."""
    meeting = load_meeting(meeting_id)
    require(permissions.can_record_decisions(current_user, meeting))
    form = DecisionForm(meeting=meeting, reader=current_user)
    if not form.is_submitted():
        form.agenda_item_id.data = request.args.get("item", type=record_id)
        form.organisation_ids.data = default_participants(meeting)
    if form.validate_on_submit():
        organisations, positions = chosen_participants(form)
        item_id = form.agenda_item_id.data
        with commit_unless_refused() as outcome:
            decision = record_decision(
                meeting,
                current_user._get_current_object(),
                kind=DecisionKind(form.kind.data),
                text=form.text.data,
                organisations=organisations,
                positions=positions,
                agenda_item=db.session.get(AgendaItem, item_id) if item_id else None,
            )
        if outcome.refused:
            form.text.errors.append(outcome.message)
        else:
            flash(_("La décision est enregistrée. Ajoutez-y les actions de suivi."), "success")
            return redirect(url_for("actions.decision", decision_id=decision.id))
    status = 400 if form.is_submitted() else 200
    return render_template("actions/decision_form.html", form=form, meeting=meeting), status


def chosen_participants(form: DecisionForm):
    """The organisations ticked on a decision form, and the positions noted for them."""
    organisations = db.session.scalars(
        sa.select(Organisation).where(Organisation.id.in_(form.organisation_ids.data or []))
    ).all()
    by_id = {o.id: o for o in organisations}
    positions = [
        (by_id[e.form.organisation_id.data], e.form.position.data)
        for e in form.positions.entries
        if e.form.organisation_id.data
    ]
    return organisations, positions


def decision_form_data(decision: Decision) -> dict:
    return {
        "kind": decision.kind.value,
        "text": decision.text,
        "organisation_ids": [o.id for o in decision.organisations],
        "positions": [
            {"organisation_id": p.organisation_id, "position": p.position}
            for p in decision.positions
        ],
    }


@bp.route("/decisions/<int:decision_id>/edit", methods=["GET", "POST"])
@login_required
def edit_decision(decision_id):
    """Correct a decision's kind, text, organisations and positions, until the minutes are
    approved."""
    decision = load_decision(decision_id)
    meeting = decision.meeting
    require(permissions.can_correct_decision(current_user, decision, minutes_of(meeting)))
    # The recorded values fill the form on GET only: a POST must carry them all.
    form = DecisionForm(
        meeting=meeting,
        reader=current_user,
        data=None if request.method == "POST" else decision_form_data(decision),
    )
    form.submit.label.text = _("Enregistrer la correction")
    if form.validate_on_submit():
        organisations, positions = chosen_participants(form)
        with commit_unless_refused() as outcome:
            changed = correct_decision(
                decision,
                current_user._get_current_object(),
                kind=DecisionKind(form.kind.data),
                text=form.text.data,
                organisations=organisations,
                positions=positions,
            )
        if outcome.refused:
            form.kind.errors.append(outcome.message)
        else:
            if changed:
                flash(_("La décision est corrigée."), "success")
            else:
                flash(_("Rien n'a changé : la décision reste telle qu'elle était."), "info")
            return redirect(url_for("actions.decision", decision_id=decision.id))
    status = 400 if form.is_submitted() else 200
    return render_template(
        "actions/decision_form.html", form=form, meeting=meeting, decision=decision
    ), status


def default_participants(meeting: Meeting) -> list[int]:
    """Organisations present (per the register), or else those invited."""
    present = {i.organisation_id for i in meeting.invitees if i.attendance == Attendance.PRESENT}
    return sorted(present or {i.organisation_id for i in meeting.invitees})


@bp.route("/decisions/<int:decision_id>")
@login_required
def decision(decision_id):
    """A decision as the reader may see it: about a case the reader may not see, its kind
    only; the reading of a case's decision is in its household's access log."""
    decision = load_decision(decision_id)
    reader = current_user._get_current_object()
    (view,) = decision_views(reader, [decision])
    actions = (
        []
        if view.is_confidential
        else action_views(reader, sorted(decision.actions, key=lambda a: (a.due_on, a.id)))
    )
    minutes = minutes_of(decision.meeting)
    page = render_template(
        "actions/decision.html",
        decision=decision,
        view=view,
        actions=actions,
        can_view_case=decision.case is not None
        and permissions.can_view_case(reader, decision.case),
        can_record=permissions.can_record_decisions(reader, decision.meeting)
        and permissions.record_is_open(minutes),
        can_correct=permissions.can_correct_decision(reader, decision, minutes),
    )
    audit_reads([view, *actions], "Consultation d'une décision")
    db.session.commit()
    return page


@bp.route("/meetings/<int:meeting_id>/new", methods=["GET", "POST"])
@login_required
def new_action(meeting_id):
    """Give a follow-up action to a partner: it is e-mailed to them and fills their
    « Mes actions » until it is done."""
    meeting = load_meeting(meeting_id)
    require(permissions.can_record_decisions(current_user, meeting))
    form = ActionForm(meeting=meeting, reader=current_user)
    if not form.is_submitted():
        form.decision_id.data = request.args.get("decision", type=record_id)
    if form.validate_on_submit():
        with commit_unless_refused() as outcome:
            action = create_action(
                meeting,
                current_user._get_current_object(),
                description=form.description.data,
                organisation=db.session.get(Organisation, form.organisation_id.data),
                due_on=form.due_on.data,
                user=db.session.get(User, form.user_id.data) if form.user_id.data else None,
                decision=form.decisions.get(form.decision_id.data),
            )
        if outcome.refused:
            form.user_id.errors.append(outcome.message)
        else:
            flash(
                _(
                    "L'action est enregistrée ; %(organisation)s en est prévenue.",
                    organisation=action.organisation.name,
                ),
                "success",
            )
            if action.decision is not None:
                return redirect(url_for("actions.decision", decision_id=action.decision.id))
            return redirect(url_for("actions.show", action_id=action.id))
    status = 400 if form.is_submitted() else 200
    return render_template("actions/action_form.html", form=form, meeting=meeting), status


# Decisions list and export -----------------------------------------------------------------


def filtered_decisions(form: DecisionFilterForm):
    query = (
        sa.select(Decision)
        .join(Meeting, Decision.meeting_id == Meeting.id)
        .where(permissions.visible_meetings_clause(current_user))
        # The list counts each decision's actions: loaded alone, without what they join.
        .options(*DECISION_SHOWN, sa.orm.selectinload(Decision.actions).lazyload("*"))
    )
    if form.validate():
        if form.committee.data:
            query = query.where(Meeting.committee_id == form.committee.data)
        if form.kind.data:
            query = query.where(Decision.kind == DecisionKind(form.kind.data))
        if form.date_from.data:
            query = query.where(Meeting.starts_at >= paris_midnight_utc(form.date_from.data))
        if form.date_to.data:
            end = paris_day_end_utc(form.date_to.data)
            query = query.where(Meeting.starts_at < end)
    return query.order_by(Meeting.starts_at.desc(), Decision.id)


@bp.route("/decisions")
@login_required
def decisions():
    """Joint decisions of the meetings the reader may see, per committee and period."""
    require(permissions.is_staff(current_user))
    form = DecisionFilterForm(formdata=request.args, committees=visible_committees())
    page = paginate(filtered_decisions(form))
    views = decision_views(current_user, page.items)
    rendered = render_template("actions/decisions.html", page=page, form=form, views=views)
    audit_reads(views, "Consultation de la liste des décisions")
    db.session.commit()
    return rendered


def filters_summary(form: DecisionFilterForm) -> str:
    parts = []
    if form.committee.data:
        committee = db.session.get(Committee, form.committee.data)
        parts.append(f"instance {committee.name}" if committee else "")
    if form.kind.data:
        parts.append(DecisionKind(form.kind.data).label)
    if form.date_from.data:
        parts.append(f"depuis le {form.date_from.data:%d/%m/%Y}")
    if form.date_to.data:
        parts.append(f"jusqu'au {form.date_to.data:%d/%m/%Y}")
    return ", ".join(p for p in parts if p)


@bp.route("/decisions.csv")
@login_required
def export():
    """The same list as a CSV file for a spreadsheet; the export is written to the audit
    trail."""
    require(permissions.is_staff(current_user))
    form = DecisionFilterForm(formdata=request.args, committees=visible_committees())
    reader = current_user._get_current_object()
    views = decision_views(reader, db.session.scalars(filtered_decisions(form)).unique())
    content = export_decisions(views, reader, filters_summary(form) if form.validate() else "")
    db.session.commit()
    return Response(
        content.encode("utf-8"),
        content_type="text/csv; charset=utf-8",
        headers={
            "Content-Disposition": f'attachment; filename="decisions-{date.today():%Y-%m-%d}.csv"'
        },
    )
