"""Committee meetings: scheduling, answers and register, iCalendar invitations and feed,
the agenda as each reader may see it, and reminders sent once."""

import html
import re
from collections import Counter
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa
from icalendar import Calendar

from portal.cases.services import change_status, create_case
from portal.extensions import db
from portal.meetings.services import (
    add_agenda_item,
    answer_invitation,
    cancel_meeting,
    pickable_cases,
    schedule_meeting,
    send_reminders,
)
from portal.models import (
    ActionStatus,
    AgendaItem,
    Attendance,
    CaseEvent,
    CaseEventKind,
    CaseStatus,
    Committee,
    CommitteeKind,
    FollowUpAction,
    InvitationResponse,
    Meeting,
    MeetingInvitee,
    MeetingKind,
    MeetingStatus,
    Membership,
    Organisation,
    OrganisationKind,
    Territory,
    User,
    now_utc,
)
from tests.conftest import CANARY_NAME, PASSWORD_HASH, sign_in
from tests.support import (
    database_rows,
    flashed,
    form_errors,
    in_two_workers,
    queued_emails,
    shows_typed_value,
)

PARIS = ZoneInfo("Europe/Paris")
NEXT_YEAR = date.today().year + 1


def ics_of(email) -> Calendar:
    [attachment] = email.attachments
    assert attachment.content_type.startswith("text/calendar")
    return Calendar.from_ical(attachment.data)


def event_of(calendar: Calendar):
    [event] = calendar.walk("VEVENT")
    return event


def form_data(world, **overrides) -> dict:
    data = {
        "committee_id": world.committee.id,
        "kind": MeetingKind.COMITE_TECHNIQUE.value,
        "title": "Comité technique de janvier",
        "day": f"{NEXT_YEAR}-01-15",
        "time": "14:00",
        "duration_minutes": "120",
        "location": "CCAS, salle du conseil",
        "video_link": "",
        "organisation_ids": [world.ccas.id, world.mission_locale.id],
        "user_ids": [world.siao_officer.id],
    }
    data.update(overrides)
    return data


def make_meeting(world, days=10, organisation_ids=None, **fields) -> Meeting:
    meeting = schedule_meeting(
        world.committee,
        world.coordinator,
        {
            "kind": MeetingKind.COMITE_TECHNIQUE,
            "title": fields.get("title", "Comité technique"),
            "starts_at": fields.get(
                "starts_at", (now_utc() + timedelta(days=days)).replace(second=0, microsecond=0)
            ),
            "duration_minutes": 120,
            "location": "Salle du conseil",
            "video_link": "",
            "organisation_ids": organisation_ids or [world.ccas.id, world.mission_locale.id],
            "user_ids": fields.get("user_ids", []),
        },
        notify=fields.get("notify", False),
    )
    db.session.commit()
    return meeting


# Scheduling ---------------------------------------------------------------------------------


def test_coordinator_schedules_a_meeting_and_each_invitee_gets_a_calendar_invitation(client, world):
    sign_in(client, world.coordinator)

    response = client.post("/meetings/new", data=form_data(world))

    assert response.status_code == 302
    meeting = db.session.scalar(sa.select(Meeting))
    assert meeting.starts_at == datetime(NEXT_YEAR, 1, 15, 14, 0, tzinfo=PARIS)
    assert meeting.starts_at.astimezone(ZoneInfo("UTC")).hour == 13  # stored in UTC
    assert meeting.organiser_id == world.coordinator.id
    represented = {(i.user_id, i.organisation_id) for i in meeting.invitees}
    assert represented == {
        (world.coordinator.id, world.ccas.id),
        (world.ccas_worker.id, world.ccas.id),
        (world.partner_admin.id, world.mission_locale.id),
        (world.partner_member.id, world.mission_locale.id),
        (world.siao_officer.id, world.siao.id),
    }
    emails = queued_emails()
    assert sorted(e.recipient for e in emails) == sorted(
        u.email
        for u in (
            world.coordinator,
            world.ccas_worker,
            world.partner_admin,
            world.partner_member,
            world.siao_officer,
        )
    )
    email = queued_emails(world.partner_member.email)[0]
    assert email.subject.startswith("Invitation : Comité technique de janvier")
    assert "Ordre du jour" in email.text_body and "Ordre du jour" in email.html_body
    assert "Mission Locale" in email.text_body  # the organisation they represent
    calendar = ics_of(email)
    assert calendar["METHOD"] == "REQUEST"
    event = event_of(calendar)
    assert str(event["UID"]) == meeting.uid
    assert event["SEQUENCE"] == 0
    start = event.decoded("DTSTART")
    assert start == datetime(NEXT_YEAR, 1, 15, 14, 0, tzinfo=PARIS)
    assert event["DTSTART"].params["TZID"] == "Europe/Paris"
    assert event.decoded("DTEND") - start == timedelta(minutes=120)
    [timezone] = calendar.walk("VTIMEZONE")
    assert timezone["TZID"] == "Europe/Paris"
    # The invitation names its recipient only: no other invitee's address is sent out.
    assert str(event["ATTENDEE"]) == f"mailto:{world.partner_member.email}"
    # The organiser is « présent » unless they say otherwise.
    assert meeting.invitee(world.coordinator.id).response == InvitationResponse.ACCEPTED


