"""The measure's documents: each reader gets the documents of its audience, with the
measure's figures and nothing it may not see (the landlord's carry nothing about the
household); the coordinator edits their fixed wording."""

import io
from datetime import UTC, date, datetime
from decimal import Decimal

import docx
import pytest

from portal.documents.catalogue import DOCUMENTS, WORDINGS
from portal.extensions import db
from portal.measures.services import close_measure, open_measure
from portal.measures.timeline import add_months
from portal.models import (
    AuditAction,
    BilanKind,
    BilanOutcome,
    Candidacy,
    CandidacyStatus,
    Commune,
    DocumentWording,
    MeasureStatus,
    Meeting,
    MeetingKind,
    OrganisationKind,
    Programme,
    Typology,
    Unit,
    now_utc,
)
from tests.conftest import CANARY_NAME, sign_in
from tests.support import audit_events, database_rows, fresh_client, tagged_pdf_text

START = add_months(date.today(), -7)
CCAS_ONLY = ("guide-menage", "contrat-sous-location", "convocation-menage")
FOR_LANDLORDS = ("convention-proprietaire", "glissement-bail", "convocation-proprietaire")


@pytest.fixture
def client(app):
    return fresh_client(app)


def open_in(world, household, unit, programme):
    candidacy = Candidacy(
        household=household,
        programme=programme,
        organisation_id=world.ccas.id,
        siao_id=world.siao.id,
        status=CandidacyStatus.VALIDATED,
        requested_typology=Typology.T2,
        validated_at=now_utc(),
    )
    db.session.add(candidacy)
    db.session.flush()
    measure = open_measure(
        candidacy,
        unit,
        world.ccas_worker,
        {
            "start_date": START,
            "rent": Decimal("432.10"),
            "charges": Decimal("37.50"),
            "household_share": Decimal("151.25"),
            "referent": world.ccas_worker,
        },
    )
    db.session.commit()
    return measure


@pytest.fixture
def setting(world, make_org, make_user, make_household):
    """A measure in a social landlord's unit, another in a private owner's unit."""
    territory = world.ccas.territory
    commune = Commune(territory=territory, name="Concarneau")
    programme = Programme(territory=territory, name="IML sortie de structures", capacity=10)
    db.session.add_all([commune, programme])
    social = make_org(OrganisationKind.BAILLEUR_SOCIAL, "Finistère Habitat")
    social_user = make_user(social, full_name="Marc Bailleur")

    def unit(**owner):
        made = Unit(
            commune=commune,
            address="3 rue des Écoles",
            typology=Typology.T2,
            surface=Decimal("45"),
            rent=Decimal("432.10"),
            charges=Decimal("37.50"),
            **owner,
        )
        db.session.add(made)
        db.session.flush()
        return made

    household = make_household(world.ccas, world.ccas_worker)
    social_measure = open_in(world, household, unit(social_landlord=social), programme)
    other = make_household(world.ccas, world.ccas_worker, first="Octave", last="Privé")
    private_measure = open_in(world, other, unit(private_owner=world.landlord), programme)
    return social_measure, private_measure, social_user


def let_slide(measure, on=None):
    """The lease slid at the 6-month bilan (as the measures feature records it; its own
    rules for a slide are tested in tests/test_measures.py)."""
    on = on or date.today()
    six = next(b for b in measure.bilans if b.kind == BilanKind.SIX_MONTHS)
    six.held_on, six.outcome = on, BilanOutcome.GLISSEMENT
    close_measure(measure, MeasureStatus.SLID, on)
    db.session.commit()


def url(measure, slug, fmt="pdf"):
    return f"/documents/measures/{measure.id}/{slug}.{fmt}"


def pdf_text(client, measure, slug) -> str:
    response = client.get(url(measure, slug))
    assert response.status_code == 200, slug
    assert response.mimetype == "application/pdf"
    return tagged_pdf_text(response.data, str(DOCUMENTS[slug].title)[:20])


def docx_text(client, measure, slug) -> str:
    response = client.get(url(measure, slug, "docx"))
    assert response.status_code == 200, slug
    document = docx.Document(io.BytesIO(response.data))
    parts = [p.text for p in document.paragraphs]
    parts += [cell.text for table in document.tables for row in table.rows for cell in row.cells]
    return "\n".join(parts)


def flat(text: str) -> str:
    return " ".join(text.split())


def test_the_ccas_documents_carry_the_measure_s_figures_and_the_household(client, world, setting):
    measure = setting[0]
    sign_in(client, world.ccas_worker)
    page = client.get(f"/documents/measures/{measure.id}").text
    for slug in DOCUMENTS:
        assert url(measure, slug) in page
    guide = flat(pdf_text(client, measure, "guide-menage"))
    assert CANARY_NAME in guide
    assert "151,25" in guide and "432,10" in guide and "37,50" in guide
    assert "Bilan à 6 mois" in guide and "Décision à 12 mois" in guide
    assert "Yann Social" in guide  # who to call
    contract = flat(docx_text(client, measure, "contrat-sous-location"))
    assert CANARY_NAME in contract and "432,10" in contract and "151,25" in contract
    slide = flat(docx_text(client, measure, "glissement-bail"))
    assert CANARY_NAME in slide  # the CCAS fills in the new tenant's name
    twelve = next(b for b in measure.bilans if b.kind == BilanKind.TWELVE_MONTHS)
    assert f"{twelve.due_date.day} " in slide
    exports = audit_events(AuditAction.EXPORT, "household")
    assert len(exports) == 3 and all(e.object_id == measure.household_id for e in exports)


