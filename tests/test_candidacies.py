"""SIAO candidacies: a CCAS household proposed for an IML programme, decided by the SIAO
only, seen by the SIAO only once submitted, every step in the history, the case timeline
and (for decisions) the CCAS's mailbox."""

import html
import itertools
from datetime import date, timedelta

import pytest
import sqlalchemy as sa

from portal import permissions
from portal.candidacies.services import (
    TRANSITIONS,
    change_candidacy_status,
    create_candidacy,
)
from portal.extensions import db
from portal.models import (
    Accommodation,
    AuditAction,
    Candidacy,
    CandidacyEvent,
    CandidacyStatus,
    CaseEvent,
    Commune,
    Household,
    Meeting,
    MeetingInvitee,
    MeetingKind,
    Programme,
    RefusalReason,
    Typology,
    now_utc,
)
from portal.models.housing import ProgrammeSituation
from portal.workflow import WorkflowError
from tests.case_helpers import canary_traces, counting_queries
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

S = CandidacyStatus


@pytest.fixture
def client(app):
    return fresh_client(app)


@pytest.fixture
def programme(world):
    found = Programme(territory=world.ccas.territory, name="IML sortie de structures", capacity=2)
    db.session.add(found)
    db.session.commit()
    return found


@pytest.fixture
def commune(world):
    place = Commune(name="Concarneau", territory=world.ccas.territory)
    db.session.add(place)
    db.session.commit()
    return place


@pytest.fixture
def household(world, make_household):
    return make_household(world.ccas, world.ccas_worker)


def propose(world, household, programme, *, case=None, status=S.DRAFT, **overrides):
    """A candidacy written by the CCAS worker, put straight into ``status``."""
    data = {
        "programme_id": programme.id,
        "case_id": case.id if case else None,
        "requested_typology": Typology.T2,
        "commune_ids": [],
        "readiness_notes": "Budget travaillé, prête à sortir.",
    }
    data.update(overrides)
    candidacy = create_candidacy(household, world.ccas_worker, data)
    candidacy.status = status
    if status != S.DRAFT:
        candidacy.submitted_at = now_utc()
    if status == S.VALIDATED:
        candidacy.validated_at = now_utc()
    db.session.commit()
    return candidacy


def form_data(household, programme, commune, **overrides) -> dict:
    data = {
        "household_id": str(household.id),
        "programme_id": str(programme.id),
        "siao_number": "29-2026-0042",
        "requested_typology": "T2",
        "commune_ids": [str(commune.id)],
        "budget_worked": "y",
        "rent_capacity": "180,50",
        "support_in_place": "Accompagnement budgétaire par le CCAS.",
        "readiness_notes": "Prête à sortir du CHRS.",
    }
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


def reload(candidacy) -> Candidacy:
    db.session.expire_all()
    return db.session.get(Candidacy, candidacy.id)


# Proposing ---------------------------------------------------------------------------------


def test_a_social_worker_proposes_an_informed_household(
    client, world, household, programme, commune
):
    sign_in(client, world.ccas_worker)
    page = client.get("/siao/new")
    assert page.status_code == 200
    assert household.reference in page.text

    response = client.post("/siao/new", data=form_data(household, programme, commune))

    assert response.status_code == 302
    candidacy = db.session.scalars(sa.select(Candidacy)).one()
    assert candidacy.status == S.DRAFT
    assert candidacy.siao_id == world.siao.id
    assert candidacy.organisation_id == world.ccas.id
    assert candidacy.siao_number == "29-2026-0042"
    assert str(candidacy.rent_capacity) == "180.50"
    assert [c.name for c in candidacy.communes] == ["Concarneau"]
    assert [(e.from_status, e.to_status) for e in candidacy.events] == [(None, S.DRAFT)]
    assert audit_events(AuditAction.CREATE, "candidacy")


def test_without_communes_ticked_the_households_own_are_asked_for(
    client, world, household, programme, commune
):
    household.communes = [commune]
    db.session.commit()
    sign_in(client, world.ccas_worker)
    data = form_data(household, programme, commune, commune_ids=None)
    assert client.post("/siao/new", data=data).status_code == 302
    candidacy = db.session.scalars(sa.select(Candidacy)).one()
    assert [c.name for c in candidacy.communes] == ["Concarneau"]


