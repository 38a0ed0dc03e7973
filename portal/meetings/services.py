"""Meetings: scheduling, invitations and answers, the register, the agenda, reminders.

Every function flushes and never commits: the view (or the CLI command) commits once.
E-mails are queued in the same transaction, with their iCalendar attachment.
"""

import secrets
from datetime import date, datetime, timedelta

import sqlalchemy as sa
from flask import current_app
from flask_babel import format_datetime

from portal import permissions
from portal.audit import record_event
from portal.cases.services import WorkflowError, add_event, change_status
from portal.extensions import db
from portal.i18n import N_, _
from portal.meetings.calendar import CONTENT_TYPE, meeting_ics
from portal.meetings.forms import PARIS
from portal.models import (
    ActionStatus,
    AgendaItem,
    Attendance,
    AuditAction,
    Case,
    CaseEventKind,
    CaseStatus,
    Committee,
    FollowUpAction,
    Household,
    InvitationResponse,
    Meeting,
    MeetingInvitee,
    MeetingStatus,
    Membership,
    Organisation,
    User,
    UserKind,
    now_utc,
)
from portal.models.people import load_memberships
from portal.outbox.services import Attachment, public_url_for, queue_email
from portal.permissions import CaseAccess

# What changes a meeting for the invitees' calendars (and raises its SEQUENCE).
EVENT_FIELDS = ("kind", "title", "starts_at", "duration_minutes", "location", "video_link")

# E-mail subjects, translated as each message is queued.
INVITATION_SUBJECT = N_("Invitation : %(title)s — %(when)s")
CHANGED_SUBJECT = N_("Modification : %(title)s — %(when)s")
WITHDRAWN_SUBJECT = N_("Invitation retirée : %(title)s — %(when)s")
CANCELLED_SUBJECT = N_("Annulation : %(title)s — %(when)s")
REMINDER_SUBJECT = N_("Rappel : %(title)s — %(when)s")


def paris_day(moment: datetime) -> date:
    return moment.astimezone(PARIS).date()


def when(meeting: Meeting) -> str:
    """The date as the stored texts (case timeline) write it: always this French pattern."""
    return format_datetime(meeting.starts_at, "EEEE d MMMM yyyy 'à' HH:mm")


def when_shown(meeting: Meeting) -> str:
    """The date for the reader of an e-mail, in a pattern their language may change."""
    return format_datetime(meeting.starts_at, _("EEEE d MMMM yyyy 'à' HH:mm"))


def meeting_subject(message: str, meeting: Meeting) -> str:
    return _(message, title=meeting.title, when=when_shown(meeting))


# Invitations ---------------------------------------------------------------------------


def wanted_invitees(committee: Committee, organisation_ids, user_ids) -> dict[int, int]:
    """user id → the organisation they represent: every active member of each invited
    organisation, plus the people invited by name (for their organisation on the
    committee, if they have one)."""
    rows = db.session.execute(
        sa.select(Membership.user_id, Membership.organisation_id)
        .join(User, Membership.user_id == User.id)
        .join(Organisation, Membership.organisation_id == Organisation.id)
        .where(Membership.active, User.active, User.kind == UserKind.STAFF, Organisation.active)
        .order_by(Membership.id)
    ).all()
    memberships: dict[int, list[int]] = {}
    for user_id, organisation_id in rows:
        memberships.setdefault(user_id, []).append(organisation_id)
    invited_orgs = set(organisation_ids)
    preferred = invited_orgs | {o.id for o in committee.organisations}
    wanted: dict[int, int] = {}
    for user_id, org_ids in memberships.items():
        in_invited = [o for o in org_ids if o in invited_orgs]
        if in_invited:
            wanted[user_id] = in_invited[0]
    for user_id in user_ids:
        org_ids = memberships.get(user_id)
        if org_ids and user_id not in wanted:
            wanted[user_id] = next((o for o in org_ids if o in preferred), org_ids[0])
    return wanted


