"""Joint decisions and follow-up actions. Functions flush; the view (or the job) commits.

Audit events and case timeline entries are written here, beside the change they describe;
e-mails are queued in the same transaction and leave once it has committed.
"""

from collections.abc import Iterable
from datetime import date

import sqlalchemy as sa
from flask_babel import format_date, format_datetime

from portal import permissions
from portal.audit import record_event
from portal.case_content import (
    DecisionView,
    action_views,
    audit_reads,
    decision_views,
    reading_loads,
)
from portal.cases.services import add_event, change_status
from portal.csv_export import csv_text
from portal.extensions import db
from portal.household_data import link_email
from portal.i18n import _, _l
from portal.models import (
    ActionNote,
    ActionStatus,
    AgendaItem,
    AuditAction,
    Case,
    CaseEventKind,
    CaseStatus,
    Decision,
    DecisionKind,
    DecisionPosition,
    FollowUpAction,
    Meeting,
    Minutes,
    MinutesStatus,
    Organisation,
    ProposalOrigin,
    User,
    now_utc,
)
from portal.notifications.services import notify as notify_person
from portal.notifications.services import organisation_recipients, unique
from portal.outbox.services import public_url_for, queue_email
from portal.workflow import WorkflowError

# Decisions ---------------------------------------------------------------------------------


def meeting_label(meeting: Meeting) -> str:
    return f"{meeting.title} du {format_date(meeting.starts_at, 'd MMMM yyyy')}"


def record_decision(
    meeting: Meeting,
    actor: User | None,
    *,
    kind: DecisionKind,
    text: str,
    organisations: Iterable[Organisation],
    positions: Iterable[tuple[Organisation, str]] = (),
    agenda_item: AgendaItem | None = None,
    case: Case | None = None,
    notify: bool = True,
) -> Decision:
    """Record a joint decision of a meeting, on one of its agenda items or cases.

    A decision on a case goes on the case's timeline and moves a case on the agenda to
    « décision prise » (or, when the committee adjourns it, back to « soumise » so that it
    can be put on a later agenda).
    """
    if meeting.is_cancelled:
        raise WorkflowError(_("La réunion est annulée : aucune décision ne peut y être prise."))
    check_record_open(meeting)
    if agenda_item is not None and agenda_item.meeting_id != meeting.id:
        raise WorkflowError(_("Ce point n'est pas à l'ordre du jour de cette réunion."))
    if case is None and agenda_item is not None:
        case = agenda_item.case
    organisations, positions = checked_participants(organisations, positions)
    decision = Decision(
        meeting=meeting,
        agenda_item=agenda_item,
        case=case,
        kind=kind,
        text=text,
        created_by_id=actor.id if actor else None,
        organisations=organisations,
        positions=[DecisionPosition(organisation=o, position=p) for o, p in positions],
    )
    db.session.add(decision)
    db.session.flush()
    record_event(
        AuditAction.CREATE,
        "decision",
        decision.id,
        f"Décision « {kind.label} » — {meeting_label(meeting)}",
        user=actor,
    )
    if case is not None:
        add_event(
            case,
            CaseEventKind.DECISION,
            f"{kind.label} ({meeting_label(meeting)}) : {text}",
            actor,
        )
        move_case_after_decision(case, kind, actor)
        if kind == DecisionKind.ADJOURNED:
            propose_adjourned(case, meeting, actor)
    if notify:
        notify_decision(decision)
    return decision


def check_record_open(meeting: Meeting) -> None:
    """Decisions and actions are recorded once the meeting has begun, and until its
    minutes are approved (they are part of the approved record)."""
    if not permissions.has_started(meeting):
        raise WorkflowError(
            _(
                "La réunion n'a pas encore commencé : ses décisions et actions "
                "s'enregistrent à partir de son début."
            )
        )
    status = db.session.scalar(sa.select(Minutes.status).where(Minutes.meeting_id == meeting.id))
    if status == MinutesStatus.APPROVED:
        raise WorkflowError(
            _(
                "Le compte rendu de cette réunion est approuvé : ses décisions et actions sont "
                "figées. Rouvrez-le pour les modifier."
            )
        )


def propose_adjourned(case: Case, meeting: Meeting, actor: User | None) -> None:
    """An adjourned case is proposed for the committee's next meeting, if one is planned
    (otherwise when the next one is scheduled: ``propose_adjourned_cases``)."""
    from portal.meetings.services import next_meeting_of, propose_case

    following = next_meeting_of(meeting.committee, after=meeting)
    if following is not None:
        propose_case(following, case, actor, ProposalOrigin.ADJOURNED)


