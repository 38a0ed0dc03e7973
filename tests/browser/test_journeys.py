"""Journeys through the portal in a real Chromium, with axe-core on every page visited."""

import re
import time

import pyotp
import pytest
import sqlalchemy as sa
from playwright.sync_api import Error, Page, expect

from portal.auth.passwords import hash_password
from portal.auth.two_factor import STEP_SECONDS
from portal.demo import DEMO_PASSWORD
from portal.extensions import db
from portal.models import Membership, Organisation, User, now_utc
from tests.browser.conftest import (
    DESKTOP,
    accessibility_problems,
    assert_accessible,
    check_page,
    demo_totp_code,
    go_to,
    screenshot,
    sign_in,
    sign_out,
)

# Its journeys build on each other, on one live server: `make test` runs a module on one
# worker (pytest-xdist --dist loadfile).
pytestmark = pytest.mark.browser

SOCIAL_WORKER = "social@ccas-concarneau.demo"
COORDINATOR = "coordination@ccas-concarneau.demo"


def heading(page: Page):
    return page.get_by_role("heading", level=1)


def nav(page: Page):
    return page.get_by_role("navigation", name="Navigation principale")


def test_social_worker_signs_in_finds_their_way_and_signs_out(page, live_server):
    page.goto(live_server.at("/"))
    expect(heading(page)).to_have_text("Du centre d'hébergement au logement, ensemble")
    expect(page.locator("html")).to_have_attribute("lang", "fr")
    check_page(page, "01-accueil")

    page.get_by_role("main").get_by_role("link", name="Se connecter").click()
    expect(page).to_have_url(live_server.at("/login"))
    expect(heading(page)).to_have_text("Connexion")
    expect(page).to_have_title("Connexion · Portail partenaires")
    check_page(page, "02-connexion")

    page.get_by_label("Adresse e-mail").fill(SOCIAL_WORKER)
    page.get_by_label("Mot de passe", exact=True).fill("portail-demo-2026")
    page.get_by_role("main").get_by_role("button", name="Se connecter").click()
    # A CCAS worker reads identities: the second factor is asked.
    expect(page).to_have_url(live_server.at("/login/second-factor"))
    expect(heading(page)).to_have_text("Code de vérification")
    check_page(page, "02b-second-facteur")
    page.get_by_label("Code de vérification").fill(demo_totp_code(SOCIAL_WORKER))
    page.get_by_role("main").get_by_role("button", name="Valider").click()
    expect(page).to_have_url(live_server.at("/"))
    expect(heading(page)).to_have_text("Bonjour Yann Kerlan")
    expect(page.get_by_role("main")).to_contain_text("CCAS de Concarneau")
    my_committees = page.get_by_role("region", name="Mes instances")
    expect(my_committees.get_by_role("link")).to_have_count(3)
    check_page(page, "03-tableau-de-bord")

    go_to(page, "Profil et sécurité")
    expect(page).to_have_url(live_server.at("/account"))
    expect(heading(page)).to_have_text("Mon compte")
    expect(page.get_by_role("main")).to_contain_text(SOCIAL_WORKER)
    expect(
        nav(page).get_by_role("link", name="Profil et sécurité", include_hidden=True)
    ).to_have_attribute("aria-current", "page")
    check_page(page, "04-mon-compte")

    go_to(page, "Instances")
    expect(page).to_have_url(live_server.at("/committees/"))
    expect(heading(page)).to_have_text("Instances")
    committee_link = page.get_by_role("link", name="Comité technique Parcours logement")
    expect(committee_link).to_be_visible()
    check_page(page, "05-instances")

    committee_link.click()
    expect(page).to_have_url(re.compile(r"/committees/\d+$"))
    expect(heading(page)).to_have_text("Comité technique Parcours logement")
    expect(page.get_by_role("main")).to_contain_text("Organisations membres")
    check_page(page, "06-instance")

    go_to(page, "Partenaires")
    expect(page).to_have_url(live_server.at("/organisations/"))
    expect(heading(page)).to_have_text("Partenaires")
    expect(page.get_by_role("table").get_by_role("row")).to_have_count(12)  # header + 11
    check_page(page, "07-partenaires")

    page.get_by_role("link", name="SIAO du Finistère").click()
    expect(page).to_have_url(re.compile(r"/organisations/\d+$"))
    expect(heading(page)).to_have_text("SIAO du Finistère")
    expect(page.get_by_role("main")).to_contain_text("contact@siao29.demo")
    check_page(page, "08-partenaire")

    sign_out(page)
    expect(page).to_have_url(live_server.at("/login"))
    expect(heading(page)).to_have_text("Connexion")
    expect(page.get_by_role("status")).to_contain_text("Vous êtes déconnecté")
    expect(nav(page).get_by_role("button", name="Se déconnecter")).to_have_count(0)
    check_page(page, "09-deconnecte")

    # The session is really over: a signed-in page sends back to the sign-in form.
    page.goto(live_server.at("/account"))
    expect(page).to_have_url(re.compile(r"/login\?next=(%2F|/)account$"))
    expect(page.get_by_role("status")).to_contain_text("Connectez-vous pour accéder")


