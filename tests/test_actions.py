"""Joint decisions and follow-up actions: recorded by the organisers, e-mailed to the
partners, carried from meeting to meeting until done, listed and exported."""

import csv
import io
import re
import threading
import time
from datetime import date, timedelta

import pytest
import sqlalchemy as sa

from portal.actions.demo import load_demo_actions
from portal.actions.services import (
    close_action,
    create_action,
    notify_overdue_actions,
    open_actions_before,
    open_actions_for,
    record_decision,
)
from portal.cases.services import change_status
from portal.extensions import db
from portal.models import (
    ActionStatus,
    AgendaItem,
    Attendance,
    AuditAction,
    CaseEvent,
    CaseEventKind,
    CaseStatus,
    Committee,
    CommitteeKind,
    Decision,
    DecisionKind,
    FollowUpAction,
    Meeting,
    MeetingInvitee,
    MeetingKind,
    MeetingStatus,
    Membership,
    Minutes,
    MinutesStatus,
    Organisation,
    OrganisationKind,
    Territory,
    User,
    now_utc,
)
from tests.conftest import CANARY_NAME, sign_in
from tests.support import (
    audit_events,
    database_rows,
    flashed,
    form_errors,
    fresh_client,
    queued_emails,
    shows_typed_value,
)

TODAY = date.today()


@pytest.fixture
def client(app):
    return fresh_client(app)


def make_meeting(world, days_from_now: int, *, committee=None, title="Comité technique", **kw):
    meeting = Meeting(
        committee=committee or world.committee,
        kind=MeetingKind.COMITE_TECHNIQUE,
        title=title,
        starts_at=now_utc() + timedelta(days=days_from_now),
        organiser=world.coordinator,
        **kw,
    )
    db.session.add(meeting)
    db.session.commit()
    return meeting


@pytest.fixture
def held(world, case_world):
    """A comité technique a month ago, organised by the coordinator (the committee has no
    secretariat: the coordination runs it): the CCAS case on its agenda, the CCAS and the
    Mission Locale invited (the coordinator present)."""
    change_status(case_world.case, "put_on_agenda", world.ccas_worker)
    return make_meeting(
        world,
        -30,
        title="Comité technique d'octobre",
        invitees=[
            MeetingInvitee(
                user=world.coordinator, organisation=world.ccas, attendance=Attendance.PRESENT
            ),
            MeetingInvitee(user=world.ccas_worker, organisation=world.ccas),
            MeetingInvitee(user=world.partner_member, organisation=world.mission_locale),
        ],
        agenda_items=[
            AgendaItem(position=1, title="Relogement bloqué", case=case_world.case),
            AgendaItem(position=2, title="Questions diverses"),
        ],
    )


def decide(meeting, world, *, item=None, kind=DecisionKind.PARTNER_MOBILISATION, text="Décidé"):
    decision = record_decision(
        meeting,
        world.coordinator,
        kind=kind,
        text=text,
        organisations=[world.ccas, world.mission_locale],
        agenda_item=item,
    )
    db.session.commit()
    return decision


def give(meeting, world, organisation, due_on, *, user=None, decision=None, text="Appeler"):
    action = create_action(
        meeting,
        world.coordinator,
        description=text,
        organisation=organisation,
        user=user,
        due_on=due_on,
        decision=decision,
        notify=False,
    )
    db.session.commit()
    return action


def timeline(case, kind) -> list[str]:
    return list(
        db.session.scalars(
            sa.select(CaseEvent.summary)
            .where(CaseEvent.case_id == case.id, CaseEvent.kind == kind)
            .order_by(CaseEvent.id)
        )
    )


# Recording decisions -----------------------------------------------------------------------


