"""The measure's documents in a real Chromium (issue 20): the CCAS downloads each one as PDF
and, where it is signed or completed, as Word; the social landlord only its own; the
coordinator rewrites a passage; a private owner reads its offer against the ceilings.
Every page visited is screenshotted into test-artifacts/ and checked with axe-core."""

import io
import zipfile
from pathlib import Path

import pypdf
import pytest
import sqlalchemy as sa
from playwright.sync_api import Browser, Page, expect

from portal.documents.catalogue import DOCUMENTS
from portal.extensions import db
from portal.models import Measure, MeasureStatus, Organisation, OwnerOffer, Unit, User
from tests.browser.conftest import DESKTOP, MOBILE, LiveServer, check_page, sign_in

pytestmark = pytest.mark.browser

SOCIAL_WORKER = "social@ccas-concarneau.demo"
LANDLORD = "bailleur@finistere-habitat.demo"
COORDINATOR = "coordination@ccas-concarneau.demo"
OWNER = "proprietaire@exemple.demo"


def signed_in(browser: Browser, live_server: LiveServer, email: str, viewport=DESKTOP) -> Page:
    context = browser.new_context(viewport=viewport, locale="fr-FR", accept_downloads=True)
    context.set_default_timeout(15_000)
    page = context.new_page()
    sign_in(page, live_server, email)
    return page


def landlord_measure(live_server: LiveServer) -> tuple[int, str]:
    """An open demo measure in a Finistère Habitat unit, and its household's reference."""
    with live_server.app.app_context():
        measure = db.session.scalars(
            sa.select(Measure)
            .join(Unit, Measure.unit_id == Unit.id)
            .join(Organisation, Unit.social_landlord_id == Organisation.id)
            .where(
                Organisation.name == "Finistère Habitat",
                Measure.status.in_((MeasureStatus.ACTIVE, MeasureStatus.EXTENDED)),
            )
            .order_by(Measure.id)
        ).first()
        assert measure is not None, "the demo has an open measure in a Finistère Habitat unit"
        return measure.id, measure.household.reference


def download_all(page: Page, slugs) -> dict[str, bytes]:
    files = {}
    for slug in slugs:
        document = DOCUMENTS[slug]
        card = page.locator("section.card").filter(
            has=page.get_by_role("heading", name=document.title)
        )
        links = [("pdf", "PDF")] + ([("docx", "Word")] if document.editable else [])
        for fmt, name in links:
            with page.expect_download() as info:
                card.get_by_role("link", name=name).click()
            download = info.value
            assert download.suggested_filename.startswith(
                slug
            ) and download.suggested_filename.endswith(f".{fmt}")
            files[f"{slug}.{fmt}"] = Path(download.path()).read_bytes()
    return files


def pdf_text(data: bytes) -> str:
    return " ".join(
        " ".join(p.extract_text() for p in pypdf.PdfReader(io.BytesIO(data)).pages).split()
    )


def test_the_ccas_downloads_each_document_of_a_measure(browser, live_server):
    measure_id, reference = landlord_measure(live_server)
    page = signed_in(browser, live_server, SOCIAL_WORKER)
    page.goto(live_server.at(f"/measures/{measure_id}"))
    page.get_by_role("link", name="Documents de la mesure").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Documents")
    check_page(page, "documents-ccas")
    files = download_all(page, DOCUMENTS)
    assert len(files) == 11
    for name, data in files.items():
        assert data.startswith(b"%PDF" if name.endswith(".pdf") else b"PK"), name
        if name.endswith(".docx"):
            assert "word/document.xml" in zipfile.ZipFile(io.BytesIO(data)).namelist()
    assert "Votre calendrier" in pdf_text(files["guide-menage.pdf"])
    page.set_viewport_size(MOBILE)
    check_page(page, "documents-ccas-mobile")
    page.context.close()


