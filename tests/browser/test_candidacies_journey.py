"""SIAO candidacies, programmes and units in a real Chromium (issue 8).

The SIAO asks the CCAS for more information, the CCAS answers, the SIAO refuses with a
coded reason; a social landlord records a unit of its convention. Every page visited is
screenshotted into test-artifacts/ and checked with axe-core.
"""

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.browser.conftest import DESKTOP, LiveServer, check_page, go_to, sign_in

# Its journeys build on each other, on one live server: `make test` runs a module on one
# worker (pytest-xdist --dist loadfile).
pytestmark = pytest.mark.browser

SOCIAL_WORKER = "social@ccas-concarneau.demo"
SIAO_OFFICER = "siao@siao29.demo"
LANDLORD = "bailleur@finistere-habitat.demo"


def signed_in(browser: Browser, live_server: LiveServer, email: str) -> Page:
    context = browser.new_context(viewport=DESKTOP, locale="fr-FR")
    context.set_default_timeout(10_000)
    page = context.new_page()
    sign_in(page, live_server, email)
    return page


def flash(page: Page):
    return page.locator(".flashes")


def test_the_siao_asks_for_more_then_refuses_with_a_reason(page, browser, live_server):
    sign_in(page, live_server, SOCIAL_WORKER)
    go_to(page, "Candidatures SIAO")
    expect(page.get_by_role("heading", level=1)).to_have_text("Candidatures SIAO")
    check_page(page, "candidacies-01-list")
    page.get_by_role("link", name="Nouvelle candidature").click()
    check_page(page, "candidacies-02-new")
    page.get_by_label("Ménage", exact=True).select_option(index=1)
    page.get_by_label("Programme", exact=True).select_option(label="IML DALO")
    # The DALO programme asks for the commission's recognition.
    page.get_by_label("Reconnu prioritaire DALO le").fill("2026-03-12")
    page.get_by_label("Référence de la décision DALO").fill("DALO-29-2026-0142")
    page.get_by_label("Typologie demandée").select_option("T1")
    page.get_by_label("Loyer résiduel que le ménage peut payer (€ par mois)").fill("150,50")
    page.get_by_role("button", name="Enregistrer", exact=True).click()
    expect(flash(page)).to_contain_text("brouillon")
    page.get_by_role("button", name="Soumettre au SIAO").click()
    expect(flash(page)).to_contain_text("soumise au SIAO")
    url = page.url

    siao = signed_in(browser, live_server, SIAO_OFFICER)
    siao.goto(url)
    expect(siao.locator(".card-identity")).to_be_visible()  # names for the SI-SIAO file
    check_page(siao, "candidacies-03-siao-decision")
    siao.get_by_label("Demander des compléments").check()
    siao.get_by_role("button", name="Enregistrer la décision").click()
    expect(siao.locator(".alert-error").first).to_be_visible()  # a comment is needed
    check_page(siao, "candidacies-04-siao-error")
    siao.get_by_label("Commentaire pour le CCAS").fill("Merci de préciser le reste à vivre.")
    siao.get_by_role("button", name="Enregistrer la décision").click()
    expect(flash(siao)).to_contain_text("compléments")

    page.goto(url)
    page.get_by_label("Commentaire pour le SIAO").fill("Reste à vivre : 420 € par mois.")
    page.get_by_role("button", name="Soumettre au SIAO").click()
    expect(flash(page)).to_contain_text("soumise au SIAO")

    siao.goto(url)
    siao.get_by_label("Refuser la candidature").check()
    siao.get_by_label("Motif du refus").select_option("not_eligible")
    siao.get_by_label("Commentaire pour le CCAS").fill("Pas de reconnaissance DALO.")
    siao.get_by_role("button", name="Enregistrer la décision").click()
    expect(flash(siao)).to_contain_text("refusée")
    check_page(siao, "candidacies-05-refused")
    siao.context.close()

    page.goto(url)
    expect(page.get_by_role("main")).to_contain_text("Hors critères du programme")
    go_to(page, "Programmes")
    check_page(page, "candidacies-06-programmes")
    page.get_by_role("link", name="IML sortie de structures").click()
    check_page(page, "candidacies-07-programme")


def test_a_social_landlord_records_a_unit(page, live_server):
    sign_in(page, live_server, LANDLORD)
    go_to(page, "Logements")
    check_page(page, "units-01-list")
    page.get_by_role("link", name="Nouveau logement").click()
    page.get_by_label("Adresse").fill("7 rue des Sardiniers")
    page.get_by_label("Commune").select_option(label="Concarneau")
    page.get_by_label("Typologie").select_option("T2")
    page.get_by_label("Surface habitable (m²)").fill("44,5")
    page.get_by_label("Loyer mensuel hors charges (€)").fill("340")
    check_page(page, "units-02-new")
    page.get_by_role("button", name="Enregistrer").click()
    expect(flash(page)).to_contain_text("Le logement est enregistré")
    check_page(page, "units-03-unit")
    page.get_by_role("button", name="Proposer à un ménage").click()
    expect(flash(page)).to_contain_text("Proposé à un ménage")
