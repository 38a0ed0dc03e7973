"""Access rules of the measure's documents and their wording.

The measure is the CCAS's (the ccas_worker's and the coordinator's organisation), in a unit
of the world's private owner: the CCAS and that owner get the documents of their
audience; for anyone else the measure does not exist. Only the coordinator edits the
wording. What each reader's documents contain is tested in tests/test_documents.py.
"""

from datetime import date
from decimal import Decimal

from portal.extensions import db
from portal.measures.services import open_measure
from portal.measures.timeline import add_months
from portal.models import (
    Accommodation,
    Candidacy,
    CandidacyStatus,
    Commune,
    Household,
    HouseholdPublic,
    Programme,
    Typology,
    Unit,
)
from tests.access_rules import COORDINATOR_ONLY, Route, answers

READERS = answers(404, landlord=200, ccas_worker=200, coordinator=200)


def documents(w, e) -> str:
    return f"/documents/measures/{e['documents_measure'].id}"


ROUTES: dict[tuple[str, str], Route] = {
    ("documents.measure_documents", "GET"): Route(documents, READERS),
    ("documents.download", "GET"): Route(
        lambda w, e: documents(w, e) + "/convention-proprietaire.pdf", READERS
    ),
    ("documents.wording_index", "GET"): Route(lambda w, e: "/documents/wording", COORDINATOR_ONLY),
    ("documents.wording_edit", "GET"): Route(
        lambda w, e: "/documents/wording/guide", COORDINATOR_ONLY
    ),
    # An empty form gives every passage its default text back.
    ("documents.wording_edit", "POST"): Route(
        lambda w, e: "/documents/wording/guide", answers(403, coordinator=302)
    ),
}


def build(world, case_world) -> dict:
    territory = world.ccas.territory
    ccas_id, siao_id = world.ccas.id, world.siao.id
    commune = Commune(territory=territory, name="Commune des documents")
    programme = Programme(territory=territory, name="IML documents du matrix", capacity=10)
    household = Household(
        reference="CCAS-DOC-0001",
        organisation=world.ccas,
        public=HouseholdPublic.HOMME_SEUL,
        accommodation=Accommodation.ALT,
    )
    unit = Unit(
        commune=commune,
        address="5 rue du Port",
        typology=Typology.T2,
        surface=Decimal("40"),
        rent=Decimal("400"),
        private_owner=world.landlord,
    )
    candidacy = Candidacy(
        household=household,
        programme=programme,
        organisation_id=ccas_id,
        siao_id=siao_id,
        status=CandidacyStatus.VALIDATED,
        requested_typology=Typology.T2,
    )
    db.session.add_all([commune, programme, household, unit, candidacy])
    db.session.flush()
    measure = open_measure(
        candidacy,
        unit,
        world.ccas_worker,
        {
            "start_date": add_months(date.today(), -2),
            "rent": Decimal("400"),
            "household_share": Decimal("120"),
            "referent": world.ccas_worker,
        },
    )
    db.session.commit()
    return {"documents_measure": measure}