def sync_invitees(meeting: Meeting, wanted: dict[int, int]):
    """Make the invitations match ``wanted``; answers of those still invited are kept.
    Returns (added, removed) invitees; the removed ones are already deleted."""
    current = {i.user_id: i for i in meeting.invitees}
    removed = [i for user_id, i in current.items() if user_id not in wanted]
    for invitee in removed:
        meeting.invitees.remove(invitee)
    added = []
    for user_id, organisation_id in wanted.items():
        invitee = current.get(user_id)
        if invitee is None:
            invitee = MeetingInvitee(user_id=user_id, organisation_id=organisation_id)
            meeting.invitees.append(invitee)
            added.append(invitee)
        else:
            invitee.organisation_id = organisation_id
    db.session.flush()
    for invitee in added:
        db.session.refresh(invitee)  # loads its user and organisation
    return added, removed


def invitation_choices(meeting: Meeting) -> tuple[list[int], list[int]]:
    """The invitations as the form shows them: organisations whose active members are all
    invited for them, then the other people invited by name."""
    wanted_by_org: dict[int, set[int]] = {}
    for organisation_id in {i.organisation_id for i in meeting.invitees}:
        wanted_by_org[organisation_id] = {
            user_id
            for user_id, org_id in wanted_invitees(meeting.committee, [organisation_id], []).items()
            if org_id == organisation_id
        }
    invited = {(i.user_id, i.organisation_id) for i in meeting.invitees}
    organisation_ids = [
        org_id
        for org_id, members in wanted_by_org.items()
        if members and all((user_id, org_id) in invited for user_id in members)
    ]
    user_ids = [i.user_id for i in meeting.invitees if i.organisation_id not in organisation_ids]
    return sorted(organisation_ids), user_ids


def schedule_meeting(
    committee: Committee, organiser: User, data: dict, *, notify: bool = True
) -> Meeting:
    meeting = Meeting(
        committee=committee,
        organiser=organiser,
        **{name: data[name] for name in EVENT_FIELDS},
    )
    db.session.add(meeting)
    db.session.flush()
    sync_invitees(meeting, wanted_invitees(committee, data["organisation_ids"], data["user_ids"]))
    record_event(
        AuditAction.CREATE,
        "meeting",
        meeting.id,
        f"Réunion programmée : {meeting.title} ({len(meeting.invitees)} invités)",
        user=organiser,
    )
    if notify:
        send_invitations(meeting, meeting.invitees, "meeting_invitation", INVITATION_SUBJECT)
    return meeting


def update_meeting(meeting: Meeting, data: dict, actor: User, *, notify: bool = True) -> bool:
    """Change a meeting (reschedule, move, invite more or fewer people). Returns whether
    anything changed; only then is the SEQUENCE raised and are the invitees told."""
    if meeting.is_cancelled:
        raise WorkflowError(_("Une réunion annulée ne se modifie plus."))
    changed = [name for name in EVENT_FIELDS if getattr(meeting, name) != data[name]]
    if "starts_at" in changed:
        meeting.reminder_sent_at = None  # the reminder is due again before the new date
    for name in changed:
        setattr(meeting, name, data[name])
    kept = list(meeting.invitees)
    added, removed = sync_invitees(
        meeting, wanted_invitees(meeting.committee, data["organisation_ids"], data["user_ids"])
    )
    kept = [i for i in kept if i not in removed]
    if not changed and not added and not removed:
        return False
    meeting.sequence += 1
    meeting.updated = now_utc()
    db.session.flush()
    record_event(
        AuditAction.CHANGE,
        "meeting",
        meeting.id,
        f"Réunion modifiée : {meeting.title} (révision {meeting.sequence})",
        user=actor,
    )
    if notify:
        if changed:
            send_invitations(meeting, kept, "meeting_changed", CHANGED_SUBJECT)
        send_invitations(meeting, added, "meeting_invitation", INVITATION_SUBJECT)
        send_cancellations(meeting, removed, withdrawn=True)
    return True


def cancel_meeting(meeting: Meeting, actor: User, *, notify: bool = True) -> None:
    if meeting.is_cancelled:
        raise WorkflowError(_("Cette réunion est déjà annulée."))
    meeting.status = MeetingStatus.CANCELLED
    meeting.sequence += 1
    meeting.updated = now_utc()
    db.session.flush()
    for item in meeting.agenda_items:
        if item.case is not None:
            add_event(
                item.case,
                CaseEventKind.MEETING,
                f"Réunion annulée : {meeting.title} du {when(meeting)}",
                actor,
            )
            release_case(item.case, meeting, actor)
    record_event(
        AuditAction.CHANGE, "meeting", meeting.id, f"Réunion annulée : {meeting.title}", user=actor
    )
    if notify:
        send_cancellations(meeting, meeting.invitees)


