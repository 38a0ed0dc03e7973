"""Access rules of the programmes' and units' routes.

The programmes' dashboard (no identity) is for the CCAS, the SIAO and the State; the
coordinator manages programmes. Units: the CCAS sees and edits all of them, a social
landlord its own (tested in tests/test_units.py: no role of the matrix is one).
"""

from decimal import Decimal

from portal.extensions import db
from portal.models import Commune, Organisation, OrganisationKind, Programme, Typology, Unit
from tests.access_rules import COORDINATOR_ONLY, Route, answers

PROGRAMME_READERS = answers(403, siao_officer=200, ccas_worker=200, coordinator=200)
CCAS_STAFF = answers(403, ccas_worker=200, coordinator=200)
# A unit's existence is private to the CCAS and its landlord.
UNIT_READERS = answers(404, ccas_worker=200, coordinator=200)


def programme(w, e) -> str:
    return f"/measures/programmes/{e['dashboard_programme'].id}"


def unit(w, e) -> str:
    return f"/measures/units/{e['unit'].id}"


ROUTES: dict[tuple[str, str], Route] = {
    ("units.programmes", "GET"): Route(lambda w, e: "/measures/programmes", PROGRAMME_READERS),
    ("units.programme", "GET"): Route(programme, PROGRAMME_READERS),
    ("units.new_programme", "GET"): Route(
        lambda w, e: "/measures/programmes/new", COORDINATOR_ONLY
    ),
    # An empty form is refused (400).
    ("units.new_programme", "POST"): Route(
        lambda w, e: "/measures/programmes/new", answers(403, coordinator=400)
    ),
    ("units.edit_programme", "GET"): Route(
        lambda w, e: programme(w, e) + "/edit", COORDINATOR_ONLY
    ),
    # An empty POST is refused (400): the numbers must be typed.
    ("units.edit_programme", "POST"): Route(
        lambda w, e: programme(w, e) + "/edit", answers(403, coordinator=400)
    ),
    ("units.units", "GET"): Route(lambda w, e: "/measures/units", CCAS_STAFF),
    ("units.new_unit", "GET"): Route(lambda w, e: "/measures/units/new", CCAS_STAFF),
    ("units.new_unit", "POST"): Route(
        lambda w, e: "/measures/units/new", answers(403, ccas_worker=400, coordinator=400)
    ),
    ("units.unit", "GET"): Route(unit, UNIT_READERS),
    ("units.edit_unit", "GET"): Route(lambda w, e: unit(w, e) + "/edit", UNIT_READERS),
    ("units.edit_unit", "POST"): Route(
        lambda w, e: unit(w, e) + "/edit", answers(404, ccas_worker=400, coordinator=400)
    ),
    # No action chosen: back to the unit with a message.
    ("units.unit_status", "POST"): Route(
        lambda w, e: unit(w, e) + "/status", answers(404, ccas_worker=302, coordinator=302)
    ),
}


def build(world, case_world) -> dict:
    territory = world.ccas.territory
    landlord = Organisation(
        name="Bailleur de la matrice", kind=OrganisationKind.BAILLEUR_SOCIAL, territory=territory
    )
    commune = Commune(name="Concarneau", territory=territory)
    dashboard = Programme(territory=territory, name="IML DALO", capacity=5)
    flat = Unit(
        social_landlord=landlord,
        commune=commune,
        address="12 rue des Écoles",
        typology=Typology.T2,
        surface=Decimal("45"),
        rent=Decimal("350"),
    )
    db.session.add_all([landlord, commune, dashboard, flat])
    db.session.commit()
    return {"unit": flat, "dashboard_programme": dashboard}
