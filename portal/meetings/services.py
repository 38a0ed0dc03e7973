"""Meetings: scheduling, invitations and answers, the register, the agenda, reminders.

Every function flushes and never commits: the view (or the CLI command) commits once.
E-mails are queued in the same transaction, with their iCalendar attachment.
"""

import secrets
from dataclasses import dataclass
from datetime import date, datetime, timedelta

import sqlalchemy as sa
from flask import current_app
from flask_babel import format_datetime

from portal import permissions
from portal.actions.services import case_loads
from portal.audit import record_event
from portal.case_content import ItemView, item_views, reading_loads
from portal.cases.services import add_event, change_status
from portal.extensions import db
from portal.household_data import link_email, link_meeting_email
from portal.i18n import N_, _
from portal.local_time import PARIS
from portal.meetings.calendar import CONTENT_TYPE, meeting_ics
from portal.models import (
    ActionStatus,
    AgendaItem,
    AgendaProposal,
    Attendance,
    AuditAction,
    Case,
    CaseEventKind,
    CaseStatus,
    Committee,
    CoOrganiser,
    Decision,
    DecisionKind,
    FollowUpAction,
    InvitationResponse,
    ItemOpinion,
    Meeting,
    MeetingInvitee,
    MeetingStatus,
    Membership,
    Organisation,
    ProposalOrigin,
    ProposalStatus,
    User,
    UserKind,
    now_utc,
)
from portal.models.people import load_memberships
from portal.notifications.services import notify as notify_person
from portal.outbox.services import Attachment, public_url_for, queue_email
from portal.workflow import WorkflowError

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
        member_of = memberships.get(user_id)
        if member_of and user_id not in wanted:
            wanted[user_id] = next((o for o in member_of if o in preferred), member_of[0])
    return wanted


def sync_invitees(meeting: Meeting, wanted: dict[int, int]):
    """Make the invitations match ``wanted``; answers of those still invited are kept.
    Returns (added, removed) invitees; the removed ones are already deleted."""
    current = {i.user_id: i for i in meeting.invitees}
    removed = [i for user_id, i in current.items() if user_id not in wanted]
    for gone in removed:
        meeting.invitees.remove(gone)
    added: list[MeetingInvitee] = []
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


def organising_organisation(committee: Committee, organiser: User) -> Organisation | None:
    """The organisation a person schedules a committee's meeting for: the secretariat if
    they belong to it, else one of the committee's organisations, else their first."""
    organisations = organiser.organisations
    preferred = [committee.secretariat_id, *(o.id for o in committee.organisations)]
    for organisation_id in preferred:
        found = next((o for o in organisations if o.id == organisation_id), None)
        if found is not None:
            return found
    return organisations[0] if organisations else None


def schedule_meeting(
    committee: Committee,
    organiser: User,
    data: dict,
    *,
    organisation: Organisation | None = None,
    notify: bool = True,
) -> Meeting:
    """Schedule a meeting; the organiser is invited, « présent » unless they say otherwise,
    and cases the committee adjourned are proposed for its agenda."""
    organisation = organisation or organising_organisation(committee, organiser)
    meeting = Meeting(
        committee=committee,
        organiser=organiser,
        organiser_organisation=organisation,
        **{name: data[name] for name in EVENT_FIELDS},
    )
    db.session.add(meeting)
    db.session.flush()
    wanted = wanted_invitees(committee, data["organisation_ids"], data["user_ids"])
    if organisation is not None:
        wanted.setdefault(organiser.id, organisation.id)
    sync_invitees(meeting, wanted)
    own = meeting.invitee(organiser.id)
    if own is not None:
        own.response = InvitationResponse.ACCEPTED
        own.responded_at = now_utc()
    propose_adjourned_cases(meeting, organiser)
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


def calendar_attachment(meeting: Meeting, method: str, invitee: MeetingInvitee) -> Attachment:
    """The event for one invitee: it names them, not the other invitees."""
    return Attachment(
        "invitation.ics" if method == "REQUEST" else "annulation.ics",
        CONTENT_TYPE.replace("; ", f"; method={method}; "),
        meeting_ics(meeting, method, attendee=invitee),
    )