def checked_participants(
    organisations: Iterable[Organisation], positions: Iterable[tuple[Organisation, str]]
) -> tuple[list[Organisation], list[tuple[Organisation, str]]]:
    """The organisations that took part (at least one) and the positions noted, each for one
    of them."""
    organisations = list(organisations)
    if not organisations:
        raise WorkflowError(_("Indiquez au moins une organisation qui a pris part à la décision."))
    taking_part = {o.id for o in organisations}
    positions = [(o, p) for o, p in positions if p]
    if any(o.id not in taking_part for o, _ in positions):
        raise WorkflowError(
            _("Une position ne peut être notée que pour une organisation qui a pris part.")
        )
    return organisations, positions


def correct_decision(
    decision: Decision,
    actor: User,
    *,
    kind: DecisionKind,
    text: str,
    organisations: Iterable[Organisation],
    positions: Iterable[tuple[Organisation, str]] = (),
) -> bool:
    """Correct what was recorded of a decision (until the minutes are approved: the caller
    checks it). Its agenda item and case stay: a decision on another point is a new one.

    An adjournment sent the case back to « soumise », any other decision moved it to
    « décision prise »: turning one into the other would leave the case in the wrong status,
    so it is refused and a new decision is recorded instead. Returns False, and records
    nothing, when nothing changes."""
    if decision.case is not None and (kind == DecisionKind.ADJOURNED) != (
        decision.kind == DecisionKind.ADJOURNED
    ):
        raise WorkflowError(
            _(
                "Un ajournement ne peut pas devenir une autre décision, ni l'inverse : la "
                "situation a déjà changé de statut. Enregistrez une nouvelle décision."
            )
        )
    organisations, positions = checked_participants(organisations, positions)

    def recorded(kind, text, organisations, positions):
        return kind, text, {o.id for o in organisations}, sorted((o.id, p) for o, p in positions)

    before = recorded(
        decision.kind,
        decision.text,
        decision.organisations,
        [(p.organisation, p.position) for p in decision.positions],
    )
    if recorded(kind, text, organisations, positions) == before:
        return False
    decision.kind = kind
    decision.text = text
    decision.organisations = organisations
    decision.positions = [DecisionPosition(organisation=o, position=p) for o, p in positions]
    db.session.flush()
    record_event(
        AuditAction.CHANGE,
        "decision",
        decision.id,
        f"Décision corrigée « {kind.label} » — {meeting_label(decision.meeting)}",
        user=actor,
    )
    if decision.case is not None:
        add_event(
            decision.case,
            CaseEventKind.DECISION,
            f"Décision corrigée ({meeting_label(decision.meeting)}) : {kind.label} — {text}",
            actor,
        )
    return True


def move_case_after_decision(case: Case, kind: DecisionKind, actor: User | None) -> None:
    if case.status != CaseStatus.ON_AGENDA:
        return
    transition = "withdraw_from_agenda" if kind == DecisionKind.ADJOURNED else "mark_decided"
    change_status(case, transition, actor)


def case_loads(path, cases_in_session: bool) -> list:
    """How a list reaches its cases: with what reading them needs, or, when the page loaded
    them all first (``preload_meeting_cases``), from the session without a query."""
    return [sa.orm.lazyload(path)] if cases_in_session else reading_loads(path)


def meeting_decisions(meeting: Meeting, *, cases_in_session: bool = False) -> list[Decision]:
    """The meeting's decisions with each one's household reference, which is all the meeting
    page shows of the case: the case's default chain of joined and selectin loads
    (organisations, committee, participants, obstacles) made this list 17 % of that page."""
    return list(
        db.session.scalars(
            sa.select(Decision)
            .where(Decision.meeting_id == meeting.id)
            .order_by(Decision.id)
            .options(
                sa.orm.lazyload(Decision.meeting),  # the caller's meeting, in the session
                sa.orm.joinedload(Decision.agenda_item),
                sa.orm.selectinload(Decision.organisations),
                sa.orm.selectinload(Decision.actions),
                *case_loads(Decision.case, cases_in_session),
            )
        )
    )


# Follow-up actions -------------------------------------------------------------------------


