"""Notifications: each kind × each frequency through the real events, digests sent once
per period by the scheduled jobs, messages to an organisation routed to the person
assigned, else the people it names, else its admins, and the per-reader rule (a canary)."""

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
import sqlalchemy as sa

from portal.actions.services import create_action, record_decision
from portal.candidacies.services import change_candidacy_status, create_candidacy
from portal.cases.services import share_case, unshare_case
from portal.extensions import db
from portal.jobs.schedule import run_due_jobs
from portal.jobs.worker import run_once
from portal.meetings.services import chase_pending, schedule_meeting
from portal.minutes.services import send_minutes
from portal.models import (
    AccessLevel,
    Commune,
    DecisionKind,
    EmailStatus,
    MeetingKind,
    Minutes,
    MinutesStatus,
    NotificationFrequency,
    NotificationPreference,
    OfferStatus,
    OrganisationKind,
    OwnerOffer,
    PendingNotification,
    Programme,
    Typology,
    now_utc,
)
from portal.notifications.kinds import KINDS
from portal.notifications.services import (
    organisation_recipients,
    save_preferences,
    send_digests,
    set_named_recipients,
)
from portal.owners.services import post_message
from tests.case_helpers import canary_traces
from tests.conftest import (
    build_case_world,
    build_world,
    committee_factory,
    household_factory,
    new_territory,
    organisation_factory,
    sign_in,
    user_factory,
)
from tests.support import form_errors, in_two_workers, queued_emails

F = NotificationFrequency
# A Thursday morning in Paris (8:00 UTC = 9:00 in March): the daily digest is due.
THURSDAY = datetime(2030, 3, 14, 8, 0, tzinfo=UTC)
MONDAY = datetime(2030, 3, 18, 8, 0, tzinfo=UTC)


def plan_meeting(world, starts_at):
    meeting = schedule_meeting(
        world.committee,
        world.coordinator,
        {
            "kind": MeetingKind.COMITE_TECHNIQUE,
            "title": "Comité technique",
            "starts_at": starts_at.replace(second=0, microsecond=0),
            "duration_minutes": 120,
            "location": "Salle du conseil",
            "video_link": "",
            "organisation_ids": [world.ccas.id, world.mission_locale.id],
            "user_ids": [],
        },
        notify=False,
    )
    db.session.commit()
    return meeting


def started(meeting):
    meeting.starts_at = now_utc() - timedelta(hours=1)
    db.session.commit()
    return meeting


def candidacy(world, case_world, status="draft"):
    information = case_world.household.current_information
    if hasattr(information, "allows_identity"):  # the household agreed to the SIAO reading it
        information.allows_identity = True
    programme = Programme(territory=world.ccas.territory, name="IML sortie de structures")
    programme.capacity = 2
    db.session.add(programme)
    db.session.flush()
    found = create_candidacy(
        case_world.household,
        world.ccas_worker,
        {
            "programme_id": programme.id,
            "case_id": None,
            "requested_typology": Typology.T2,
            "commune_ids": [],
            "readiness_notes": "Prête à sortir.",
        },
    )
    db.session.commit()
    if status == "submitted":
        change_candidacy_status(found, "submit", world.ccas_worker, notify=False)
        db.session.commit()
    return found


def offer_followed_by(world, staff):
    place = Commune(name="Concarneau", territory=world.ccas.territory)
    offer = OwnerOffer(
        owner=world.landlord,
        status=OfferStatus.NEW,
        address="3 rue des Mouettes",
        commune=place,
        typology=Typology.T2,
        surface=Decimal("38"),
        rent=Decimal("420"),
        charges=Decimal("30"),
        consent_to_contact=True,
        assigned_to=staff,
    )
    db.session.add_all([place, offer])
    db.session.commit()
    return offer


@dataclass
class Event:
    """A kind's real event: who it concerns, and the call that makes it happen."""

    recipient: object
    happen: object
    template: str