def send_invitations(meeting: Meeting, invitees, template: str, subject: str) -> None:
    """``subject``: one of the *_SUBJECT messages above, still untranslated."""
    if not invitees:
        return
    load_memberships([i.user for i in invitees])  # each e-mail shows the agenda as allowed
    if template == "meeting_invitation":
        # An answer is awaited: as each invitee chose to hear of it. Whoever has answered
        # already (the organiser, present) gets the calendar event; so does every invitee
        # of a change to the meeting.
        invitees = [
            i
            for i in invitees
            if i.response != InvitationResponse.PENDING
            or notify_person(i.user, "answer_awaited", meeting)
        ]
    for invitee in invitees:
        queue_meeting_email(
            meeting,
            invitee,
            template,
            meeting_subject(subject, meeting),
            calendar_attachment(meeting, "REQUEST", invitee),
        )


def send_cancellations(meeting: Meeting, invitees, *, withdrawn: bool = False) -> None:
    if not invitees:
        return
    subject = WITHDRAWN_SUBJECT if withdrawn else CANCELLED_SUBJECT
    load_memberships([i.user for i in invitees])
    for invitee in invitees:
        queue_meeting_email(
            meeting,
            invitee,
            "meeting_cancelled",
            meeting_subject(subject, meeting),
            calendar_attachment(meeting, "CANCEL", invitee),
            withdrawn=withdrawn,
        )


def queue_meeting_email(meeting, invitee, template, subject, attachment=None, **context):
    """One invitee's message, with the agenda as that person may see it. Its title may name
    any household the meeting deals with: it is about each."""
    agenda = agenda_for(meeting, invitee.user)
    queued = queue_email(
        invitee.user.email,
        template,
        subject,
        attachments=[attachment] if attachment else [],
        meeting=meeting,
        invitee=invitee,
        when=when_shown(meeting),
        agenda=agenda,
        link=public_url_for("meetings.show", meeting_id=meeting.id),
        **context,
    )
    link_meeting_email(queued, meeting.id)


# Answers and register ------------------------------------------------------------------


def answer_invitation(
    meeting: Meeting,
    user: User,
    response: InvitationResponse,
    opinion: str,
    item_opinions: dict[int, str] | None = None,
) -> MeetingInvitee:
    """Record an answer. An excused partner may write a general opinion (read by every
    invitee) and an opinion on each agenda item it may read (read by those who may read
    that item's discussion)."""
    invitee = permissions.invitation_of(user, meeting)
    if invitee is None or meeting.is_cancelled:
        raise WorkflowError(_("Vous n'êtes pas invité à cette réunion."))
    excused = response == InvitationResponse.EXCUSED
    items = {item.id: item for item in meeting.agenda_items}
    wanted = {
        item_id: text.strip()
        for item_id, text in (item_opinions or {}).items()
        if excused and text and text.strip()
    }
    if any(
        item_id not in items or not permissions.can_read_item_notes(user, items[item_id])
        for item_id in wanted
    ):
        raise WorkflowError(_("Vous ne pouvez donner un avis que sur les points que vous voyez."))
    invitee.response = response
    invitee.opinion = opinion if excused else ""
    invitee.responded_at = now_utc()
    kept = {o.agenda_item_id: o for o in invitee.item_opinions}
    for item_id, opinion_row in kept.items():
        if item_id not in wanted and permissions.can_read_item_notes(user, opinion_row.agenda_item):
            invitee.item_opinions.remove(opinion_row)
    for item_id, text in wanted.items():
        if item_id in kept:
            kept[item_id].text = text
        else:
            invitee.item_opinions.append(ItemOpinion(agenda_item=items[item_id], text=text))
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


