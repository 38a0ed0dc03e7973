"""Access rules of the minutes routes: the organisers write and approve, the people invited
read once submitted, the others do not know the meeting exists."""

from datetime import timedelta

from portal.extensions import db
from portal.models import (
    AgendaItem,
    Meeting,
    MeetingInvitee,
    MeetingKind,
    Minutes,
    MinutesStatus,
    now_utc,
)
from tests.access_rules import Route, answers

MANAGERS = ("partner_admin", "siao_officer", "coordinator")  # committee member org admins
READERS = ("partner_member", "ccas_worker")  # invited through their organisation


def meeting_answers(managers: int, readers: int = 403) -> dict[str, int]:
    """Organisers get ``managers``, invitees ``readers``, the others a 404."""
    return answers(404, **dict.fromkeys(MANAGERS, managers), **dict.fromkeys(READERS, readers))


def minutes_url(suffix: str = ""):
    return lambda w, e: f"/meetings/{e['minutes_meeting'].id}/minutes{suffix}"


READ = meeting_answers(200, 200)

ROUTES: dict[tuple[str, str], Route] = {
    ("minutes.show", "GET"): Route(minutes_url(), READ),
    ("minutes.pdf", "GET"): Route(minutes_url(".pdf"), READ),
    ("minutes.edit", "GET"): Route(minutes_url("/edit"), meeting_answers(200)),
    # An empty form lacks the version it was based on: refused, nothing saved.
    ("minutes.edit", "POST"): Route(minutes_url("/edit"), meeting_answers(400)),
    # No transition named: refused with a message, back to the minutes.
    ("minutes.status", "POST"): Route(minutes_url("/status"), meeting_answers(302)),
    # Submitted minutes cannot be re-opened: back to the minutes with a message.
    ("minutes.reopen", "GET"): Route(minutes_url("/reopen"), meeting_answers(302)),
    ("minutes.reopen", "POST"): Route(minutes_url("/reopen"), meeting_answers(302)),
}


def build(world, case_world) -> dict:
    """A past comité technique organised by the coordinator, the CCAS and the Mission
    Locale invited, the CCAS case on the agenda, and minutes submitted for approval."""
    meeting = Meeting(
        committee=world.committee,
        kind=MeetingKind.COMITE_TECHNIQUE,
        title="Comité technique de mars",
        starts_at=now_utc() - timedelta(days=2),
        organiser=world.coordinator,
        invitees=[
            MeetingInvitee(user=world.ccas_worker, organisation=world.ccas),
            MeetingInvitee(user=world.partner_member, organisation=world.mission_locale),
        ],
        agenda_items=[
            AgendaItem(position=1, title="Relogement bloqué", case=case_world.case, notes="RAS"),
        ],
    )
    db.session.add(meeting)
    db.session.add(
        Minutes(meeting=meeting, general_notes="Tour de table.", status=MinutesStatus.SUBMITTED)
    )
    db.session.commit()
    return {"minutes_meeting": meeting}
