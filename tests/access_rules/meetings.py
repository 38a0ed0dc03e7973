"""Access rules of the meetings routes, on the meeting of ``governance``: its organisers
and the committee's secretariat run it, the invitees read and answer, nobody else knows it
exists (not even an admin of a member organisation, nor the coordinator unless invited)."""

from tests.access_rules import STAFF_ONLY, Route, answers
from tests.access_rules.governance import READERS, governed


def meeting(w, e) -> str:
    return f"/meetings/{e['meeting'].id}"


def item(w, e) -> str:
    return f"{meeting(w, e)}/agenda/{e['agenda_item'].id}"


# Naming co-organisers: the person who scheduled it, the secretariat, the coordinator.
NAMERS = governed(302, organiser=302, co_organiser=403, coordinator=302)

ROUTES: dict[tuple[str, str], Route] = {
    ("meetings.index", "GET"): Route(lambda w, e: "/meetings/", STAFF_ONLY),
    # Scheduling: the committee's secretariat only.
    ("meetings.new", "GET"): Route(lambda w, e: "/meetings/new", answers(403, secretariat=200)),
    # An empty form is shown again with its errors.
    ("meetings.new", "POST"): Route(lambda w, e: "/meetings/new", answers(403, secretariat=200)),
    ("meetings.show", "GET"): Route(meeting, READERS),
    ("meetings.ics", "GET"): Route(lambda w, e: meeting(w, e) + ".ics", READERS),
    ("meetings.print_agenda", "GET"): Route(lambda w, e: meeting(w, e) + "/agenda/print", READERS),
    ("meetings.edit", "GET"): Route(lambda w, e: meeting(w, e) + "/edit", governed(200)),
    # An empty POST re-submits the meeting as it is: nothing changes, back to its page.
    ("meetings.edit", "POST"): Route(lambda w, e: meeting(w, e) + "/edit", governed(302)),
    ("meetings.cancel", "POST"): Route(lambda w, e: meeting(w, e) + "/cancel", governed(302)),
    # An empty answer is refused (400) to the invitees; organisers not invited may not answer.
    ("meetings.answer", "POST"): Route(
        lambda w, e: meeting(w, e) + "/answer",
        governed(403, 400, organiser=400),
    ),
    ("meetings.register", "GET"): Route(lambda w, e: meeting(w, e) + "/register", governed(200)),
    ("meetings.register", "POST"): Route(lambda w, e: meeting(w, e) + "/register", governed(302)),
    ("meetings.new_item", "GET"): Route(lambda w, e: meeting(w, e) + "/agenda/new", governed(200)),
    # An empty item is refused and the form shown again.
    ("meetings.new_item", "POST"): Route(lambda w, e: meeting(w, e) + "/agenda/new", governed(200)),
    ("meetings.move_item", "POST"): Route(lambda w, e: item(w, e) + "/up", governed(302)),
    ("meetings.remove_item", "POST"): Route(lambda w, e: item(w, e) + "/remove", governed(302)),
    ("meetings.add_co_organiser", "POST"): Route(
        lambda w, e: meeting(w, e) + "/co-organisers", NAMERS
    ),
    ("meetings.remove_co_organiser_view", "POST"): Route(
        lambda w, e: f"{meeting(w, e)}/co-organisers/{e['co_organiser_row'].id}/remove", NAMERS
    ),
    # The organisers answer what the case's organisation proposed.
    ("meetings.answer_proposal", "POST"): Route(
        lambda w, e: f"{meeting(w, e)}/proposals/{e['owner_proposal'].id}/decline",
        governed(302),
    ),
    # The meeting has begun: nobody is chased any more (a message, back to the page).
    ("meetings.chase", "POST"): Route(lambda w, e: meeting(w, e) + "/chase", governed(302)),
    # The personal calendar feed: a page and two buttons for staff, a secret URL for all.
    ("meetings.calendar", "GET"): Route(lambda w, e: "/meetings/calendar", STAFF_ONLY),
    ("meetings.calendar_token", "POST"): Route(
        lambda w, e: "/meetings/calendar/token", answers(302, landlord=403)
    ),
    ("meetings.revoke_calendar", "POST"): Route(
        lambda w, e: "/meetings/calendar/revoke", answers(302, landlord=403)
    ),
    ("meetings.feed", "GET"): Route(
        lambda w, e: "/meetings/calendar/not-a-token.ics", answers(404, anonymous=404)
    ),
}


def build(world, case_world) -> dict:
    from tests.access_rules.governance import build as build_meeting

    return build_meeting(world, case_world)
