"""An IML measure from the candidacy to the lease slide, in a real Chromium (issue 8).

A CCAS social worker proposes a household to the SIAO, the SIAO validates it, the CCAS
opens the measure in an available unit, and the 6-month bilan is recorded as a slide; the
social landlord then sees the measure without the household's identity. Every page visited
is screenshotted into test-artifacts/ and checked with axe-core.
"""

import re
from datetime import date

import pytest
import sqlalchemy as sa
from playwright.sync_api import Browser, Page, expect

from portal.cases.services import create_household, record_information
from portal.extensions import db
from portal.measures.timeline import add_months
from portal.models import (
    Accommodation,
    HouseholdPublic,
    Organisation,
    PersonRole,
    Typology,
    User,
)
from tests.browser.conftest import DESKTOP, LiveServer, check_page, go_to, sign_in

# Its journeys build on each other, on one live server: `make test` runs a module on one
# worker (pytest-xdist --dist loadfile).
pytestmark = pytest.mark.browser

SOCIAL_WORKER = "social@ccas-concarneau.demo"
SIAO_OFFICER = "siao@siao29.demo"
LANDLORD = "bailleur@finistere-habitat.demo"
ETAT = "etat@ddets29.demo"


def heading(page: Page):
    return page.get_by_role("heading", level=1)


def flash(page: Page):
    return page.locator(".flashes")


def signed_in(browser: Browser, live_server: LiveServer, email: str) -> Page:
    context = browser.new_context(viewport=DESKTOP, locale="fr-FR")
    context.set_default_timeout(10_000)
    page = context.new_page()
    sign_in(page, live_server, email)
    return page


def new_household(live_server: LiveServer) -> int:
    """A household of the CCAS, informed, with no candidacy yet."""
    with live_server.app.app_context():
        ccas = db.session.scalar(
            sa.select(Organisation).where(Organisation.name == "CCAS de Concarneau")
        )
        worker = db.session.scalar(sa.select(User).where(User.email == SOCIAL_WORKER))
        household = create_household(
            ccas,
            worker,
            {
                "adults": 1,
                "children": 0,
                "public": HouseholdPublic.FEMME_SEULE,
                "accommodation": Accommodation.CHRS_URGENCE,
                "typology": Typology.T2,
                "persons": [
                    {
                        "role": PersonRole.DEMANDEUR,
                        "first_name": "Zéphyrine",
                        "last_name": "Canardeau",
                        "birth_date": date(1990, 5, 4),
                    }
                ],
            },
        )
        record_information(
            household,
            worker,
            {
                "informed_on": date.today(),
                "what_is_shared": "Situation et identité pour le SIAO",
                "shared_with": "SIAO et bailleur",
                "allows_identity": True,
            },
        )
        db.session.commit()
        household_id = household.id
        db.session.remove()
    return household_id


