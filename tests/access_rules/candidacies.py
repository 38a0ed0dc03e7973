"""Access rules of the SIAO candidacies' routes.

The CCAS (owner) proposes the case world's household; the SIAO sees a candidacy only once
it is submitted. ``draft`` is still the CCAS's own; ``submitted`` awaits the SIAO.
"""

from portal.candidacies.services import change_candidacy_status, create_candidacy
from portal.extensions import db
from portal.models import Programme, Typology
from tests.access_rules import STAFF_ONLY, Route, answers

CCAS_ONLY = answers(403, ccas_worker=200, coordinator=200)
# A draft is private to the CCAS: to everyone else it does not exist.
DRAFT_OWNER = answers(404, ccas_worker=200, coordinator=200)
SUBMITTED_READERS = answers(404, siao_officer=200, ccas_worker=200, coordinator=200)


def candidacy(key: str):
    return lambda w, e: f"/siao/{e[key].id}"


ROUTES: dict[tuple[str, str], Route] = {
    ("candidacies.index", "GET"): Route(lambda w, e: "/siao/", STAFF_ONLY),
    ("candidacies.new", "GET"): Route(lambda w, e: "/siao/new", CCAS_ONLY),
    # An empty form is refused (400) to the CCAS.
    ("candidacies.new", "POST"): Route(
        lambda w, e: "/siao/new", answers(403, ccas_worker=400, coordinator=400)
    ),
    ("candidacies.show", "GET"): Route(candidacy("submitted_candidacy"), SUBMITTED_READERS),
    ("candidacies.edit", "GET"): Route(
        lambda w, e: candidacy("draft_candidacy")(w, e) + "/edit", DRAFT_OWNER
    ),
    # An empty POST re-saves the draft as it is, then redirects.
    ("candidacies.edit", "POST"): Route(
        lambda w, e: candidacy("draft_candidacy")(w, e) + "/edit",
        answers(404, ccas_worker=302, coordinator=302),
    ),
    ("candidacies.submit", "POST"): Route(
        lambda w, e: candidacy("draft_candidacy")(w, e) + "/submit",
        answers(404, ccas_worker=302, coordinator=302),
    ),
    # The SIAO may read but not withdraw; the CCAS may.
    ("candidacies.withdraw", "POST"): Route(
        lambda w, e: candidacy("submitted_candidacy")(w, e) + "/withdraw",
        answers(404, siao_officer=403, ccas_worker=302, coordinator=302),
    ),
    # Only the SIAO decides; an empty decision is refused (400).
    ("candidacies.decide", "POST"): Route(
        lambda w, e: candidacy("submitted_candidacy")(w, e) + "/decide",
        answers(404, siao_officer=400, ccas_worker=403, coordinator=403),
    ),
}


def build(world, case_world) -> dict:
    programme = Programme(
        territory=world.ccas.territory, name="IML sortie de structures", capacity=10
    )
    db.session.add(programme)
    db.session.flush()
    data = {
        "programme_id": programme.id,
        "case_id": case_world.case.id,
        "requested_typology": Typology.T2,
        "commune_ids": [],
    }
    draft = create_candidacy(case_world.household, world.ccas_worker, data)
    submitted = create_candidacy(case_world.household, world.ccas_worker, data)
    change_candidacy_status(submitted, "submit", world.ccas_worker)
    db.session.commit()
    return {"draft_candidacy": draft, "submitted_candidacy": submitted, "programme": programme}