def test_the_social_landlord_downloads_only_its_documents(browser, live_server):
    measure_id, reference = landlord_measure(live_server)
    page = signed_in(browser, live_server, LANDLORD)
    page.goto(live_server.at(f"/measures/{measure_id}"))
    page.get_by_role("link", name="Documents du propriétaire").click()
    check_page(page, "documents-landlord")
    main = page.get_by_role("main")
    expect(main).not_to_contain_text("Guide du ménage")
    expect(main).not_to_contain_text("Contrat de sous-location")
    landlord_slugs = [s for s, d in DOCUMENTS.items() if "landlord" in d.audiences]
    files = download_all(page, landlord_slugs)
    for name, data in files.items():
        if name.endswith(".pdf"):
            assert reference not in pdf_text(data), name
    page.context.close()


def test_the_coordinator_rewrites_a_passage(browser, live_server):
    page = signed_in(browser, live_server, COORDINATOR)
    page.goto(live_server.at("/documents/wording"))
    check_page(page, "documents-wording-index")
    page.get_by_role("link", name="Guide du ménage").click()
    check_page(page, "documents-wording-edit")
    page.get_by_label("Introduction").fill("Bienvenue chez vous.")
    page.get_by_role("button", name="Enregistrer les textes").click()
    expect(page.locator(".flashes")).to_contain_text("Les textes sont enregistrés")
    expect(page.get_by_label("Introduction")).to_have_value("Bienvenue chez vous.")
    page.context.close()


def test_the_owner_reads_its_offer_against_the_ceilings(browser, live_server):
    with live_server.app.app_context():
        offer_id = db.session.scalar(
            sa.select(OwnerOffer.id)
            .join(User, OwnerOffer.owner_id == User.id)
            .where(User.email == OWNER, OwnerOffer.rent.is_not(None))
            .order_by(OwnerOffer.id)
        )
    assert offer_id is not None, "the demo owner has an offer with a rent"
    page = signed_in(browser, live_server, OWNER)
    page.goto(live_server.at(f"/landlords/my-offers/{offer_id}"))
    expect(page.get_by_role("heading", name="Votre loyer et les plafonds")).to_be_visible()
    check_page(page, "landlord-offer-comparison")
    page.set_viewport_size(MOBILE)
    check_page(page, "landlord-offer-comparison-mobile")
    page.context.close()


def test_the_ccas_and_the_owner_see_the_gap_on_their_pages(browser, live_server):
    with live_server.app.app_context():
        offers = db.session.scalars(
            sa.select(OwnerOffer)
            .join(User, OwnerOffer.owner_id == User.id)
            .where(User.email == OWNER)
            .order_by(OwnerOffer.id)
        ).all()
        sent = next(o.id for o in offers if o.rent is not None)
        draft = next(o.id for o in offers if o.status.value == "draft")
    page = signed_in(browser, live_server, SOCIAL_WORKER)
    page.goto(live_server.at(f"/landlords/offers/{sent}"))
    expect(page.get_by_role("heading", name="Loyer, charges et plafonds")).to_be_visible()
    check_page(page, "landlord-offer-staff")
    page.context.close()
    page = signed_in(browser, live_server, OWNER, viewport=MOBILE)
    page.goto(live_server.at(f"/landlords/my-offers/{draft}/step/unit"))
    page.get_by_label("Surface habitable (m²)").fill("40")
    page.get_by_label("Loyer mensuel hors charges (€)").fill("520")
    page.get_by_label("Frais d'agence si vous louiez seul (€)").fill("800")
    page.get_by_label("Adresse du logement").fill("4 rue du Port")
    page.get_by_label("Commune").select_option(index=1)
    page.get_by_label("Type de logement").select_option("T2")
    page.get_by_role("button", name="Enregistrer et continuer").click()
    expect(page.get_by_role("heading", name="Votre loyer et les plafonds")).to_be_visible()
    expect(page.get_by_role("main")).to_contain_text("Frais d'agence indiqués : 800,00")
    check_page(page, "landlord-offer-step-scheme-mobile")
    page.context.close()