def test_a_candidacy_becomes_a_measure_whose_lease_slides_at_six_months(page, browser, live_server):
    # The CCAS proposes a household to the SIAO.
    sign_in(page, live_server, SOCIAL_WORKER)
    check_page(page, "measures-01-dashboard")
    go_to(page, "Mesures IML")
    expect(heading(page)).to_have_text("Mesures IML")
    check_page(page, "measures-02-list")
    household_id = new_household(live_server)
    page.goto(live_server.at("/siao/new"))
    check_page(page, "measures-02b-candidacy-form")
    page.get_by_label("Ménage", exact=True).select_option(str(household_id))
    page.get_by_label("Programme", exact=True).select_option(label="IML sortie de structures")
    page.get_by_label("Typologie demandée").select_option("T2")
    page.get_by_role("button", name="Enregistrer", exact=True).click()
    expect(flash(page)).to_contain_text("brouillon")
    page.get_by_role("button", name="Soumettre au SIAO").click()
    expect(flash(page)).to_contain_text("soumise au SIAO")
    candidacy_url = page.url

    # The SIAO validates it.
    siao = signed_in(browser, live_server, SIAO_OFFICER)
    siao.goto(candidacy_url)
    siao.get_by_label("Valider la candidature").check()
    siao.get_by_role("button", name="Enregistrer la décision").click()
    expect(flash(siao)).to_contain_text("validée")
    siao.context.close()

    # The CCAS opens the measure in an available unit, seven months ago.
    candidacy_id = re.search(r"/siao/(\d+)", candidacy_url).group(1)
    page.goto(live_server.at(f"/measures/new?candidacy={candidacy_id}"))
    expect(heading(page)).to_have_text("Ouvrir une mesure")
    check_page(page, "measures-03-new")
    page.get_by_label("Logement", exact=True).select_option(index=1)
    start = add_months(date.today(), -7)
    page.get_by_label("Début de la sous-location").fill(start.isoformat())
    page.get_by_label("Loyer mensuel hors charges (€)").fill("350,00")
    page.get_by_label("Charges mensuelles (€)").fill("45")
    page.get_by_label("Part payée par le ménage chaque mois (€)").fill("120")
    page.get_by_role("button", name="Ouvrir la mesure").click()
    expect(flash(page)).to_contain_text("La mesure est ouverte")
    expect(page.locator(".measure-calendar")).to_contain_text("Aujourd'hui")
    expect(page.locator(".measure-calendar")).to_contain_text("Bilan à 6 mois")
    check_page(page, "measures-04-measure")
    measure_url = page.url

    # A month of rent, paid late.
    page.get_by_role("link", name="Renseigner un mois").click()
    page.get_by_label("Mois", exact=True).fill(f"{start:%Y-%m}")
    page.get_by_label("Payé en retard").check()
    check_page(page, "measures-05-rent")
    page.get_by_role("button", name="Enregistrer le mois").click()
    expect(flash(page)).to_contain_text("enregistré")

    # The 6-month bilan, with the landlord and the household: the lease slides.
    page.get_by_role("link", name="Bilan à 6 mois").first.click()
    expect(heading(page)).to_contain_text("Bilan à 6 mois")
    check_page(page, "measures-06-bilan")
    page.get_by_label("Le propriétaire (bailleur) était présent").check()
    page.get_by_label("Le ménage était présent").check()
    # The record shows months left blank: « yes » needs its reason.
    expect(page.locator(".rent-verdict")).to_contain_text("Paiement non régulier")
    page.get_by_label("Le loyer est payé régulièrement").select_option("yes")
    page.get_by_label("Budget", exact=True).select_option("maitrise")
    page.get_by_label("Accompagnement après la mesure").select_option("en_place")
    page.get_by_label("Souhait du ménage").select_option("souhaite_le_bail")
    page.get_by_label("Glissement du bail").check()
    page.get_by_role("button", name="Enregistrer le bilan").click()
    expect(page.locator("#rent_regularity_justification-error")).to_contain_text(
        "expliquez pourquoi"
    )
    check_page(page, "measures-06b-bilan-refused")
    page.get_by_label("Pourquoi le loyer est-il régulier malgré le relevé ?").fill(
        "Loyers versés en espèces à l'accueil du CCAS, saisie en retard."
    )
    page.get_by_label("Synthèse du bilan").fill("Loyer réglé, ménage autonome : le bail glisse.")
    page.get_by_role("button", name="Enregistrer le bilan").click()
    expect(flash(page)).to_contain_text("Le bilan est enregistré.")
    expect(page.get_by_role("main")).to_contain_text("Glissement du bail")
    check_page(page, "measures-07-bilan-held")

    # The fiche-bilan for the State service.
    page.get_by_role("link", name="Fiche-bilan (services de l'État)").click()
    expect(heading(page)).to_contain_text("Fiche-bilan")
    check_page(page, "measures-08-fiche")
    page.goto(measure_url)
    expect(page.get_by_role("heading", level=1)).to_contain_text("Bail glissé")

    # The social landlord follows the measures in its units, without the household's name.
    landlord = signed_in(browser, live_server, LANDLORD)
    go_to(landlord, "Mesures IML")
    expect(heading(landlord)).to_have_text("Mesures IML")
    check_page(landlord, "measures-09-landlord-list")
    landlord.get_by_role("link", name=re.compile(r"^Mesure n° ")).first.click()
    expect(landlord.locator(".measure-calendar")).to_be_visible()
    expect(landlord.get_by_role("main")).not_to_contain_text("Yann Kerlan")
    check_page(landlord, "measures-10-landlord-measure")
    landlord.context.close()