@pytest.mark.parametrize("who", ["social", "private"])
def test_the_landlord_s_documents_carry_nothing_about_the_household(client, world, setting, who):
    social_measure, private_measure, social_user = setting
    measure, reader = (
        (social_measure, social_user) if who == "social" else (private_measure, world.landlord)
    )
    household = measure.household
    sign_in(client, reader)
    page = client.get(f"/documents/measures/{measure.id}").text
    assert household.reference not in page
    for slug in CCAS_ONLY:
        assert url(measure, slug) not in page
        assert client.get(url(measure, slug)).status_code == 403
    forbidden = [CANARY_NAME, "Octave", "Privé", household.reference, "151,25", "Zéphyrine"]
    for slug in FOR_LANDLORDS:
        for text in (flat(pdf_text(client, measure, slug)), flat(docx_text(client, measure, slug))):
            if not slug.startswith("convocation"):
                assert "432,10" in text and "37,50" in text, slug
            assert "3 rue des Écoles" in text
            for secret in forbidden:
                assert secret not in text, (slug, secret)
    assert audit_events(AuditAction.EXPORT, "household") == []
    assert len(audit_events(AuditAction.EXPORT, "measure")) == 6


def test_nobody_else_learns_the_documents_exist(client, world, setting, make_user, make_org):
    social_measure, private_measure, social_user = setting
    other_owner = make_user(landlord=True, full_name="Autre Propriétaire")
    for person, measure in (
        (social_user, private_measure),
        (world.landlord, social_measure),
        (other_owner, private_measure),
        (world.outsider, social_measure),
        (world.siao_officer, social_measure),
    ):
        sign_in(client, person)
        assert client.get(f"/documents/measures/{measure.id}").status_code == 404
        assert client.get(url(measure, "convention-proprietaire")).status_code == 404
    sign_in(client, world.ccas_worker)
    assert client.get(url(social_measure, "nope")).status_code == 404
    assert client.get(url(social_measure, "guide-menage", "docx")).status_code == 404  # PDF only
    assert client.get(url(social_measure, "guide-menage", "odt")).status_code == 404


def test_no_convocation_once_the_lease_has_slid(client, world, setting):
    measure = setting[0]
    let_slide(measure)
    sign_in(client, world.ccas_worker)
    assert client.get(url(measure, "convocation-menage")).status_code == 404
    assert "Aucun bilan à venir" in client.get(f"/documents/measures/{measure.id}").text
    slide = flat(pdf_text(client, measure, "glissement-bail"))
    assert f"{date.today().year}" in slide


def test_the_coordinator_edits_the_wording_and_can_restore_it(client, world, setting):
    measure = setting[0]
    page_url = "/documents/wording/guide"
    sign_in(client, world.ccas_worker)
    assert client.get(page_url).status_code == 403
    assert client.post(page_url, data={"intro": "x"}).status_code == 403
    sign_in(client, world.coordinator)
    assert "Guide du ménage" in client.get("/documents/wording").text
    texts = {p.key: str(p.default) for p in WORDINGS["guide"].passages}
    texts["intro"] = "Bienvenue chez vous : ce guide est fait pour vous."
    response = client.post(page_url, data=texts)
    assert response.status_code == 302
    guide = flat(pdf_text(client, measure, "guide-menage"))
    assert "Bienvenue chez vous : ce guide est fait pour vous." in guide
    assert [r.passage for r in db.session.scalars(db.select(DocumentWording))] == ["intro"]
    # Too long: refused, nothing changed, what was typed is kept.
    before = database_rows()
    too_long = {**texts, "sublease": "trop long " * 500}
    response = client.post(page_url, data=too_long)
    assert response.status_code == 400
    assert "trop long trop long" in response.text
    assert database_rows() == before
    # Emptied: the default text is back.
    texts["intro"] = ""
    assert client.post(page_url, data=texts).status_code == 302
    assert db.session.scalars(db.select(DocumentWording)).all() == []
    default = str(WORDINGS["guide"].passages[0].default)
    assert flat(default)[:60] in flat(pdf_text(client, measure, "guide-menage"))


def test_the_convocations_give_the_point_de_situation_s_date_time_and_place(client, world, setting):
    measure = setting[0]
    six = next(b for b in measure.bilans if not b.is_done)
    six.meeting = Meeting(
        committee=world.committee,
        kind=MeetingKind.POINT_DE_SITUATION,
        title="Point de situation",
        starts_at=datetime(2027, 3, 9, 13, 30, tzinfo=UTC),  # 14 h 30 in Paris
        location="Salle Ty Glas, CCAS",
    )
    db.session.commit()
    sign_in(client, world.ccas_worker)
    household = flat(pdf_text(client, measure, "convocation-menage"))
    assert "9 mars 2027" in household and "14 h 30" in household
    assert "Salle Ty Glas, CCAS" in household and CANARY_NAME in household
    assert "Votre référent" in household
    sign_in(client, setting[2])
    landlord = flat(docx_text(client, measure, "convocation-proprietaire"))
    assert "9 mars 2027" in landlord and "Salle Ty Glas, CCAS" in landlord
    assert CANARY_NAME not in landlord and measure.household.reference not in landlord