def test_wrong_password_shows_the_error_and_keeps_the_email(page, live_server):
    page.goto(live_server.at("/login"))
    page.get_by_label("Adresse e-mail").fill(SOCIAL_WORKER)
    page.get_by_label("Mot de passe", exact=True).fill("pas le bon mot de passe")
    page.get_by_role("main").get_by_role("button", name="Se connecter").click()

    expect(page).to_have_url(live_server.at("/login"))
    expect(page.get_by_role("alert")).to_contain_text("Le formulaire contient 1 erreur.")
    password = page.get_by_label("Mot de passe", exact=True)
    expect(page.locator("#password-error")).to_have_text(
        "Adresse e-mail ou mot de passe incorrect."
    )
    expect(password).to_have_attribute("aria-invalid", "true")
    expect(password).to_have_attribute("aria-describedby", "password-error")
    expect(password).to_have_value("")
    expect(page.get_by_label("Adresse e-mail")).to_have_value(SOCIAL_WORKER)
    expect(nav(page).get_by_role("button", name="Se déconnecter")).to_have_count(0)
    check_page(page, "10-connexion-erreur")


def test_coordinator_forms_are_accessible_even_with_errors(page, live_server):
    sign_in(page, live_server, COORDINATOR)
    expect(heading(page)).to_have_text("Bonjour Claire Le Goff")

    page.goto(live_server.at("/organisations/new"))
    expect(heading(page)).to_have_text("Nouvelle organisation")
    expect(page.get_by_label("Adresse e-mail de contact")).to_be_editable()
    expect(page.get_by_text("(facultatif)")).to_have_count(1)  # said once, not twice
    check_page(page, "11-organisation-formulaire")

    page.goto(live_server.at("/organisations/"))
    # The coordinator invites the first admin of an organisation that has none (Espacil).
    page.get_by_role("link", name="Espacil").click()
    page.get_by_role("link", name="Inviter un membre").first.click()
    expect(page).to_have_url(re.compile(r"/organisations/\d+/invite$"))
    expect(heading(page)).to_have_text("Inviter un membre de Espacil")
    expect(page.get_by_role("main")).to_contain_text(
        "La coordination invite le premier administrateur"
    )
    check_page(page, "12-invitation")

    page.goto(live_server.at("/committees/new"))
    expect(heading(page)).to_have_text("Nouvelle instance")
    check_page(page, "13-instance-formulaire")

    page.get_by_role("button", name="Enregistrer").click()
    expect(page).to_have_url(live_server.at("/committees/new"))
    summary = page.get_by_role("alert")
    expect(summary).to_contain_text("Le formulaire contient 1 erreur.")
    expect(summary).to_be_focused()  # static/js/portal.js brings it to keyboard users
    name = page.get_by_label("Nom", exact=True)
    expect(name).to_have_attribute("aria-invalid", "true")
    expect(page.locator("#name-error")).to_be_visible()
    check_page(page, "14-instance-formulaire-erreurs")

    page.goto(live_server.at("/committees/"))
    expect(page.get_by_role("main").get_by_role("listitem")).to_have_count(3)


@pytest.mark.parametrize("signed_in", [False, True], ids=["connexion", "tableau-de-bord"])
def test_pages_fit_a_phone_screen(mobile_page, live_server, signed_in):
    page = mobile_page
    if signed_in:
        sign_in(page, live_server, SOCIAL_WORKER)
    else:
        page.goto(live_server.at("/login"))
    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0, f"the page is {overflow}px wider than a 390px phone screen"
    # The navigation waits behind « Menu », which opens it in place.
    expect(nav(page)).to_be_hidden()
    menu = page.get_by_role("link", name="Menu", exact=True)
    expect(menu).to_have_attribute("aria-expanded", "false")
    menu.click()
    expect(nav(page)).to_be_visible()
    expect(menu).to_have_attribute("aria-expanded", "true")
    check_page(page, f"mobile-{'tableau-de-bord' if signed_in else 'connexion'}")


def test_accessibility_check_catches_serious_problems(page):
    """The helper must be able to fail: a page with an unlabelled field, an image without
    text and an empty button is reported, element by element."""
    page.set_content(
        "<!doctype html><html><head><title>Cassé</title></head><body><main>"
        "<img src='data:,'><input type='text'><button></button></main></body></html>"
    )
    screenshot(page, "zz-page-cassee")
    with pytest.raises(pytest.fail.Exception) as failure:
        assert_accessible(page)
    report = str(failure.value)
    assert "serious or critical accessibility problem(s)" in report
    for rule in ("image-alt", "label", "button-name", "html-has-lang"):
        assert f"] {rule}: " in report, report