def test_the_organiser_records_a_decision_on_a_case(client, world, case_world, held):
    sign_in(client, world.coordinator)
    page = client.get(f"/actions/meetings/{held.id}/decisions/new?item={held.agenda_items[0].id}")
    assert page.status_code == 200
    # The CCAS was present: it is ticked beforehand.
    ticked = re.findall(r'<input checked id="organisation_ids-\d+"[^>]*value="(\d+)"', page.text)
    assert ticked == [str(world.ccas.id)]

    response = client.post(
        f"/actions/meetings/{held.id}/decisions/new",
        data={
            "agenda_item_id": held.agenda_items[0].id,
            "kind": "housing_proposal",
            "text": "Finistère Habitat propose un T2 à Concarneau.",
            "organisation_ids": [world.ccas.id, world.mission_locale.id, world.siao.id],
            "positions-0-organisation_id": world.siao.id,
            "positions-0-position": "Le SIAO préfère attendre la commission.",
        },
    )

    decision = db.session.scalar(sa.select(Decision))
    assert response.status_code == 302
    assert response.location == f"/actions/decisions/{decision.id}"
    assert decision.kind == DecisionKind.HOUSING_PROPOSAL
    assert decision.case_id == case_world.case.id
    assert {o.name for o in decision.organisations} == {
        "CCAS de Concarneau",
        "Mission Locale",
        "SIAO du Finistère",
    }
    assert [(p.organisation.name, p.position) for p in decision.positions] == [
        ("SIAO du Finistère", "Le SIAO préfère attendre la commission.")
    ]
    # The case's timeline tells it, and the case moves on.
    db.session.refresh(case_world.case)
    assert case_world.case.status == CaseStatus.DECIDED
    [entry] = timeline(case_world.case, CaseEventKind.DECISION)
    assert "Proposition de logement" in entry and "T2 à Concarneau" in entry
    assert audit_events(AuditAction.CREATE, "decision")

    shown = client.get(f"/actions/decisions/{decision.id}").text
    assert "Le SIAO préfère attendre la commission." in shown
    assert case_world.household.reference in shown
    assert CANARY_NAME not in shown


def test_an_adjourned_case_goes_back_to_submitted_for_a_later_agenda(world, case_world, held):
    decide(held, world, item=held.agenda_items[0], kind=DecisionKind.ADJOURNED)
    db.session.refresh(case_world.case)
    assert case_world.case.status == CaseStatus.SUBMITTED
    assert timeline(case_world.case, CaseEventKind.DECISION)


def test_a_decision_on_a_general_item_touches_no_case(world, case_world, held):
    decision = decide(held, world, item=held.agenda_items[1])
    assert decision.case is None
    db.session.refresh(case_world.case)
    assert case_world.case.status == CaseStatus.ON_AGENDA


def test_a_wrong_decision_form_stores_nothing_and_keeps_what_was_typed(client, world, held):
    sign_in(client, world.coordinator)
    before = database_rows()
    response = client.post(
        f"/actions/meetings/{held.id}/decisions/new",
        data={
            "agenda_item_id": 999999,
            "kind": "not-a-kind",
            "text": "Un texte à garder",
            "positions-0-organisation_id": world.siao.id,
            "positions-0-position": "",
            "positions-1-organisation_id": world.mission_locale.id,
            "positions-1-position": "Position gardée",
        },
    )
    assert response.status_code == 400
    errors = form_errors(response.text)
    assert "Choisissez un point de l'ordre du jour de cette réunion." in errors
    assert "N'est pas un choix valide." in errors
    assert "Cochez au moins une organisation." in errors
    assert "Indiquez l'organisation et sa position, ou aucune des deux." in errors
    assert shows_typed_value(response.text, "Un texte à garder")
    assert shows_typed_value(response.text, "Position gardée")
    assert database_rows() == before


def test_a_position_needs_its_organisation_to_take_part(client, world, held):
    sign_in(client, world.coordinator)
    response = client.post(
        f"/actions/meetings/{held.id}/decisions/new",
        data={
            "kind": "other",
            "text": "Décision",
            "organisation_ids": [world.ccas.id],
            "positions-0-organisation_id": world.siao.id,
            "positions-0-position": "Contre",
        },
    )
    assert response.status_code == 400
    assert "cochez-la aussi plus haut" in response.text
    assert db.session.scalar(sa.select(sa.func.count(Decision.id))) == 0