def preload_meeting_cases(meeting: Meeting) -> list[Case]:
    """Every case the meeting page shows (its agenda, decisions, actions, and the actions
    still open from earlier meetings of the committee), with what reading them needs, in one
    query: the lists loaded next find them in the session, so the page costs the same
    queries whatever its shape. Keep the list while the page renders: the session holds
    its objects only as long as someone does."""
    earlier = (
        sa.select(FollowUpAction.case_id)
        .join(Meeting, FollowUpAction.meeting_id == Meeting.id)
        .where(
            FollowUpAction.committee_id == meeting.committee_id,
            FollowUpAction.status == ActionStatus.OPEN,
            Meeting.starts_at < meeting.starts_at,
        )
    )
    case_ids = sa.union(
        sa.select(AgendaItem.case_id).where(AgendaItem.meeting_id == meeting.id),
        sa.select(Decision.case_id).where(Decision.meeting_id == meeting.id),
        sa.select(FollowUpAction.case_id).where(FollowUpAction.meeting_id == meeting.id),
        earlier,
    )
    return list(
        db.session.scalars(
            sa.select(Case)
            .where(Case.id.in_(sa.select(case_ids.subquery().c[0])))
            .options(*reading_loads())
        )
    )


def load_agenda(meeting: Meeting, *, cases_in_session: bool = False) -> None:
    """The agenda items with their cases, what each reader's access to them depends on,
    and the excused partners' opinions, in a few queries rather than a few per item."""
    if "agenda_items" not in sa.inspect(meeting).unloaded:
        return
    items = db.session.scalars(
        sa.select(AgendaItem)
        .where(AgendaItem.meeting_id == meeting.id)
        .order_by(AgendaItem.position)
        .options(
            *case_loads(AgendaItem.case, cases_in_session),
            sa.orm.selectinload(AgendaItem.opinions).joinedload(ItemOpinion.invitee),
        )
    ).all()
    sa.orm.attributes.set_committed_value(meeting, "agenda_items", items)


def agenda_for(meeting: Meeting, reader, *, cases_in_session: bool = False) -> list[ItemView]:
    """The agenda as the reader may see it."""
    load_agenda(meeting, cases_in_session=cases_in_session)
    return item_views(reader, meeting.agenda_items)


def renumber(meeting: Meeting, items: list[AgendaItem]) -> None:
    for position, item in enumerate(items):
        item.position = position
    db.session.flush()
    db.session.expire(meeting, ["agenda_items"])


