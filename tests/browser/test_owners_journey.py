"""A private owner's offer from end to end in a real Chromium (issue 5).

An owner tries the simulator (results update as they type), offers a flat, confirms their
address from the e-mail, fills the steps and uploads a DPE; the CCAS moves the offer
through its pipeline to « available »; the owner sees the status and the CCAS's message.
Every page visited is screenshotted into test-artifacts/ and checked with axe-core.
"""

import re

import pytest
import sqlalchemy as sa
from playwright.sync_api import Browser, Page, expect

from portal.extensions import db
from portal.models import OutgoingEmail, OwnerOffer
from tests.browser.conftest import DESKTOP, LiveServer, check_page, go_to, sign_in

# Its journeys build on each other, on one live server: `make test` runs a module on one
# worker (pytest-xdist --dist loadfile).
pytestmark = pytest.mark.browser

COORDINATOR = "coordination@ccas-concarneau.demo"
OWNER_EMAIL = "anne.kerouac@exemple.fr"
OWNER_PASSWORD = "une phrase de passe pour mon logement"
MESSAGE = "Bonne nouvelle : votre logement est prêt à accueillir un ménage."
PDF = (
    b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n"
    b"2 0 obj<</Type/Pages/Kids[]/Count 0>>endobj\n"
    b"trailer<</Root 1 0 R>>\n%%EOF\n"
)


def heading(page: Page):
    return page.get_by_role("heading", level=1)


def main(page: Page):
    return page.get_by_role("main")


def flash(page: Page):
    return page.locator(".flashes")


def emailed_link(live_server: LiveServer, recipient: str) -> str:
    with live_server.app.app_context():
        email = db.session.scalars(
            sa.select(OutgoingEmail)
            .where(OutgoingEmail.recipient == recipient)
            .order_by(OutgoingEmail.id.desc())
        ).first()
        assert email is not None
        path = re.search(r"https?://[^/\s]+(/\S+)", email.text_body).group(1)
        db.session.remove()
    return live_server.at(path)


def staff_page(browser: Browser, live_server: LiveServer) -> Page:
    context = browser.new_context(viewport=DESKTOP, locale="fr-FR")
    context.set_default_timeout(10_000)
    page = context.new_page()
    sign_in(page, live_server, COORDINATOR)
    return page


def move(page: Page, stage: str, flash_text: str) -> None:
    page.get_by_label("Nouvelle étape").select_option(label=stage)
    page.get_by_role("button", name="Changer l'étape").click()
    expect(flash(page)).to_contain_text(flash_text)


