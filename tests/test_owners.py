"""Private owners: public pages, the simulator, the offer, the CCAS pipeline, the owner's
side and the rules as data."""

import re
from datetime import date
from decimal import Decimal
from io import BytesIO

import pytest
import sqlalchemy as sa

from portal import permissions
from portal.extensions import db
from portal.models import (
    Commune,
    OfferDocument,
    OfferDocumentKind,
    OfferMessage,
    OfferReason,
    OfferStatus,
    OfferStatusChange,
    OwnerOffer,
    RuleParameter,
    Typology,
    Unit,
    UnitStatus,
    User,
    UserKind,
    VisitChecklist,
    VisitResult,
)
from portal.owners.services import (
    add_document,
    allocate_offer_for_unit,
    change_status,
    current_rules,
    seed_rules,
)
from tests.conftest import PDF_BYTES, sign_in
from tests.support import database_rows, emailed_path, form_errors, queued_emails

S = OfferStatus


@pytest.fixture
def commune(world):
    place = Commune(name="Concarneau", territory=world.ccas.territory)
    db.session.add(place)
    db.session.commit()
    return place


def make_offer(world, commune, status=S.NEW, owner=None, **fields):
    values = dict(
        address="3 rue des Mouettes",
        commune=commune,
        typology=Typology.T2,
        surface=Decimal("38"),
        rent=Decimal("420"),
        charges=Decimal("30"),
        consent_to_contact=True,
    )
    offer = OwnerOffer(owner=owner or world.landlord, status=status, **{**values, **fields})
    db.session.add(offer)
    db.session.commit()
    return offer


def post(client, url, data, page_url=None, **kwargs):
    """CSRF is off in tests (TestingConfig); the page must still render first."""
    assert client.get(page_url or url).status_code in (200, 302)
    return client.post(url, data=data, **kwargs)


# allocate_offer_for_unit (called by the measures feature) -----------------------------------


def test_allocate_moves_the_available_offer_and_tells_the_owner(app, world, commune):
    offer = make_offer(world, commune, status=S.AVAILABLE)
    unit = Unit(
        commune=commune,
        address=offer.address,
        typology=Typology.T2,
        surface=offer.surface,
        rent=offer.rent,
        private_owner_id=world.landlord.id,
    )
    db.session.add(unit)
    db.session.flush()
    offer.unit_id = unit.id
    db.session.commit()
    allocate_offer_for_unit(unit, world.ccas_worker)
    db.session.commit()
    assert offer.status == S.ALLOCATED
    change = offer.status_changes[-1]
    assert (change.from_status, change.to_status) == (S.AVAILABLE, S.ALLOCATED)
    assert [e.subject for e in queued_emails(world.landlord.email)] == [
        "Votre logement proposé au CCAS : Logement attribué"
    ]


def test_allocate_without_an_offer_does_nothing(app, world, commune):
    unit = Unit(
        commune=commune,
        address="x",
        typology=Typology.T1,
        surface=Decimal("20"),
        rent=Decimal("300"),
        private_owner_id=world.landlord.id,
    )
    db.session.add(unit)
    db.session.commit()
    before = database_rows()
    allocate_offer_for_unit(unit, world.ccas_worker)
    db.session.commit()
    assert database_rows() == before


# Public pages and the simulator -------------------------------------------------------------


def test_public_pages_need_no_account(client):
    page = client.get("/landlords/").get_data(as_text=True)
    assert "Qui est mon locataire ?" in page and "bail glisse" in page
    assert client.get("/landlords/simulator").status_code == 200


def test_simulator_works_on_an_empty_database_with_the_built_in_rules(client):
    response = client.get(
        "/landlords/simulator?surface=38&rent=420&dpe_class=G&lease_date=2025-01-01"
        "&main_room_surface=8&ceiling_height=2.2&furnished=y"
    )
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "ne peut plus être mis en location" in page
    assert "meublés" in page and "pièce principale doit mesurer" in page
    assert "Loc3" in page and "exemple" in page
    assert "Climat et résilience" in page