def test_bad_input_is_refused_in_french_keeping_what_was_typed(client, world):
    sign_in(client, world.coordinator)
    before = database_rows()

    response = client.post(
        "/meetings/new",
        data=form_data(
            world,
            title="Comité à garder",
            day=(date.today() - timedelta(days=30)).isoformat(),
            duration_minutes="beaucoup",
            location="",
            video_link="ftp://visio.exemple.fr",
            organisation_ids=[],
            user_ids=[],
        ),
    )

    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert set(form_errors(page)) == {
        "Indiquez la durée en minutes.",
        "Cette date est passée : choisissez un moment à venir.",
        "Indiquez une adresse commençant par https://",
        "Invitez au moins une organisation ou une personne.",
    }
    assert shows_typed_value(page, "Comité à garder")
    assert shows_typed_value(page, "ftp://visio.exemple.fr")
    assert database_rows() == before


@pytest.mark.parametrize(
    "overrides",
    [
        {"day": "31/02/2026", "time": "25:99"},
        {"location": "", "video_link": ""},
        {"committee_id": "999999"},
        {"committee_id": "pas-un-nombre", "kind": "inconnu"},
        {"organisation_ids": ["abc"], "user_ids": ["999999"]},
        {"title": "x" * 500, "duration_minutes": "99999999999999999999"},
    ],
)
def test_garbage_is_refused_without_error_page(client, world, overrides):
    sign_in(client, world.coordinator)

    response = client.post("/meetings/new", data=form_data(world, **overrides))

    assert response.status_code == 200
    assert form_errors(response.get_data(as_text=True))
    assert db.session.scalar(sa.select(sa.func.count(Meeting.id))) == 0


def test_a_member_who_is_not_an_admin_cannot_schedule(client, world):
    sign_in(client, world.partner_member)
    assert client.get("/meetings/new").status_code == 403
    assert client.post("/meetings/new", data=form_data(world)).status_code == 403


