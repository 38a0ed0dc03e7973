"""The activity report and the indicators in a real Chromium (issue 6).

The coordinator reads this year's report on the demo data: its charts are drawn (SVG with
a title and a description, the numbers in tables beside them), the page passes axe-core,
and it prints without the navigation; they type the year's funding and analysis (issue 21).
The State service reads the exact counts, a partner of the comité de pilotage the protected
version, on a phone too. Every page is screenshotted into test-artifacts/.
"""

import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import LiveServer, check_page, screenshot, sign_in

# Its journeys build on each other, on one live server: `make test` runs a module on one
# worker (pytest-xdist --dist loadfile).
pytestmark = pytest.mark.browser

COORDINATOR = "coordination@ccas-concarneau.demo"
STATE = "etat@ddets29.demo"
PARTNER = "asso@abricotier.demo"


def test_the_coordinator_reads_the_activity_report(page: Page, live_server: LiveServer):
    sign_in(page, live_server, COORDINATOR)
    page.get_by_role("navigation", name="Navigation principale").get_by_role(
        "link", name="Rapports"
    ).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Rapports et indicateurs")
    check_page(page, "reports-01-index")

    page.get_by_role("link", name="Rapport d'activité annuel").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Rapport d'activité")
    charts = page.locator("svg[role=img]")
    expect(charts.first).to_be_visible()
    assert charts.count() >= 4
    for index in range(charts.count()):
        chart = charts.nth(index)
        labelled_by = chart.get_attribute("aria-labelledby").split()
        assert len(labelled_by) == 2
        assert page.locator(f"#{labelled_by[0]}").text_content()
    expect(page.get_by_role("table", name="Ménages suivis selon le public")).to_be_visible()
    check_page(page, "reports-02-activity")

    page.emulate_media(media="print")
    expect(page.get_by_role("navigation", name="Navigation principale")).to_be_hidden()
    screenshot(page, "reports-03-activity-print")
    page.emulate_media(media="screen")

    page.get_by_role("link", name="Indicateurs").first.click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Indicateurs")
    expect(page.locator("#chart-trend-title")).to_have_count(1)
    check_page(page, "reports-04-indicators")


def test_the_coordinator_types_the_year_s_funding_and_analysis(page: Page, live_server: LiveServer):
    sign_in(page, live_server, COORDINATOR)
    page.goto(live_server.at("/reports/activity"))
    page.get_by_role("link", name="Saisir les financements et l'analyse de l'année").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Financements et analyse")
    funding = page.locator("form", has=page.get_by_role("button", name="Ajouter le financement"))
    funding.get_by_label("Programme").select_option(label="IML sortie de structures")
    page.get_by_label("Source du financement").fill("BOP 177 – État (DDETS)")
    page.get_by_label("Montant pour l'année (€)").fill("22 000")
    page.get_by_role("button", name="Ajouter le financement").click()
    expect(page.get_by_text("Le financement est ajouté.")).to_be_visible()
    page.get_by_label("Difficultés").fill("Peu de petits logements sur le territoire.")
    page.get_by_label("Leviers").fill("Deux bailleurs sociaux conventionnés.")
    page.get_by_role("button", name="Enregistrer l'analyse").click()
    expect(page.get_by_text("L'analyse de l'année est enregistrée.")).to_be_visible()
    check_page(page, "reports-06-year-entries")
    page.get_by_role("link", name="Rapport d'activité").first.click()
    expect(page.get_by_text("Peu de petits logements sur le territoire.")).to_be_visible()
    expect(page.get_by_role("rowheader", name="BOP 177 – État (DDETS)").first).to_be_visible()
    page.get_by_label("Version").select_option("protected")
    page.get_by_role("button", name="Afficher le rapport").click()
    expect(page.get_by_text("Version protégée : un effectif de 1 à 4")).to_be_visible()
    check_page(page, "reports-07-activity-protected")


def test_the_state_service_reads_exact_counts(page: Page, live_server: LiveServer):
    sign_in(page, live_server, STATE)
    page.goto(live_server.at("/reports/activity"))
    expect(page.get_by_text("Vous voyez les effectifs exacts")).to_be_visible()
    check_page(page, "reports-05-activity-state")


def test_a_partner_reads_the_protected_report_on_a_phone(
    mobile_page: Page, live_server: LiveServer
):
    sign_in(mobile_page, live_server, PARTNER)
    mobile_page.goto(live_server.at("/reports/activity"))
    expect(mobile_page.get_by_text("Version protégée : un effectif de 1 à 4")).to_be_visible()
    check_page(mobile_page, "reports-08-activity-partner-phone")