def test_only_the_organisers_record_decisions_and_never_on_a_cancelled_meeting(client, world, held):
    sign_in(client, world.partner_member)  # invited, not organiser
    assert client.get(f"/actions/meetings/{held.id}/decisions/new").status_code == 403
    sign_in(client, world.outsider)
    assert client.get(f"/actions/meetings/{held.id}/decisions/new").status_code == 404
    held.status = MeetingStatus.CANCELLED
    db.session.commit()
    sign_in(client, world.coordinator)
    assert client.get(f"/actions/meetings/{held.id}/decisions/new").status_code == 403
    assert client.get(f"/actions/meetings/{held.id}/new").status_code == 403


# Correcting decisions ----------------------------------------------------------------------


def correction(world, **changes) -> dict:
    data = {
        "kind": "housing_proposal",
        "text": "Finistère Habitat propose un T3 à Trégunc.",
        "organisation_ids": [world.ccas.id, world.mission_locale.id],
        "positions-0-organisation_id": world.mission_locale.id,
        "positions-0-position": "La Mission Locale préfère attendre.",
    }
    data.update(changes)
    return data


def test_the_organiser_corrects_a_decision_until_the_minutes_are_approved(
    client, world, case_world, held
):
    decision = decide(held, world, item=held.agenda_items[0], text="Un T2 à Concarnau")
    sign_in(client, world.coordinator)
    page = client.get(f"/actions/decisions/{decision.id}").text
    assert f"/actions/decisions/{decision.id}/edit" in page
    form = client.get(f"/actions/decisions/{decision.id}/edit")
    assert form.status_code == 200
    assert shows_typed_value(form.text, "Un T2 à Concarnau")
    assert "Relogement bloqué" in form.text  # the agenda item, shown and not changeable

    response = client.post(f"/actions/decisions/{decision.id}/edit", data=correction(world))

    assert response.status_code == 302
    assert response.location == f"/actions/decisions/{decision.id}"
    assert flashed(client.get(response.location).text) == ["La décision est corrigée."]
    db.session.refresh(decision)
    assert decision.kind == DecisionKind.HOUSING_PROPOSAL
    assert decision.text == "Finistère Habitat propose un T3 à Trégunc."
    assert decision.agenda_item_id == held.agenda_items[0].id
    assert [(p.organisation.name, p.position) for p in decision.positions] == [
        ("Mission Locale", "La Mission Locale préfère attendre.")
    ]
    [entry] = timeline(case_world.case, CaseEventKind.DECISION)[1:]
    assert entry.startswith("Décision corrigée") and "T3 à Trégunc" in entry
    [event] = audit_events(AuditAction.CHANGE, "decision")
    assert event.user_id == world.coordinator.id

    # Approved minutes are the committee's record: no more corrections, until re-opened.
    minutes = Minutes(meeting_id=held.id, status=MinutesStatus.APPROVED)
    db.session.add(minutes)
    db.session.commit()
    assert (
        f"/actions/decisions/{decision.id}/edit"
        not in client.get(f"/actions/decisions/{decision.id}").text
    )
    assert client.get(f"/actions/decisions/{decision.id}/edit").status_code == 403
    before = database_rows()
    assert (
        client.post(f"/actions/decisions/{decision.id}/edit", data=correction(world)).status_code
        == 403
    )
    assert database_rows() == before
    minutes.status = MinutesStatus.DRAFT
    db.session.commit()
    assert client.get(f"/actions/decisions/{decision.id}/edit").status_code == 200


def test_a_wrong_correction_changes_nothing_and_keeps_what_was_typed(client, world, held):
    decision = decide(held, world, item=held.agenda_items[1])
    sign_in(client, world.coordinator)
    before = database_rows()
    response = client.post(
        f"/actions/decisions/{decision.id}/edit",
        data=correction(world, kind="not-a-kind", text="", organisation_ids=[]),
    )
    assert response.status_code == 400
    errors = form_errors(response.text)
    assert "N'est pas un choix valide." in errors
    assert "Écrivez la décision prise." in errors
    assert "Cochez au moins une organisation." in errors
    assert shows_typed_value(response.text, "La Mission Locale préfère attendre.")
    assert database_rows() == before


