"""A private owner's offer against the Loc'Avantages ceilings and what the scheme can carry:
each level's gap and what it would bring, at every step and on the CCAS side; a move past
the scheme's limits needs a written reason; the simulation is carried into the offer; the
owner's tracker continues after the agreement with dates only, nothing about the household."""

import html
import re
from datetime import date
from decimal import Decimal

import pytest
import sqlalchemy as sa

from portal.extensions import db
from portal.measures.services import close_measure, open_measure
from portal.measures.timeline import add_months
from portal.models import (
    BilanKind,
    BilanOutcome,
    Candidacy,
    CandidacyStatus,
    Commune,
    DpeClass,
    MeasureStatus,
    OfferStatus,
    OwnerOffer,
    Programme,
    RuleParameter,
    Typology,
    Unit,
    UserKind,
    now_utc,
)
from portal.owners import rules as R
from portal.owners.services import add_rule_value, current_rules
from portal.workflow import WorkflowError
from tests.conftest import CANARY_NAME, sign_in
from tests.support import database_rows, form_errors, fresh_client

D = Decimal
S = OfferStatus
RULES = R.default_rules()


@pytest.fixture
def client(app):
    return fresh_client(app)


@pytest.fixture
def commune(world):
    place = Commune(name="Trégunc", territory=world.ccas.territory)
    db.session.add(place)
    db.session.commit()
    return place


def make_offer(world, commune, status=S.DRAFT, **fields):
    values = dict(
        address="12 rue des Sternes",
        commune=commune,
        typology=Typology.T2,
        surface=D("40"),
        rent=D("520"),
        charges=D("120"),
        agency_fees=D("800"),
        consent_to_contact=True,
    )
    offer = OwnerOffer(owner=world.landlord, status=status, **{**values, **fields})
    db.session.add(offer)
    db.session.commit()
    return offer


def text_of(response) -> str:
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", response.get_data(as_text=True))).split())


# The comparison, pure ------------------------------------------------------------------------


def test_each_level_s_gap_and_what_it_brings_and_the_scheme_s_limits():
    facts = R.UnitFacts(surface=D("40"), rent=D("520"), charges=D("120"), agency_fees=D("800"))
    found = R.compare(facts, RULES)
    # Example ceilings: 9.35, 7.70, 6.05 €/m²; the scheme rents at Loc2; 2.50 €/m² of charges.
    assert [lv.ceiling for lv in found.levels] == [D("374.00"), D("308.00"), D("242.00")]
    assert [lv.gap for lv in found.levels] == [D("146.00"), D("212.00"), D("278.00")]
    assert [lv.is_scheme_level for lv in found.levels] == [False, True, False]
    # What each level would bring, on the ceiling's rent: 20/40/65 % a year, and the bonus.
    assert [lv.yearly_reduction for lv in found.levels] == [
        D("897.60"),
        D("1478.40"),
        D("1887.60"),
    ]
    assert [lv.bonus_sublease for lv in found.levels] == [D("0.00"), D("2000.00"), D("2000.00")]
    assert (found.scheme_rent, found.rent_gap) == (D("308.00"), D("212.00"))
    assert (found.charges_cap, found.charges_gap) == (D("100.00"), D("20.00"))
    assert found.rent_above and found.charges_above and found.ceilings_are_examples
    within = R.compare(R.UnitFacts(surface=D("40"), rent=D("300"), charges=D("90")), RULES)
    assert not within.above_scheme
    assert R.compare(R.UnitFacts(surface=D("40")), RULES) is None  # nothing to compare yet


def test_the_scheme_s_level_is_a_parameter_of_1_2_or_3(app, world):
    with pytest.raises(WorkflowError, match="1, 2 ou 3"):
        add_rule_value("scheme_level", "4", "Choix du CCAS", date(2026, 1, 1), world.coordinator)
    assert db.session.scalars(sa.select(RuleParameter)).all() == []
    add_rule_value("scheme_level", "3", "Choix du CCAS", date(2026, 1, 1), world.coordinator)
    facts = R.UnitFacts(surface=D("40"), rent=D("260"))
    assert R.compare(facts, current_rules(date(2026, 6, 1))).scheme_rent == D("242.00")