def calendar_attachment(meeting: Meeting, method: str) -> Attachment:
    return Attachment(
        "invitation.ics" if method == "REQUEST" else "annulation.ics",
        CONTENT_TYPE.replace("; ", f"; method={method}; "),
        meeting_ics(meeting, method),
    )


def send_invitations(meeting: Meeting, invitees, template: str, subject: str) -> None:
    """``subject``: one of the *_SUBJECT messages above, still untranslated."""
    if not invitees:
        return
    attachment = calendar_attachment(meeting, "REQUEST")
    load_memberships([i.user for i in invitees])  # each e-mail shows the agenda as allowed
    for invitee in invitees:
        queue_meeting_email(
            meeting, invitee, template, meeting_subject(subject, meeting), attachment
        )


def send_cancellations(meeting: Meeting, invitees, *, withdrawn: bool = False) -> None:
    if not invitees:
        return
    attachment = calendar_attachment(meeting, "CANCEL")
    subject = WITHDRAWN_SUBJECT if withdrawn else CANCELLED_SUBJECT
    load_memberships([i.user for i in invitees])
    for invitee in invitees:
        queue_meeting_email(
            meeting,
            invitee,
            "meeting_cancelled",
            meeting_subject(subject, meeting),
            attachment,
            withdrawn=withdrawn,
        )


def queue_meeting_email(meeting, invitee, template, subject, attachment=None, **context):
    """One invitee's message, with the agenda as that person may see it."""
    queue_email(
        invitee.user.email,
        template,
        subject,
        attachments=[attachment] if attachment else [],
        meeting=meeting,
        invitee=invitee,
        when=when_shown(meeting),
        agenda=agenda_for(meeting, invitee.user),
        link=public_url_for("meetings.show", meeting_id=meeting.id),
        **context,
    )


# Answers and register ------------------------------------------------------------------


def answer_invitation(
    meeting: Meeting, user: User, response: InvitationResponse, opinion: str
) -> MeetingInvitee:
    invitee = meeting.invitee(user.id)
    if invitee is None or meeting.is_cancelled:
        raise WorkflowError(_("Vous n'êtes pas invité à cette réunion."))
    invitee.response = response
    invitee.opinion = opinion if response == InvitationResponse.EXCUSED else ""
    invitee.responded_at = now_utc()
    db.session.flush()
    record_event(
        AuditAction.CHANGE,
        "meeting",
        meeting.id,
        f"Réponse à l'invitation : {response.label}",
        user=user,
        organisation_id=invitee.organisation_id,
    )
    return invitee


def attendance_guess(invitee: MeetingInvitee) -> Attendance | None:
    """What the register proposes before the organisers record anything."""
    if invitee.attendance is not None:
        return invitee.attendance
    return {
        InvitationResponse.ACCEPTED: Attendance.PRESENT,
        InvitationResponse.DECLINED: Attendance.ABSENT,
        InvitationResponse.EXCUSED: Attendance.EXCUSED,
    }.get(invitee.response)


def register_is_open(meeting: Meeting, today: date | None = None) -> bool:
    """The register is kept from the day of the meeting."""
    return not meeting.is_cancelled and paris_day(meeting.starts_at) <= (
        today or paris_day(now_utc())
    )


def record_attendance(
    meeting: Meeting, attendance: dict[int, Attendance | None], actor: User
) -> None:
    if not register_is_open(meeting):
        raise WorkflowError(_("Le registre de présence s'ouvre le jour de la réunion."))
    for invitee in meeting.invitees:
        if invitee.id in attendance:
            invitee.attendance = attendance[invitee.id]
    db.session.flush()
    present = sum(1 for i in meeting.invitees if i.attendance == Attendance.PRESENT)
    record_event(
        AuditAction.CHANGE,
        "meeting",
        meeting.id,
        f"Registre de présence : {present} présent(s)",
        user=actor,
    )


# Agenda --------------------------------------------------------------------------------


def booked_elsewhere(meeting: Meeting):
    """Cases on the agenda of another meeting still to come."""
    return (
        sa.select(AgendaItem.case_id)
        .join(Meeting, AgendaItem.meeting_id == Meeting.id)
        .where(
            Meeting.id != meeting.id,
            Meeting.status == MeetingStatus.PLANNED,
            Meeting.starts_at >= now_utc(),
            AgendaItem.case_id.is_not(None),
        )
    )