def test_rescheduling_keeps_the_uid_raises_the_sequence_and_cancelling_sends_cancel(client, world):
    sign_in(client, world.coordinator)
    client.post("/meetings/new", data=form_data(world))
    meeting = db.session.scalar(sa.select(Meeting))
    uid = meeting.uid
    meeting.reminder_sent_at = now_utc()
    db.session.commit()
    first = len(queued_emails())

    response = client.post(
        f"/meetings/{meeting.id}/edit",
        data=form_data(
            world, time="09:30", organisation_ids=[world.ccas.id], user_ids=[world.siao_officer.id]
        ),
    )

    assert response.status_code == 302
    db.session.refresh(meeting)
    assert meeting.sequence == 1
    assert meeting.reminder_sent_at is None  # due again before the new date
    assert meeting.starts_at == datetime(NEXT_YEAR, 1, 15, 9, 30, tzinfo=PARIS)
    changes = queued_emails()[first:]
    by_recipient = {e.recipient: e for e in changes}
    changed = ics_of(by_recipient[world.ccas_worker.email])
    assert changed["METHOD"] == "REQUEST"
    assert str(event_of(changed)["UID"]) == uid
    assert event_of(changed)["SEQUENCE"] == 1
    assert event_of(changed).decoded("DTSTART").time() == time(9, 30)
    assert by_recipient[world.ccas_worker.email].subject.startswith("Modification")
    # The Mission Locale is no longer invited: its members' calendars drop the event.
    withdrawn = ics_of(by_recipient[world.partner_member.email])
    assert withdrawn["METHOD"] == "CANCEL"
    assert str(event_of(withdrawn)["UID"]) == uid
    assert {i.user_id for i in meeting.invitees} == {
        world.coordinator.id,
        world.ccas_worker.id,
        world.siao_officer.id,
    }

    # Saving without a change sends nothing and keeps the sequence.
    count = len(queued_emails())
    client.post(
        f"/meetings/{meeting.id}/edit",
        data=form_data(
            world, time="09:30", organisation_ids=[world.ccas.id], user_ids=[world.siao_officer.id]
        ),
    )
    db.session.refresh(meeting)
    assert meeting.sequence == 1 and len(queued_emails()) == count

    response = client.post(f"/meetings/{meeting.id}/cancel")

    assert response.status_code == 302
    db.session.refresh(meeting)
    assert meeting.status == MeetingStatus.CANCELLED
    cancellations = queued_emails()[count:]
    assert len(cancellations) == 3
    calendar = ics_of(cancellations[0])
    assert calendar["METHOD"] == "CANCEL"
    event = event_of(calendar)
    assert str(event["UID"]) == uid
    assert event["SEQUENCE"] == 2
    assert event["STATUS"] == "CANCELLED"
    assert cancellations[0].subject.startswith("Annulation")
    # A cancelled meeting is neither edited nor cancelled again.
    assert client.get(f"/meetings/{meeting.id}/edit").status_code == 403
    client.post(f"/meetings/{meeting.id}/cancel")
    assert "Cette réunion est déjà annulée." in flashed(
        client.get(f"/meetings/{meeting.id}").get_data(as_text=True)
    )


def test_the_ics_download_parses_and_carries_no_household_data(client, world, case_world):
    meeting = make_meeting(world)
    add_agenda_item(meeting, {"case": case_world.case, "duration_minutes": 20}, world.coordinator)
    db.session.commit()
    sign_in(client, world.partner_member)

    response = client.get(f"/meetings/{meeting.id}.ics")

    assert response.status_code == 200
    assert response.mimetype == "text/calendar"
    event = event_of(Calendar.from_ical(response.data))
    assert str(event["UID"]) == meeting.uid
    assert CANARY_NAME.encode() not in response.data
    assert case_world.household.reference.encode() not in response.data


# Answers and register ------------------------------------------------------------------------


def test_invitees_answer_and_the_organiser_sees_every_answer(client, world):
    meeting = make_meeting(world)
    sign_in(client, world.partner_member)

    response = client.post(
        f"/meetings/{meeting.id}/answer",
        data={"response": "excused", "opinion": "Favorable à une orientation IML."},
    )

    assert response.status_code == 302
    invitee = meeting.invitee(world.partner_member.id)
    db.session.refresh(invitee)
    assert invitee.response == InvitationResponse.EXCUSED
    assert invitee.opinion == "Favorable à une orientation IML."
    assert invitee.responded_at is not None

    sign_in(client, world.ccas_worker)
    page = client.get(f"/meetings/{meeting.id}").get_data(as_text=True)
    assert "Favorable à une orientation IML." in page  # attached to the agenda
    assert "Paul Membre" in page  # whose opinion it is
    assert "badge-excused" not in page  # but not everybody's answers

    sign_in(client, world.coordinator)
    page = client.get(f"/meetings/{meeting.id}").get_data(as_text=True)
    assert "badge-excused" in page and "badge-pending" in page