def test_agency_fees_are_compared_and_the_scheme_asks_none():
    asked = R.checks(R.UnitFacts(dpe_class="C", surface=D("40"), agency_fees=D("800")), RULES)
    none = R.checks(R.UnitFacts(dpe_class="C", surface=D("40"), agency_fees=D("0")), RULES)
    assert "agency_fees_not_needed" in {c.code for c in asked}
    assert "agency_fees_not_needed" not in {c.code for c in none}


# The owner and the CCAS see it -----------------------------------------------------------------


def test_the_owner_sees_the_gap_at_each_step_and_the_ccas_on_its_page(client, world, commune):
    offer = make_offer(world, commune)
    sign_in(client, world.landlord)
    base = f"/landlords/my-offers/{offer.id}"
    for url in (f"{base}/step/unit", f"{base}/step/scheme", f"{base}/step/documents", base):
        page = text_of(client.get(url))
        assert "dépasse de 212,00 € ce que le dispositif peut porter" in page, url
        assert "1 478,40 €" in page and "2 000,00 €" in page, url  # what Loc2 would bring
        assert "Frais d'agence indiqués : 800,00 €" in page and "n'en demande aucun" in page
        assert "Plafonds d'exemple" in page
    assert "dépasse" not in text_of(client.get(f"{base}/step/owner"))
    offer.status = S.VISITED
    db.session.commit()
    sign_in(client, world.ccas_worker)
    page = text_of(client.get(f"/landlords/offers/{offer.id}"))
    assert "dépasse de 212,00 €" in page and "dépassent de 20,00 €" in page


def test_the_agency_fees_are_a_field_of_the_unit_step(client, world, commune):
    offer = make_offer(world, commune, agency_fees=None)
    sign_in(client, world.landlord)
    url = f"/landlords/my-offers/{offer.id}/step/unit"
    assert "Frais d&#39;agence si vous louiez seul" in client.get(url).text
    data = {
        "address": "12 rue des Sternes",
        "commune_id": str(commune.id),
        "typology": "T2",
        "surface": "40",
        "rent": "300",
        "agency_fees": "450,50",
    }
    assert client.post(url, data=data).status_code == 302
    assert offer.agency_fees == D("450.50")


def move(client, offer, to, **extra):
    return client.post(f"/landlords/offers/{offer.id}/status", data={"to_status": to, **extra})


def test_a_move_past_the_scheme_s_limits_needs_a_written_reason(client, world, commune):
    offer = make_offer(world, commune, status=S.VISITED)
    sign_in(client, world.ccas_worker)
    before = database_rows()
    refused = move(client, offer, "financial_proposal")
    assert refused.status_code == 400
    errors = " ".join(form_errors(refused.text))
    assert "dépasse de 212,00" in errors and "Écrivez dans le commentaire" in errors
    assert database_rows() == before and offer.status == S.VISITED
    reason = "Le propriétaire ramène le loyer à 310 € à la signature."
    assert move(client, offer, "financial_proposal", comment=reason).status_code == 302
    assert offer.status == S.FINANCIAL_PROPOSAL
    page = text_of(client.get(f"/landlords/offers/{offer.id}"))
    assert "Dépassement justifié le" in page and reason in page
    # Blocking for « rent above the ceiling » needs no other reason.
    blocked = move(client, offer, "blocked", reason="rent_above_ceiling")
    assert blocked.status_code == 302 and offer.status == S.BLOCKED


# The simulation carried into the offer ---------------------------------------------------------


