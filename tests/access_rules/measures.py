"""Access rules of the IML measures routes.

The measure is the CCAS's (the ccas_worker's and the coordinator's organisation), in a unit
of a social landlord none of the roles belongs to; its 6-month bilan is held (so that its
fiche-bilan exists), its 10-month bilan is still to come. Everyone else is told it does not
exist. The social landlord's reduced view and the State service's fiche are tested in
tests/test_measures.py.
"""

from datetime import date
from decimal import Decimal

from portal.extensions import db
from portal.measures.services import open_measure, record_bilan
from portal.measures.timeline import add_months
from portal.models import (
    BilanKind,
    BilanOutcome,
    Candidacy,
    CandidacyStatus,
    Commune,
    Organisation,
    OrganisationKind,
    Programme,
    Typology,
    Unit,
)
from tests.access_rules import Route, answers

CCAS = {"ccas_worker": 200, "coordinator": 200}
# Opening a measure: CCAS staff only; the others know the page exists.
OPENERS = answers(403, **CCAS)
# An empty form is refused (400) to those who may send it.
OPENERS_POST = answers(403, ccas_worker=400, coordinator=400)
# The measure, its bilans and rent record: the owning CCAS; for anyone else, not found.
OWNER = answers(404, **CCAS)
OWNER_POST = answers(404, ccas_worker=400, coordinator=400)


def measure(w, e) -> str:
    return f"/measures/{e['measure'].id}"


def held(w, e) -> str:
    return f"{measure(w, e)}/bilans/{e['held_bilan'].id}"


def pending(w, e) -> str:
    return f"{measure(w, e)}/bilans/{e['pending_bilan'].id}"


ROUTES: dict[tuple[str, str], Route] = {
    ("measures.index", "GET"): Route(lambda w, e: "/measures/", OPENERS),
    ("measures.new", "GET"): Route(lambda w, e: "/measures/new", OPENERS),
    ("measures.new", "POST"): Route(lambda w, e: "/measures/new", OPENERS_POST),
    ("measures.show", "GET"): Route(measure, OWNER),
    ("measures.bilan", "GET"): Route(held, OWNER),
    ("measures.bilan", "POST"): Route(pending, OWNER_POST),
    ("measures.point", "POST"): Route(lambda w, e: pending(w, e) + "/meeting", OWNER_POST),
    ("measures.fiche", "GET"): Route(lambda w, e: held(w, e) + "/fiche", OWNER),
    ("measures.fiche_pdf", "GET"): Route(lambda w, e: held(w, e) + "/fiche.pdf", OWNER),
    ("measures.rent", "GET"): Route(lambda w, e: measure(w, e) + "/rent", OWNER),
    ("measures.rent", "POST"): Route(lambda w, e: measure(w, e) + "/rent", OWNER_POST),
}


def build(world, case_world) -> dict:
    """Objects the URLs of these routes point at."""
    territory = world.ccas.territory
    household, case = case_world.household, case_world.case
    commune = Commune(territory=territory, name="Commune du matrix")
    landlord = Organisation(
        name="Bailleur du matrix", kind=OrganisationKind.BAILLEUR_SOCIAL, territory=territory
    )
    programme = Programme(territory=territory, name="IML mesures du matrix", capacity=10)
    db.session.add_all([commune, landlord, programme])
    unit = Unit(
        commune=commune,
        address="1 place du Marché",
        typology=Typology.T2,
        surface=Decimal("40"),
        rent=Decimal("400"),
        social_landlord=landlord,
    )
    candidacy = Candidacy(
        household=household,
        programme=programme,
        organisation_id=world.ccas.id,
        siao_id=world.siao.id,
        case=case,
        status=CandidacyStatus.VALIDATED,
        requested_typology=Typology.T2,
    )
    db.session.add_all([unit, candidacy])
    db.session.flush()
    opened = open_measure(
        candidacy,
        unit,
        world.ccas_worker,
        {
            "start_date": add_months(date.today(), -7),
            "rent": Decimal("400"),
            "household_share": Decimal("120"),
            "referent": world.ccas_worker,
        },
    )
    six = next(b for b in opened.bilans if b.kind == BilanKind.SIX_MONTHS)
    record_bilan(
        six, world.ccas_worker, {"held_on": date.today(), "outcome": BilanOutcome.POURSUITE}
    )
    ten = next(b for b in opened.bilans if b.kind == BilanKind.TEN_MONTHS)
    db.session.commit()
    return {"measure": opened, "held_bilan": six, "pending_bilan": ten}