def event_of(kind: str, world, case_world) -> Event:
    if kind == "candidacy_submitted":
        found = candidacy(world, case_world)
        return Event(
            world.siao_officer,
            lambda: change_candidacy_status(found, "submit", world.ccas_worker),
            "candidacy_submitted",
        )
    if kind == "candidacy_decision":
        found = candidacy(world, case_world, "submitted")
        return Event(
            world.ccas_worker,
            lambda: change_candidacy_status(found, "validate", world.siao_officer),
            "candidacy_decision",
        )
    if kind == "case_shared":
        return Event(
            world.outsider,
            lambda: share_case(
                case_world.case, world.outsider_org, AccessLevel.SITUATION, "FSL", world.ccas_worker
            ),
            "case_shared",
        )
    if kind == "answer_awaited":
        meeting = plan_meeting(world, now_utc() + timedelta(days=5))
        return Event(
            world.partner_admin, lambda: chase_pending(meeting, world.coordinator), "meeting_chase"
        )
    if kind == "minutes_approved":
        meeting = started(plan_meeting(world, now_utc() + timedelta(days=1)))
        minutes = Minutes(meeting=meeting, status=MinutesStatus.APPROVED, approved_at=now_utc())
        db.session.add(minutes)
        db.session.commit()
        return Event(
            world.partner_admin,
            lambda: send_minutes(minutes, world.coordinator),
            "minutes_approved",
        )
    if kind == "decision":
        meeting = started(plan_meeting(world, now_utc() + timedelta(days=1)))
        return Event(
            world.partner_admin,
            lambda: record_decision(
                meeting,
                world.coordinator,
                kind=DecisionKind.PARTNER_MOBILISATION,
                text="La Mission Locale reçoit les jeunes du quartier.",
                organisations=[world.mission_locale],
            ),
            "decision_recorded",
        )
    if kind == "action":
        meeting = started(plan_meeting(world, now_utc() + timedelta(days=1)))
        return Event(
            world.partner_member,
            lambda: create_action(
                meeting,
                world.coordinator,
                description="Proposer un atelier budget.",
                organisation=world.mission_locale,
                due_on=date.today() + timedelta(days=10),
                user=world.partner_member,
            ),
            "action_assigned",
        )
    assert kind == "landlord_message"
    offer = offer_followed_by(world, world.ccas_worker)
    return Event(
        world.ccas_worker,
        lambda: post_message(offer, world.landlord, "Le logement est libre en mai."),
        "landlord_message",
    )


def choose(person, kind: str, frequency: NotificationFrequency) -> None:
    save_preferences(person, {kind: frequency})
    db.session.commit()


def received(person, template=None) -> list:
    return [e for e in queued_emails(person.email) if template in (None, e.template)]


# Each kind × each frequency ----------------------------------------------------------------


@pytest.mark.parametrize("frequency", list(F))
@pytest.mark.parametrize("kind", list(KINDS))
def test_each_kind_arrives_as_its_reader_chose(app, world, case_world, kind, frequency):
    event = event_of(kind, world, case_world)
    choose(event.recipient, kind, frequency)

    event.happen()
    db.session.commit()

    now = received(event.recipient, event.template)
    assert len(now) == (1 if frequency == F.IMMEDIATE else 0)
    daily = send_digests(F.DAILY, THURSDAY)
    weekly = send_digests(F.WEEKLY, MONDAY)
    digests = received(event.recipient, "notification_digest")
    assert (daily, weekly) == {
        F.IMMEDIATE: (0, 0),
        F.DAILY: (1, 0),
        F.WEEKLY: (0, 1),
        F.NEVER: (0, 0),
    }[frequency]
    if frequency in (F.DAILY, F.WEEKLY):
        [digest] = digests
        assert str(KINDS[kind].label) in digest.text_body  # grouped under its kind, in French
        assert ("quotidien" if frequency == F.DAILY else "semaine") in digest.subject
    else:
        assert digests == []
    # Taken once: nothing is left for any later digest.
    assert send_digests(F.DAILY, THURSDAY + timedelta(days=1)) == 0
    assert send_digests(F.WEEKLY, MONDAY + timedelta(days=7)) == 0


def test_the_defaults_are_at_once_except_decisions_in_the_daily_digest(app, world):
    from portal.notifications.services import preferences_of

    chosen = preferences_of(world.partner_member)
    assert chosen.pop("decision") == F.DAILY
    assert set(chosen.values()) == {F.IMMEDIATE}


# Digests: once per period --------------------------------------------------------------------