def create_action(
    meeting: Meeting,
    actor: User | None,
    *,
    description: str,
    organisation: Organisation,
    due_on: date,
    user: User | None = None,
    decision: Decision | None = None,
    notify: bool = True,
) -> FollowUpAction:
    """Give a follow-up action to a partner organisation (and, optionally, one of its
    active members); they are told by e-mail."""
    if meeting.is_cancelled:
        raise WorkflowError(_("La réunion est annulée : aucune action ne peut y être décidée."))
    check_record_open(meeting)
    if decision is not None and decision.meeting_id != meeting.id:
        raise WorkflowError(_("Cette décision n'a pas été prise lors de cette réunion."))
    if user is not None and not is_active_member(user, organisation):
        raise WorkflowError(
            _(
                "%(name)s n'est pas membre actif de %(organisation)s.",
                name=user.full_name,
                organisation=organisation.name,
            )
        )
    action = FollowUpAction(
        meeting=meeting,
        committee_id=meeting.committee_id,
        decision=decision,
        case=decision.case if decision is not None else None,
        description=description,
        organisation=organisation,
        user=user,
        due_on=due_on,
    )
    db.session.add(action)
    db.session.flush()
    responsible = responsible_label(action)
    record_event(
        AuditAction.CREATE,
        "follow_up_action",
        action.id,
        f"Action confiée à {responsible} — {meeting_label(meeting)}",
        user=actor,
    )
    if action.case is not None:
        add_event(
            action.case,
            CaseEventKind.ACTION,
            f"Action confiée à {responsible}, pour le "
            f"{format_date(due_on, 'd MMMM yyyy')} : {description}",
            actor,
        )
    if notify:
        notify_assigned(action)
    return action


def is_active_member(user: User, organisation: Organisation) -> bool:
    return user.active and organisation.id in user.organisation_ids


def responsible_label(action: FollowUpAction) -> str:
    if action.user is not None:
        return f"{action.user.full_name} ({action.organisation.name})"
    return action.organisation.name


def close_action(
    action: FollowUpAction, actor: User | None, status: ActionStatus, note: str | None
) -> None:
    """Mark an open action done (with an optional note) or cancelled (with a reason)."""
    note = (note or "").strip()
    if action.status != ActionStatus.OPEN:
        raise WorkflowError(_("Cette action est déjà « %(status)s ».", status=action.status.label))
    if status == ActionStatus.CANCELLED and not note:
        raise WorkflowError(_("Indiquez le motif de l'annulation."))
    if status not in (ActionStatus.DONE, ActionStatus.CANCELLED):
        raise WorkflowError(_("Une action se termine faite ou annulée."))
    action.status = status
    action.closing_note = note
    action.closed_at = now_utc()
    action.closed_by = actor
    db.session.flush()
    what = "faite" if status == ActionStatus.DONE else "annulée"
    record_event(
        AuditAction.CHANGE,
        "follow_up_action",
        action.id,
        f"Action {what} ({responsible_label(action)})",
        user=actor,
    )
    if action.case is not None:
        summary = f"Action {what} : {action.description}"
        add_event(
            action.case,
            CaseEventKind.ACTION,
            f"{summary} — {note}" if note else summary,
            actor,
        )


NOTE_MAX = 1000


def add_action_note(action: FollowUpAction, actor: User, text: str) -> ActionNote:
    """Where the action stands, written by its organisation or the organisers."""
    text = (text or "").strip()
    if not text:
        raise WorkflowError(_("Écrivez la note avant de l'enregistrer."))
    if len(text) > NOTE_MAX:
        raise WorkflowError(_("La note tient en %(max)d caractères au plus.", max=NOTE_MAX))
    organisation_id = (
        action.organisation_id if action.organisation_id in actor.organisation_ids else None
    )
    note = ActionNote(action=action, user=actor, organisation_id=organisation_id, text=text)
    db.session.add(note)
    db.session.flush()
    record_event(
        AuditAction.CHANGE,
        "follow_up_action",
        action.id,
        f"Note ajoutée à l'action ({responsible_label(action)})",
        user=actor,
    )
    if action.case is not None:
        add_event(action.case, CaseEventKind.ACTION, f"Note sur l'action : {text}", actor)
    return note


# Lists of actions show each one as its reader may see it: the case's shares, committee and
# household come with the rows, not one query per action.
WITH_CASE = reading_loads(FollowUpAction.case)