def test_simulator_partial_returns_the_results_fragment_only(client):
    page = client.get("/landlords/simulator?surface=30&rent=350&dpe_class=C&partial=1")
    text = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "<html" not in text and "Sur 3 ans" in text
    assert re.search(r"2\W000,00\W€", text)  # Loc2 bonus for a small unit in sublease


@pytest.mark.parametrize(
    "query",
    [
        "surface=abc&rent=400",
        "surface=-5&rent=400",
        "surface=NaN&rent=400",
        "surface=1e999999&rent=400",
        "surface=30&rent=<script>alert(1)</script>",
        "surface=30&rent=400&lease_date=2025-13-45",
        "surface=30&rent=400&lease_date=9999-01-01",
        "surface=30&rent=400&dpe_class=Z",
        "surface=30&rent=400&commune=99999",
        "surface=30&rent=400&commune=abc",
        "surface=" + "9" * 5000 + "&rent=400",
        "surface=30&rent=400&unpaid_rate=101",
    ],
)
def test_simulator_answers_bad_input_with_a_message(client, query):
    response = client.get(f"/landlords/simulator?{query}")
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert form_errors(page)
    assert "<script>alert(1)" not in page


# The offer ------------------------------------------------------------------------------------


def start_anonymously(client, **fields):
    data = {
        "full_name": "Marie Kerguen",
        "email": "marie@exemple.fr",
        "owner_kind": "person",
        "contact_phone": "06 12 34 56 78",
        "consent_to_contact": "y",
        **fields,
    }
    return post(client, "/landlords/offer/new", data)


def test_the_first_step_creates_the_account_and_a_draft_then_e_mails_a_link(client, world):
    response = start_anonymously(client)
    assert response.status_code == 200
    assert "Vérifiez votre messagerie" in response.get_data(as_text=True)
    owner = db.session.scalar(sa.select(User).where(User.email == "marie@exemple.fr"))
    assert owner.kind == UserKind.PRIVATE_OWNER and owner.password_hash is None
    offer = db.session.scalar(sa.select(OwnerOffer).where(OwnerOffer.owner_id == owner.id))
    assert offer.status == S.DRAFT and offer.consent_to_contact
    path = emailed_path("marie@exemple.fr")
    assert client.get(path).status_code == 200
    response = client.post(
        path,
        data={
            "password": "une phrase de passe solide",
            "confirm": "une phrase de passe solide",
        },
    )
    assert response.status_code == 302
    assert response.location.endswith(f"/landlords/my-offers/{offer.id}/step/unit")
    assert owner.email_confirmed_at is not None
    # The link is single-use.
    assert client.get(path).status_code == 400


def test_an_owner_s_confirmation_link_is_its_own_kind_of_link(app, world):
    """The links sent before they moved to portal/auth/tokens.py still work (same salt); a
    password-reset link or a non-owner's link does not confirm an owner's address."""
    from portal.auth.tokens import (
        load_owner_confirmation_token,
        make_reset_token,
        password_fingerprint,
        serializer,
    )

    owner = world.landlord
    with app.test_request_context():
        sent_before = serializer("landlord-confirm").dumps(
            {"u": owner.id, "p": password_fingerprint(owner)}
        )
        assert load_owner_confirmation_token(sent_before) == owner
        assert load_owner_confirmation_token(make_reset_token(owner)) is None
        worker = world.ccas_worker
        not_an_owner = serializer("landlord-confirm").dumps(
            {"u": worker.id, "p": password_fingerprint(worker)}
        )
        assert load_owner_confirmation_token(not_an_owner) is None


def test_an_existing_address_gets_an_e_mail_and_nothing_else(client, world):
    response = start_anonymously(client, email=world.ccas_worker.email)
    assert "Vérifiez votre messagerie" in response.get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count(OwnerOffer.id))) == 0
    assert len(queued_emails(world.ccas_worker.email)) == 1