def test_the_daily_digest_leaves_once_even_when_the_job_runs_twice(app, world, case_world):
    event = event_of("decision", world, case_world)  # daily by default
    event.happen()
    db.session.commit()

    early = run_due_jobs(THURSDAY.replace(hour=4))  # 5:00 in Paris: not yet
    first = dict(run_due_jobs(THURSDAY))
    again = run_due_jobs(THURSDAY + timedelta(minutes=5))
    # Run by hand as well (a second worker, a cron): the rows are taken.
    assert send_digests(F.DAILY, THURSDAY) == 0

    assert "daily_digest" not in dict(early)
    assert first["daily_digest"].startswith("1 résumé")
    assert [name for name, _ in again] == []
    [digest] = received(world.partner_admin, "notification_digest")
    assert digest.subject == "Votre résumé quotidien du portail : 1 nouveauté(s)"
    assert "Décision « Mobilisation d'un partenaire »" in digest.text_body
    assert (
        db.session.scalar(
            sa.select(sa.func.count()).where(PendingNotification.digested_at.is_(None))
        )
        == 0
    )


def test_the_weekly_digest_leaves_once_a_week_from_monday_morning(app, world, case_world):
    event = event_of("action", world, case_world)
    choose(event.recipient, "action", F.WEEKLY)
    event.happen()
    db.session.commit()

    names = [
        [name for name, _ in run_due_jobs(moment)]
        for moment in (
            MONDAY.replace(hour=4),  # 5:00 in Paris
            MONDAY,
            MONDAY + timedelta(hours=2),
            MONDAY + timedelta(days=2),
        )
    ]

    assert "weekly_digest" not in names[0]
    assert "weekly_digest" in names[1]
    assert all("weekly_digest" not in later for later in names[2:])
    [digest] = received(world.partner_member, "notification_digest")
    # The hourly job found the action overdue by then: both events, grouped under the kind.
    assert "Action de suivi confiée ou en retard (2)" in digest.text_body
    assert "Action confiée, pour le" in digest.text_body
    assert "Action en retard (échéance du" in digest.text_body


def test_a_switch_to_never_drops_what_waited(app, world, case_world):
    event = event_of("decision", world, case_world)
    event.happen()
    db.session.commit()
    choose(world.partner_admin, "decision", F.NEVER)

    assert send_digests(F.DAILY, THURSDAY) == 0
    assert received(world.partner_admin) == []


def test_a_digest_reaches_the_mail_server_in_french(make_app, world_factory_smtp):
    app, smtp, world, case_world = world_factory_smtp
    event = event_of("case_shared", world, case_world)
    choose(event.recipient, "case_shared", F.DAILY)
    event.happen()
    db.session.commit()

    outsider, reference = world.outsider.email, case_world.household.reference
    run_due_jobs(THURSDAY)
    run_once()  # the worker, as it runs in production (it ends its session)

    [message] = [m for m in smtp.messages if m["To"] == outsider]
    assert message["Subject"] == "Votre résumé quotidien du portail : 1 nouveauté(s)"
    text = message.get_body(("plain",)).get_content()
    assert "Situation partagée avec votre organisation (1)" in text
    assert f"Situation {reference} partagée avec" in text
    assert "/account/notifications" in text
    assert {e.status for e in queued_emails(outsider)} == {EmailStatus.SENT}


@pytest.fixture
def world_factory_smtp(smtp, mail_app):
    territory = new_territory()
    make_org, make_user = organisation_factory(territory), user_factory()
    world = build_world(make_org, make_user, committee_factory(territory))
    case_world = build_case_world(world, make_org, make_user, household_factory())
    return mail_app, smtp, world, case_world


# Routing of what is addressed to an organisation ---------------------------------------------


def test_an_organisation_s_message_goes_to_the_assigned_else_named_else_admins(
    app, client, world, make_user
):
    ml = world.mission_locale
    other_member = make_user(ml, full_name="Marc Membre")
    assert organisation_recipients(ml) == [world.partner_admin]  # admins, not every member
    assert organisation_recipients(ml, assigned=other_member) == [other_member]

    sign_in(client, world.partner_admin)
    page = client.get(f"/organisations/{ml.id}/notifications")
    assert "Marc Membre" in page.text
    response = client.post(
        f"/organisations/{ml.id}/notifications", data={"user_ids": [str(world.partner_member.id)]}
    )
    assert response.status_code == 302
    assert organisation_recipients(ml) == [world.partner_member]
    assert organisation_recipients(ml, assigned=other_member) == [other_member]
    # Someone who left the organisation is assigned to nothing any more.
    other_member.membership_of(ml.id).active = False
    db.session.commit()
    assert organisation_recipients(ml, assigned=other_member) == [world.partner_member]