def test_an_uninformed_household_cannot_be_proposed(
    client, world, make_household, programme, commune
):
    uninformed = make_household(world.ccas, world.ccas_worker, informed=False)
    sign_in(client, world.ccas_worker)
    assert uninformed.reference not in client.get("/siao/new").text
    before = database_rows()

    response = client.post("/siao/new", data=form_data(uninformed, programme, commune))

    assert response.status_code == 400
    assert "Choisissez un ménage de votre organisation, informé du partage." in form_errors(
        response.text
    )
    assert database_rows() == before


def test_a_household_of_another_organisation_cannot_be_proposed(
    client, world, make_household, programme, commune
):
    foreign = make_household(world.mission_locale, world.partner_member)
    sign_in(client, world.ccas_worker)
    response = client.post("/siao/new", data=form_data(foreign, programme, commune))
    assert response.status_code == 400
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Candidacy)) == 0


def test_form_errors_keep_what_was_typed(client, world, household, programme, commune):
    sign_in(client, world.ccas_worker)
    response = client.post(
        "/siao/new",
        data=form_data(household, programme, commune, programme_id="", rent_capacity="beaucoup"),
    )
    assert response.status_code == 400
    errors = form_errors(response.text)
    assert "Choisissez le programme." in errors
    assert "Indiquez un nombre, par exemple 450,50." in errors
    assert shows_typed_value(response.text, "29-2026-0042")
    assert shows_typed_value(response.text, "Prête à sortir du CHRS.")
    assert shows_typed_value(response.text, "beaucoup")


def test_a_case_of_another_household_cannot_be_linked(
    client, world, case_world, make_household, programme, commune
):
    other = make_household(world.ccas, world.ccas_worker, first="Autre", last="Ménage")
    sign_in(client, world.ccas_worker)
    response = client.post(
        "/siao/new",
        data=form_data(other, programme, commune, case_id=str(case_world.case.id)),
    )
    assert response.status_code == 400
    assert "Choisissez une situation de ce ménage." in form_errors(response.text)


def test_only_the_ccas_proposes(client, world):
    for person in (world.siao_officer, world.partner_member, world.outsider):
        sign_in(client, person)
        assert client.get("/siao/new").status_code == 403


def test_a_draft_is_edited_and_keeps_values_on_error(client, world, household, programme, commune):
    candidacy = propose(world, household, programme)
    sign_in(client, world.ccas_worker)
    response = client.post(
        f"/siao/{candidacy.id}/edit",
        data=form_data(household, programme, commune, siao_number="X" * 41),
    )
    assert response.status_code == 400
    assert "40 caractères au plus." in form_errors(response.text)
    assert shows_typed_value(response.text, "X" * 41)

    response = client.post(
        f"/siao/{candidacy.id}/edit", data=form_data(household, programme, commune)
    )
    assert response.status_code == 302
    assert reload(candidacy).siao_number == "29-2026-0042"


# The workflow, transition by transition ------------------------------------------------------

# How each transition is asked for over HTTP: who, which route, what is posted.
REQUESTS = {
    "submit": ("owner", "submit", {"comment": "Voici l'accord du FSL."}),
    "withdraw": ("owner", "withdraw", {"comment": "Relogé ailleurs."}),
    "validate": ("siao", "decide", {"decision": "validate", "comment": "Validée."}),
    "refuse": (
        "siao",
        "decide",
        {"decision": "refuse", "refusal_reason": "not_ready", "comment": "Trop tôt."},
    ),
    "request_more_info": (
        "siao",
        "decide",
        {"decision": "request_more_info", "comment": "Joindre l'accord du FSL."},
    ),
}
CASES = [(status, name) for status in S for name in REQUESTS]