def test_an_adjournment_is_not_corrected_into_another_decision(client, world, case_world, held):
    decision = decide(held, world, item=held.agenda_items[0], kind=DecisionKind.ADJOURNED)
    sign_in(client, world.coordinator)
    before = database_rows()
    response = client.post(f"/actions/decisions/{decision.id}/edit", data=correction(world))
    assert response.status_code == 400
    assert "Enregistrez une nouvelle décision." in " ".join(form_errors(response.text))
    assert shows_typed_value(response.text, "La Mission Locale préfère attendre.")
    assert database_rows() == before
    # The same kind with a better text is a correction like any other.
    response = client.post(
        f"/actions/decisions/{decision.id}/edit",
        data=correction(world, kind="adjourned", text="Ajourné : pièces manquantes."),
    )
    assert response.status_code == 302
    db.session.refresh(case_world.case)
    assert case_world.case.status == CaseStatus.SUBMITTED


def test_a_correction_that_changes_nothing_records_nothing(client, world, held):
    decision = decide(held, world, item=held.agenda_items[1], text="Tel quel")
    sign_in(client, world.coordinator)
    before = database_rows()
    response = client.post(
        f"/actions/decisions/{decision.id}/edit",
        data={
            "kind": decision.kind.value,
            "text": "Tel quel",
            "organisation_ids": [world.mission_locale.id, world.ccas.id],
        },
    )
    assert response.status_code == 302
    assert flashed(client.get(response.location).text) == [
        "Rien n'a changé : la décision reste telle qu'elle était."
    ]
    assert database_rows() == before


def test_only_the_organisers_correct_decisions(client, world, held):
    decision = decide(held, world, item=held.agenda_items[1])
    sign_in(client, world.partner_member)  # invited: reads the decision, may not correct it
    page = client.get(f"/actions/decisions/{decision.id}")
    assert page.status_code == 200
    assert f"/actions/decisions/{decision.id}/edit" not in page.text
    assert client.get(f"/actions/decisions/{decision.id}/edit").status_code == 403
    sign_in(client, world.outsider)
    assert client.get(f"/actions/decisions/{decision.id}/edit").status_code == 404


# Follow-up actions -------------------------------------------------------------------------


def test_an_action_is_emailed_to_its_responsible_person_and_goes_on_the_timeline(
    client, world, case_world, held
):
    decision = decide(held, world, item=held.agenda_items[0])
    sign_in(client, world.coordinator)
    assert client.get(f"/actions/meetings/{held.id}/new?decision={decision.id}").status_code == 200
    response = client.post(
        f"/actions/meetings/{held.id}/new",
        data={
            "decision_id": decision.id,
            "description": "Proposer un rendez-vous emploi",
            "organisation_id": world.mission_locale.id,
            "user_id": world.partner_member.id,
            "due_on": (TODAY + timedelta(days=14)).isoformat(),
        },
    )
    assert response.status_code == 302
    assert response.location == f"/actions/decisions/{decision.id}"
    action = db.session.scalar(sa.select(FollowUpAction))
    assert action.case_id == case_world.case.id
    assert action.committee_id == world.committee.id
    assert action.status == ActionStatus.OPEN

    [email] = queued_emails()
    assert email.recipient == world.partner_member.email
    assert "Proposer un rendez-vous emploi" in email.text_body
    assert f"http://localhost/actions/{action.id}" in email.text_body
    assert case_world.household.reference in email.text_body
    assert CANARY_NAME not in email.text_body + email.html_body

    [entry] = timeline(case_world.case, CaseEventKind.ACTION)
    assert "Mission Locale" in entry and "Proposer un rendez-vous emploi" in entry
    assert audit_events(AuditAction.CREATE, "follow_up_action")


def test_an_action_without_a_person_is_emailed_to_the_organisations_admins(world, make_user, held):
    make_user(world.mission_locale, full_name="Ancien Membre", active=False)
    create_action(
        held,
        world.coordinator,
        description="Relancer le ménage",
        organisation=world.mission_locale,
        due_on=TODAY + timedelta(days=7),
    )
    db.session.commit()
    # Nobody named by the Mission Locale: its admins, not every member (test_notifications).
    assert [e.recipient for e in queued_emails()] == [world.partner_admin.email]