def test_a_spam_submission_leaves_no_trace_but_looks_accepted(client, world):
    before = database_rows()
    response = start_anonymously(client, website="http://spam.example")
    assert response.status_code == 200
    assert "Vérifiez votre messagerie" in response.get_data(as_text=True)
    assert database_rows() == before


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"email": "pas-une-adresse"}, "n'est pas valide"),
        ({"full_name": "x" * 5000}, "120 caractères au plus"),
        ({"full_name": ""}, "obligatoire"),
        ({"consent_to_contact": ""}, "accord"),
        ({"owner_kind": "company"}, "nom de la société"),
        ({"owner_kind": "<script>"}, "N'est pas un choix valide."),
        ({"contact_phone": "<script>alert(1)</script>"}, "téléphone"),
    ],
)
def test_the_first_step_refuses_bad_input_and_stores_nothing(client, world, fields, message):
    before = database_rows()
    response = start_anonymously(client, **fields)
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert any(message in e for e in form_errors(page)), form_errors(page)
    assert "<script>alert" not in page
    assert database_rows() == before


def test_the_public_form_is_rate_limited(make_app):
    app = make_app(RATELIMIT_ENABLED=True, LANDLORD_OFFER_LIMIT="2 per hour")
    with app.app_context():
        client = app.test_client()
        statuses = [start_anonymously(client, website="x").status_code for _ in range(3)]
    assert statuses == [200, 200, 429]


def test_an_owner_fills_the_steps_uploads_a_dpe_and_submits(client, world, commune):
    sign_in(client, world.landlord)
    response = post(
        client,
        "/landlords/offer/new",
        {"owner_kind": "person", "consent_to_contact": "y"},
    )
    offer = db.session.scalar(sa.select(OwnerOffer))
    assert response.location.endswith(f"/landlords/my-offers/{offer.id}/step/unit")
    unit_url = f"/landlords/my-offers/{offer.id}/step/unit"
    bad = post(client, unit_url, {"address": "x", "surface": "-3", "rent": "abc"})
    assert bad.status_code == 400 and form_errors(bad.get_data(as_text=True))
    ok = post(
        client,
        unit_url,
        {
            "address": "3 rue des Mouettes",
            "commune_id": str(commune.id),
            "typology": "T2",
            "surface": "38,5",
            "main_room_surface": "8",
            "ceiling_height": "2.2",
            "rent": "420",
            "dpe_class": "G",
            "available_from": "2026-03-01",
        },
    )
    assert ok.status_code == 302
    assert offer.surface == Decimal("38.50") and offer.dpe_class.value == "G"
    page = client.get(unit_url).get_data(as_text=True)
    assert "ne peut plus être mis en location" in page  # the simulator's checks
    assert (
        post(
            client, f"/landlords/my-offers/{offer.id}/step/scheme", {"preferred_scheme": "sublease"}
        ).status_code
        == 302
    )
    docs_url = f"/landlords/my-offers/{offer.id}/step/documents"
    page = client.get(docs_url).get_data(as_text=True)
    fake = client.post(
        f"/landlords/my-offers/{offer.id}/documents",
        data={
            "kind": "dpe",
            "from_step": "1",
            "file": (BytesIO(b"MZ not a pdf"), "dpe.pdf"),
        },
        content_type="multipart/form-data",
    )
    assert fake.status_code == 400
    refused_kind = client.post(
        f"/landlords/my-offers/{offer.id}/documents",
        data={
            "kind": "agreement",
            "file": (BytesIO(PDF_BYTES), "c.pdf"),
        },
        content_type="multipart/form-data",
    )
    assert refused_kind.status_code == 400
    uploaded = client.post(
        f"/landlords/my-offers/{offer.id}/documents",
        data={
            "kind": "dpe",
            "file": (BytesIO(PDF_BYTES), "dpe.pdf"),
        },
        content_type="multipart/form-data",
    )
    assert uploaded.status_code == 302
    doc = db.session.scalar(sa.select(OfferDocument))
    assert doc.kind == OfferDocumentKind.DPE and doc.stored_name != "dpe.pdf"
    download = client.get(f"/landlords/offers/{offer.id}/documents/{doc.id}")
    assert download.data == PDF_BYTES
    download.close()
    page = client.get(f"/landlords/my-offers/{offer.id}").get_data(as_text=True)
    assert (
        post(
            client,
            f"/landlords/my-offers/{offer.id}/submit",
            {},
            page_url=f"/landlords/my-offers/{offer.id}",
        ).status_code
        == 302
    )
    assert offer.status == S.NEW and offer.submitted_at is not None
    # Staff are told (nobody follows it yet: the CCAS's admins, not every member); the owner too.
    assert queued_emails(world.coordinator.email)
    assert not queued_emails(world.ccas_worker.email)
    assert queued_emails(world.landlord.email)
    # Once sent, the steps no longer change it.
    assert client.get(unit_url).status_code == 302


