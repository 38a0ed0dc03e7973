"""Access rules of the decisions and actions routes.

The meeting is organised by the coordinator, with the CCAS and the Mission Locale invited;
admins of the committee's member organisations (the Mission Locale's and the SIAO's) may
manage it too. Its decision is on the CCAS case; its action is the Mission Locale's.
"""

from datetime import date, timedelta

from portal.actions.services import create_action, record_decision
from portal.extensions import db
from portal.models import AgendaItem, DecisionKind, Meeting, MeetingInvitee, MeetingKind, now_utc
from tests.access_rules import STAFF_ONLY, Route, answers

# Organisers: the coordinator, and the admins of the committee's member organisations.
ORGANISERS = {"partner_admin": 200, "siao_officer": 200, "coordinator": 200}
# Who sees the meeting: the organisers and the invited organisations (CCAS, Mission Locale).
MEETING_READERS = answers(404, partner_member=200, ccas_worker=200, **ORGANISERS)
# Recording decisions and actions: the organisers; other readers are refused.
RECORDERS = answers(404, partner_member=403, ccas_worker=403, **ORGANISERS)
# An empty form is refused (400) to the organisers.
RECORDERS_POST = answers(
    404, partner_member=403, ccas_worker=403, partner_admin=400, siao_officer=400, coordinator=400
)


def meeting(w, e) -> str:
    return f"/actions/meetings/{e['meeting'].id}"


def action(w, e) -> str:
    return f"/actions/{e['action'].id}"


ROUTES: dict[tuple[str, str], Route] = {
    ("actions.index", "GET"): Route(lambda w, e: "/actions/", STAFF_ONLY),
    ("actions.decisions", "GET"): Route(lambda w, e: "/actions/decisions", STAFF_ONLY),
    ("actions.export", "GET"): Route(lambda w, e: "/actions/decisions.csv", STAFF_ONLY),
    ("actions.decision", "GET"): Route(
        lambda w, e: f"/actions/decisions/{e['decision'].id}", MEETING_READERS
    ),
    # Corrected by the organisers while the minutes are not approved (here: none yet).
    ("actions.edit_decision", "GET"): Route(
        lambda w, e: f"/actions/decisions/{e['decision'].id}/edit", RECORDERS
    ),
    ("actions.edit_decision", "POST"): Route(
        lambda w, e: f"/actions/decisions/{e['decision'].id}/edit", RECORDERS_POST
    ),
    ("actions.new_decision", "GET"): Route(
        lambda w, e: meeting(w, e) + "/decisions/new", RECORDERS
    ),
    ("actions.new_decision", "POST"): Route(
        lambda w, e: meeting(w, e) + "/decisions/new", RECORDERS_POST
    ),
    ("actions.new_action", "GET"): Route(lambda w, e: meeting(w, e) + "/new", RECORDERS),
    ("actions.new_action", "POST"): Route(lambda w, e: meeting(w, e) + "/new", RECORDERS_POST),
    # The action: its organisation (Mission Locale) and the meeting's readers see it.
    ("actions.show", "GET"): Route(action, MEETING_READERS),
    # The Mission Locale and the organisers close it; the CCAS, only invited, may not.
    # An empty note marks it done; cancelling needs a reason (400).
    ("actions.done", "POST"): Route(
        lambda w, e: action(w, e) + "/done",
        answers(
            404,
            partner_member=302,
            partner_admin=302,
            siao_officer=302,
            coordinator=302,
            ccas_worker=403,
        ),
    ),
    ("actions.cancel", "POST"): Route(
        lambda w, e: action(w, e) + "/cancel",
        answers(
            404,
            partner_member=400,
            partner_admin=400,
            siao_officer=400,
            coordinator=400,
            ccas_worker=403,
        ),
    ),
}


def build(world, case_world) -> dict:
    """Objects the URLs of these routes point at."""
    held = Meeting(
        committee=world.committee,
        kind=MeetingKind.COMITE_TECHNIQUE,
        title="Comité technique de mars",
        starts_at=now_utc() - timedelta(days=7),
        organiser=world.coordinator,
        invitees=[
            MeetingInvitee(user=world.coordinator, organisation=world.ccas),
            MeetingInvitee(user=world.ccas_worker, organisation=world.ccas),
            MeetingInvitee(user=world.partner_member, organisation=world.mission_locale),
        ],
        agenda_items=[AgendaItem(position=1, title="Relogement", case=case_world.case)],
    )
    db.session.add(held)
    db.session.flush()
    decision = record_decision(
        held,
        world.coordinator,
        kind=DecisionKind.PARTNER_MOBILISATION,
        text="La Mission Locale accompagne le ménage.",
        organisations=[world.ccas, world.mission_locale],
        agenda_item=held.agenda_items[0],
    )
    follow_up = create_action(
        held,
        world.coordinator,
        description="Proposer un rendez-vous",
        organisation=world.mission_locale,
        due_on=date.today() + timedelta(days=14),
        decision=decision,
        notify=False,
    )
    db.session.commit()
    return {"meeting": held, "decision": decision, "action": follow_up}