def test_the_responsible_person_must_be_an_active_member_of_the_organisation(client, world, held):
    sign_in(client, world.coordinator)
    before = database_rows()
    response = client.post(
        f"/actions/meetings/{held.id}/new",
        data={
            "description": "Une action à garder",
            "organisation_id": world.mission_locale.id,
            "user_id": world.ccas_worker.id,
            "due_on": (TODAY + timedelta(days=7)).isoformat(),
        },
    )
    assert response.status_code == 400
    assert form_errors(response.text) == [
        "Cette personne n'est pas membre active de l'organisation responsable."
    ]
    assert shows_typed_value(response.text, "Une action à garder")
    assert database_rows() == before


def test_a_wrong_action_form_says_what_is_missing_in_french(client, world, held):
    sign_in(client, world.coordinator)
    before = database_rows()
    response = client.post(
        f"/actions/meetings/{held.id}/new",
        data={"description": "", "organisation_id": "", "due_on": "31/02/2026"},
    )
    assert response.status_code == 400
    errors = form_errors(response.text)
    assert "Décrivez l'action à mener." in errors
    assert "Choisissez l'organisation responsable." in errors
    assert "Indiquez une date valide (jj/mm/aaaa)." in errors
    before_meeting = (held.starts_at - timedelta(days=3)).date().isoformat()
    response = client.post(
        f"/actions/meetings/{held.id}/new",
        data={
            "description": "Trop tôt",
            "organisation_id": world.ccas.id,
            "due_on": before_meeting,
        },
    )
    assert "L'échéance ne peut pas précéder la réunion." in form_errors(response.text)
    assert database_rows() == before


def test_the_responsible_organisation_marks_an_action_done_with_a_note(
    client, world, case_world, held
):
    decision = decide(held, world, item=held.agenda_items[0])
    action = give(held, world, world.mission_locale, TODAY + timedelta(days=5), decision=decision)
    sign_in(client, world.ccas_worker)  # invited, but neither responsible nor organiser
    assert client.post(f"/actions/{action.id}/done").status_code == 403
    sign_in(client, world.outsider)
    assert client.post(f"/actions/{action.id}/done").status_code == 404

    sign_in(client, world.partner_member)
    response = client.post(f"/actions/{action.id}/done", data={"note": "Rendez-vous tenu."})
    assert response.status_code == 302
    db.session.refresh(action)
    assert action.status == ActionStatus.DONE
    assert action.closing_note == "Rendez-vous tenu."
    assert action.closed_by_id == world.partner_member.id
    assert action.closed_at is not None
    assert any("Action faite" in e for e in timeline(case_world.case, CaseEventKind.ACTION))
    assert audit_events(AuditAction.CHANGE, "follow_up_action")

    again = client.post(f"/actions/{action.id}/cancel", data={"note": "Oups"})
    assert again.status_code == 302
    assert "Cette action est déjà « Faite »." in flashed(client.get(again.location).text)
    db.session.refresh(action)
    assert action.status == ActionStatus.DONE


def test_cancelling_needs_a_reason(client, world, held):
    action = give(held, world, world.mission_locale, TODAY + timedelta(days=5))
    sign_in(client, world.coordinator)  # the organiser may close it too
    response = client.post(f"/actions/{action.id}/cancel", data={"note": "  "})
    assert response.status_code == 400
    assert "Indiquez le motif de l'annulation." in form_errors(response.text)
    db.session.refresh(action)
    assert action.status == ActionStatus.OPEN

    response = client.post(f"/actions/{action.id}/cancel", data={"note": "Plus nécessaire"})
    assert response.status_code == 302
    db.session.refresh(action)
    assert (action.status, action.closing_note) == (ActionStatus.CANCELLED, "Plus nécessaire")


def test_an_action_is_marked_done_from_the_list(client, world, held):
    action = give(held, world, world.mission_locale, TODAY + timedelta(days=5))
    sign_in(client, world.partner_admin)
    page = client.get("/actions/?status=open")
    assert f'action="/actions/{action.id}/done"' in page.text
    response = client.post(
        f"/actions/{action.id}/done", data={"note": "", "next": "/actions/?status=open"}
    )
    assert response.location == "/actions/?status=open"
    assert "L'action est marquée comme faite." in flashed(client.get(response.location).text)
    db.session.refresh(action)
    assert action.status == ActionStatus.DONE
    # Only local paths of this feature are followed.
    other = give(held, world, world.mission_locale, TODAY + timedelta(days=5))
    response = client.post(f"/actions/{other.id}/done", data={"next": "https://ailleurs.fr/"})
    assert response.location == f"/actions/{other.id}"