def meeting_actions(meeting: Meeting, *, cases_in_session: bool = False) -> list[FollowUpAction]:
    return list(
        db.session.scalars(
            sa.select(FollowUpAction)
            .where(FollowUpAction.meeting_id == meeting.id)
            .order_by(FollowUpAction.due_on, FollowUpAction.id)
            .options(*case_loads(FollowUpAction.case, cases_in_session))
        )
    )


def open_actions_before(
    meeting: Meeting, *, cases_in_session: bool = False
) -> list[FollowUpAction]:
    """The « suivi des décisions » of a meeting: every action still open from earlier
    meetings of the same committee. Nothing is copied: an action stays on each agenda
    until it is done or cancelled."""
    return list(
        db.session.scalars(
            sa.select(FollowUpAction)
            .join(Meeting, FollowUpAction.meeting_id == Meeting.id)
            .where(
                FollowUpAction.committee_id == meeting.committee_id,
                FollowUpAction.status == ActionStatus.OPEN,
                Meeting.starts_at < meeting.starts_at,
            )
            .order_by(FollowUpAction.due_on, FollowUpAction.id)
            .options(*case_loads(FollowUpAction.case, cases_in_session))
        )
    )


def responsible_clause(user: User) -> sa.ColumnElement[bool]:
    """Actions given to one of the person's organisations (a person named on an action
    holds it through their organisation, and loses it with that membership): the SQL twin
    of ``permissions.is_action_assignee``."""
    return FollowUpAction.organisation_id.in_(sorted(user.organisation_ids))


def open_actions_for(user: User, limit: int | None = None) -> list[FollowUpAction]:
    """The open actions a person or their organisations must do, soonest due first (for
    « Mes actions », the dashboard's first few and the personal calendar feed)."""
    if not permissions.is_staff(user):
        return []
    return list(
        db.session.scalars(
            sa.select(FollowUpAction)
            .where(FollowUpAction.status == ActionStatus.OPEN, responsible_clause(user))
            .order_by(FollowUpAction.due_on, FollowUpAction.id)
            .limit(limit)
            .options(*WITH_CASE)
        )
    )


# E-mails -----------------------------------------------------------------------------------


def action_recipients(action: FollowUpAction, event: str) -> list[User]:
    """The responsible person, else whom the responsible organisation names, else its
    admins; each as they chose to hear of actions."""
    people = organisation_recipients(action.organisation, assigned=action.user)
    return [person for person in people if notify_person(person, "action", action, event=event)]


def notify_assigned(action: FollowUpAction) -> None:
    link = public_url_for("actions.show", action_id=action.id)
    for person in action_recipients(action, "assigned"):
        (view,) = action_views(person, [action])  # what this recipient may read of the case
        queued = queue_email(
            person.email,
            "action_assigned",
            _(
                "Action de suivi confiée à %(organisation)s — échéance le %(due)s",
                organisation=action.organisation.name,
                due=format_date(action.due_on, _("d MMMM yyyy")),
            ),
            action=action,
            view=view,
            meeting_when=format_datetime(action.meeting.starts_at, _("d MMMM yyyy")),
            due=format_date(action.due_on, _("d MMMM yyyy")),
            link=link,
        )
        link_email(queued, [action.case.household_id if action.case else None])


def notify_decision(decision: Decision) -> None:
    """Tell the organisations a decision engages (for each: whom it names, else its admins),
    as each reader may see it and chose to hear of it: nothing at all to a reader who may
    not see the case it is about."""
    people = unique(
        person
        for organisation in decision.organisations
        for person in organisation_recipients(organisation)
    )
    link = public_url_for("actions.decision", decision_id=decision.id)
    meeting_when = format_datetime(decision.meeting.starts_at, _("d MMMM yyyy"))
    organisations = ", ".join(o.name for o in decision.organisations)
    for person in people:
        if not notify_person(person, "decision", decision):
            continue
        (view,) = decision_views(person, [decision])
        queued = queue_email(
            person.email,
            "decision_recorded",
            _(
                "Décision « %(kind)s » — %(title)s du %(when)s",
                kind=decision.kind.label,
                title=decision.meeting.title,
                when=meeting_when,
            ),
            decision=decision,
            view=view,
            meeting_when=meeting_when,
            organisations=organisations,
            link=link,
        )
        link_email(queued, [decision.case.household_id if decision.case else None])


