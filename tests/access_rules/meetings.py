"""Access rules of the meetings routes.

The meeting of the matrix: world.committee's, organised by the coordinator, with the CCAS
and the Mission Locale invited and the case on its agenda; it started half an hour ago
(the register is open). The SIAO's admin is not invited but may organise it (an admin of a
member organisation); the CDAS, the outsider and the landlord do not know it exists.
"""

from datetime import timedelta

from portal.extensions import db
from portal.meetings.services import add_agenda_item, schedule_meeting
from portal.models import MeetingKind, now_utc
from tests.access_rules import STAFF_ONLY, Route, answers

# Seen by the invitees and the organisers; the others get a 404.
VIEWERS = answers(
    404,
    partner_member=200,
    partner_admin=200,
    siao_officer=200,
    ccas_worker=200,
    coordinator=200,
)


def organisers(status: int) -> dict[str, int]:
    """Organisers' actions: invitees who do not organise get a 403, the others a 404."""
    return answers(
        404,
        partner_member=403,
        ccas_worker=403,
        partner_admin=status,
        siao_officer=status,
        coordinator=status,
    )


def meeting(w, e) -> str:
    return f"/meetings/{e['agenda_meeting'].id}"


def item(w, e) -> str:
    return f"{meeting(w, e)}/agenda/{e['agenda_meeting_item'].id}"


ROUTES: dict[tuple[str, str], Route] = {
    ("meetings.index", "GET"): Route(lambda w, e: "/meetings/", STAFF_ONLY),
    # Scheduling: the coordinator and the admins of the committee's member organisations.
    ("meetings.new", "GET"): Route(
        lambda w, e: "/meetings/new",
        answers(403, partner_admin=200, siao_officer=200, coordinator=200),
    ),
    ("meetings.new", "POST"): Route(
        lambda w, e: "/meetings/new",
        answers(403, partner_admin=200, siao_officer=200, coordinator=200),
    ),
    ("meetings.show", "GET"): Route(meeting, VIEWERS),
    ("meetings.ics", "GET"): Route(lambda w, e: meeting(w, e) + ".ics", VIEWERS),
    ("meetings.print_agenda", "GET"): Route(lambda w, e: meeting(w, e) + "/agenda/print", VIEWERS),
    ("meetings.edit", "GET"): Route(lambda w, e: meeting(w, e) + "/edit", organisers(200)),
    # An empty POST re-submits the meeting as it is: nothing changes, back to its page.
    ("meetings.edit", "POST"): Route(lambda w, e: meeting(w, e) + "/edit", organisers(302)),
    ("meetings.cancel", "POST"): Route(lambda w, e: meeting(w, e) + "/cancel", organisers(302)),
    # An empty answer is refused (400) to the invitees; the SIAO is not invited.
    ("meetings.answer", "POST"): Route(
        lambda w, e: meeting(w, e) + "/answer",
        answers(
            404,
            partner_member=400,
            partner_admin=400,
            siao_officer=403,
            ccas_worker=400,
            coordinator=400,
        ),
    ),
    ("meetings.register", "GET"): Route(lambda w, e: meeting(w, e) + "/register", organisers(200)),
    ("meetings.register", "POST"): Route(lambda w, e: meeting(w, e) + "/register", organisers(302)),
    ("meetings.new_item", "GET"): Route(
        lambda w, e: meeting(w, e) + "/agenda/new", organisers(200)
    ),
    # An empty item is refused and the form shown again.
    ("meetings.new_item", "POST"): Route(
        lambda w, e: meeting(w, e) + "/agenda/new", organisers(200)
    ),
    ("meetings.move_item", "POST"): Route(lambda w, e: item(w, e) + "/up", organisers(302)),
    ("meetings.remove_item", "POST"): Route(lambda w, e: item(w, e) + "/remove", organisers(302)),
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
    """Objects the URLs of these routes point at."""
    meeting = schedule_meeting(
        world.committee,
        world.coordinator,
        {
            "kind": MeetingKind.COMITE_TECHNIQUE,
            "title": "Comité technique de la matrice",
            "starts_at": (now_utc() - timedelta(minutes=30)).replace(second=0, microsecond=0),
            "duration_minutes": 120,
            "location": "Salle du conseil",
            "video_link": "",
            "organisation_ids": [world.ccas.id, world.mission_locale.id],
            "user_ids": [],
        },
        notify=False,
    )
    agenda_item = add_agenda_item(
        meeting, {"case": case_world.case, "duration_minutes": 20}, world.coordinator
    )
    db.session.commit()
    return {"agenda_meeting": meeting, "agenda_meeting_item": agenda_item}