@pytest.mark.parametrize(
    ("status", "name"), CASES, ids=[f"{status.value}-{name}" for status, name in CASES]
)
def test_every_transition_of_the_table_and_only_those(
    client, world, household, programme, status, name
):
    candidacy = propose(world, household, programme, status=status)
    who, route, data = REQUESTS[name]
    sign_in(client, world.ccas_worker if who == "owner" else world.siao_officer)
    transition = TRANSITIONS[name]
    before = database_rows()

    response = client.post(f"/siao/{candidacy.id}/{route}", data=data)

    if status in transition.sources:
        assert response.status_code == 302
        changed = reload(candidacy)
        assert changed.status == transition.target
        event = changed.events[-1]
        assert (event.from_status, event.to_status) == (status, transition.target)
        assert event.comment == data["comment"]
        return
    assert database_rows() == before
    if who == "siao" and status == S.DRAFT:
        assert response.status_code == 404  # the SIAO does not know a draft exists
        return
    assert response.status_code == 302
    messages = flashed(client.get(response.location).text)
    assert any("n'est pas possible pour une candidature" in m for m in messages), messages


@pytest.mark.parametrize("status", list(S), ids=[s.value for s in S])
@pytest.mark.parametrize("name", list(TRANSITIONS))
def test_the_service_refuses_what_the_table_does_not_allow(
    world, household, programme, status, name
):
    candidacy = propose(world, household, programme, status=status)
    transition = TRANSITIONS[name]
    actor = world.siao_officer if transition.by == "siao" else world.ccas_worker
    details = {"comment": "Un commentaire.", "reason": RefusalReason.OTHER}
    if status in transition.sources:
        change_candidacy_status(candidacy, name, actor, **details)
        assert candidacy.status == transition.target
        return
    db.session.commit()
    before = database_rows()
    with pytest.raises(WorkflowError, match="n'est pas possible"):
        change_candidacy_status(candidacy, name, actor, **details)
    db.session.rollback()
    assert database_rows() == before


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"decision": "refuse", "comment": "Trop tôt."}, "Un refus demande un motif."),
        ({"decision": "refuse", "refusal_reason": "not_ready"}, "Expliquez le refus au CCAS."),
        ({"decision": "request_more_info"}, "Précisez les compléments attendus."),
        ({}, "Choisissez la décision."),
        ({"decision": "house"}, "Choisissez une valeur de la liste."),
    ],
)
def test_a_refusal_needs_a_reason_and_a_comment(client, world, household, programme, data, message):
    candidacy = propose(world, household, programme, status=S.SUBMITTED)
    sign_in(client, world.siao_officer)
    before = database_rows()
    response = client.post(f"/siao/{candidacy.id}/decide", data=data)
    assert response.status_code == 400
    assert message in form_errors(response.text)
    assert shows_typed_value(response.text, data["comment"]) if "comment" in data else True
    db.session.rollback()
    assert reload(candidacy).status == S.SUBMITTED
    # Reading the page again is audited; nothing else changed.
    after = database_rows()
    after.pop("audit_event")
    before.pop("audit_event")
    assert after == before


def test_the_service_refuses_a_refusal_without_reason_or_comment(world, household, programme):
    candidacy = propose(world, household, programme, status=S.SUBMITTED)
    with pytest.raises(WorkflowError, match="motif et un commentaire"):
        change_candidacy_status(candidacy, "refuse", world.siao_officer, comment="Non.")
    with pytest.raises(WorkflowError, match="motif et un commentaire"):
        change_candidacy_status(
            candidacy, "refuse", world.siao_officer, reason=RefusalReason.NOT_READY
        )
    assert candidacy.status == S.SUBMITTED


def test_answering_a_request_for_more_information_needs_a_comment(
    client, world, household, programme
):
    candidacy = propose(world, household, programme, status=S.MORE_INFO_REQUESTED)
    sign_in(client, world.ccas_worker)
    response = client.post(f"/siao/{candidacy.id}/submit", data={"comment": ""})
    assert response.status_code == 400
    assert "Répondez à la demande de compléments du SIAO." in form_errors(response.text)
    assert reload(candidacy).status == S.MORE_INFO_REQUESTED