def pickable_cases(meeting: Meeting, reader: User | None = None) -> list[Case]:
    """Submitted cases of the committee; a case already on the agenda stays pickable
    unless another meeting to come has it."""
    query = sa.select(Case).where(
        Case.committee_id == meeting.committee_id,
        sa.or_(
            Case.status == CaseStatus.SUBMITTED,
            sa.and_(Case.status == CaseStatus.ON_AGENDA, Case.id.not_in(booked_elsewhere(meeting))),
        ),
    )
    if reader is not None:
        query = query.where(permissions.visible_cases_clause(reader))
    return list(db.session.scalars(query.order_by(Case.submitted_at, Case.id)))


def load_agenda(meeting: Meeting) -> None:
    """The agenda items with their cases and the people of each household (shown to readers
    with full access) in two queries, rather than one per item."""
    if "agenda_items" not in sa.inspect(meeting).unloaded:
        return
    items = db.session.scalars(
        sa.select(AgendaItem)
        .where(AgendaItem.meeting_id == meeting.id)
        .order_by(AgendaItem.position)
        .options(
            sa.orm.defaultload(AgendaItem.case)
            .defaultload(Case.household)
            .selectinload(Household.persons)
        )
    ).all()
    sa.orm.attributes.set_committed_value(meeting, "agenda_items", items)


def agenda_for(meeting: Meeting, reader) -> list[tuple[AgendaItem, CaseAccess | None]]:
    """Each item with how much of its case the reader may see (None: no case)."""
    load_agenda(meeting)
    return [
        (item, permissions.case_access(reader, item.case) if item.case else None)
        for item in meeting.agenda_items
    ]


def renumber(meeting: Meeting, items: list[AgendaItem]) -> None:
    for position, item in enumerate(items):
        item.position = position
    db.session.flush()
    db.session.expire(meeting, ["agenda_items"])


def add_agenda_item(meeting: Meeting, data: dict, actor: User) -> AgendaItem:
    if meeting.is_cancelled:
        raise WorkflowError(_("Une réunion annulée n'a plus d'ordre du jour."))
    case = data.get("case")
    if case is not None and case not in pickable_cases(meeting):
        raise WorkflowError(
            _(
                "Cette situation ne peut pas être inscrite : seules les situations soumises "
                "à cette instance peuvent l'être."
            )
        )
    item = AgendaItem(
        meeting=meeting,
        position=len(meeting.agenda_items),
        title=data.get("title") or "Étude de situation",
        duration_minutes=data["duration_minutes"],
        presenter=data.get("presenter") or (case.organisation if case else None),
        case=case,
    )
    db.session.add(item)
    db.session.flush()
    if case is not None:
        if case.status == CaseStatus.SUBMITTED:
            change_status(case, "put_on_agenda", actor)
        add_event(
            case,
            CaseEventKind.MEETING,
            f"Inscrite à l'ordre du jour : {meeting.title} du {when(meeting)}",
            actor,
        )
    record_event(
        AuditAction.CHANGE,
        "meeting",
        meeting.id,
        f"Point ajouté à l'ordre du jour ({'situation' if case else 'point général'})",
        user=actor,
    )
    return item


def move_agenda_item(meeting: Meeting, item: AgendaItem, step: int) -> None:
    items = list(meeting.agenda_items)
    index = items.index(item)
    target = index + step
    if 0 <= target < len(items):
        items[index], items[target] = items[target], items[index]
    renumber(meeting, items)


def remove_agenda_item(meeting: Meeting, item: AgendaItem, actor: User) -> None:
    case = item.case
    items = [i for i in meeting.agenda_items if i is not item]
    meeting.agenda_items.remove(item)
    db.session.flush()
    renumber(meeting, items)
    if case is not None:
        add_event(
            case,
            CaseEventKind.MEETING,
            f"Retirée de l'ordre du jour : {meeting.title} du {when(meeting)}",
            actor,
        )
        release_case(case, meeting, actor)
    record_event(
        AuditAction.CHANGE, "meeting", meeting.id, "Point retiré de l'ordre du jour", user=actor
    )


def release_case(case: Case, meeting: Meeting, actor: User) -> None:
    """A case no meeting to come will discuss goes back to « soumise »."""
    if case.status == CaseStatus.ON_AGENDA and case.id not in set(
        db.session.scalars(booked_elsewhere(meeting))
    ):
        change_status(case, "withdraw_from_agenda", actor)