def test_submitting_an_incomplete_offer_is_refused(client, world):
    offer = OwnerOffer(owner=world.landlord, status=S.DRAFT)
    db.session.add(offer)
    db.session.commit()
    sign_in(client, world.landlord)
    response = post(
        client,
        f"/landlords/my-offers/{offer.id}/submit",
        {},
        page_url=f"/landlords/my-offers/{offer.id}",
    )
    assert response.status_code == 302
    assert offer.status == S.DRAFT


# The owner sees only their own offers ----------------------------------------------------------


def test_an_owner_never_sees_another_owners_offer(client, world, commune, make_user):
    other = make_user(landlord=True)
    theirs = make_offer(world, commune, owner=other)
    mine = make_offer(world, commune)
    sign_in(client, world.landlord)
    page = client.get("/landlords/my-offers").get_data(as_text=True)
    assert f"Proposition n° {mine.id}" in page and f"Proposition n° {theirs.id}" not in page
    assert client.get(f"/landlords/my-offers/{theirs.id}").status_code == 404
    assert client.get(f"/landlords/offers/{mine.id}").status_code == 403


def test_the_owner_never_reads_staff_notes(client, world, commune):
    offer = make_offer(world, commune)
    db.session.add(
        OfferMessage(offer=offer, author=world.ccas_worker, body="NOTE-SECRETE", internal=True)
    )
    db.session.add(OfferMessage(offer=offer, author=world.ccas_worker, body="Bonjour Jean"))
    db.session.commit()
    sign_in(client, world.landlord)
    page = client.get(f"/landlords/my-offers/{offer.id}").get_data(as_text=True)
    assert "Bonjour Jean" in page and "NOTE-SECRETE" not in page


def test_messages_go_both_ways_with_e_mails(client, world, commune):
    offer = make_offer(world, commune, assigned_to=world.ccas_worker)
    sign_in(client, world.landlord)
    url = f"/landlords/my-offers/{offer.id}"
    assert (
        post(client, url + "/messages", {"body": "Quand visitez-vous ?"}, page_url=url).status_code
        == 302
    )
    assert [e.recipient for e in queued_emails()] == [world.ccas_worker.email]
    empty = post(client, url + "/messages", {"body": "   "}, page_url=url)
    assert empty.status_code == 400
    sign_in(client, world.ccas_worker)
    staff_url = f"/landlords/offers/{offer.id}"
    assert (
        post(
            client, staff_url + "/messages", {"body": "Mardi à 10 h."}, page_url=staff_url
        ).status_code
        == 302
    )
    assert (
        queued_emails(world.landlord.email)[-1].subject
        == "Message du CCAS au sujet de votre logement"
    )


# The pipeline ----------------------------------------------------------------------------------


def staff_move(client, offer, to, **extra):
    url = f"/landlords/offers/{offer.id}"
    return post(client, url + "/status", {"to_status": to, **extra}, page_url=url)