def test_only_the_siao_decides_and_only_the_ccas_submits(client, world, household, programme):
    candidacy = propose(world, household, programme, status=S.SUBMITTED)
    sign_in(client, world.ccas_worker)
    assert (
        client.post(f"/siao/{candidacy.id}/decide", data=REQUESTS["validate"][2]).status_code == 403
    )
    sign_in(client, world.siao_officer)
    assert client.post(f"/siao/{candidacy.id}/withdraw", data={}).status_code == 403
    assert reload(candidacy).status == S.SUBMITTED


# Decisions: commission, e-mails, case timeline, waiting list ------------------------------


def test_a_decision_in_commission_is_mailed_to_the_ccas_and_written_on_the_case(
    client, world, case_world, programme
):
    world.ccas.contact_email = "accueil@ccas.exemple.fr"
    commission = Meeting(
        committee=world.committee,
        kind=MeetingKind.COMMISSION_SIAO,
        title="Commission SIAO de mars",
        starts_at=now_utc() - timedelta(days=2),
        organiser=world.siao_officer,
        invitees=[MeetingInvitee(user=world.siao_officer, organisation=world.siao)],
    )
    db.session.add(commission)
    db.session.commit()
    candidacy = propose(world, case_world.household, programme, case=case_world.case)
    sign_in(client, world.ccas_worker)
    assert client.post(f"/siao/{candidacy.id}/submit", data={}).status_code == 302

    sign_in(client, world.siao_officer)
    page = client.get(f"/siao/{candidacy.id}")
    assert "Commission SIAO de mars" in page.text
    response = client.post(
        f"/siao/{candidacy.id}/decide",
        data={
            "decision": "refuse",
            "refusal_reason": "resources",
            "comment": "Reste à vivre insuffisant.",
            "meeting_id": str(commission.id),
        },
    )

    assert response.status_code == 302
    decided = reload(candidacy)
    assert decided.status == S.REFUSED
    assert decided.refusal_reason == RefusalReason.RESOURCES
    assert decided.decision_meeting_id == commission.id
    assert decided.decided_by_id == world.siao_officer.id
    recipients = sorted(e.recipient for e in queued_emails() if e.template == "candidacy_decision")
    assert recipients == sorted([world.ccas_worker.email, "accueil@ccas.exemple.fr"])
    email = queued_emails(world.ccas_worker.email)[0]
    assert "Refusée" in email.subject
    assert "Ressources insuffisantes" in email.text_body
    assert f"/siao/{candidacy.id}" in email.text_body
    assert not canary_traces(email.text_body + email.html_body)
    timeline = db.session.scalars(
        sa.select(CaseEvent.summary)
        .where(CaseEvent.case_id == case_world.case.id)
        .order_by(CaseEvent.id)
    ).all()
    assert any("Candidature SIAO" in s and "Soumise au SIAO" in s for s in timeline)
    assert any("Refusée" in s for s in timeline)


def test_no_email_to_the_ccas_when_it_submits_or_withdraws(client, world, household, programme):
    candidacy = propose(world, household, programme)
    sign_in(client, world.ccas_worker)
    client.post(f"/siao/{candidacy.id}/submit", data={})
    client.post(f"/siao/{candidacy.id}/withdraw", data={})
    assert reload(candidacy).status == S.WITHDRAWN
    # The SIAO was told of the submission (test_notifications); the CCAS hears nothing.
    assert [e.recipient for e in queued_emails()] == [world.siao_officer.email]


def test_validated_candidacies_wait_in_the_order_of_validation(
    client, world, make_household, programme
):
    households = [
        make_household(world.ccas, world.ccas_worker, first=f"P{i}", last="Test") for i in range(3)
    ]
    candidacies = [propose(world, h, programme, status=S.SUBMITTED) for h in households]
    for index, candidacy in enumerate([candidacies[2], candidacies[0]]):
        change_candidacy_status(candidacy, "validate", world.siao_officer)
        candidacy.validated_at = now_utc() - timedelta(days=10 - index)
    db.session.commit()

    sign_in(client, world.siao_officer)
    page = client.get(f"/siao/{candidacies[1].id}").text
    waiting = page.split("Liste d'attente", 1)[1]
    first, second = households[2].reference, households[0].reference
    assert first in waiting and second in waiting
    assert waiting.index(first) < waiting.index(second)


