"""Access rules of the private owners' routes.

The public pages need no account. An owner (the world's landlord) sees only their own
offers; the CCAS (its worker and the coordinator) runs the pipeline; the coordinator alone
edits the rules. Other partners never learn that an offer exists. Empty POSTs are refused
with a 400 where a form is incomplete.
"""

from decimal import Decimal

from portal.extensions import db
from portal.models import OfferDocumentKind, OfferStatus, OwnerOffer
from portal.owners.services import add_document
from tests.access_rules import BAD_LINK, COORDINATOR_ONLY, PUBLIC, Route, answers
from tests.conftest import PDF_BYTES

CCAS = {"ccas_worker": 200, "coordinator": 200}
# Staff pages: the CCAS; everybody else signed in is refused (403).
CCAS_PAGES = answers(403, **CCAS)
CCAS_POST_400 = answers(403, ccas_worker=400, coordinator=400)
# The owner's own pages: staff are refused, since they use the pipeline's pages.
OWNER_PAGES = answers(403, landlord=200)
OWNER_POST_400 = answers(403, landlord=400)


def offer(w, e) -> str:
    return f"/landlords/offers/{e['offer'].id}"


def mine(w, e) -> str:
    return f"/landlords/my-offers/{e['offer'].id}"


def draft(w, e) -> str:
    return f"/landlords/my-offers/{e['draft'].id}"


ROUTES: dict[tuple[str, str], Route] = {
    ("owners.index", "GET"): Route(lambda w, e: "/landlords/", PUBLIC),
    ("owners.simulator", "GET"): Route(lambda w, e: "/landlords/simulator", PUBLIC),
    # Staff are sent back to the public page: offers are made from a landlord account.
    ("owners.new_offer", "GET"): Route(
        lambda w, e: "/landlords/offer/new", answers(302, anonymous=200, landlord=200)
    ),
    ("owners.new_offer", "POST"): Route(
        lambda w, e: "/landlords/offer/new", answers(302, anonymous=400, landlord=400)
    ),
    ("owners.confirm", "GET"): Route(lambda w, e: "/landlords/confirm/not-a-token", BAD_LINK),
    ("owners.confirm", "POST"): Route(lambda w, e: "/landlords/confirm/not-a-token", BAD_LINK),
    ("owners.my_offers", "GET"): Route(lambda w, e: "/landlords/my-offers", OWNER_PAGES),
    ("owners.my_offer", "GET"): Route(mine, OWNER_PAGES),
    ("owners.edit_step", "GET"): Route(lambda w, e: draft(w, e) + "/step/unit", OWNER_PAGES),
    ("owners.edit_step", "POST"): Route(lambda w, e: draft(w, e) + "/step/unit", OWNER_POST_400),
    # The draft is incomplete: refused with a message, back to its page.
    ("owners.submit", "POST"): Route(
        lambda w, e: draft(w, e) + "/submit", answers(403, landlord=302)
    ),
    ("owners.owner_message", "POST"): Route(lambda w, e: mine(w, e) + "/messages", OWNER_POST_400),
    ("owners.owner_document", "POST"): Route(
        lambda w, e: mine(w, e) + "/documents", OWNER_POST_400
    ),
    # A document: its owner and the CCAS; for anyone else the offer does not exist.
    ("owners.document", "GET"): Route(
        lambda w, e: offer(w, e) + f"/documents/{e['document'].id}",
        answers(404, landlord=200, **CCAS),
    ),
    ("owners.offers", "GET"): Route(lambda w, e: "/landlords/offers", CCAS_PAGES),
    ("owners.offer", "GET"): Route(offer, CCAS_PAGES),
    # An empty choice un-assigns the offer.
    ("owners.assign_offer", "POST"): Route(
        lambda w, e: offer(w, e) + "/assign", answers(403, ccas_worker=302, coordinator=302)
    ),
    ("owners.move", "POST"): Route(lambda w, e: offer(w, e) + "/status", CCAS_POST_400),
    ("owners.visit", "POST"): Route(lambda w, e: offer(w, e) + "/visit", CCAS_POST_400),
    ("owners.checklist", "GET"): Route(lambda w, e: offer(w, e) + "/checklist", CCAS_PAGES),
    ("owners.checklist", "POST"): Route(lambda w, e: offer(w, e) + "/checklist", CCAS_POST_400),
    ("owners.staff_message", "POST"): Route(lambda w, e: offer(w, e) + "/messages", CCAS_POST_400),
    ("owners.note", "POST"): Route(lambda w, e: offer(w, e) + "/notes", CCAS_POST_400),
    ("owners.staff_document", "POST"): Route(
        lambda w, e: offer(w, e) + "/documents", CCAS_POST_400
    ),
    ("owners.rules_index", "GET"): Route(lambda w, e: "/landlords/rules", COORDINATOR_ONLY),
    ("owners.rule_new", "GET"): Route(
        lambda w, e: "/landlords/rules/dpe_ban_G/new", COORDINATOR_ONLY
    ),
    ("owners.rule_new", "POST"): Route(
        lambda w, e: "/landlords/rules/dpe_ban_G/new", answers(403, coordinator=400)
    ),
    ("owners.ceiling_new", "GET"): Route(
        lambda w, e: "/landlords/rules/ceilings/new", COORDINATOR_ONLY
    ),
    ("owners.ceiling_new", "POST"): Route(
        lambda w, e: "/landlords/rules/ceilings/new", answers(403, coordinator=400)
    ),
}


def build(world, case_world) -> dict:
    """The landlord's offer at the visit stage (with a DPE) and an incomplete draft."""
    submitted = OwnerOffer(
        owner=world.landlord,
        status=OfferStatus.VISIT_PLANNED,
        address="3 rue des Mouettes",
        surface=Decimal("38"),
        rent=Decimal("420"),
        consent_to_contact=True,
    )
    unfinished = OwnerOffer(owner=world.landlord, status=OfferStatus.DRAFT)
    db.session.add_all([submitted, unfinished])
    db.session.flush()
    document = add_document(submitted, OfferDocumentKind.DPE, "dpe.pdf", PDF_BYTES, world.landlord)
    db.session.commit()
    return {"offer": submitted, "draft": unfinished, "document": document}