# E-mails about overdue actions ---------------------------------------------------------------


def test_overdue_actions_are_emailed_once_even_when_the_job_runs_twice(world, held):
    late = give(
        held, world, world.mission_locale, TODAY - timedelta(days=3), user=world.partner_member
    )
    give(held, world, world.ccas, TODAY + timedelta(days=3))  # not yet due
    due_today = give(held, world, world.ccas, TODAY)
    done = give(held, world, world.ccas, TODAY - timedelta(days=10))
    close_action(done, world.coordinator, ActionStatus.DONE, "")
    db.session.commit()

    assert notify_overdue_actions(TODAY) == 1
    db.session.commit()
    assert notify_overdue_actions(TODAY) == 0
    db.session.commit()

    [email] = queued_emails()
    assert email.recipient == world.partner_member.email
    assert "en retard" in email.subject
    assert "3 jours de retard" in email.text_body
    assert f"/actions/{late.id}" in email.text_body
    db.session.refresh(late)
    assert late.overdue_notified_at is not None
    # The day after, the action due today is late in turn: it is told once too.
    assert notify_overdue_actions(TODAY + timedelta(days=1)) == 1
    db.session.commit()
    db.session.refresh(due_today)
    assert due_today.overdue_notified_at is not None
    assert len(queued_emails()) == 1 + 1  # the CCAS's admin (the coordinator)


# Carry-over and « Mes actions » ------------------------------------------------------------


def test_open_actions_of_a_meeting_are_carried_onto_the_next_one_and_done_ones_are_not(
    world, held, make_committee
):
    following = make_meeting(world, 7, title="Comité technique de décembre")
    still_open = give(held, world, world.mission_locale, TODAY + timedelta(days=3), text="Ouverte")
    finished = give(held, world, world.ccas, TODAY + timedelta(days=3), text="Faite")
    cancelled = give(held, world, world.ccas, TODAY + timedelta(days=3), text="Annulée")
    close_action(finished, world.coordinator, ActionStatus.DONE, "")
    close_action(cancelled, world.coordinator, ActionStatus.CANCELLED, "Inutile")
    other_committee = make_committee([world.ccas], name="Comité de pilotage")
    elsewhere = make_meeting(world, -20, committee=other_committee)
    give(elsewhere, world, world.ccas, TODAY, text="Autre instance")
    # An action of the meeting itself is not its follow-up (recorded as it will be once
    # the meeting has begun).
    db.session.add(
        FollowUpAction(
            meeting=following,
            committee_id=following.committee_id,
            description="De la réunion même",
            organisation=world.ccas,
            due_on=TODAY + timedelta(days=30),
        )
    )
    db.session.commit()

    assert open_actions_before(following) == [still_open]
    assert open_actions_before(held) == []


def test_my_actions_put_the_overdue_first_and_filter(client, world, held, make_committee):
    other_committee = make_committee([world.mission_locale], name="Comité de pilotage")
    pilot = make_meeting(world, -10, committee=other_committee)
    soon = give(held, world, world.mission_locale, TODAY + timedelta(days=2), text="Bientôt")
    late = give(held, world, world.mission_locale, TODAY - timedelta(days=2), text="Tardive")
    mine = give(
        pilot,
        world,
        world.mission_locale,
        TODAY + timedelta(days=20),
        user=world.partner_member,
        text="Pour moi",
    )
    done = give(held, world, world.mission_locale, TODAY - timedelta(days=9), text="Finie")
    close_action(done, world.coordinator, ActionStatus.DONE, "")
    give(held, world, world.ccas, TODAY - timedelta(days=5), text="Pour le CCAS")
    db.session.commit()
    sign_in(client, world.partner_member)

    def listed(query=""):
        page = client.get(f"/actions/{query}")
        assert page.status_code == 200
        order = ["Tardive", "Bientôt", "Pour moi", "Finie", "Pour le CCAS"]
        found = [(page.text.find(f">{t}</a>"), t) for t in order]
        return [t for position, t in sorted(found) if position >= 0]

    assert listed() == ["Tardive", "Bientôt", "Pour moi"]
    assert listed("?scope=mine") == ["Pour moi"]
    assert listed("?scope=organisation&overdue=y") == ["Tardive"]
    assert listed(f"?committee={other_committee.id}") == ["Pour moi"]
    assert listed("?status=done") == ["Finie"]
    assert listed("?status=all") == ["Tardive", "Bientôt", "Pour moi", "Finie"]
    assert listed("?status=nonsense") == ["Tardive", "Bientôt", "Pour moi"]
    assert {a.id for a in open_actions_for(world.partner_member)} == {soon.id, late.id, mine.id}