# Calendar feed -------------------------------------------------------------------------


def new_calendar_token(user: User) -> str:
    """A new secret feed address; the previous one stops working at once."""
    user.calendar_token = secrets.token_urlsafe(32)
    db.session.flush()
    record_event(AuditAction.CHANGE, "user", user.id, "Lien d'agenda personnel créé", user=user)
    return user.calendar_token


def revoke_calendar_token(user: User) -> None:
    user.calendar_token = None
    db.session.flush()
    record_event(AuditAction.CHANGE, "user", user.id, "Lien d'agenda personnel révoqué", user=user)


def user_by_calendar_token(token: str) -> User | None:
    if not token or len(token) > 64:
        return None
    user = db.session.scalar(sa.select(User).where(User.calendar_token == token))
    if user is None or not permissions.is_staff(user):
        return None
    return user


def feed_meetings(user: User) -> list[Meeting]:
    """The meetings a person is invited to or organises, from a year back."""
    return list(
        db.session.scalars(
            sa.select(Meeting)
            .where(
                Meeting.starts_at >= now_utc() - timedelta(days=365),
                sa.or_(
                    Meeting.organiser_id == user.id,
                    Meeting.id.in_(
                        sa.select(MeetingInvitee.meeting_id).where(
                            MeetingInvitee.user_id == user.id
                        )
                    ),
                ),
            )
            .order_by(Meeting.starts_at)
        )
    )


def feed_actions(user: User) -> list[FollowUpAction]:
    """Open actions of the person or of their organisations, as on « Mes actions »."""
    return list(
        db.session.scalars(
            sa.select(FollowUpAction)
            .where(
                FollowUpAction.status == ActionStatus.OPEN,
                sa.or_(
                    FollowUpAction.organisation_id.in_(user.organisation_ids),
                    FollowUpAction.user_id == user.id,
                ),
            )
            .order_by(FollowUpAction.due_on, FollowUpAction.id)
        )
    )


# Reminders -----------------------------------------------------------------------------


def meetings_due_for_reminder(now: datetime) -> list[int]:
    horizon = now + timedelta(days=current_app.config["REMINDER_DAYS_BEFORE"])
    return list(
        db.session.scalars(
            sa.select(Meeting.id)
            .where(
                Meeting.status == MeetingStatus.PLANNED,
                Meeting.reminder_sent_at.is_(None),
                Meeting.starts_at > now,
                Meeting.starts_at <= horizon,
            )
            .order_by(Meeting.starts_at)
        )
    )


def claim_reminder(meeting_id: int, now: datetime) -> bool:
    """Mark the meeting's reminder as ours; false when another run got there first.

    The conditional UPDATE is the lock: a second run waits for the first one's commit,
    then finds ``reminder_sent_at`` set and updates nothing."""
    result = db.session.execute(
        sa.update(Meeting)
        .where(
            Meeting.id == meeting_id,
            Meeting.reminder_sent_at.is_(None),
            Meeting.status == MeetingStatus.PLANNED,
        )
        .values(reminder_sent_at=now)
        .execution_options(synchronize_session=False)
    )
    return result.rowcount == 1


def send_reminders(now: datetime | None = None) -> int:
    """Queue the reminders of the meetings coming within REMINDER_DAYS_BEFORE days; each
    meeting is claimed and its e-mails queued in one transaction. Returns how many
    meetings were reminded."""
    now = now or now_utc()
    meeting_ids = meetings_due_for_reminder(now)
    db.session.commit()  # end the read: each claim starts a transaction of its own
    reminded = 0
    for meeting_id in meeting_ids:
        if not claim_reminder(meeting_id, now):
            db.session.rollback()
            continue
        meeting = db.session.get(Meeting, meeting_id, populate_existing=True)
        load_memberships([i.user for i in meeting.invitees])
        for invitee in meeting.invitees:
            if invitee.response in (InvitationResponse.DECLINED, InvitationResponse.EXCUSED):
                continue
            queue_meeting_email(
                meeting, invitee, "meeting_reminder", meeting_subject(REMINDER_SUBJECT, meeting)
            )
        record_event(AuditAction.CHANGE, "meeting", meeting.id, f"Rappel envoyé : {meeting.title}")
        db.session.commit()
        reminded += 1
    return reminded