def test_the_pipeline_runs_to_available_and_creates_the_unit(client, world, commune):
    offer = make_offer(world, commune, rent=Decimal("280"))  # within what the scheme carries
    sign_in(client, world.ccas_worker)
    assert staff_move(client, offer, "first_contact").status_code == 302
    # A visit is planned before it is held; the checklist before « visited ».
    assert staff_move(client, offer, "visited").status_code == 400
    url = f"/landlords/offers/{offer.id}"
    assert (
        post(client, url + "/visit", {"visit_at": "2026-12-01T10:30"}, page_url=url).status_code
        == 302
    )
    assert offer.status == S.VISIT_PLANNED
    assert staff_move(client, offer, "visited").status_code == 400
    checklist = {k: "y" for k, _ in VisitChecklist.ITEMS}
    response = post(client, url + "/checklist", {**checklist, "result": "decent"})
    assert response.status_code == 302 and offer.checklist.result == VisitResult.DECENT
    assert staff_move(client, offer, "visited").status_code == 302
    assert staff_move(client, offer, "financial_proposal").status_code == 302
    refused = staff_move(client, offer, "agreement_signed")
    assert refused.status_code == 400
    assert "convention signée" in refused.get_data(as_text=True)
    client.post(
        url + "/documents",
        data={
            "kind": "agreement",
            "file": (BytesIO(PDF_BYTES), "convention.pdf"),
        },
        content_type="multipart/form-data",
    )
    assert staff_move(client, offer, "agreement_signed").status_code == 302
    assert staff_move(client, offer, "allocated").status_code == 400
    assert staff_move(client, offer, "available").status_code == 302
    unit = db.session.get(Unit, offer.unit_id)
    assert unit.private_owner_id == world.landlord.id and unit.status == UnitStatus.AVAILABLE
    assert unit.rent == offer.rent and unit.commune_id == commune.id
    statuses = [c.to_status for c in offer.status_changes]
    assert statuses[-1] == S.AVAILABLE and S.VISITED in statuses
    subjects = [e.subject for e in queued_emails(world.landlord.email)]
    assert "Votre logement proposé au CCAS : Logement disponible" in subjects
    assert len(subjects) == len(offer.status_changes)


def test_block_needs_a_reason_and_unblock_returns_to_the_previous_stage(client, world, commune):
    offer = make_offer(world, commune, status=S.FIRST_CONTACT)
    sign_in(client, world.ccas_worker)
    no_reason = staff_move(client, offer, "blocked")
    assert no_reason.status_code == 400 and offer.status == S.FIRST_CONTACT
    other_no_comment = staff_move(client, offer, "blocked", reason="other")
    assert other_no_comment.status_code == 400
    assert (
        staff_move(client, offer, "blocked", reason="works_needed", comment="Toiture").status_code
        == 302
    )
    assert offer.status == S.BLOCKED and offer.reason == OfferReason.WORKS_NEEDED
    mail = queued_emails(world.landlord.email)[-1]
    assert "Travaux nécessaires" in mail.text_body and "Toiture" in mail.text_body
    assert staff_move(client, offer, "visit_planned").status_code == 400  # not where it was
    assert staff_move(client, offer, "first_contact").status_code == 302
    assert offer.status == S.FIRST_CONTACT and offer.reason is None
    reasons = [c.reason for c in offer.status_changes if c.reason]
    assert reasons == [OfferReason.WORKS_NEEDED]


@pytest.mark.parametrize(
    ("start", "target"),
    [
        (S.NEW, "visited"),
        (S.NEW, "available"),
        (S.AVAILABLE, "blocked"),
        (S.REFUSED, "new"),
        (S.NEW, "draft"),
        (S.NEW, "nonsense"),
    ],
)
def test_refused_moves_change_nothing(client, world, commune, start, target):
    offer = make_offer(world, commune, status=start)
    sign_in(client, world.ccas_worker)
    before = database_rows()
    response = staff_move(client, offer, target, reason="other", comment="x")
    assert response.status_code == 400
    assert database_rows() == before


def test_allocated_only_through_a_measure(app, world, commune):
    from portal.cases.services import WorkflowError

    offer = make_offer(world, commune, status=S.AVAILABLE)
    with pytest.raises(WorkflowError):
        change_status(offer, S.ALLOCATED, world.ccas_worker)