def test_a_wrong_answer_is_refused_and_kept(client, world):
    meeting = make_meeting(world)
    sign_in(client, world.partner_member)

    response = client.post(
        f"/meetings/{meeting.id}/answer",
        data={"response": "accepted", "opinion": "Mon avis à garder"},
    )

    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert form_errors(page) == ["Un avis écrit accompagne une réponse « Excusé »."]
    assert shows_typed_value(page, "Mon avis à garder")
    response = client.post(f"/meetings/{meeting.id}/answer", data={"response": "peut-être"})
    assert response.status_code == 400
    invitee = meeting.invitee(world.partner_member.id)
    db.session.refresh(invitee)
    assert invitee.response == InvitationResponse.PENDING


def test_the_register_is_kept_on_the_day_by_the_organisers(client, world):
    later = make_meeting(world, days=3)
    today = make_meeting(world, starts_at=now_utc().replace(second=0, microsecond=0))
    answer_invitation(today, world.partner_member, InvitationResponse.ACCEPTED, "")
    db.session.commit()
    sign_in(client, world.coordinator)

    page = client.get(f"/meetings/{today.id}/register").get_data(as_text=True)
    member = today.invitee(world.partner_member.id)
    # The answer is proposed as the presence.
    assert f'name="attendance-{member.id}" value="present" checked' in page

    worker = today.invitee(world.ccas_worker.id)
    response = client.post(
        f"/meetings/{today.id}/register",
        data={f"attendance-{member.id}": "absent", f"attendance-{worker.id}": "nimporte"},
    )
    assert response.status_code == 400
    assert "Présence non reconnue pour Yann Social." in response.get_data(as_text=True)
    db.session.refresh(member)
    assert member.attendance is None

    response = client.post(
        f"/meetings/{today.id}/register",
        data={f"attendance-{member.id}": "absent", f"attendance-{worker.id}": "present"},
    )
    assert response.status_code == 302
    db.session.refresh(member)
    db.session.refresh(worker)
    assert (member.attendance, worker.attendance) == (Attendance.ABSENT, Attendance.PRESENT)

    response = client.post(
        f"/meetings/{later.id}/register",
        data={f"attendance-{later.invitee(world.ccas_worker.id).id}": "present"},
    )
    assert response.status_code == 400
    assert "Le registre de présence s'ouvre le jour de la réunion." in response.get_data(
        as_text=True
    )


# The personal calendar feed ------------------------------------------------------------------


def test_the_private_feed_gives_meetings_and_action_due_dates_until_revoked(app, client, world):
    meeting = make_meeting(world)
    action = FollowUpAction(
        meeting=meeting,
        committee_id=world.committee.id,
        description="Rappeler le bailleur",
        organisation=world.mission_locale,
        due_on=date.today() + timedelta(days=20),
    )
    done = FollowUpAction(
        meeting=meeting,
        committee_id=world.committee.id,
        description="Action déjà faite",
        organisation=world.mission_locale,
        due_on=date.today() + timedelta(days=5),
        status=ActionStatus.DONE,
    )
    db.session.add_all([action, done])
    db.session.commit()
    sign_in(client, world.partner_member)
    assert "Créer mon lien d&#39;agenda" in client.get("/meetings/calendar").get_data(as_text=True)

    client.post("/meetings/calendar/token")
    db.session.refresh(world.partner_member)
    token = world.partner_member.calendar_token
    assert token and len(token) >= 40
    assert f"/meetings/calendar/{token}.ics" in client.get("/meetings/calendar").get_data(
        as_text=True
    )

    anonymous = app.test_client()
    response = anonymous.get(f"/meetings/calendar/{token}.ics")
    assert response.status_code == 200
    calendar = Calendar.from_ical(response.data)
    events = {str(e["UID"]): e for e in calendar.walk("VEVENT")}
    assert meeting.uid in events
    due = events[f"action-{action.id}@portail-partenaires"]
    assert due.decoded("DTSTART") == action.due_on  # an all-day event
    assert f"action-{done.id}@portail-partenaires" not in events
    assert calendar.walk("VTIMEZONE")

    client.post("/meetings/calendar/token")  # a new address: the old one stops working
    db.session.refresh(world.partner_member)
    assert anonymous.get(f"/meetings/calendar/{token}.ics").status_code == 404
    new_token = world.partner_member.calendar_token
    assert anonymous.get(f"/meetings/calendar/{new_token}.ics").status_code == 200

    client.post("/meetings/calendar/revoke")
    assert anonymous.get(f"/meetings/calendar/{new_token}.ics").status_code == 404
    db.session.refresh(world.partner_member)
    assert world.partner_member.calendar_token is None


