"""Who runs a committee's meeting, and what each role may do: organisers, co-organisers and
the secretariat run it; invitees read and answer; an organisation given an action does that
action; what comes through an organisation ends with the membership."""

from datetime import date, timedelta

import pytest
import sqlalchemy as sa

from portal.actions.services import create_action, record_decision
from portal.extensions import db
from portal.meetings.services import (
    add_agenda_item,
    next_meeting_of,
    schedule_meeting,
)
from portal.minutes.services import WorkflowError as MinutesWorkflowError
from portal.minutes.services import change_status, minutes_of, save_minutes
from portal.models import (
    ActionNote,
    AgendaProposal,
    CaseStatus,
    CoOrganiser,
    DecisionKind,
    InvitationResponse,
    MeetingKind,
    MembershipRole,
    OrganisationKind,
    ProposalOrigin,
    ProposalStatus,
    now_utc,
)
from portal.organisations.services import set_membership_active
from portal.workflow import WorkflowError
from tests.case_helpers import timeline
from tests.conftest import sign_in
from tests.support import database_rows, flashed, queued_emails


def schedule(world, organiser, days=7, organisation_ids=None, **fields):
    meeting = schedule_meeting(
        world.committee,
        organiser,
        {
            "kind": MeetingKind.COMITE_TECHNIQUE,
            "title": fields.get("title", "Comité technique"),
            "starts_at": (now_utc() + timedelta(days=days)).replace(second=0, microsecond=0),
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


def begin(meeting):
    """The meeting's day has come."""
    meeting.starts_at = now_utc() - timedelta(minutes=30)
    db.session.commit()


@pytest.fixture
def secretariat(world):
    """The comité technique's secretariat is the CCAS: its admin (the coordinator) runs it."""
    world.committee.secretariat = world.ccas
    db.session.commit()
    return world.coordinator


# Who runs a meeting ------------------------------------------------------------------------


def test_an_admin_of_a_member_organisation_does_not_run_its_meetings(client, world, secretariat):
    meeting = schedule(world, secretariat)
    for person in (world.partner_admin, world.siao_officer):
        sign_in(client, person)
        assert client.get("/meetings/new").status_code == 403
        before = database_rows()
        response = client.post(f"/meetings/{meeting.id}/cancel")
        assert response.status_code in (403, 404)
        assert database_rows() == before


def test_the_organiser_names_a_co_organiser_who_then_runs_the_meeting(client, world, secretariat):
    meeting = schedule(world, secretariat)
    sign_in(client, world.partner_admin)  # invited through the Mission Locale
    assert client.get(f"/meetings/{meeting.id}/edit").status_code == 403

    sign_in(client, world.coordinator)
    page = client.get(f"/meetings/{meeting.id}").text
    assert "Nommer co-organisateur" in page
    value = f"{world.partner_admin.id}-{world.mission_locale.id}"
    response = client.post(f"/meetings/{meeting.id}/co-organisers", data={"person": value})
    assert response.status_code == 302
    [named] = db.session.scalars(sa.select(CoOrganiser)).all()
    assert (named.user_id, named.organisation_id) == (
        world.partner_admin.id,
        world.mission_locale.id,
    )

    sign_in(client, world.partner_admin)
    assert client.get(f"/meetings/{meeting.id}/edit").status_code == 200
    # A co-organiser does not name others: the scheduler, secretariat or coordinator does.
    before = database_rows()
    other = f"{world.partner_member.id}-{world.mission_locale.id}"
    assert (
        client.post(f"/meetings/{meeting.id}/co-organisers", data={"person": other}).status_code
        == 403
    )
    assert database_rows() == before


def test_someone_outside_the_committee_cannot_be_named_co_organiser(client, world, secretariat):
    meeting = schedule(world, secretariat)
    sign_in(client, world.coordinator)
    before = database_rows()
    value = f"{world.outsider.id}-{world.outsider_org.id}"
    response = client.post(f"/meetings/{meeting.id}/co-organisers", data={"person": value})
    assert response.status_code == 302
    assert "Choisissez un membre actif d'une organisation de l'instance." in flashed(
        client.get(response.location).text
    )
    assert database_rows() == before


def test_four_eyes_the_last_editor_does_not_approve_alone(world, secretariat, case_world):
    meeting = schedule(world, secretariat)
    meeting.co_organisers.append(
        CoOrganiser(user=world.partner_admin, organisation=world.mission_locale)
    )
    begin(meeting)
    minutes = save_minutes(meeting, 0, "Tour de table.", {}, world.coordinator)
    change_status(minutes, "submit", world.coordinator, based_on_version=minutes.version)
    db.session.commit()
    with pytest.raises(MinutesWorkflowError, match="un autre que la dernière personne"):
        change_status(minutes, "approve", world.coordinator, based_on_version=minutes.version)
    db.session.rollback()
    minutes = minutes_of(meeting)
    change_status(minutes, "approve", world.partner_admin, based_on_version=minutes.version)
    assert minutes.approved_by == world.partner_admin


def test_decisions_wait_for_the_meeting_and_are_frozen_with_the_approved_minutes(
    client, world, secretariat, case_world
):
    meeting = schedule(world, secretariat)
    sign_in(client, world.coordinator)
    assert client.get(f"/actions/meetings/{meeting.id}/decisions/new").status_code == 403
    with pytest.raises(WorkflowError, match="n'a pas encore commencé"):
        record_decision(
            meeting,
            world.coordinator,
            kind=DecisionKind.OTHER,
            text="Trop tôt",
            organisations=[world.ccas],
        )
    db.session.rollback()

    begin(meeting)
    decision = record_decision(
        meeting,
        world.coordinator,
        kind=DecisionKind.OTHER,
        text="Décidé",
        organisations=[world.ccas],
    )
    minutes = save_minutes(meeting, 0, "Notes.", {}, world.coordinator)
    change_status(minutes, "submit", world.coordinator, based_on_version=minutes.version)
    change_status(minutes, "approve", world.coordinator, based_on_version=minutes.version)
    db.session.commit()
    # Approved: no new decision, no action, no correction.
    assert client.get(f"/actions/meetings/{meeting.id}/decisions/new").status_code == 200
    before = database_rows()
    response = client.post(
        f"/actions/meetings/{meeting.id}/new",
        data={
            "description": "Trop tard",
            "organisation_id": str(world.ccas.id),
            "due_on": (date.today() + timedelta(days=5)).isoformat(),
        },
    )
    assert response.status_code == 400
    assert "ses décisions et actions sont figées" in response.text
    assert database_rows() == before
    assert client.get(f"/actions/decisions/{decision.id}/edit").status_code == 403
    # The approved record covers the decision: changing it breaks the hash.
    from portal.minutes.services import is_intact

    assert is_intact(minutes_of(meeting))
    decision.text = "Réécrit en douce"
    db.session.flush()
    assert not is_intact(minutes_of(meeting))
    db.session.rollback()


# Agenda: only with the agreement of the case's organisation ---------------------------------


def test_an_organiser_asks_and_the_cases_organisation_agrees(client, world, case_world, make_user):
    """The Mission Locale's admin organises a meeting; the case is the CCAS's: the admin's
    choice becomes a request, the status moves only when the CCAS accepts."""
    world.committee.secretariat = world.mission_locale
    db.session.commit()
    meeting = schedule(world, world.partner_admin)
    case = case_world.case
    sign_in(client, world.partner_admin)
    response = client.post(
        f"/meetings/{meeting.id}/agenda/new",
        data={"case_id": str(case.id), "duration_minutes": "20", "title": ""},
    )
    assert response.status_code == 302
    db.session.expire_all()
    assert meeting.agenda_items == []
    assert case.status == CaseStatus.SUBMITTED
    [proposal] = db.session.scalars(sa.select(AgendaProposal)).all()
    assert proposal.origin == ProposalOrigin.ORGANISER and proposal.is_pending
    # The case's author is told, with a link to the case.
    [email] = queued_emails(world.ccas_worker.email)
    assert f"/cases/{case.id}" in email.text_body

    # The organisers cannot accept it for the CCAS.
    before = database_rows()
    url = f"/meetings/{meeting.id}/proposals/{proposal.id}/accept"
    assert client.post(url).status_code == 403
    assert database_rows() == before

    sign_in(client, world.ccas_worker)
    page = client.get(f"/cases/{case.id}").text
    assert "Accepter l&#39;inscription" in page or "Accepter l'inscription" in page
    response = client.post(f"/cases/{case.id}/proposals/{proposal.id}/accept")
    assert response.status_code == 302
    db.session.expire_all()
    assert [i.case_id for i in meeting.agenda_items] == [case.id]
    assert case.status == CaseStatus.ON_AGENDA
    assert proposal.status == ProposalStatus.ACCEPTED


def test_the_cases_organisation_proposes_and_the_organisers_accept(
    client, world, case_world, secretariat
):
    meeting = schedule(world, secretariat)
    case = case_world.case
    # The Mission Locale, participant in the case, may not put it forward.
    sign_in(client, world.partner_member)
    assert (
        client.post(f"/cases/{case.id}/agenda", data={"meeting_id": meeting.id}).status_code == 403
    )

    sign_in(client, world.ccas_worker)  # the CCAS follows the case; not an organiser
    page = client.get(f"/cases/{case.id}").text
    assert "Inscrire à l&#39;ordre du jour" in page or "Inscrire à l'ordre du jour" in page
    response = client.post(f"/cases/{case.id}/agenda", data={"meeting_id": str(meeting.id)})
    assert response.status_code == 302
    assert "proposée aux organisateurs" in flashed(client.get(response.location).text)[0]
    db.session.expire_all()
    assert case.status == CaseStatus.SUBMITTED
    [proposal] = db.session.scalars(sa.select(AgendaProposal)).all()

    sign_in(client, world.coordinator)
    assert f"/proposals/{proposal.id}/accept" in client.get(f"/meetings/{meeting.id}").text
    assert client.post(f"/meetings/{meeting.id}/proposals/{proposal.id}/accept").status_code == 302
    db.session.expire_all()
    assert case.status == CaseStatus.ON_AGENDA
    # The status moved with the agreement of the CCAS, in its name.
    [moved] = [e for e in timeline(case) if e.summary == "Soumise au comité → À l'ordre du jour"]
    assert moved.user_id == world.ccas_worker.id

    # The CCAS withdraws its agreement: the case leaves the agenda of the meeting to come.
    sign_in(client, world.ccas_worker)
    assert client.post(f"/cases/{case.id}/agenda/withdraw").status_code == 302
    db.session.expire_all()
    assert meeting.agenda_items == [] and case.status == CaseStatus.SUBMITTED


def test_an_adjourned_case_is_proposed_for_the_next_meeting(world, case_world, secretariat):
    held = schedule(world, secretariat, days=1)
    add_agenda_item(held, {"case": case_world.case, "duration_minutes": 20}, world.ccas_worker)
    following = schedule(world, secretariat, days=30, title="Comité suivant")
    begin(held)
    record_decision(
        held,
        world.coordinator,
        kind=DecisionKind.ADJOURNED,
        text="Informations manquantes",
        organisations=[world.ccas],
        agenda_item=held.agenda_items[0],
    )
    db.session.commit()
    assert case_world.case.status == CaseStatus.SUBMITTED
    assert next_meeting_of(world.committee, after=held) == following
    [proposal] = db.session.scalars(sa.select(AgendaProposal)).all()
    assert (proposal.meeting, proposal.origin) == (following, ProposalOrigin.ADJOURNED)
    # A meeting scheduled later gets it too, once.
    later = schedule(world, secretariat, days=60, title="Comité d'après")
    assert (
        db.session.scalar(
            sa.select(sa.func.count(AgendaProposal.id)).where(AgendaProposal.meeting_id == later.id)
        )
        == 1
    )


# Answers, chasing, sending -----------------------------------------------------------------


def test_chasing_the_invitees_without_answer_sends_one_email_each_once(client, world, secretariat):
    meeting = schedule(world, secretariat)
    sign_in(client, world.coordinator)
    page = client.get(f"/meetings/{meeting.id}").text
    assert "Réponses par organisation" in page and "Relancer les sans-réponse" in page
    response = client.post(f"/meetings/{meeting.id}/chase")
    assert flashed(client.get(response.location).text) == ["3 relances envoyées."]
    chased = {e.recipient for e in queued_emails() if e.subject.startswith("Réponse attendue")}
    waiting = {i.user.email for i in meeting.invitees if i.response == InvitationResponse.PENDING}
    assert chased == waiting and world.coordinator.email not in chased  # the organiser: présent
    count = len(queued_emails())
    response = client.post(f"/meetings/{meeting.id}/chase")
    assert "Personne à relancer" in flashed(client.get(response.location).text)[0]
    assert len(queued_emails()) == count


def test_approved_minutes_are_sent_once_as_a_link(client, world, secretariat, case_world):
    meeting = schedule(world, secretariat, days=1)
    begin(meeting)
    minutes = save_minutes(meeting, 0, "Notes générales du comité.", {}, world.coordinator)
    db.session.commit()
    sign_in(client, world.coordinator)
    url = f"/meetings/{meeting.id}/minutes/send"
    before = database_rows()
    response = client.post(url)  # not approved yet
    assert "Seul un compte rendu approuvé peut être envoyé." in flashed(
        client.get(response.location).text
    )
    assert database_rows() == before
    change_status(minutes, "submit", world.coordinator, based_on_version=minutes.version)
    change_status(minutes, "approve", world.coordinator, based_on_version=minutes.version)
    db.session.commit()
    response = client.post(url)
    assert flashed(client.get(response.location).text) == [
        "Le lien du compte rendu est envoyé à 4 invités."
    ]
    sent = [e for e in queued_emails() if e.subject.startswith("Compte rendu approuvé")]
    assert {e.recipient for e in sent} == {i.user.email for i in meeting.invitees}
    assert all("Notes générales du comité" not in e.text_body for e in sent)
    assert all(f"/meetings/{meeting.id}/minutes" in e.text_body for e in sent)
    response = client.post(url)
    assert "déjà été envoyé" in flashed(client.get(response.location).text)[0]
    assert len(
        [e for e in queued_emails() if e.subject.startswith("Compte rendu approuvé")]
    ) == len(sent)


# Actions: the organisation given one does it ----------------------------------------------


def test_the_assignee_marks_its_own_action_done_and_adds_a_note(
    client, world, secretariat, make_org, make_user
):
    association = make_org(OrganisationKind.ASSOCIATION, "Association du quartier")
    member = make_user(association, full_name="Aline Asso")
    meeting = schedule(world, secretariat, days=1)
    begin(meeting)
    action = create_action(
        meeting,
        world.coordinator,
        description="Accompagner aux rendez-vous",
        organisation=association,
        due_on=date.today() + timedelta(days=10),
        notify=False,
    )
    db.session.commit()
    sign_in(client, member)
    assert client.get(f"/meetings/{meeting.id}").status_code == 404  # not invited
    assert client.get(f"/actions/{action.id}").status_code == 200
    response = client.post(
        f"/actions/{action.id}/notes", data={"text": "Premier rendez-vous pris."}
    )
    assert response.status_code == 302
    [note] = db.session.scalars(sa.select(ActionNote)).all()
    assert (note.user_id, note.organisation_id) == (member.id, association.id)
    assert client.post(f"/actions/{action.id}/done", data={"note": ""}).status_code == 302
    sign_in(client, world.partner_member)  # invited: reads, does not close
    assert client.post(f"/actions/{action.id}/notes", data={"text": "x"}).status_code == 403


# What comes through an organisation ends with the membership --------------------------------


def test_leaving_an_organisation_ends_every_meeting_right_that_came_through_it(
    client, world, secretariat, make_org, make_user
):
    """A person active in two organisations leaves the Mission Locale: the invitation, the
    co-organiser role, its actions and the calendar entries go, the other organisation
    stays."""
    other = make_org(OrganisationKind.ASSOCIATION, "Autre association")
    person = make_user(world.mission_locale, full_name="Double Appartenance")
    from portal.models import Membership

    db.session.add(Membership(user=person, organisation=other, role=MembershipRole.MEMBER))
    db.session.commit()
    meeting = schedule(world, secretariat)
    meeting.co_organisers.append(CoOrganiser(user=person, organisation=world.mission_locale))
    begin(meeting)
    action = create_action(
        meeting,
        world.coordinator,
        description="Action de la Mission Locale",
        organisation=world.mission_locale,
        user=person,
        due_on=date.today() + timedelta(days=10),
        notify=False,
    )
    from portal.meetings.services import new_calendar_token

    token = new_calendar_token(person)
    db.session.commit()
    sign_in(client, person)
    assert client.get(f"/meetings/{meeting.id}/edit").status_code == 200
    assert "Vous êtes invité pour Mission Locale" in client.get(f"/meetings/{meeting.id}").text
    feed = client.get(f"/meetings/calendar/{token}.ics").text
    assert meeting.uid in feed and f"action-{action.id}@" in feed
    # The feed names its owner, never another invitee.
    assert f"mailto:{person.email}" in feed
    others = (world.partner_member, world.ccas_worker, world.coordinator)  # the organiser too
    assert not [p.email for p in others if p.email in feed]

    set_membership_active(person.membership_of(world.mission_locale.id), False)
    db.session.commit()
    assert person.is_active  # still in the other organisation
    sign_in(client, person)
    assert client.get(f"/meetings/{meeting.id}").status_code == 404
    assert client.get(f"/meetings/{meeting.id}/edit").status_code == 404
    assert client.get(f"/actions/{action.id}").status_code == 404
    assert "Action de la Mission Locale" not in client.get("/actions/").text
    feed = client.get(f"/meetings/calendar/{token}.ics").text
    assert meeting.uid not in feed and f"action-{action.id}@" not in feed
