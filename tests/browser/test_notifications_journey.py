"""Notification preferences and an organisation's named recipients in a real Chromium
(issue 19): reached from « Mon compte » and the organisation's page, at phone and desktop
widths, each page screenshotted into test-artifacts/ and checked with axe-core."""

import pytest
import sqlalchemy as sa
from playwright.sync_api import expect

from portal.extensions import db
from portal.models import Organisation
from tests.browser.conftest import check_page, sign_in

pytestmark = pytest.mark.browser

COORDINATOR = "coordination@ccas-concarneau.demo"
SOCIAL_WORKER = "social@ccas-concarneau.demo"


def test_a_person_chooses_their_notifications_from_the_account_page(page, live_server):
    sign_in(page, live_server, SOCIAL_WORKER)
    page.goto(live_server.at("/account"))
    page.get_by_role("link", name="Choisir mes notifications").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Mes notifications")
    check_page(page, "notifications-01-preferences")
    decisions = page.get_by_role("group", name="Décision concernant votre organisation")
    expect(decisions.get_by_label("Dans le résumé quotidien")).to_be_checked()  # the default
    decisions.get_by_label("Dans le résumé hebdomadaire").check()
    page.get_by_role("group", name="Propriétaires : nouvelle offre ou message").get_by_label(
        "Jamais"
    ).check()
    page.get_by_role("button", name="Enregistrer mes choix").click()
    expect(page.locator(".flashes")).to_contain_text("Vos choix de notification sont enregistrés")
    expect(decisions.get_by_label("Dans le résumé hebdomadaire")).to_be_checked()
    check_page(page, "notifications-02-saved")


def test_the_preferences_fit_a_phone(mobile_page, live_server):
    sign_in(mobile_page, live_server, SOCIAL_WORKER)
    mobile_page.goto(live_server.at("/account/notifications"))
    expect(mobile_page.get_by_role("heading", level=1)).to_have_text("Mes notifications")
    width = mobile_page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, width
    check_page(mobile_page, "notifications-03-preferences-390")


def test_an_admin_names_who_receives_the_organisation_s_messages(page, live_server):
    sign_in(page, live_server, COORDINATOR)
    with live_server.app.app_context():
        ccas = db.session.scalar(sa.select(Organisation.id).where(Organisation.kind == "ccas"))
    page.goto(live_server.at(f"/organisations/{ccas}"))
    page.get_by_role("link", name="Destinataires des messages").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "Destinataires des messages de l'organisation"
    )
    check_page(page, "notifications-04-recipients")
    page.get_by_label(SOCIAL_WORKER, exact=False).check()
    page.get_by_role("button", name="Enregistrer les destinataires").click()
    expect(page.locator(".flashes")).to_contain_text("destinataires")
    expect(page.get_by_label(SOCIAL_WORKER, exact=False)).to_be_checked()