def test_a_feed_of_a_person_who_left_is_closed(app, world):
    world.partner_member.calendar_token = "un-jeton-secret-assez-long-pour-etre-credible"
    world.partner_member.memberships[0].active = False
    db.session.commit()
    response = app.test_client().get(
        "/meetings/calendar/un-jeton-secret-assez-long-pour-etre-credible.ics"
    )
    assert response.status_code == 404


# The agenda ------------------------------------------------------------------------------


def test_a_case_put_on_the_agenda_moves_to_on_agenda_and_shows_on_its_timeline(
    client, world, case_world
):
    meeting = make_meeting(world)
    sign_in(client, world.coordinator)
    page = client.get(f"/meetings/{meeting.id}/agenda/new").get_data(as_text=True)
    assert case_world.household.reference in page  # pickable

    response = client.post(
        f"/meetings/{meeting.id}/agenda/new",
        data={"case_id": case_world.case.id, "title": "", "duration_minutes": "20"},
    )

    assert response.status_code == 302
    db.session.refresh(case_world.case)
    assert case_world.case.status == CaseStatus.ON_AGENDA
    [item] = meeting.agenda_items
    assert item.presenter_organisation_id == world.ccas.id
    events = db.session.scalars(
        sa.select(CaseEvent).where(
            CaseEvent.case_id == case_world.case.id, CaseEvent.kind == CaseEventKind.MEETING
        )
    ).all()
    assert [e.summary.startswith("Inscrite à l'ordre du jour : Comité technique") for e in events]
    assert events
    sign_in(client, world.ccas_worker)
    timeline = client.get(f"/cases/{case_world.case.id}").get_data(as_text=True)
    assert "Inscrite à l&#39;ordre du jour" in timeline

    # Another meeting to come cannot take it; this one still can.
    other = make_meeting(world, days=20)
    sign_in(client, world.coordinator)
    response = client.post(
        f"/meetings/{other.id}/agenda/new",
        data={"case_id": case_world.case.id, "duration_minutes": "20"},
    )
    assert response.status_code == 200
    assert form_errors(response.get_data(as_text=True))
    assert other.agenda_items == []

    # Removed from the agenda, it goes back to « soumise ».
    client.post(f"/meetings/{meeting.id}/agenda/{item.id}/remove")
    db.session.refresh(case_world.case)
    assert case_world.case.status == CaseStatus.SUBMITTED


def test_a_draft_case_cannot_be_picked(client, world, case_world, make_household):
    draft = create_case(
        make_household(world.ccas, world.ccas_worker, first="Autre", last="Personne"),
        world.ccas_worker,
        {"committee_id": world.committee.id, "title": "Brouillon", "question": "?"},
    )
    db.session.commit()
    meeting = make_meeting(world)
    sign_in(client, world.coordinator)

    response = client.post(
        f"/meetings/{meeting.id}/agenda/new", data={"case_id": draft.id, "duration_minutes": "20"}
    )

    assert response.status_code == 200
    assert form_errors(response.get_data(as_text=True))
    assert db.session.scalar(sa.select(sa.func.count(AgendaItem.id))) == 0
    db.session.refresh(draft)
    assert draft.status == CaseStatus.DRAFT


def test_items_move_up_and_down(client, world):
    meeting = make_meeting(world)
    for title in ("Premier", "Deuxième", "Troisième"):
        add_agenda_item(meeting, {"title": title, "duration_minutes": 10}, world.coordinator)
    db.session.commit()
    third = meeting.agenda_items[2]
    sign_in(client, world.coordinator)

    client.post(f"/meetings/{meeting.id}/agenda/{third.id}/up")
    client.post(f"/meetings/{meeting.id}/agenda/{meeting.agenda_items[0].id}/up")  # no-op

    db.session.expire_all()
    assert [i.title for i in meeting.agenda_items] == ["Premier", "Troisième", "Deuxième"]
    response = client.post(f"/meetings/{meeting.id}/agenda/new", data={"duration_minutes": "10"})
    assert form_errors(response.get_data(as_text=True)) == [
        "Donnez un titre au point, ou choisissez une situation."
    ]