# Who sees what ---------------------------------------------------------------------------


def test_the_siao_sees_nothing_before_submission_and_the_identity_after(
    client, world, household, programme
):
    candidacy = propose(world, household, programme)
    sign_in(client, world.siao_officer)
    assert client.get(f"/siao/{candidacy.id}").status_code == 404
    assert household.reference not in client.get("/siao/").text

    sign_in(client, world.ccas_worker)
    client.post(f"/siao/{candidacy.id}/submit", data={})
    sign_in(client, world.siao_officer)
    reads_before = len(audit_events(AuditAction.VIEW, "household"))

    page = client.get(f"/siao/{candidacy.id}")

    assert page.status_code == 200
    assert CANARY_NAME in page.text
    assert "4 mai 1990" in page.text  # birth date
    assert household.reference in client.get("/siao/").text
    reads = audit_events(AuditAction.VIEW, "household")
    assert len(reads) == reads_before + 1
    assert reads[-1].user_id == world.siao_officer.id
    assert reads[-1].object_id == household.id
    assert reads[-1].organisation_id == world.siao.id


def test_a_draft_withdrawn_before_submission_stays_unknown_to_the_siao(
    client, world, household, programme
):
    candidacy = propose(world, household, programme)
    change_candidacy_status(candidacy, "withdraw", world.ccas_worker)
    db.session.commit()
    sign_in(client, world.siao_officer)
    assert client.get(f"/siao/{candidacy.id}").status_code == 404
    assert household.reference not in client.get("/siao/").text


def test_the_list_shows_no_identity(client, world, household, programme):
    propose(world, household, programme, status=S.SUBMITTED)
    for person in (world.ccas_worker, world.siao_officer):
        sign_in(client, person)
        page = client.get("/siao/").text
        assert household.reference in page
        assert not canary_traces(page)


def test_other_partners_never_see_a_candidacy(client, world, household, programme):
    candidacy = propose(world, household, programme, status=S.VALIDATED)
    for person in (world.partner_admin, world.partner_member, world.outsider, world.landlord):
        sign_in(client, person)
        assert client.get(f"/siao/{candidacy.id}").status_code == 404


def test_the_linked_case_is_a_link_only_for_its_readers(
    client, world, case_world, make_org, make_user, programme
):
    candidacy = propose(world, case_world.household, programme, case=case_world.case)
    candidacy.status = S.SUBMITTED
    db.session.commit()
    other_siao = make_org(world.siao.kind, "Autre SIAO", place=world.ccas.territory)
    candidacy.siao_id = other_siao.id
    db.session.commit()
    officer = make_user(other_siao)
    sign_in(client, officer)
    page = client.get(f"/siao/{candidacy.id}").text
    assert f'href="/cases/{case_world.case.id}"' not in page
    sign_in(client, world.ccas_worker)
    assert f'href="/cases/{case_world.case.id}"' in client.get(f"/siao/{candidacy.id}").text


def test_predicates_and_sql_clause_agree_for_every_reader(
    world, case_world, make_household, programme
):
    for status in S:
        household = make_household(world.ccas, world.ccas_worker, first=status.value, last="T")
        propose(world, household, programme, status=status)
    never_submitted = propose(world, household, programme)
    change_candidacy_status(never_submitted, "withdraw", world.ccas_worker)
    db.session.commit()
    foreign = make_household(world.mission_locale, world.partner_member)
    other = Candidacy(
        household=foreign,
        programme=programme,
        organisation_id=world.mission_locale.id,
        siao_id=world.siao.id,
        requested_typology=Typology.T1,
        status=S.SUBMITTED,
    )
    db.session.add(other)
    db.session.commit()
    readers = [
        world.coordinator,
        world.ccas_worker,
        world.partner_admin,
        world.partner_member,
        world.siao_officer,
        world.outsider,
        world.landlord,
        case_world.cdas_worker,
    ]
    candidacies = db.session.scalars(sa.select(Candidacy)).all()
    for reader in readers:
        by_predicate = {c.id for c in candidacies if permissions.can_view_candidacy(reader, c)}
        by_sql = set(
            db.session.scalars(
                sa.select(Candidacy.id).where(permissions.visible_candidacies_clause(reader))
            )
        )
        assert by_predicate == by_sql, reader.full_name
    # The SIAO sees the submitted ones, not the draft; the partner sees only its own.
    siao_sees = {
        c.status for c in candidacies if permissions.can_view_candidacy(world.siao_officer, c)
    }
    assert S.DRAFT not in siao_sees and S.SUBMITTED in siao_sees
    assert {
        c.id for c in candidacies if permissions.can_view_candidacy(world.partner_member, c)
    } == {other.id}