def test_open_actions_for_the_calendar_feed(world, held, make_user):
    other_member = make_user(world.mission_locale)
    for_org = give(held, world, world.mission_locale, TODAY + timedelta(days=4))
    for_paul = give(
        held, world, world.mission_locale, TODAY + timedelta(days=2), user=world.partner_member
    )
    give(held, world, world.ccas, TODAY + timedelta(days=1))
    assert open_actions_for(world.partner_member) == [for_paul, for_org]
    assert open_actions_for(other_member) == [for_paul, for_org]
    assert open_actions_for(world.landlord) == []


# Decisions list and export -----------------------------------------------------------------


@pytest.fixture
def decisions_world(world, case_world, held, make_org, make_user, make_committee):
    """A decision the Mission Locale may see (its meeting) and two it may not."""
    seen = decide(held, world, item=held.agenda_items[0], text="Visible ; avec un point-virgule")
    give(held, world, world.mission_locale, TODAY + timedelta(days=3), decision=seen, text="=1+1")
    hidden_meeting = make_meeting(
        world,
        -5,
        title="Point de situation",
        invitees=[MeetingInvitee(user=world.ccas_worker, organisation=world.ccas)],
    )
    decide(hidden_meeting, world, text="Réunion où la Mission Locale n'est pas invitée")
    pilot = make_committee([world.ccas], name="Comité de pilotage")
    decide(make_meeting(world, -40, committee=pilot), world, text="Autre instance")
    return seen


def test_the_decisions_list_shows_only_the_meetings_the_reader_may_see(
    client, world, decisions_world
):
    sign_in(client, world.partner_member)
    page = client.get("/actions/decisions")
    assert "Visible ; avec un point-virgule" in page.text
    assert "Réunion où la Mission Locale" not in page.text
    assert "Autre instance" not in page.text

    sign_in(client, world.coordinator)
    assert "Autre instance" in client.get("/actions/decisions").text
    filtered = client.get(f"/actions/decisions?committee={world.committee.id}").text
    assert "Autre instance" not in filtered and "Visible" in filtered
    since = (TODAY - timedelta(days=10)).isoformat()
    period = client.get(f"/actions/decisions?date_from={since}").text
    assert "Réunion où la Mission Locale" in period and "Visible" not in period


def test_the_csv_export_is_for_spreadsheets_shows_no_identity_and_is_audited(
    client, world, case_world, decisions_world
):
    sign_in(client, world.partner_member)
    response = client.get(f"/actions/decisions.csv?committee={world.committee.id}")
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    assert "attachment" in response.headers["Content-Disposition"]
    raw = response.data
    assert raw.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig")), delimiter=";"))
    assert rows[0][:6] == [
        "Date de la réunion",
        "Instance",
        "Réunion",
        "Point de l'ordre du jour",
        "Situation (référence)",
        "Type de décision",
    ]
    assert len(rows) == 2
    row = dict(zip(rows[0], rows[1], strict=True))
    assert row["Décision"] == "Visible ; avec un point-virgule"
    assert row["Situation (référence)"] == case_world.household.reference
    assert row["Organisations ayant pris part"] == "CCAS de Concarneau, Mission Locale"
    assert row["Actions de suivi"].startswith("'=1+1 — Mission Locale")  # never a formula
    text = raw.decode("utf-8-sig")
    assert CANARY_NAME not in text and "Canardeau" not in text
    assert "Réunion où la Mission Locale" not in text

    [event] = audit_events(AuditAction.EXPORT, "decision")
    assert event.user_id == world.partner_member.id
    assert "1 décision" in event.summary and "Comité technique" in event.summary