def claim_overdue(action_id: int, today: date) -> bool:
    """Mark one overdue action as notified; false when another sender got there first.

    On PostgreSQL a second sender's UPDATE waits for the first transaction and then finds
    ``overdue_notified_at`` set: the reminder goes out once even when two jobs run at once.
    """
    result = db.session.execute(
        sa.update(FollowUpAction)
        .where(
            FollowUpAction.id == action_id,
            FollowUpAction.status == ActionStatus.OPEN,
            FollowUpAction.due_on < today,
            FollowUpAction.overdue_notified_at.is_(None),
        )
        .values(overdue_notified_at=now_utc())
        .execution_options(synchronize_session=False)
    )
    # Typed as a Result; an UPDATE's or a DELETE's is a CursorResult, with rowcount.
    return result.rowcount == 1  # type: ignore[attr-defined]


def notify_overdue_actions(today: date) -> int:
    """E-mail the people responsible for each open action past its due date, once per
    action; returns how many actions were notified.

    Flushes only: the caller commits, and the claims and the e-mails are kept or lost
    together.
    """
    action_ids = db.session.scalars(
        sa.select(FollowUpAction.id)
        .where(
            FollowUpAction.status == ActionStatus.OPEN,
            FollowUpAction.due_on < today,
            FollowUpAction.overdue_notified_at.is_(None),
        )
        .order_by(FollowUpAction.due_on, FollowUpAction.id)
    ).all()
    notified = 0
    for action_id in action_ids:
        if not claim_overdue(action_id, today):
            continue
        action = db.session.get_one(FollowUpAction, action_id, populate_existing=True)
        link = public_url_for("actions.show", action_id=action.id)
        for person in action_recipients(action, "overdue"):
            (view,) = action_views(person, [action])
            queued = queue_email(
                person.email,
                "action_overdue",
                _(
                    "Action de suivi en retard — échéance du %(due)s",
                    due=format_date(action.due_on, _("d MMMM yyyy")),
                ),
                action=action,
                view=view,
                meeting_when=format_datetime(action.meeting.starts_at, _("d MMMM yyyy")),
                due=format_date(action.due_on, _("d MMMM yyyy")),
                days_late=(today - action.due_on).days,
                link=link,
            )
            link_email(queued, [action.case.household_id if action.case else None])
        notified += 1
    return notified


# Decisions list and export -----------------------------------------------------------------


CSV_HEADERS = [
    _l("Date de la réunion"),
    _l("Instance"),
    _l("Réunion"),
    _l("Point de l'ordre du jour"),
    _l("Situation (référence)"),
    _l("Type de décision"),
    _l("Décision"),
    _l("Organisations ayant pris part"),
    _l("Positions divergentes"),
    _l("Actions de suivi"),
]


def decisions_csv(views: Iterable[DecisionView], reader) -> str:
    """UTF-8 with a byte order mark and ';' separators, as French spreadsheets expect."""
    return csv_text(CSV_HEADERS, (decision_values(view, reader) for view in views))


def decision_values(view: DecisionView, reader) -> list[str]:
    """One decision as a CSV line, as the reader may see it: about a case the reader may
    not see, its kind only."""
    decision = view.decision
    actions = ""
    if not view.is_confidential:
        actions = " | ".join(
            f"{a.description} — {a.action.organisation.name} — "
            f"{format_date(a.action.due_on, 'dd/MM/yyyy')} — {a.action.status.label}"
            for a in action_views(reader, sorted(decision.actions, key=lambda a: (a.due_on, a.id)))
        )
    return [
        format_datetime(decision.meeting.starts_at, "dd/MM/yyyy"),
        decision.meeting.committee.name,
        decision.meeting.title,
        view.item_title,
        view.reference,
        decision.kind.label,
        view.text,
        ", ".join(o.name for o in decision.organisations),
        " | ".join(f"{name} : {position}" for name, position in view.positions),
        actions,
    ]


def export_decisions(views: list[DecisionView], actor: User | None, filters: str) -> str:
    """The CSV of the decisions, with the audit event of the export (and a line in the
    access log of each household whose decisions it holds)."""
    record_event(
        AuditAction.EXPORT,
        "decision",
        None,
        f"Export CSV de {len(views)} décision(s){' — ' + filters if filters else ''}",
        user=actor,
    )
    audit_reads(views, "Décisions exportées en CSV", AuditAction.EXPORT)
    return decisions_csv(views, actor)