def test_board_lists_offers_by_stage_for_ccas_staff_only(client, world, commune):
    make_offer(world, commune, status=S.BLOCKED, reason=OfferReason.CO_OWNERSHIP)
    make_offer(world, commune, status=S.DRAFT, address="BROUILLON")
    sign_in(client, world.ccas_worker)
    page = client.get("/landlords/offers").get_data(as_text=True)
    assert "Bloquée" in page and "Copropriété" in page and "BROUILLON" not in page
    sign_in(client, world.partner_admin)
    assert client.get("/landlords/offers").status_code == 403


# Rules as data -----------------------------------------------------------------------------------


def test_seed_rules_is_idempotent_and_db_rows_override_defaults(app, world):
    assert seed_rules() > 0
    assert seed_rules() == 0
    db.session.commit()
    sources = db.session.scalars(sa.select(RuleParameter.source)).all()
    assert any("2002-120" in s for s in sources)
    db.session.add(
        RuleParameter(
            key="dpe_ban_G", value="2030-01-01", source="test", effective_from=date(2026, 1, 1)
        )
    )
    db.session.commit()
    assert current_rules(date(2026, 6, 1))["dpe_ban_G"] == date(2030, 1, 1)
    assert current_rules(date(2025, 6, 1))["dpe_ban_G"] == date(2025, 1, 1)


def test_the_coordinator_adds_a_rule_value_and_a_ceiling(client, world, commune):
    sign_in(client, world.coordinator)
    assert client.get("/landlords/rules").status_code == 200
    bad = post(
        client,
        "/landlords/rules/loc2_reduction/new",
        {"value": "abc", "source": "x", "effective_from": "2026-01-01"},
    )
    assert bad.status_code == 400
    ok = post(
        client,
        "/landlords/rules/loc2_reduction/new",
        {"value": "42", "source": "Décret test", "effective_from": "2026-01-01"},
    )
    assert ok.status_code == 302
    assert current_rules(date(2026, 2, 1))["loc2_reduction"] == Decimal("42")
    ok = post(
        client,
        "/landlords/rules/ceilings/new",
        {
            "commune_id": str(commune.id),
            "level": "1",
            "eur_per_m2": "10,50",
            "source": "Anah 2026",
            "effective_from": "2026-01-01",
        },
    )
    assert ok.status_code == 302
    rules = current_rules(date(2026, 2, 1), commune.id)
    assert rules.ceilings[1].value == Decimal("10.50") and not rules.ceilings[1].is_example
    assert rules.ceilings[2].is_example
    sign_in(client, world.ccas_worker)
    assert client.get("/landlords/rules").status_code == 403


def test_stage_report_counts_durations_and_reasons(app, world, commune):
    from portal.owners.services import stage_report

    offer = make_offer(world, commune, status=S.NEW)
    db.session.add(OfferStatusChange(offer=offer, from_status=S.DRAFT, to_status=S.NEW))
    db.session.commit()
    change_status(offer, S.BLOCKED, world.ccas_worker, reason=OfferReason.OWNER_REFUSED)
    db.session.commit()
    report = stage_report()
    assert [s for s, _, _ in report["stages"]] == [S.NEW, S.BLOCKED]
    assert report["reasons"] == [(OfferReason.OWNER_REFUSED, 1)]


def test_demo_offers_cover_the_stages(app, client):
    from portal.demo import load_demo_data

    data = load_demo_data()
    db.session.commit()
    offers = data["landlord_offers"]
    statuses = {o.status for o in offers}
    assert {S.NEW, S.VISIT_PLANNED, S.BLOCKED, S.AVAILABLE, S.DRAFT} <= statuses
    blocked = next(o for o in offers if o.status == S.BLOCKED)
    assert blocked.reason == OfferReason.WORKS_NEEDED
    available = next(o for o in offers if o.status == S.AVAILABLE)
    assert available.unit.private_owner_id == available.owner_id
    assert db.session.scalar(sa.select(sa.func.count(RuleParameter.id))) > 10
    # The demo pages render for the owner and the CCAS.
    owner = data["users"]["proprietaire@exemple.demo"]
    sign_in(client, owner)
    for offer in offers:
        assert client.get(f"/landlords/my-offers/{offer.id}").status_code == 200
    sign_in(client, data["users"]["coordination@ccas-concarneau.demo"])
    assert client.get("/landlords/offers").status_code == 200
    assert client.get("/landlords/rules").status_code == 200
    for offer in offers:
        assert client.get(f"/landlords/offers/{offer.id}").status_code == 200
    page = client.get(f"/landlords/simulator?surface=30&rent=400&commune={available.commune_id}")
    assert "exemple" in page.get_data(as_text=True)