def test_an_action_without_a_person_goes_to_the_named_recipients_only(app, world, make_user):
    ml = world.mission_locale
    named = make_user(ml, full_name="Nina Nommée")
    set_named_recipients(ml, [named])
    meeting = started(plan_meeting(world, now_utc() + timedelta(days=1)))
    create_action(
        meeting,
        world.coordinator,
        description="Appeler le ménage.",
        organisation=ml,
        due_on=date.today() + timedelta(days=3),
    )
    db.session.commit()

    assert [e.recipient for e in queued_emails() if e.template == "action_assigned"] == [
        named.email
    ]


def test_a_landlord_message_goes_to_the_staff_member_following_the_offer(app, world, make_user):
    other = make_user(world.ccas, full_name="Autre Travailleur")
    offer = offer_followed_by(world, other)
    post_message(offer, world.landlord, "Bonjour, le logement est libre.")
    db.session.commit()
    assert [e.recipient for e in queued_emails()] == [other.email]

    offer.assigned_to = None
    post_message(offer, world.landlord, "Une autre question.")
    db.session.commit()
    # Nobody follows it: the CCAS's admins (the coordinator), not each of its members.
    assert [e.recipient for e in queued_emails()][1:] == [world.coordinator.email]


def test_a_submitted_candidacy_goes_to_the_siao(app, world, case_world):
    found = candidacy(world, case_world)
    change_candidacy_status(found, "submit", world.ccas_worker)
    db.session.commit()
    [email] = queued_emails()
    assert email.recipient == world.siao_officer.email
    assert email.template == "candidacy_submitted"
    assert case_world.household.reference in email.subject
    assert not canary_traces(email.text_body + email.html_body)  # no identity by e-mail


# The per-reader rule ---------------------------------------------------------------------------


def test_a_reader_who_may_not_see_the_case_hears_nothing_of_it(app, world, case_world, make_user):
    """The canary: the outsider's organisation is engaged by a decision about a case it may
    not see, and was told of a share since withdrawn: no e-mail, at once or in a digest,
    says anything of the case."""
    case = case_world.case
    reference = case.household.reference
    meeting = started(plan_meeting(world, now_utc() + timedelta(days=1)))
    from portal.models import MeetingInvitee

    meeting.invitees.append(MeetingInvitee(user=world.outsider, organisation=world.outsider_org))
    db.session.commit()
    choose(world.outsider, "case_shared", F.DAILY)
    choose(world.outsider, "decision", F.IMMEDIATE)
    choose(world.partner_admin, "decision", F.IMMEDIATE)
    share_case(case, world.outsider_org, AccessLevel.SITUATION, "FSL", world.ccas_worker)
    db.session.commit()
    unshare_case(case, case.participant(world.outsider_org.id), world.ccas_worker)
    record_decision(
        meeting,
        world.coordinator,
        kind=DecisionKind.HOUSING_PROPOSAL,
        text=f"Proposer un T2 au ménage {reference}.",
        organisations=[world.outsider_org, world.mission_locale],
        case=case,
    )
    db.session.commit()

    send_digests(F.DAILY, THURSDAY)
    send_digests(F.WEEKLY, MONDAY)

    leaked = [
        e
        for e in received(world.outsider)
        if reference in e.subject + e.text_body + e.html_body
        or canary_traces(e.subject + e.text_body + e.html_body)
    ]
    assert leaked == []
    assert received(world.outsider) == []
    # The Mission Locale may read it (the case is shared with it in full): it is told.
    [decision] = [e for e in received(world.partner_admin) if e.template == "decision_recorded"]
    assert reference in decision.text_body


# The preferences page --------------------------------------------------------------------------


def test_each_person_chooses_per_kind_from_the_account_page(app, client, world):
    sign_in(client, world.partner_member)
    assert "/account/notifications" in client.get("/account").text
    page = client.get("/account/notifications")
    assert "Action de suivi confiée ou en retard" in page.text
    assert "Candidature soumise au SIAO" not in page.text  # not the Mission Locale's business
    assert "Mot de passe" not in page.text.split("<form")[1]  # security: not configurable

    response = client.post("/account/notifications", data={"action": "weekly", "decision": "never"})

    assert response.status_code == 302
    stored = dict(
        db.session.execute(
            sa.select(NotificationPreference.kind, NotificationPreference.frequency).where(
                NotificationPreference.user_id == world.partner_member.id
            )
        ).all()
    )
    assert stored["action"] == F.WEEKLY
    assert stored["decision"] == F.NEVER
    assert stored["case_shared"] == F.IMMEDIATE