@pytest.mark.parametrize(
    ("role", "sees_reference", "sees_name"),
    [
        ("ccas_worker", True, True),  # owner
        ("partner_member", True, True),  # participant with full access
        ("cdas_worker", True, False),  # participant, situation only
        ("siao_officer", True, False),  # committee member
        ("outsider", False, False),  # invited by name, no access to the case
    ],
)
def test_each_reader_sees_the_case_item_as_they_may(
    client, world, case_world, role, sees_reference, sees_name
):
    meeting = make_meeting(
        world,
        user_ids=[world.outsider.id, case_world.cdas_worker.id, world.siao_officer.id],
        notify=True,
    )
    add_agenda_item(meeting, {"case": case_world.case, "duration_minutes": 20}, world.coordinator)
    db.session.commit()
    reader = case_world.cdas_worker if role == "cdas_worker" else getattr(world, role)
    sign_in(client, reader)

    for url in (f"/meetings/{meeting.id}", f"/meetings/{meeting.id}/agenda/print"):
        page = client.get(url).get_data(as_text=True)
        assert (case_world.household.reference in page) == sees_reference, url
        assert (CANARY_NAME in page) == sees_name, url
        assert ("Situation confidentielle" in page) == (not sees_reference), url
        assert ("Relogement bloqué" in page) == sees_reference, url
    # E-mails never carry a name.
    assert all(CANARY_NAME not in e.text_body + e.html_body for e in queued_emails())


# Reminders -----------------------------------------------------------------------------------


def test_reminders_are_sent_once_with_the_agenda(app, world, case_world):
    soon = make_meeting(world, days=1)
    make_meeting(world, days=5, title="Plus tard")
    add_agenda_item(
        soon, {"title": "Logements disponibles", "duration_minutes": 10}, world.coordinator
    )
    answer_invitation(soon, world.partner_admin, InvitationResponse.DECLINED, "")
    db.session.commit()
    runner = app.test_cli_runner()

    result = runner.invoke(args=["reminders", "send"])

    assert result.exit_code == 0, result.output
    assert "1 réunion(s) rappelée(s)" in result.output
    reminders = queued_emails()
    assert sorted(e.recipient for e in reminders) == sorted(
        [world.coordinator.email, world.ccas_worker.email, world.partner_member.email]
    )
    assert all(e.subject.startswith("Rappel : Comité technique") for e in reminders)
    assert "Logements disponibles" in reminders[0].text_body
    db.session.refresh(soon)
    assert soon.reminder_sent_at is not None

    assert runner.invoke(args=["reminders", "send"]).exit_code == 0
    assert len(queued_emails()) == len(reminders)


def test_the_reminder_delay_is_configurable(app, world):
    make_meeting(world, days=5)
    assert send_reminders() == 0
    app.config["REMINDER_DAYS_BEFORE"] = 7
    assert send_reminders() == 1


@pytest.fixture
def file_backed_app(make_app, backend, tmp_path):
    """SQLite in a file (several connections see the same data), or PostgreSQL."""
    overrides = {}
    if backend == "sqlite":
        overrides["SQLALCHEMY_DATABASE_URI"] = f"sqlite:///{tmp_path / 'reminders.sqlite3'}"
    return make_app(**overrides)


