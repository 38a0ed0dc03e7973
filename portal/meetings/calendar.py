"""iCalendar (RFC 5545) documents built with the ``icalendar`` library.

An event keeps its UID for life; each change raises its SEQUENCE, so that calendar
clients update (or, with METHOD:CANCEL, remove) the copy they already hold. Times are
written in Europe/Paris with the matching VTIMEZONE. No household data ever goes into a
calendar: events carry the meeting's practical details and a link to the portal.
"""

from datetime import date, timedelta

from icalendar import Calendar, Event

from portal.case_content import ActionView, action_views
from portal.i18n import _
from portal.local_time import PARIS
from portal.models import (
    ActionStatus,
    FollowUpAction,
    InvitationResponse,
    Meeting,
    MeetingInvitee,
    now_utc,
)
from portal.outbox.services import public_url_for
from portal.permissions import invitation_of

PRODID = "-//Portail partenaires//Parcours logement//FR"
CONTENT_TYPE = "text/calendar; charset=utf-8"

PARTSTAT = {
    InvitationResponse.PENDING: "NEEDS-ACTION",
    InvitationResponse.ACCEPTED: "ACCEPTED",
    InvitationResponse.DECLINED: "DECLINED",
    InvitationResponse.EXCUSED: "DECLINED",
}


def new_calendar(method: str | None = None, name: str | None = None) -> Calendar:
    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    if method:
        calendar.add("method", method)
    if name:
        calendar.add("x-wr-calname", name)
        calendar.add("x-wr-timezone", "Europe/Paris")
    return calendar


def finish(calendar: Calendar) -> bytes:
    """Add the VTIMEZONE of every time zone used, over the years the events span."""
    starts = [e.decoded("dtstart") for e in calendar.walk("VEVENT")]
    years = [d.year for d in starts] or [now_utc().year]
    calendar.add_missing_timezones(
        first_date=date(min(years) - 1, 1, 1), last_date=date(max(years) + 1, 12, 31)
    )
    return calendar.to_ical()


def meeting_event(
    meeting: Meeting,
    *,
    cancelled: bool = False,
    attendee: MeetingInvitee | None = None,
    organiser: bool = True,
) -> Event:
    """The event; ``attendee``, the one invitee it is for (no other invitee's address is
    ever written in it). The personal feed leaves the organiser's address out too: an
    invitation needs it, a subscribed calendar does not."""
    event = Event()
    event.add("uid", meeting.uid)
    event.add("sequence", meeting.sequence)
    event.add("dtstamp", now_utc())
    event.add("last-modified", meeting.updated or now_utc())
    event.add("dtstart", meeting.starts_at.astimezone(PARIS))
    event.add("dtend", meeting.ends_at.astimezone(PARIS))
    event.add("summary", f"{meeting.title} — {meeting.committee.name}")
    link = public_url_for("meetings.show", meeting_id=meeting.id)
    place = meeting.location or _("Visioconférence")
    event.add("location", place)
    lines = [f"{meeting.kind.label} — {meeting.committee.name}", _("Lieu : %(place)s", place=place)]
    if meeting.video_link:
        lines.append(_("Visioconférence : %(link)s", link=meeting.video_link))
        event.add("conference", meeting.video_link, parameters={"value": "URI"})
    lines.append(_("Ordre du jour et réponse à l'invitation : %(link)s", link=link))
    event.add("description", "\n".join(lines))
    event.add("url", link)
    event.add("status", "CANCELLED" if cancelled or meeting.is_cancelled else "CONFIRMED")
    event.add("transp", "OPAQUE")
    if organiser and meeting.organiser is not None:
        event.add(
            "organizer",
            f"mailto:{meeting.organiser.email}",
            parameters={"cn": meeting.organiser.full_name},
        )
    if attendee is not None:
        # Answers are given on the portal, not by replying to the calendar message.
        event.add(
            "attendee",
            f"mailto:{attendee.user.email}",
            parameters={
                "cn": attendee.user.full_name,
                "role": "REQ-PARTICIPANT",
                "partstat": PARTSTAT[attendee.response],
                "rsvp": "FALSE",
            },
        )
    return event


def meeting_ics(
    meeting: Meeting, method: str = "PUBLISH", attendee: MeetingInvitee | None = None
) -> bytes:
    """One meeting: METHOD:REQUEST for invitations and changes, CANCEL to withdraw it."""
    calendar = new_calendar(method)
    calendar.add_component(meeting_event(meeting, cancelled=method == "CANCEL", attendee=attendee))
    return finish(calendar)


def action_event(view: ActionView) -> Event:
    """An open action's due date, as an all-day event, as its reader may see it."""
    action = view.action
    event = Event()
    event.add("uid", f"action-{action.id}@portail-partenaires")
    event.add("dtstamp", now_utc())
    event.add("dtstart", action.due_on)
    event.add("dtend", action.due_on + timedelta(days=1))
    event.add(
        "summary",
        _(
            "Échéance d'une action de suivi — %(organisation)s",
            organisation=action.organisation.name,
        ),
    )
    decided = _("Décidée en réunion : %(title)s", title=action.meeting.title)
    event.add(
        "description",
        f"{view.description}\n\n{decided}\n{public_url_for('actions.index')}",
    )
    event.add("transp", "TRANSPARENT")
    return event


def feed_ics(user, meetings: list[Meeting], actions: list[FollowUpAction]) -> bytes:
    """A person's private feed: their meetings and the due dates of their open actions."""
    calendar = new_calendar(name=f"Portail partenaires — {user.full_name}")
    calendar.add("refresh-interval", timedelta(hours=1), parameters={"value": "DURATION"})
    for meeting in meetings:
        calendar.add_component(
            meeting_event(meeting, attendee=invitation_of(user, meeting), organiser=False)
        )
    for view in action_views(user, actions):
        if view.action.status == ActionStatus.OPEN:
            calendar.add_component(action_event(view))
    return finish(calendar)