@pytest.mark.parametrize(
    "fields",
    [
        {"surface": "-1"},
        {"surface": "abc"},
        {"surface": "Infinity"},
        {"rent": "1e999999"},
        {"rent": "99999999"},
        {"address": "<script>alert(1)</script>" * 100},
        {"typology": "T9"},
        {"commune_id": "999999"},
        {"commune_id": "x"},
        {"dpe_class": "<script>"},
        {"dpe_number": "'; DROP TABLE user_account; --"},
        {"rooms": "2.5"},
        {"floor": "-99"},
        {"available_from": "31/02/2026"},
        {"vacant_since": "0001-01-01"},
    ],
)
def test_the_unit_step_refuses_bad_and_hostile_input(client, world, commune, fields):
    offer = OwnerOffer(owner=world.landlord, status=S.DRAFT)
    db.session.add(offer)
    db.session.commit()
    sign_in(client, world.landlord)
    before = database_rows()
    data = {
        "address": "3 rue des Mouettes",
        "commune_id": str(commune.id),
        "typology": "T2",
        "surface": "38",
        "rent": "420",
        **fields,
    }
    response = client.post(f"/landlords/my-offers/{offer.id}/step/unit", data=data)
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert form_errors(page)
    assert "<script>alert" not in page
    assert database_rows() == before


def test_a_too_long_message_is_refused(client, world, commune):
    offer = make_offer(world, commune)
    sign_in(client, world.landlord)
    response = client.post(f"/landlords/my-offers/{offer.id}/messages", data={"body": "x" * 5000})
    assert response.status_code == 400
    assert "4000 caractères au plus" in " ".join(form_errors(response.get_data(as_text=True)))
    assert not queued_emails()


def test_the_seed_rules_command(app):
    runner = app.test_cli_runner()
    first = runner.invoke(args=["landlords", "seed-rules"])
    again = runner.invoke(args=["landlords", "seed-rules"])
    assert first.exit_code == 0 and not first.output.startswith("0 règle")
    assert "0 règle(s) ajoutée(s)." in again.output


def test_the_owner_is_told_the_visit_date_and_any_new_date(client, world, commune):
    offer = make_offer(world, commune, status=S.FIRST_CONTACT)
    sign_in(client, world.ccas_worker)
    url = f"/landlords/offers/{offer.id}/visit"
    assert client.post(url, data={"visit_at": "2026-12-01T10:30"}).status_code == 302
    assert (
        "Visite prévue le 1 décembre 2026 à 10:30"
        in queued_emails(world.landlord.email)[-1].text_body
    )
    assert client.post(url, data={"visit_at": "2026-12-03T14:00"}).status_code == 302
    assert "3 décembre 2026 à 14:00" in queued_emails(world.landlord.email)[-1].text_body
    assert client.post(url, data={"visit_at": "pas une date"}).status_code == 400


def test_the_landlords_dashboard_lists_their_offers(client, world, commune):
    sign_in(client, world.landlord)
    page = client.get("/").get_data(as_text=True)
    assert "pas encore proposé de logement" in page and "/landlords/offer/new" in page
    offer = make_offer(world, commune, status=S.VISIT_PLANNED)
    page = client.get("/").get_data(as_text=True)
    assert f"Proposition n° {offer.id}" in page and "Une visite du logement est prévue." in page