_numbers = itertools.count(1)


def make_many(world, programme, count: int) -> None:
    households = [
        Household(
            reference=f"CCAS-2020-{next(_numbers):04d}",
            organisation_id=world.ccas.id,
            public=Household.public.type.enum_class("homme_seul"),
            accommodation=Household.accommodation.type.enum_class("hotel"),
        )
        for n in range(count)
    ]
    db.session.add_all(households)
    db.session.flush()
    db.session.add_all(
        Candidacy(
            household=h,
            programme=programme,
            organisation_id=world.ccas.id,
            siao_id=world.siao.id,
            requested_typology=Typology.T1,
            status=S.SUBMITTED if n % 2 else S.VALIDATED,
            events=[CandidacyEvent(to_status=S.SUBMITTED)],
        )
        for n, h in enumerate(households)
    )
    db.session.commit()


@pytest.mark.parametrize("reader", ["ccas_worker", "siao_officer"])
def test_the_list_costs_the_same_number_of_queries_for_5_and_50(client, world, programme, reader):
    sign_in(client, getattr(world, reader))
    make_many(world, programme, 5)
    client.get("/siao/")
    with counting_queries() as few:
        assert client.get("/siao/").status_code == 200
    make_many(world, programme, 45)
    with counting_queries() as many:
        page = client.get("/siao/?status=submitted")
    assert page.status_code == 200
    assert len(many) == len(few)


def test_the_list_filters_by_status_and_programme(client, world, make_household, programme):
    dalo = Programme(territory=world.ccas.territory, name="IML DALO", capacity=5)
    db.session.add(dalo)
    db.session.commit()
    first = make_household(world.ccas, world.ccas_worker, first="Un", last="Test")
    second = make_household(world.ccas, world.ccas_worker, first="Deux", last="Test")
    propose(world, first, programme, status=S.SUBMITTED)
    propose(world, second, dalo, status=S.VALIDATED)
    sign_in(client, world.ccas_worker)
    page = client.get("/siao/?status=validated").text
    assert second.reference in page and first.reference not in page
    page = client.get(f"/siao/?programme={programme.id}").text
    assert first.reference in page and second.reference not in page
    assert client.get("/siao/?status=nimporte&programme=abc").status_code == 200


def test_demo_candidacies_cover_every_status(app):
    from portal.demo import load_demo_data

    data = load_demo_data()
    db.session.commit()
    statuses = [c.status for c in data["candidacies"]]
    for status in (S.DRAFT, S.SUBMITTED, S.MORE_INFO_REQUESTED, S.REFUSED, S.WITHDRAWN):
        assert status in statuses
    assert statuses.count(S.VALIDATED) == 2
    assert set(data["programmes"]) == {"IML sortie de structures", "IML DALO"}
    assert len(data["units"]) >= 10


# What a programme asks of a candidacy: DALO, situations, hotel stays -----------------------


@pytest.fixture
def dalo(world):
    found = Programme(
        territory=world.ccas.territory, name="IML DALO", capacity=5, requires_dalo=True
    )
    db.session.add(found)
    db.session.commit()
    return found


def structure_exits(programme) -> None:
    """« Sortie de structures »: CHRS, ALT, women's shelters, pension de famille."""
    programme.situations = [
        ProgrammeSituation(accommodation=a)
        for a in (
            Accommodation.CHRS_URGENCE,
            Accommodation.ALT,
            Accommodation.URGENCE_FEMMES,
            Accommodation.PENSION_DE_FAMILLE,
        )
    ]
    db.session.commit()