def test_owner_offers_a_flat_and_the_ccas_makes_it_available(page, browser, live_server):
    # The public page, then the simulator, which updates as the owner types.
    page.goto(live_server.at("/landlords/"))
    expect(heading(page)).to_contain_text("Propriétaires")
    expect(main(page)).to_contain_text("Qui est votre locataire ?")
    check_page(page, "landlords-01-public")
    main(page).get_by_role("link", name="Simuler mon loyer et mes avantages").click()
    expect(heading(page)).to_contain_text("Simulateur")
    page.get_by_label("Commune").select_option(label="Concarneau")
    page.get_by_label("Surface habitable (m²)").fill("38")
    page.get_by_label("Loyer mensuel hors charges (€)").fill("450")
    page.get_by_label("Classe énergie (DPE)").select_option("G")
    results = page.locator("#simulator-results")
    expect(results).to_contain_text("ne peut plus être mis en location")
    expect(results).to_contain_text("Climat et résilience")
    page.get_by_label("Classe énergie (DPE)").select_option("C")
    expect(results).not_to_contain_text("ne peut plus être mis en location")
    expect(results).to_contain_text("Sur 3 ans")
    check_page(page, "landlords-02-simulateur")

    # The first step creates the account; the e-mailed link confirms it.
    results.get_by_role("link", name="Proposer mon logement au CCAS").click()
    expect(heading(page)).to_have_text("Proposer un logement au CCAS")
    check_page(page, "landlords-03-premiere-etape")
    page.get_by_label("Nom et prénom").fill("Anne Kerouac")
    page.get_by_label("Adresse e-mail").fill(OWNER_EMAIL)
    page.get_by_label("Téléphone").fill("06 11 22 33 44")
    page.get_by_label("J'accepte que le CCAS me contacte au sujet de ce logement.").check()
    page.get_by_role("button", name="Enregistrer et continuer").click()
    expect(heading(page)).to_have_text("Merci ! Vérifiez votre messagerie")
    check_page(page, "landlords-04-verifiez")
    page.goto(emailed_link(live_server, OWNER_EMAIL))
    check_page(page, "landlords-05-confirmation")
    page.get_by_label("Nouveau mot de passe").fill(OWNER_PASSWORD)
    page.get_by_label("Confirmez le mot de passe").fill(OWNER_PASSWORD)
    page.get_by_role("button", name="Confirmer et continuer").click()
    expect(flash(page)).to_contain_text("Votre adresse est confirmée")

    # The unit, the scheme, the DPE.
    page.get_by_label("Adresse du logement").fill("18 rue des Écoles")
    page.get_by_label("Commune").select_option(label="Concarneau")
    page.get_by_label("Type de logement").select_option(label="T2")
    page.get_by_label("Surface habitable (m²)").fill("38")
    page.get_by_label("Surface de la pièce principale (m²)").fill("15")
    page.get_by_label("Hauteur sous plafond (m)").fill("2,50")
    page.get_by_label("Loyer mensuel hors charges (€)").fill(
        "280"
    )  # within what the scheme carries (Loc2 for 38 m²)
    page.get_by_label("Classe énergie (DPE)").select_option("C")
    check_page(page, "landlords-06-logement")
    page.get_by_role("button", name="Enregistrer et continuer").click()
    expect(flash(page)).to_contain_text("C'est enregistré.")
    page.get_by_label("Location au CCAS qui sous-loue (intermédiation locative)").check()
    check_page(page, "landlords-07-formule")
    page.get_by_role("button", name="Enregistrer et continuer").click()
    expect(heading(page)).to_contain_text("Proposition n°")
    document = page.get_by_label("Document", exact=True)
    document.select_option(label="Diagnostic de performance énergétique (DPE)")
    page.get_by_label("Fichier").set_input_files(
        {"name": "dpe.pdf", "mimeType": "application/pdf", "buffer": PDF}
    )
    page.get_by_role("button", name="Déposer le document").click()
    expect(flash(page)).to_contain_text("Le document est déposé.")
    expect(main(page).get_by_role("link", name="dpe.pdf")).to_be_visible()
    check_page(page, "landlords-08-documents")
    main(page).get_by_role("link", name="Vérifier et envoyer").last.click()
    check_page(page, "landlords-09-verifier")
    page.get_by_role("button", name="Envoyer ma proposition au CCAS").click()
    expect(flash(page)).to_contain_text("Votre proposition est envoyée")
    expect(main(page)).to_contain_text("Le CCAS a bien reçu votre proposition.")
    offer_url = page.url
    offer_id = offer_url.rstrip("/").rsplit("/", 1)[-1]

    # The CCAS runs the pipeline to « available ».
    staff = staff_page(browser, live_server)
    go_to(staff, "Offres des propriétaires")
    expect(heading(staff)).to_have_text("Offres des propriétaires")
    check_page(staff, "landlords-10-tableau")
    staff.goto(live_server.at(f"/landlords/offers/{offer_id}"))
    check_page(staff, "landlords-11-offre")
    move(staff, "Premier contact", "Premier contact")
    staff.get_by_label("Date et heure de la visite").fill("2027-01-12T10:30")
    staff.get_by_role("button", name="Planifier la visite").click()
    expect(flash(staff)).to_contain_text("La visite est planifiée.")
    staff.get_by_role("link", name="Grille de décence de la visite").click()
    for box in staff.locator("input[type=checkbox]").all():
        box.check()
    staff.get_by_label("Logement décent", exact=True).check()
    check_page(staff, "landlords-12-grille")
    staff.get_by_role("button", name="Enregistrer la grille").click()
    move(staff, "Logement visité", "Logement visité")
    move(staff, "Proposition financière", "Proposition financière")
    staff.get_by_label("Document", exact=True).select_option(label="Convention signée")
    staff.get_by_label("Fichier").set_input_files(
        {"name": "convention.pdf", "mimeType": "application/pdf", "buffer": PDF}
    )
    staff.get_by_role("button", name="Déposer le document").click()
    expect(flash(staff)).to_contain_text("Le document est déposé.")
    move(staff, "Convention signée", "Convention signée")
    move(staff, "Logement disponible", "Logement disponible")
    expect(main(staff)).to_contain_text("Logement créé")
    staff.get_by_label("Votre message").fill(MESSAGE)
    staff.get_by_role("button", name="Écrire au propriétaire").click()
    expect(flash(staff)).to_contain_text("Le message est envoyé au propriétaire.")
    check_page(staff, "landlords-13-offre-disponible")
    staff.context.close()
    with live_server.app.app_context():
        offer = db.session.get(OwnerOffer, int(offer_id))
        assert offer.unit_id is not None and offer.status.value == "available"
        db.session.remove()

    # The owner sees where their offer stands, and the message.
    page.goto(offer_url)
    expect(main(page)).to_contain_text("Votre logement est prêt à être proposé.")
    expect(main(page).locator(".tracker-current")).to_contain_text("Logement disponible")
    expect(main(page)).to_contain_text(MESSAGE)
    check_page(page, "landlords-14-proprietaire-suivi")
    go_to(page, "Mes offres")
    expect(main(page)).to_contain_text("Logement disponible")
    check_page(page, "landlords-15-mes-offres")