# The meeting page's part and the demo data ---------------------------------------------------


def test_the_meeting_page_part_lists_decisions_and_actions(client, world, held):
    decision = decide(held, world, item=held.agenda_items[0], text="Décision du comité")
    give(held, world, world.mission_locale, TODAY + timedelta(days=3), text="Rappeler le ménage")
    sign_in(client, world.coordinator)
    organiser = client.get(f"/meetings/{held.id}").text
    sign_in(client, world.partner_member)
    reader = client.get(f"/meetings/{held.id}").text
    assert f"/actions/decisions/{decision.id}" in organiser
    assert "Rappeler le ménage" in organiser and "Rappeler le ménage" in reader
    assert f"/actions/meetings/{held.id}/decisions/new?item={held.agenda_items[1].id}" in organiser
    assert "/decisions/new" not in reader


def test_demo_decisions_and_actions_on_the_past_comites(world, case_world, held, make_org):
    load_demo_actions({})  # before the meetings' demo data exists: nothing to do
    later = make_meeting(world, -3, title="Comité technique de novembre")
    bailleur = make_org(name="Finistère Habitat")
    load_demo_actions(
        {
            "meetings": {"ct_past_1": held, "ct_past_2": later},
            "organisations": {
                "CCAS de Concarneau": world.ccas,
                "Mission Locale du Pays de Cornouaille": world.mission_locale,
                "SIAO du Finistère": world.siao,
                "Finistère Habitat": bailleur,
                "CDAS de Concarneau": case_world.cdas,
            },
            "users": {"coordination@ccas-concarneau.demo": world.coordinator},
        }
    )
    db.session.commit()
    actions = db.session.scalars(sa.select(FollowUpAction)).all()
    statuses = [a.status for a in actions]
    assert db.session.scalar(sa.select(sa.func.count(Decision.id))) == 4
    assert statuses.count(ActionStatus.DONE) == 3
    assert statuses.count(ActionStatus.CANCELLED) == 1
    assert sum(a.is_overdue for a in actions) == 3
    assert not queued_emails()
    db.session.refresh(case_world.case)
    assert case_world.case.status == CaseStatus.DECIDED


def test_two_overdue_jobs_at_once_send_each_reminder_once(make_app, backend, tmp_path):
    """Two `flask reminders send` on two machines: every claim is taken once."""
    overrides = {}
    if backend == "sqlite":  # several connections must see the same data
        overrides["SQLALCHEMY_DATABASE_URI"] = f"sqlite:///{tmp_path / 'actions.sqlite3'}"
    app = make_app(**overrides)
    with app.app_context():
        place = Territory(name="Cornouaille")
        partner = Organisation(name="Mission Locale", kind=OrganisationKind.MISSION_LOCALE)
        partner.territory = place
        person = User(email="lea@exemple.fr", full_name="Léa", password_hash="x")
        db.session.add(Membership(user=person, organisation=partner))
        committee = Committee(
            name="Comité technique",
            kind=CommitteeKind.COMITE_TECHNIQUE,
            territory=place,
            organisations=[partner],
        )
        meeting = Meeting(
            committee=committee,
            kind=MeetingKind.COMITE_TECHNIQUE,
            title="Comité",
            starts_at=now_utc() - timedelta(days=30),
        )
        db.session.add(meeting)
        db.session.flush()
        for days in (2, 5, 9):
            create_action(
                meeting,
                None,
                description=f"Action {days}",
                organisation=partner,
                user=person,
                due_on=TODAY - timedelta(days=days),
                notify=False,
            )
        db.session.commit()

    barrier = threading.Barrier(2)
    results: list[int] = []
    errors: list[BaseException] = []

    def job():
        try:
            with app.app_context():
                barrier.wait(timeout=10)
                notified = notify_overdue_actions(TODAY)
                time.sleep(0.2)  # hold the claims a moment: the other job must wait
                db.session.commit()
                results.append(notified)
        except BaseException as error:  # reported in the main thread
            errors.append(error)

    threads = [threading.Thread(target=job) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not any(thread.is_alive() for thread in threads)
    assert errors == []
    assert sum(results) == 3
    with app.app_context():
        assert len(queued_emails("lea@exemple.fr")) == 3