def test_axe_runs_under_the_real_content_security_policy(page, live_server):
    """The pages keep their strict CSP in the browser (an inline script is refused), and
    axe-core still runs on them: no ``bypass_csp`` is needed."""
    response = page.goto(live_server.at("/login"))
    assert "script-src 'self'" in response.headers["content-security-policy"]
    with pytest.raises(Error):
        page.add_script_tag(content="window.inlineScriptRan = true")
    assert page.evaluate("window.inlineScriptRan === undefined")
    assert accessibility_problems(page) == []


def test_a_ccas_worker_enrols_a_second_factor_and_signs_in_with_it(browser, page, live_server):
    """Enrolment asked at the first sign-in; the QR code's secret read from the page (as an
    app would scan it); sign-out, a copied cookie refused, sign-in with a code, then with a
    recovery code."""
    with live_server.app.app_context():
        ccas = db.session.scalar(
            sa.select(Organisation).where(Organisation.name == "CCAS de Concarneau")
        )
        person = User(
            email="nouvelle.ts@ccas-concarneau.demo",
            full_name="Nina Nouvelle",
            password_hash=hash_password(DEMO_PASSWORD),
            email_confirmed_at=now_utc(),
        )
        db.session.add(Membership(user=person, organisation=ccas))
        db.session.commit()
    email = "nouvelle.ts@ccas-concarneau.demo"
    page.goto(live_server.at("/login"))
    page.get_by_label("Adresse e-mail").fill(email)
    page.get_by_label("Mot de passe", exact=True).fill(DEMO_PASSWORD)
    page.get_by_role("main").get_by_role("button", name="Se connecter").click()
    expect(page).to_have_url(live_server.at("/account/two-factor"))
    expect(heading(page)).to_have_text("Activer la double authentification")
    expect(page.get_by_role("main")).to_contain_text("la double authentification est obligatoire")
    expect(page.get_by_role("img", name=re.compile("QR code"))).to_be_visible()
    check_page(page, "02c-double-authentification")
    page.goto(live_server.at("/cases/"))  # nothing else until it is set up
    expect(page).to_have_url(live_server.at("/account/two-factor"))

    secret = page.locator(".totp-secret").inner_text().strip()
    totp = pyotp.TOTP(secret)
    page.get_by_label("Code affiché par l'application").fill(totp.now())
    page.get_by_label("Votre mot de passe").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Activer la double authentification").click()
    expect(heading(page)).to_have_text("Vos codes de secours")
    codes = [c.strip() for c in page.locator(".recovery-codes code").all_inner_texts()]
    assert len(codes) == 10
    check_page(page, "02d-codes-de-secours")
    page.get_by_role("link", name="J'ai noté mes codes, continuer").click()
    expect(heading(page)).to_have_text("Bonjour Nina Nouvelle")

    copied = page.context.cookies()
    sign_out(page)
    expect(page).to_have_url(live_server.at("/login"))
    thief = browser.new_context(viewport=DESKTOP, locale="fr-FR")
    try:
        thief.add_cookies(copied)
        stolen = thief.new_page()
        stolen.goto(live_server.at("/cases/"))
        expect(stolen).to_have_url(re.compile(r"/login\?next="))
    finally:
        thief.close()

    # Signed in again with a code of the app (the next one: the first has been used).
    page.get_by_label("Adresse e-mail").fill(email)
    page.get_by_label("Mot de passe", exact=True).fill(DEMO_PASSWORD)
    page.get_by_role("main").get_by_role("button", name="Se connecter").click()
    expect(page).to_have_url(live_server.at("/login/second-factor"))
    page.get_by_label("Code de vérification").fill(totp.at(time.time() + STEP_SECONDS))
    page.get_by_role("main").get_by_role("button", name="Valider").click()
    expect(heading(page)).to_have_text("Bonjour Nina Nouvelle")
    sign_out(page)

    # Without the phone: a recovery code, once.
    page.get_by_label("Adresse e-mail").fill(email)
    page.get_by_label("Mot de passe", exact=True).fill(DEMO_PASSWORD)
    page.get_by_role("main").get_by_role("button", name="Se connecter").click()
    page.get_by_label("Code de vérification").fill(codes[0])
    page.get_by_role("main").get_by_role("button", name="Valider").click()
    expect(heading(page)).to_have_text("Bonjour Nina Nouvelle")
    expect(page.get_by_role("status")).to_contain_text("Code de secours utilisé")