def test_two_reminder_runs_at_once_send_each_reminder_once(file_backed_app):
    app = file_backed_app
    with app.app_context():
        place = Territory(name="Concarneau")
        ccas = Organisation(name="CCAS", kind=OrganisationKind.CCAS, territory=place)
        committee = Committee(
            name="Comité technique",
            kind=CommitteeKind.COMITE_TECHNIQUE,
            territory=place,
            organisations=[ccas],
        )
        people = [
            User(email=f"p{n}@exemple.fr", full_name=f"P {n}", password_hash=PASSWORD_HASH)
            for n in range(5)
        ]
        db.session.add_all([place, ccas, committee, *people])
        db.session.add_all(Membership(user=p, organisation=ccas) for p in people)
        db.session.flush()
        for number, days in enumerate((1, 1, 2)):
            schedule_meeting(
                committee,
                people[0],
                {
                    "kind": MeetingKind.COMITE_TECHNIQUE,
                    "title": f"Comité {number}",
                    "starts_at": now_utc() + timedelta(days=days, hours=-1),
                    "duration_minutes": 60,
                    "location": "Salle",
                    "video_link": "",
                    "organisation_ids": [ccas.id],
                    "user_ids": [],
                },
                notify=False,
            )
        db.session.commit()

    results = in_two_workers(app, send_reminders)

    assert sum(results) == 3
    with app.app_context():
        sent = Counter((e.recipient, e.subject) for e in queued_emails())
        assert len(sent) == 3 * 5
        assert set(sent.values()) == {1}
        assert (
            db.session.scalar(
                sa.select(sa.func.count(Meeting.id)).where(Meeting.reminder_sent_at.is_(None))
            )
            == 0
        )
        assert db.session.scalar(sa.select(sa.func.count(MeetingInvitee.id))) == 15


def test_cancelling_a_meeting_sends_its_cases_back_to_submitted(world, case_world):
    meeting = make_meeting(world)
    add_agenda_item(meeting, {"case": case_world.case, "duration_minutes": 20}, world.coordinator)
    db.session.commit()

    cancel_meeting(meeting, world.coordinator, notify=False)
    db.session.commit()

    db.session.refresh(case_world.case)
    assert case_world.case.status == CaseStatus.SUBMITTED
    assert queued_emails() == []


def test_a_case_put_on_agenda_by_its_owner_can_still_be_picked(world, case_world):
    change_status(case_world.case, "put_on_agenda", world.ccas_worker)
    meeting = make_meeting(world)
    assert case_world.case in pickable_cases(meeting)
    add_agenda_item(meeting, {"case": case_world.case, "duration_minutes": 20}, world.coordinator)
    db.session.commit()
    assert case_world.case not in pickable_cases(make_meeting(world, days=20))


def test_the_agenda_carries_the_open_actions_of_earlier_meetings(client, world):
    earlier = make_meeting(world, starts_at=now_utc() - timedelta(days=30))
    for description, status in (("Visite du T2", ActionStatus.OPEN), ("Dossier FSL", "done")):
        db.session.add(
            FollowUpAction(
                meeting=earlier,
                committee_id=world.committee.id,
                description=description,
                organisation=world.mission_locale,
                due_on=date.today() - timedelta(days=3),
                status=ActionStatus(status),
            )
        )
    meeting = make_meeting(world)
    sign_in(client, world.partner_member)

    for url in (f"/meetings/{meeting.id}", f"/meetings/{meeting.id}/agenda/print"):
        page = client.get(url).get_data(as_text=True)
        assert "Suivi des décisions" in page
        assert "Visite du T2" in page and "En retard" in page
        assert "Dossier FSL" not in page


def test_scheduling_from_the_committee_page_proposes_its_members_and_lists_the_meeting(
    client, world, make_org
):
    empty = make_org(OrganisationKind.ASSOCIATION, "Association sans compte")
    world.committee.organisations.append(empty)
    db.session.commit()
    sign_in(client, world.coordinator)  # the committee has no secretariat: the coordination
    committee_page = client.get(f"/committees/{world.committee.id}").get_data(as_text=True)
    link = f"/meetings/new?committee={world.committee.id}"
    assert f'href="{link}"' in committee_page and "Programmer une réunion" in committee_page
    page = html.unescape(client.get(link).get_data(as_text=True))
    checked = set(re.findall(r'<input checked id="organisation_ids-\d+"[^>]* value="(\d+)"', page))
    members = (world.ccas, world.mission_locale, world.siao, empty)
    assert checked == {str(o.id) for o in members}
    # Nobody can be invited for an organisation without an account: it says so.
    assert "Association sans compte (Association) — aucun compte actif : invitez un membre" in page
    assert "Mission Locale (Mission Locale) — aucun compte" not in page
    make_meeting(world, title="Comité de la liste")
    assert "Comité de la liste" in client.get("/meetings/").get_data(as_text=True)
    sign_in(client, world.outsider)
    assert "Comité de la liste" not in client.get("/meetings/").get_data(as_text=True)