def test_a_wrong_choice_is_refused_in_french_and_changes_nothing(app, client, world):
    sign_in(client, world.siao_officer)
    response = client.post("/account/notifications", data={"candidacy_submitted": "hourly"})
    assert response.status_code == 400
    assert "Choisissez une valeur de la liste." in " ".join(form_errors(response.text))
    assert db.session.scalar(sa.select(sa.func.count(NotificationPreference.id))) == 0


def test_only_those_who_manage_its_people_name_an_organisation_s_recipients(app, client, world):
    sign_in(client, world.partner_member)
    ml = world.mission_locale
    assert client.post(f"/organisations/{ml.id}/notifications", data={}).status_code == 403
    assert world.siao.kind == OrganisationKind.SIAO


@pytest.fixture
def shared_database_app(make_app, backend, tmp_path):
    """Two workers at once need a database several connections share (SQLite in a file, or
    PostgreSQL)."""
    overrides = {}
    if backend == "sqlite":
        overrides["SQLALCHEMY_DATABASE_URI"] = f"sqlite:///{tmp_path / 'portal.sqlite3'}"
    app = make_app(**overrides)
    with app.app_context():
        yield app


def test_two_workers_sending_digests_at_once_send_each_once(shared_database_app):

    territory = new_territory()
    make_org, make_user = organisation_factory(territory), user_factory()
    world = build_world(make_org, make_user, committee_factory(territory))
    case_world = build_case_world(world, make_org, make_user, household_factory())
    for kind in ("decision", "action"):
        event = event_of(kind, world, case_world)
        choose(event.recipient, kind, F.DAILY)
        event.happen()
    db.session.commit()
    people = {world.partner_admin.email, world.partner_member.email}
    db.session.remove()  # nothing held open while the workers write

    sent = in_two_workers(shared_database_app, lambda: send_digests(F.DAILY, THURSDAY))

    assert sum(sent) == 2  # shared between the two in any way, but each person's once
    digests = [e for e in queued_emails() if e.template == "notification_digest"]
    assert sorted(e.recipient for e in digests) == sorted(people)


def test_the_daily_retention_forgets_events_already_digested(app, world, case_world):
    from portal.jobs.schedule import retention

    event = event_of("decision", world, case_world)
    event.happen()
    db.session.commit()
    send_digests(F.DAILY, THURSDAY)
    waiting = event_of("action", world, case_world)
    choose(waiting.recipient, "action", F.WEEKLY)
    waiting.happen()
    db.session.commit()

    retention(THURSDAY + timedelta(days=app.config["OUTBOX_KEEP_DAYS"] + 1))

    kept = db.session.scalars(sa.select(PendingNotification.kind)).all()
    assert kept == ["action"]  # still waiting for its digest


def test_an_action_s_digest_tells_an_assignee_without_access_what_to_do_not_whom(
    app, world, case_world
):
    """The organisation given an action on a case it may not see reads what it must do, as
    on « Mes actions »: neither the household's reference nor its names."""
    from tests.conftest import CANARY_NAME

    case = case_world.case
    meeting = started(plan_meeting(world, now_utc() + timedelta(days=1)))
    decision = record_decision(
        meeting,
        world.coordinator,
        kind=DecisionKind.PARTNER_MOBILISATION,
        text="Mobiliser une association.",
        organisations=[world.mission_locale],
        case=case,
    )
    choose(world.outsider, "action", F.DAILY)
    create_action(
        meeting,
        world.coordinator,
        description=f"Appeler {CANARY_NAME} pour un rendez-vous.",
        organisation=world.outsider_org,
        due_on=date.today() + timedelta(days=5),
        decision=decision,
    )
    db.session.commit()

    send_digests(F.DAILY, THURSDAY)

    [digest] = received(world.outsider)
    body = digest.subject + digest.text_body + digest.html_body
    assert "pour un rendez-vous" in body
    assert case.household.reference not in body
    assert canary_traces(body) == []