def test_the_simulation_is_carried_into_the_offer_not_retyped(client, world, commune):
    query = (
        f"commune={commune.id}&surface=40&rent=520&charges=120&agency_fees=800"
        "&dpe_class=C&lease_date=2027-02-01"
    )
    page = client.get(f"/landlords/simulator?{query}").text
    link = html.unescape(re.search(r'href="(/landlords/offer/new\?[^"]+)"', page).group(1))
    assert "rent=520" in link and f"commune={commune.id}" in link
    form_page = client.get(link)
    shown = text_of(form_page)
    assert "Votre simulation est reprise" in shown and "520,00 €" in shown and "Trégunc" in shown
    token = re.search(r'name="simulation" type="hidden" value="([^"]+)"', form_page.text)
    assert token is not None
    data = {
        "full_name": "Marie Kerguen",
        "email": "marie@exemple.fr",
        "owner_kind": "person",
        "consent_to_contact": "y",
        "simulation": token.group(1),
    }
    assert client.post("/landlords/offer/new", data=data).status_code == 200
    offer = db.session.scalar(sa.select(OwnerOffer))
    assert offer.owner.kind == UserKind.PRIVATE_OWNER and offer.status == S.DRAFT
    assert (offer.commune_id, offer.surface, offer.rent, offer.charges) == (
        commune.id,
        D("40"),
        D("520"),
        D("120"),
    )
    assert offer.agency_fees == D("800") and offer.dpe_class == DpeClass.C
    assert offer.available_from == date(2027, 2, 1)


def test_a_forged_simulation_is_ignored(client, world, commune):
    data = {
        "full_name": "Marie Kerguen",
        "email": "marie@exemple.fr",
        "owner_kind": "person",
        "consent_to_contact": "y",
        "simulation": "eyJyZW50IjoiMSJ9.forged",
    }
    assert client.post("/landlords/offer/new", data=data).status_code == 200
    offer = db.session.scalar(sa.select(OwnerOffer))
    assert offer.rent is None and offer.surface is None


# After the agreement -----------------------------------------------------------------------


def test_the_owner_s_tracker_continues_after_the_agreement_with_dates_only(
    client, world, commune, make_household
):
    unit = Unit(
        commune=commune,
        address="12 rue des Sternes",
        typology=Typology.T2,
        surface=D("40"),
        rent=D("300"),
        private_owner=world.landlord,
    )
    db.session.add(unit)
    db.session.flush()
    offer = make_offer(world, commune, status=S.ALLOCATED, rent=D("300"), unit_id=unit.id)
    household = make_household(world.ccas, world.ccas_worker)
    programme = Programme(territory=commune.territory, name="IML sortie de structures", capacity=5)
    candidacy = Candidacy(
        household=household,
        programme=programme,
        organisation_id=world.ccas.id,
        siao_id=world.siao.id,
        status=CandidacyStatus.VALIDATED,
        requested_typology=Typology.T2,
        validated_at=now_utc(),
    )
    db.session.add_all([programme, candidacy])
    db.session.flush()
    start = add_months(date.today(), -7)
    measure = open_measure(
        candidacy,
        unit,
        world.ccas_worker,
        {
            "start_date": start,
            "rent": D("300"),
            "household_share": D("95.40"),
            "referent": world.ccas_worker,
        },
    )
    six = next(b for b in measure.bilans if b.kind == BilanKind.SIX_MONTHS)
    held = add_months(start, 6)
    six.held_on, six.outcome = held, BilanOutcome.POURSUITE
    six.summary = "Budget encore fragile, dettes anciennes."
    db.session.commit()
    sign_in(client, world.landlord)
    page = text_of(client.get(f"/landlords/my-offers/{offer.id}"))
    assert "Le logement est loué par le dispositif" in page
    assert "Bilan à 6 mois : tenu" in page and "Décision à 12 mois : prévu" in page
    for secret in (
        household.reference,
        CANARY_NAME,
        "Poursuite",
        "Budget encore fragile",
        "95,40",
        "Femme seule",
    ):
        assert secret not in page, secret
    assert (
        f"/documents/measures/{measure.id}" in client.get(f"/landlords/my-offers/{offer.id}").text
    )
    # The lease slides: the owner reads when, and what it changes, in plain words.
    slid_on = date.today()
    six.outcome = BilanOutcome.GLISSEMENT
    close_measure(measure, MeasureStatus.SLID, slid_on)
    db.session.commit()
    page = text_of(client.get(f"/landlords/my-offers/{offer.id}"))
    assert "Le bail a glissé au nom du locataire" in page
    assert "votre locataire en titre" in page and "ne vous verse plus le loyer" in page
    assert str(slid_on.year) in page
    assert "Décision à 12 mois : prévu" not in page  # no bilan after the slide
    assert household.reference not in page and CANARY_NAME not in page
