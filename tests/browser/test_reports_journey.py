"""The activity report and the indicators in a real Chromium (issue 6).

The coordinator reads this year's report on the demo data: its charts are drawn (SVG with
a title and a description, the numbers in tables beside them), the page passes axe-core,
and it prints without the navigation. The State service reads the same report masked.
Every page is screenshotted into test-artifacts/.
"""

import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import LiveServer, check_page, screenshot, sign_in

# Its journeys build on each other, on one live server: `make test` runs a module on one
# worker (pytest-xdist --dist loadfile).
pytestmark = pytest.mark.browser

COORDINATOR = "coordination@ccas-concarneau.demo"
STATE = "etat@ddets29.demo"


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


def test_the_state_service_reads_the_report_masked(page: Page, live_server: LiveServer):
    sign_in(page, live_server, STATE)
    page.goto(live_server.at("/reports/activity"))
    expect(page.get_by_text("Les effectifs de 1 à 4 sont affichés « < 5 »")).to_be_visible()
    check_page(page, "reports-05-activity-state")