INLINE_CODE = re.compile(
    r"<script(?![^>]*\bsrc=)[^>]*>|<style\b|\sstyle=|\son[a-z]+=|javascript:", re.IGNORECASE
)


def test_landlord_pages_carry_no_inline_script_or_style(client, world, commune):
    offer = make_offer(world, commune, status=S.VISIT_PLANNED)
    draft = OwnerOffer(owner=world.landlord, status=S.DRAFT)
    db.session.add(draft)
    db.session.commit()
    pages = [
        "/landlords/",
        "/landlords/simulator",
        "/landlords/simulator?surface=30&rent=400&dpe_class=G",
        "/landlords/offer/new",
    ]
    for path in pages:
        assert not INLINE_CODE.search(client.get(path).text), path
    sign_in(client, world.landlord)
    for path in [
        "/landlords/my-offers",
        f"/landlords/my-offers/{offer.id}",
        f"/landlords/my-offers/{draft.id}",
        *(
            f"/landlords/my-offers/{draft.id}/step/{s}"
            for s in ("owner", "unit", "scheme", "documents")
        ),
    ]:
        assert not INLINE_CODE.search(client.get(path).text), path
    sign_in(client, world.coordinator)
    for path in [
        "/landlords/offers",
        f"/landlords/offers/{offer.id}",
        f"/landlords/offers/{offer.id}/checklist",
        "/landlords/rules",
        "/landlords/rules/dpe_ban_F/new",
        "/landlords/rules/ceilings/new",
    ]:
        response = client.get(path)
        assert response.status_code == 200, path
        assert not INLINE_CODE.search(response.text), path


@pytest.mark.parametrize(
    "path",
    ["/landlords/offers/99999999999999999999", "/landlords/offers/2147483648/checklist"],
)
def test_an_id_too_large_is_simply_not_found(client, world, path):
    sign_in(client, world.coordinator)
    assert client.get(path).status_code == 404


def test_an_owner_never_downloads_another_owners_documents(client, world, make_user):
    other = make_user(landlord=True)
    theirs = OwnerOffer(owner=other, status=OfferStatus.NEW, consent_to_contact=True)
    db.session.add(theirs)
    db.session.flush()
    doc = add_document(theirs, OfferDocumentKind.DPE, "dpe.pdf", PDF_BYTES, other)
    db.session.commit()
    assert not permissions.can_view_offer(world.landlord, theirs)
    sign_in(client, world.landlord)
    assert client.get(f"/landlords/offers/{theirs.id}/documents/{doc.id}").status_code == 404
    sign_in(client, other)
    download = client.get(f"/landlords/offers/{theirs.id}/documents/{doc.id}")
    assert download.status_code == 200 and download.data == PDF_BYTES
    download.close()


def test_the_offer_form_tells_nothing_of_who_has_an_account_and_adds_nothing_to_theirs(
    client, world
):
    """ASVS 6.3.8: an unknown address, a partner's and an owner's not yet confirmed get the
    same page; nobody adds a draft to someone else's unconfirmed account."""
    start_anonymously(client)  # Marie's account, not confirmed yet, with her draft
    marie = db.session.scalar(sa.select(User).where(User.email == "marie@exemple.fr"))
    drafts_before = db.session.scalar(
        sa.select(sa.func.count(OwnerOffer.id)).where(OwnerOffer.owner_id == marie.id)
    )
    pages = []
    for email in ("marie@exemple.fr", world.partner_member.email, "inconnu@exemple.fr"):
        response = start_anonymously(client, email=email, full_name="Quelqu'un d'autre")
        text = response.get_data(as_text=True).replace(email, "…")
        pages.append((response.status_code, re.sub(r'value="[^"]*"', "", text)))
    assert pages[0] == pages[1] == pages[2]
    assert (
        db.session.scalar(
            sa.select(sa.func.count(OwnerOffer.id)).where(OwnerOffer.owner_id == marie.id)
        )
        == drafts_before
    )
    assert marie.full_name == "Marie Kerguen"
    assert len(queued_emails("marie@exemple.fr")) == 2  # her link, sent again, nothing more
