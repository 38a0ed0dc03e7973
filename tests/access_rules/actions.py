"""Access rules of the decisions and actions routes (the meeting of ``governance``): the
organisers record and correct; the invitees read; the organisation given the action (not
invited) reads it, marks it done or adds a note, and sees nothing else of the meeting."""

from tests.access_rules import STAFF_ONLY, Route
from tests.access_rules.governance import READERS, governed

# Recording: the organisers; an empty form is refused (400).
RECORDERS = governed(200)
RECORDERS_POST = governed(400)


def meeting(w, e) -> str:
    return f"/actions/meetings/{e['meeting'].id}"


def action(w, e) -> str:
    return f"/actions/{e['action'].id}"


ROUTES: dict[tuple[str, str], Route] = {
    ("actions.index", "GET"): Route(lambda w, e: "/actions/", STAFF_ONLY),
    ("actions.decisions", "GET"): Route(lambda w, e: "/actions/decisions", STAFF_ONLY),
    ("actions.export", "GET"): Route(lambda w, e: "/actions/decisions.csv", STAFF_ONLY),
    ("actions.decision", "GET"): Route(
        lambda w, e: f"/actions/decisions/{e['decision'].id}", READERS
    ),
    # Corrected by the organisers while the minutes are not approved (here: submitted).
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
    ("actions.show", "GET"): Route(action, governed(200, 200, action_assignee=200)),
    # The assignee and the organisers close it; an empty note marks it done; cancelling
    # needs a reason (400). Invitees only read.
    ("actions.done", "POST"): Route(
        lambda w, e: action(w, e) + "/done", governed(302, action_assignee=302)
    ),
    ("actions.cancel", "POST"): Route(
        lambda w, e: action(w, e) + "/cancel", governed(400, action_assignee=400)
    ),
    ("actions.add_note", "POST"): Route(
        lambda w, e: action(w, e) + "/notes", governed(400, action_assignee=400)
    ),
}


def build(world, case_world) -> dict:
    return {}  # the meeting of ``governance``