def test_the_dalo_programme_requires_the_dalo_recognition(client, world, household, dalo, commune):
    sign_in(client, world.ccas_worker)
    before = database_rows()
    for fields, field, message in (
        ({}, "dalo_recognised_on", "réservé aux ménages reconnus prioritaires DALO"),
        (
            {"dalo_recognised_on": "2026-03-02"},
            "dalo_decision_reference",
            "Indiquez la date de la décision DALO et sa référence",
        ),
        (
            {"dalo_decision_reference": "COMED 29-2026-0183"},
            "dalo_recognised_on",
            "Indiquez la date de la décision DALO et sa référence",
        ),
        (
            {
                "dalo_recognised_on": (date.today() + timedelta(days=3)).isoformat(),
                "dalo_decision_reference": "COMED 29-2026-0183",
            },
            "dalo_recognised_on",
            "sa date est passée",
        ),
    ):
        response = client.post("/siao/new", data=form_data(household, dalo, commune, **fields))
        assert response.status_code == 400, fields
        assert any(message in e for e in form_errors(response.text)), (fields, message)
        assert f'<p class="error" id="{field}-error">' in response.text, field
        assert shows_typed_value(response.text, "Prête à sortir du CHRS.")
        assert database_rows() == before

    response = client.post(
        "/siao/new",
        data=form_data(
            household,
            dalo,
            commune,
            dalo_recognised_on="02/03/2026",
            dalo_decision_reference="COMED 29-2026-0183",
        ),
    )
    assert response.status_code == 302
    candidacy = db.session.scalars(sa.select(Candidacy)).one()
    assert candidacy.dalo_recognised_on == date(2026, 3, 2)
    assert candidacy.dalo_decision_reference == "COMED 29-2026-0183"
    change_candidacy_status(candidacy, "submit", world.ccas_worker)
    db.session.commit()
    sign_in(client, world.siao_officer)
    page = client.get(f"/siao/{candidacy.id}").text
    assert "Prioritaire DALO depuis le 2 mars 2026 (décision COMED 29-2026-0183)" in page


def test_a_household_outside_the_programmes_situations_needs_a_justification_the_siao_reads(
    client, world, household, programme, commune
):
    structure_exits(programme)
    household.accommodation = Accommodation.HOTEL
    db.session.commit()
    sign_in(client, world.ccas_worker)
    before = database_rows()
    response = client.post("/siao/new", data=form_data(household, programme, commune))
    assert response.status_code == 400
    [error] = [e for e in form_errors(response.text) if "expliquez au SIAO" in e]
    assert "CHRS urgence" in error and "Pension de famille" in error and "« Hôtel »" in error
    assert shows_typed_value(response.text, "Accompagnement budgétaire par le CCAS.")
    assert database_rows() == before

    reason = "Sortie du CHRS faute de place, à l'hôtel par le 115 depuis."
    response = client.post(
        "/siao/new", data=form_data(household, programme, commune, situation_justification=reason)
    )
    assert response.status_code == 302
    candidacy = db.session.scalars(sa.select(Candidacy)).one()
    assert candidacy.outside_programme_situations
    assert candidacy.situation_justification == reason

    # The household's situation is checked again when the CCAS submits: a justification
    # removed since would be asked for again.
    candidacy.situation_justification = ""
    db.session.commit()
    before = database_rows()
    with pytest.raises(WorkflowError, match="expliquez au SIAO"):
        change_candidacy_status(candidacy, "submit", world.ccas_worker)
    db.session.rollback()
    assert database_rows() == before
    candidacy = reload(candidacy)
    candidacy.situation_justification = reason
    change_candidacy_status(candidacy, "submit", world.ccas_worker)
    db.session.commit()

    sign_in(client, world.siao_officer)
    page = html.unescape(client.get(f"/siao/{candidacy.id}").text)
    assert "Situation hors du programme" in page and reason in page
    assert "Hors situations du programme" in client.get("/siao/").text
    # Inside the programme's situations, nothing is asked.
    household.accommodation = Accommodation.ALT
    db.session.commit()
    assert not reload(candidacy).outside_programme_situations
    assert "Situation hors du programme" not in client.get(f"/siao/{candidacy.id}").text