def add_agenda_item(
    meeting: Meeting, data: dict, actor: User | None, *, agreed_by: User | None = None
) -> AgendaItem:
    """Add a point to the agenda. A case goes on it only by the organisation that follows
    it: ``actor`` manages the case, or ``agreed_by`` (who does) agreed to it."""
    if meeting.is_cancelled:
        raise WorkflowError(_("Une réunion annulée n'a plus d'ordre du jour."))
    case = data.get("case")
    if case is not None:
        check_case_can_go_on(meeting, case)
        owner = agreed_by or actor
        if owner is None or not permissions.can_manage_case(owner, case):
            raise WorkflowError(
                _(
                    "Seule l'organisation qui suit cette situation peut l'inscrire à l'ordre "
                    "du jour : demandez-lui son accord."
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
        # The status moves by the organisation that follows the case (or its agreement).
        if case.status == CaseStatus.SUBMITTED:
            change_status(case, "put_on_agenda", agreed_by or actor)
        add_event(
            case,
            CaseEventKind.MEETING,
            f"Inscrite à l'ordre du jour : {meeting.title} du {when(meeting)}",
            agreed_by or actor,
        )
        for proposal in pending_proposals(meeting, case):
            proposal.status = ProposalStatus.ACCEPTED
            proposal.answered_by = actor
            proposal.answered_at = now_utc()
    record_event(
        AuditAction.CHANGE,
        "meeting",
        meeting.id,
        f"Point ajouté à l'ordre du jour ({'situation' if case else 'point général'})",
        user=actor,
    )
    return item


def check_case_can_go_on(meeting: Meeting, case: Case) -> None:
    if case not in pickable_cases(meeting):
        raise WorkflowError(
            _(
                "Cette situation ne peut pas être inscrite : seules les situations soumises "
                "à cette instance, et qui ne sont pas déjà à l'ordre du jour de cette réunion "
                "ou d'une autre à venir, peuvent l'être."
            )
        )


# Proposals: a case reaches an agenda with the agreement of the organisation that follows it.


def pending_proposals(meeting: Meeting, case: Case) -> list[AgendaProposal]:
    return list(
        db.session.scalars(
            sa.select(AgendaProposal).where(
                AgendaProposal.meeting_id == meeting.id,
                AgendaProposal.case_id == case.id,
                AgendaProposal.status == ProposalStatus.PENDING,
            )
        )
    )


def propose_case(
    meeting: Meeting, case: Case, actor: User | None, origin: ProposalOrigin
) -> AgendaProposal | None:
    """Propose a case for a meeting's agenda: by its organisation (the organisers answer),
    by the organisers (the case's organisation answers), or after an adjournment (the
    organisers answer). Nothing new when one is already pending or the case is on it."""
    if meeting.is_cancelled:
        raise WorkflowError(_("Une réunion annulée n'a plus d'ordre du jour."))
    check_case_can_go_on(meeting, case)
    if any(item.case_id == case.id for item in meeting.agenda_items):
        return None
    existing = pending_proposals(meeting, case)
    if existing:
        return existing[0]
    proposal = AgendaProposal(meeting=meeting, case=case, origin=origin, proposed_by=actor)
    db.session.add(proposal)
    db.session.flush()
    add_event(
        case,
        CaseEventKind.MEETING,
        f"Proposée pour l'ordre du jour : {meeting.title} du {when(meeting)} "
        f"({origin.label.lower()})",
        actor,
    )
    record_event(
        AuditAction.CHANGE,
        "meeting",
        meeting.id,
        f"Situation proposée pour l'ordre du jour ({origin.value})",
        user=actor,
    )
    notify_proposal(proposal)
    return proposal


def may_answer_proposal(user, proposal: AgendaProposal) -> bool:
    if not proposal.is_pending:
        return False
    if proposal.answered_by_owner:
        return permissions.can_manage_case(user, proposal.case)
    return permissions.can_manage_meeting(user, proposal.meeting)


def accept_proposal(proposal: AgendaProposal, actor: User, duration_minutes: int = 20) -> None:
    """Accept a proposal: the case goes on the agenda with the agreement of its
    organisation (the one answering, or the one that proposed it; after an adjournment,
    the organisation that put the case before the committee)."""
    if not may_answer_proposal(actor, proposal):
        raise WorkflowError(_("Cette proposition n'attend pas votre réponse."))
    case = proposal.case
    owner: User | None
    if proposal.answered_by_owner:
        owner = actor
    elif proposal.origin == ProposalOrigin.OWNER and proposal.proposed_by is not None:
        owner = proposal.proposed_by
    else:
        owner = next(iter(case_managers(case)), None)
    if owner is None or not permissions.can_manage_case(owner, case):
        raise WorkflowError(
            _(
                "L'organisation qui suit cette situation n'y a plus de compte actif : "
                "elle ne peut pas donner son accord."
            )
        )
    add_agenda_item(
        proposal.meeting,
        {"case": case, "duration_minutes": duration_minutes},
        actor,
        agreed_by=owner,
    )


def decline_proposal(proposal: AgendaProposal, actor: User) -> None:
    if not may_answer_proposal(actor, proposal):
        raise WorkflowError(_("Cette proposition n'attend pas votre réponse."))
    proposal.status = ProposalStatus.DECLINED
    proposal.answered_by = actor
    proposal.answered_at = now_utc()
    db.session.flush()
    add_event(
        proposal.case,
        CaseEventKind.MEETING,
        f"Proposition d'inscription refusée : {proposal.meeting.title} du {when(proposal.meeting)}",
        actor,
    )
    record_event(
        AuditAction.CHANGE,
        "meeting",
        proposal.meeting_id,
        "Proposition d'inscription à l'ordre du jour refusée",
        user=actor,
    )


def case_managers(case: Case) -> list[User]:
    """The active members of the organisation that follows the case, its author first."""
    people = list(
        db.session.scalars(
            sa.select(User)
            .join(Membership, Membership.user_id == User.id)
            .where(
                Membership.organisation_id == case.organisation_id,
                Membership.active,
                User.active,
            )
            .order_by(User.id)
        )
    )
    people.sort(key=lambda u: u.id != case.created_by_id)
    return people


def notify_proposal(proposal: AgendaProposal) -> None:
    """Tell whoever must answer: the case's author (or its organisation's members) for an
    organisers' request, the meeting's organiser otherwise."""
    meeting = proposal.meeting
    if proposal.answered_by_owner:
        managers = case_managers(proposal.case)
        recipients = (
            managers[:1] if managers and managers[0].id == proposal.case.created_by_id else managers
        )
        link = public_url_for("cases.show", case_id=proposal.case_id)
    else:
        organiser = meeting.organiser
        recipients = [organiser] if organiser is not None and organiser.active else []
        link = public_url_for("meetings.show", meeting_id=meeting.id)
    load_memberships(recipients)
    for person in recipients:
        queued = queue_email(
            person.email,
            "agenda_proposal",
            _(
                "Ordre du jour : %(title)s — %(when)s",
                title=meeting.title,
                when=when_shown(meeting),
            ),
            meeting=meeting,
            when=when_shown(meeting),
            reference=proposal.case.household.reference
            if permissions.can_view_case(person, proposal.case)
            else "",
            owner_answers=proposal.answered_by_owner,
            link=link,
        )
        link_email(queued, [proposal.case.household_id])


def next_meeting_of(committee: Committee, after: Meeting | None = None) -> Meeting | None:
    """The committee's next planned meeting still to come (after ``after``, if given)."""
    query = sa.select(Meeting).where(
        Meeting.committee_id == committee.id,
        Meeting.status == MeetingStatus.PLANNED,
        Meeting.starts_at > now_utc(),
    )
    if after is not None:
        query = query.where(Meeting.id != after.id, Meeting.starts_at > after.starts_at)
    return db.session.scalar(query.order_by(Meeting.starts_at, Meeting.id).limit(1))


def adjourned_cases(committee: Committee) -> list[Case]:
    """Cases of the committee whose last decision adjourned them and that wait for a new
    agenda (back to « soumise »)."""
    earlier = sa.orm.aliased(Decision)
    last_decision = (
        sa.select(sa.func.max(earlier.id))
        .where(earlier.case_id == Case.id)
        .correlate(Case)
        .scalar_subquery()
    )
    return list(
        db.session.scalars(
            sa.select(Case)
            .join(Decision, Decision.id == last_decision)
            .where(
                Case.committee_id == committee.id,
                Case.status == CaseStatus.SUBMITTED,
                Decision.kind == DecisionKind.ADJOURNED,
            )
            .order_by(Case.id)
        )
    )


def propose_adjourned_cases(meeting: Meeting, actor: User | None) -> None:
    for case in adjourned_cases(meeting.committee):
        if case in pickable_cases(meeting):
            propose_case(meeting, case, actor, ProposalOrigin.ADJOURNED)


def put_case_on_agenda(case: Case, meeting: Meeting, actor: User) -> AgendaItem | None:
    """« Inscrire à l'ordre du jour » from the case: straight onto the agenda when the
    case's organisation organises the meeting, else proposed to its organisers."""
    if not permissions.can_propose_for_agenda(actor, case):
        raise WorkflowError(_("Seule l'organisation qui suit cette situation peut la proposer."))
    if (
        not permissions.can_view_meeting(actor, meeting)
        or meeting.committee_id != case.committee_id
    ):
        raise WorkflowError(_("Choisissez une réunion à venir de l'instance de la situation."))
    if permissions.can_manage_meeting(actor, meeting):
        return add_agenda_item(meeting, {"case": case, "duration_minutes": 20}, actor)
    propose_case(meeting, case, actor, ProposalOrigin.OWNER)
    return None


def withdraw_case_from_agendas(case: Case, actor: User) -> int:
    """The case's organisation withdraws its agreement: the case leaves the agendas of the
    meetings still to come, and pending proposals are declined. Returns how many agendas
    it left."""
    if not permissions.can_manage_case(actor, case):
        raise WorkflowError(_("Seule l'organisation qui suit cette situation peut la retirer."))
    items = db.session.scalars(
        sa.select(AgendaItem)
        .join(Meeting, AgendaItem.meeting_id == Meeting.id)
        .where(
            AgendaItem.case_id == case.id,
            Meeting.status == MeetingStatus.PLANNED,
            Meeting.starts_at > now_utc(),
        )
    ).all()
    for item in items:
        remove_agenda_item(item.meeting, item, actor)
    for proposal in db.session.scalars(
        sa.select(AgendaProposal).where(
            AgendaProposal.case_id == case.id, AgendaProposal.status == ProposalStatus.PENDING
        )
    ):
        proposal.status = ProposalStatus.DECLINED
        proposal.answered_by = actor
        proposal.answered_at = now_utc()
    db.session.flush()
    return len(items)


def case_proposals(case: Case) -> list[AgendaProposal]:
    """The case's pending proposals, to the meetings' organisers or to the case's own
    organisation."""
    return list(
        db.session.scalars(
            sa.select(AgendaProposal)
            .where(
                AgendaProposal.case_id == case.id,
                AgendaProposal.status == ProposalStatus.PENDING,
            )
            .order_by(AgendaProposal.id)
        )
    )


def case_decisions(case: Case, reader: User) -> list[Decision]:
    """Decisions of the committees on the case, from the meetings the reader may see."""
    return list(
        db.session.scalars(
            sa.select(Decision)
            .join(Meeting, Decision.meeting_id == Meeting.id)
            .join(Committee, Meeting.committee_id == Committee.id)
            .where(Decision.case_id == case.id, permissions.visible_meetings_clause(reader))
            .order_by(Meeting.starts_at, Decision.id)
        )
    )


def upcoming_meetings_for(case: Case, reader: User) -> list[Meeting]:
    """The meetings to come of the case's committee that the reader may see."""
    return list(
        db.session.scalars(
            sa.select(Meeting)
            .join(Committee, Meeting.committee_id == Committee.id)
            .where(
                Meeting.committee_id == case.committee_id,
                Meeting.status == MeetingStatus.PLANNED,
                Meeting.starts_at > now_utc(),
                permissions.visible_meetings_clause(reader),
            )
            .order_by(Meeting.starts_at)
        )
    )


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
    """The meetings a person may see (invited, organising, secretariat), from a year back."""
    return list(
        db.session.scalars(
            sa.select(Meeting)
            .join(Committee, Meeting.committee_id == Committee.id)
            .where(
                Meeting.starts_at >= now_utc() - timedelta(days=365),
                permissions.visible_meetings_clause(user),
            )
            .order_by(Meeting.starts_at)
        )
    )


def feed_actions(user: User) -> list[FollowUpAction]:
    """Open actions of the person's organisations, as on « Mes actions »."""
    from portal.actions.services import open_actions_for

    return open_actions_for(user)


# Answers ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class OrganisationAnswers:
    """Where one invited organisation stands: who comes, who is excused (with an opinion
    or not), who is absent, who has not answered."""

    organisation: Organisation
    present: list[MeetingInvitee]
    excused: list[MeetingInvitee]
    absent: list[MeetingInvitee]
    pending: list[MeetingInvitee]

    @property
    def has_opinion(self) -> bool:
        return any(i.opinion or i.item_opinions for i in self.excused)


def answers_summary(meeting: Meeting) -> list[OrganisationAnswers]:
    by_organisation: dict[int, dict[InvitationResponse, list[MeetingInvitee]]] = {}
    organisations = {}
    for invitee in meeting.invitees:
        organisations[invitee.organisation_id] = invitee.organisation
        by_organisation.setdefault(invitee.organisation_id, {}).setdefault(
            invitee.response, []
        ).append(invitee)
    return [
        OrganisationAnswers(
            organisation=organisations[org_id],
            present=answers.get(InvitationResponse.ACCEPTED, []),
            excused=answers.get(InvitationResponse.EXCUSED, []),
            absent=answers.get(InvitationResponse.DECLINED, []),
            pending=answers.get(InvitationResponse.PENDING, []),
        )
        for org_id, answers in sorted(
            by_organisation.items(), key=lambda pair: organisations[pair[0]].name
        )
    ]


CHASE_SUBJECT = N_("Réponse attendue : %(title)s — %(when)s")


def chase_pending(meeting: Meeting, actor: User) -> int:
    """« Relancer les sans-réponse »: one e-mail to each invitee who has not answered and
    was not chased yet (pressing the button twice sends nothing more). Returns how many."""
    if meeting.is_cancelled or meeting.starts_at <= now_utc():
        raise WorkflowError(_("On ne relance que pour une réunion à venir."))
    waiting = [
        i
        for i in meeting.invitees
        if i.response == InvitationResponse.PENDING
        and i.chased_at is None
        and permissions.is_invited(i.user, meeting)
    ]
    now = now_utc()
    for invitee in waiting:
        invitee.chased_at = now
    db.session.flush()
    load_memberships([i.user for i in waiting])
    for invitee in waiting:
        if not notify_person(invitee.user, "answer_awaited", meeting, event="chase"):
            continue
        queue_meeting_email(
            meeting, invitee, "meeting_chase", meeting_subject(CHASE_SUBJECT, meeting)
        )
    record_event(
        AuditAction.CHANGE,
        "meeting",
        meeting.id,
        f"Relance des invités sans réponse : {len(waiting)} e-mail(s)",
        user=actor,
    )
    return len(waiting)


# Co-organisers -----------------------------------------------------------------------------


def co_organiser_candidates(meeting: Meeting) -> list[tuple[User, Organisation]]:
    """Active members of the committee's organisations (and of its secretariat), with the
    organisation they would organise for; the organiser and current co-organisers aside."""
    committee = meeting.committee
    organisation_ids = {o.id for o in committee.organisations}
    if committee.secretariat_id is not None:
        organisation_ids.add(committee.secretariat_id)
    taken = permissions.organiser_ids(meeting)
    rows = db.session.execute(
        sa.select(User, Organisation)
        .join(Membership, Membership.user_id == User.id)
        .join(Organisation, Membership.organisation_id == Organisation.id)
        .where(
            Membership.organisation_id.in_(sorted(organisation_ids)),
            Membership.active,
            User.active,
            User.kind == UserKind.STAFF,
            Organisation.active,
        )
        .order_by(Organisation.name, User.full_name)
    ).all()
    return [(user, organisation) for user, organisation in rows if user.id not in taken]


def name_co_organiser(
    meeting: Meeting, person: User, organisation: Organisation, actor: User
) -> CoOrganiser:
    if (person, organisation) not in [(u, o) for u, o in co_organiser_candidates(meeting)]:
        raise WorkflowError(
            _(
                "Un co-organisateur est un membre actif d'une organisation de l'instance, "
                "qui n'organise pas déjà la réunion."
            )
        )
    co_organiser = CoOrganiser(
        meeting=meeting, user=person, organisation=organisation, named_by_id=actor.id
    )
    db.session.add(co_organiser)
    db.session.flush()
    record_event(
        AuditAction.CHANGE,
        "meeting",
        meeting.id,
        f"Co-organisateur nommé : {person.full_name} ({organisation.name})",
        user=actor,
    )
    return co_organiser


def remove_co_organiser(meeting: Meeting, co_organiser: CoOrganiser, actor: User) -> None:
    meeting.co_organisers.remove(co_organiser)
    db.session.flush()
    record_event(
        AuditAction.CHANGE,
        "meeting",
        meeting.id,
        f"Co-organisateur retiré : {co_organiser.user.full_name}",
        user=actor,
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
    # Typed as a Result; an UPDATE's or a DELETE's is a CursorResult, with rowcount.
    return result.rowcount == 1  # type: ignore[attr-defined]


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
        meeting = db.session.get_one(Meeting, meeting_id, populate_existing=True)
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