def test_a_candidacy_records_whether_and_since_when_the_household_was_at_the_hotel(
    client, world, household, programme, commune
):
    household.accommodation = Accommodation.HOTEL
    household.accommodation_since = date(2026, 1, 15)
    db.session.commit()
    sign_in(client, world.ccas_worker)
    page = client.get(f"/siao/new?household={household.id}").text
    assert 'value="2026-01-15"' in page  # the household's entry into the hotel, proposed
    before = database_rows()
    for fields, message in (
        ({"in_hotel": "y"}, "Indiquez depuis quand le ménage est hébergé à l'hôtel."),
        ({"hotel_since": "2026-01-15"}, "Cochez « hébergé à l'hôtel »"),
        (
            {"in_hotel": "y", "hotel_since": (date.today() + timedelta(days=1)).isoformat()},
            "La date d'entrée à l'hôtel est passée.",
        ),
    ):
        response = client.post("/siao/new", data=form_data(household, programme, commune, **fields))
        assert response.status_code == 400
        assert any(e.startswith(message) for e in form_errors(response.text)), message
        assert database_rows() == before
    response = client.post(
        "/siao/new",
        data=form_data(household, programme, commune, in_hotel="y", hotel_since="15/01/2026"),
    )
    assert response.status_code == 302
    candidacy = db.session.scalars(sa.select(Candidacy)).one()
    assert (candidacy.in_hotel, candidacy.hotel_since) == (True, date(2026, 1, 15))
    assert "Oui, depuis le 15 janvier 2026" in client.get(f"/siao/{candidacy.id}").text


def test_programmes_list_their_situations_and_whether_they_require_dalo(client, world):
    sign_in(client, world.coordinator)
    response = client.post(
        "/measures/programmes/new",
        data={
            "name": "IML sortie de structures",
            "capacity": "10",
            "active": "y",
            "situation_codes": ["chrs_urgence", "alt", "urgence_femmes", "pension_de_famille"],
        },
    )
    assert response.status_code == 302, form_errors(response.text)
    found = db.session.scalar(sa.select(Programme))
    assert set(found.situation_values) == {
        Accommodation.CHRS_URGENCE,
        Accommodation.ALT,
        Accommodation.URGENCE_FEMMES,
        Accommodation.PENSION_DE_FAMILLE,
    }
    assert not found.requires_dalo
    assert not found.is_for(Accommodation.HOTEL) and found.is_for(Accommodation.ALT)
    response = client.post(
        f"/measures/programmes/{found.id}/edit",
        data={"name": "IML DALO", "capacity": "5", "active": "y", "requires_dalo": "y"},
    )
    assert response.status_code == 302
    found = db.session.get(Programme, found.id, populate_existing=True)
    assert found.requires_dalo and found.situation_values == []
    assert found.is_for(Accommodation.HOTEL)  # no situation listed: every situation


def test_moving_a_draft_to_the_dalo_programme_asks_for_the_recognition(
    client, world, household, programme, dalo, commune
):
    candidacy = propose(world, household, programme)
    sign_in(client, world.ccas_worker)
    before = database_rows()
    response = client.post(
        f"/siao/{candidacy.id}/edit",
        data=form_data(household, dalo, commune, readiness_notes="Dossier DALO à compléter."),
    )
    assert response.status_code == 400
    assert '<p class="error" id="dalo_recognised_on-error">' in response.text
    assert shows_typed_value(response.text, "Dossier DALO à compléter.")
    assert database_rows() == before
    assert reload(candidacy).programme_id == programme.id
    response = client.post(
        f"/siao/{candidacy.id}/edit",
        data=form_data(
            household,
            dalo,
            commune,
            dalo_recognised_on="2026-02-12",
            dalo_decision_reference="COMED 29-2026-0042",
        ),
    )
    assert response.status_code == 302
    assert reload(candidacy).programme_id == dalo.id
