"""A complex case from end to end in a real Chromium (issue 3).

A CCAS social worker opens a household file, records that the household was informed,
presents its situation to the comité technique and shares it with the Mission Locale; the
adviser there reads it without ever seeing who the household is; an organisation outside
the case cannot find it at all, and a committee member sees it pseudonymised.

The tests run in file order and build on one another: the first one leaves the case's
address in ``JOURNEY`` for the others (each test module starts from fresh demo data).
Every page visited is screenshotted into test-artifacts/ and checked with axe-core.
"""

import re
from datetime import date, timedelta

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.browser.conftest import (
    DESKTOP,
    LiveServer,
    check_page,
    earlier_step_missing,
    go_to,
    sign_in,
)

# Its journeys build on each other, on one live server: `make test` runs a module on one
# worker (pytest-xdist --dist loadfile).
pytestmark = pytest.mark.browser

SOCIAL_WORKER = "social@ccas-concarneau.demo"
ADVISER = "conseil@mission-locale.demo"  # Mission Locale: the partner the case is shared with
COMMITTEE_MEMBER = "asso@abricotier.demo"  # sits on the comité technique, not a participant
STATE_SERVICE = "etat@ddets29.demo"  # DDETS: not on the comité technique
LANDLORD = "proprietaire@exemple.demo"  # a private owner: no access to cases at all

# The canary: a name that must never reach anyone outside the CCAS.
FIRST_NAME = "Clothilde"
LAST_NAME = "Verbanowska"

COMMITTEE = "Comité technique Parcours logement"
PARTNER = "Mission Locale du Pays de Cornouaille"
TITLE = "Jeune femme prête à sortir d'ALT, sans garant"
QUESTION = (
    "Sortie d'ALT préparée depuis six mois, budget tenu. Quel partenaire peut proposer "
    "un T1 sur Concarneau, et qui peut se porter garant ?"
)
NOTE = "Premier bilan : accompagnement budgétaire terminé, épargne de deux mois de loyer."
INTERNAL_NOTE = "Note pour l'équipe du CCAS : relancer la CAF avant le comité."
REPLY = "La Mission Locale peut mobiliser la garantie Visale et un suivi emploi."

PDF = (
    b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n"
    b"2 0 obj<</Type/Pages/Kids[]/Count 0>>endobj\n"
    b"trailer<</Root 1 0 R>>\n%%EOF\n"
)

# What the tests hand on to the next ones: the case's address, the household's reference.
JOURNEY: dict[str, str] = {}


def heading(page: Page):
    return page.get_by_role("heading", level=1)


def nav(page: Page):
    return page.get_by_role("navigation", name="Navigation principale")


def main(page: Page):
    return page.get_by_role("main")


def flash(page: Page):
    return page.locator(".flashes")


def section(page: Page, name: str):
    return page.get_by_role("region", name=name, exact=True)


def case_facts(page: Page):
    """Status, committee, author, access: the list under the case's title."""
    return main(page).locator("dl.facts").first


def timeline(page: Page):
    return section(page, "Historique").get_by_role("listitem")


def assert_name_absent(page: Page) -> None:
    """The canary is neither shown nor hidden anywhere in the page's HTML."""
    html = page.content()
    assert LAST_NAME not in html, f"the household's name leaked into {page.url}"
    assert FIRST_NAME not in html, f"the household's first name leaked into {page.url}"


def open_as(browser: Browser, live_server: LiveServer, email: str) -> Page:
    """Another person, in their own browser context (own cookies), signed in."""
    context = browser.new_context(viewport=DESKTOP, locale="fr-FR")
    context.set_default_timeout(10_000)
    page = context.new_page()
    sign_in(page, live_server, email)
    return page


def journey(key: str) -> str:
    if key not in JOURNEY:
        earlier_step_missing("needs the social worker's journey (the first test of this module)")
    return JOURNEY[key]


# 1. The social worker: household file, information, case, sharing, discussion -----------


def test_social_worker_posts_and_shares_a_case(page, live_server):
    sign_in(page, live_server, SOCIAL_WORKER)
    go_to(page, "Situations")
    expect(page).to_have_url(live_server.at("/cases/"))
    expect(heading(page)).to_have_text("Situations complexes")
    expect(nav(page).get_by_role("link", name="Situations", include_hidden=True)).to_have_attribute(
        "aria-current", "page"
    )
    expect(main(page).locator(".error")).to_have_count(0)  # the filters start out valid
    check_page(page, "cases-01-liste")

    main(page).get_by_role("link", name="Dossiers de mon organisation").click()
    expect(page).to_have_url(live_server.at("/cases/households/"))
    expect(heading(page)).to_have_text("Dossiers des ménages")
    check_page(page, "cases-02-dossiers")

    main(page).get_by_role("link", name="Nouveau dossier").click()
    expect(page).to_have_url(live_server.at("/cases/households/new"))
    expect(heading(page)).to_have_text("Nouveau dossier de ménage")
    check_page(page, "cases-03-dossier-formulaire")

    # The situation, first without the identity: the form says what is missing.
    since = date.today() - timedelta(days=200)
    page.get_by_label("Public", exact=True).select_option(label="Jeune de 18 à 25 ans")
    page.get_by_label("Nombre d'adultes").fill("1")
    page.get_by_label("Nombre d'enfants").fill("0")
    page.get_by_label("Hébergement actuel").select_option(label="Logement temporaire (ALT)")
    page.get_by_label("Entrée dans l'hébergement le").fill(since.isoformat())
    page.get_by_label("Typologie recherchée").select_option(label="T1 / studio")
    page.get_by_role("group", name="Communes souhaitées").get_by_label("Concarneau").check()
    page.get_by_role("group", name="Freins au relogement").get_by_label("Dettes, impayés").check()
    page.get_by_role("button", name="Enregistrer le dossier").click()
    expect(page).to_have_url(live_server.at("/cases/households/new"))
    summary = page.get_by_role("alert")
    expect(summary).to_contain_text("Le formulaire contient 1 erreur.")
    expect(summary).to_be_focused()
    expect(page.locator("#persons-error")).to_have_text(
        "Indiquez au moins le demandeur principal (prénom et nom)."
    )
    applicant = page.get_by_role("group", name="Personne 1 (demandeur principal)")
    expect(applicant).to_have_attribute("aria-describedby", "persons-error")
    # What was typed is kept.
    expect(page.get_by_label("Hébergement actuel")).to_have_value("alt")
    expect(page.get_by_label("Entrée dans l'hébergement le")).to_have_value(since.isoformat())
    check_page(page, "cases-04-dossier-formulaire-erreur")

    applicant.get_by_label("Prénom").fill(FIRST_NAME)
    applicant.get_by_label("Nom", exact=True).fill(LAST_NAME)
    applicant.get_by_label("Date de naissance").fill("2003-04-17")
    page.get_by_role("button", name="Enregistrer le dossier").click()

    expect(page).to_have_url(re.compile(r"/cases/households/\d+$"))
    reference_pattern = rf"CCAS-{date.today().year}-\d{{3}}"
    expect(heading(page)).to_have_text(re.compile(rf"^Dossier {reference_pattern}$"))
    reference = heading(page).inner_text().removeprefix("Dossier ")
    household_url = page.url
    expect(flash(page)).to_contain_text(f"Le dossier {reference} est créé.")
    expect(main(page)).to_contain_text("Le ménage n'a pas encore été informé.")
    situation = section(page, "Situation")
    expect(situation).to_contain_text("Jeune de 18 à 25 ans")
    expect(situation).to_contain_text("Logement temporaire (ALT)")
    expect(situation).to_contain_text("T1 / studio · Concarneau")
    expect(situation).to_contain_text("Dettes, impayés")
    expect(section(page, "Identité Confidentiel")).to_contain_text(f"{FIRST_NAME} {LAST_NAME}")
    check_page(page, "cases-05-dossier-cree")

    # Presenting the case is possible as a draft; submitting it is refused until the
    # household has been informed.
    main(page).get_by_role("link", name="Présenter une situation au comité").click()
    expect(page).to_have_url(re.compile(r"/cases/new\?household=\d+$"))
    expect(heading(page)).to_have_text("Présenter une situation au comité")
    check_page(page, "cases-06-situation-formulaire")
    expect(page.get_by_label("Instance")).to_have_value("")  # no committee chosen for you
    page.get_by_label("Instance").select_option(
        label=f"{COMMITTEE} (Concarneau Cornouaille Agglomération)"
    )
    page.get_by_label("Titre").fill(TITLE)
    page.get_by_label("Question posée aux partenaires").fill(QUESTION)
    page.get_by_role("button", name="Enregistrer").click()

    expect(page).to_have_url(re.compile(r"/cases/\d+$"))
    case_url = page.url
    expect(heading(page)).to_have_text(f"{reference} — {TITLE}")
    expect(flash(page)).to_contain_text("La situation est enregistrée en brouillon.")
    expect(main(page)).to_contain_text("Le ménage n'a pas encore été informé")
    check_page(page, "cases-07-brouillon")

    page.get_by_role("button", name="Soumettre au comité").click()
    expect(page).to_have_url(case_url)
    expect(page.get_by_role("alert")).to_have_text(
        "Enregistrez d'abord l'information du ménage : une situation n'est partagée "
        "qu'avec son accord éclairé."
    )
    expect(case_facts(page)).to_contain_text("Brouillon")
    check_page(page, "cases-08-soumission-refusee")

    # Sharing is refused too, with the form kept in its error state.
    share = section(page, "Partages")
    expect(share.get_by_label("Organisation")).to_have_value("")  # nobody chosen for you
    share.get_by_label("Organisation").select_option(label=PARTNER)
    share.get_by_label("Motif du partage").fill("Accès à la garantie Visale")
    share.get_by_role("button", name="Partager").click()
    expect(heading(page)).to_have_text("Partager la situation")
    expect(main(page)).to_contain_text(
        "le partage est refusé tant que le ménage n'a pas été informé"
    )
    expect(page.get_by_label("Organisation")).to_have_attribute("aria-invalid", "true")
    check_page(page, "cases-09-partage-refuse")

    # Recording the information, from the link the warning offers.
    page.goto(case_url)
    main(page).get_by_role("link", name="enregistrez l'information").click()
    expect(page).to_have_url(household_url + "/information")
    expect(heading(page)).to_have_text("Information du ménage")
    check_page(page, "cases-10-information-formulaire")
    page.get_by_label("Date de l'information").fill(date.today().isoformat())
    page.get_by_role("button", name="Enregistrer l'information").click()
    expect(page).to_have_url(household_url)
    expect(flash(page)).to_contain_text("L'information du ménage est enregistrée")
    expect(main(page)).not_to_contain_text("Le ménage n'a pas encore été informé")
    expect(section(page, "Information du ménage")).to_contain_text("par Yann Kerlan")
    check_page(page, "cases-11-dossier-informe")

    # Back to the case, from the household file, and submit it to the committee.
    section(page, "Situations présentées").get_by_role("link", name=TITLE).click()
    expect(page).to_have_url(case_url)
    page.get_by_role("button", name="Soumettre au comité").click()
    expect(flash(page)).to_contain_text("Statut de la situation : Soumise au comité.")
    expect(case_facts(page)).to_contain_text("Soumise au comité")
    expect(case_facts(page)).to_contain_text(COMMITTEE)

    share = section(page, "Partages")
    share.get_by_label("Organisation").select_option(label=PARTNER)
    share.get_by_role("radio", name="Situation seulement").check()
    share.get_by_label("Motif du partage").fill("Accès à la garantie Visale et suivi emploi")
    share.get_by_role("button", name="Partager").click()
    expect(page).to_have_url(case_url + "#partages")
    expect(flash(page)).to_contain_text(f"La situation est partagée avec {PARTNER}.")
    expect(section(page, "Partages")).to_contain_text(
        f"{PARTNER} — Situation seulement · motif : Accès à la garantie Visale et suivi emploi"
    )

    discussion = section(page, "Discussion")
    discussion.get_by_label("Votre message").fill(NOTE)
    discussion.get_by_role("button", name="Publier").click()
    expect(flash(page)).to_contain_text("Votre message est publié.")
    discussion = section(page, "Discussion")
    discussion.get_by_label("Votre message").fill(INTERNAL_NOTE)
    discussion.get_by_label("Note interne : visible seulement par mon organisation").check()
    discussion.get_by_role("button", name="Publier").click()
    expect(flash(page)).to_contain_text("Votre message est publié.")
    notes = section(page, "Discussion").get_by_role("article")
    expect(notes).to_have_count(2)
    expect(notes.nth(0)).to_contain_text(NOTE)
    expect(notes.nth(1)).to_contain_text(INTERNAL_NOTE)
    expect(notes.nth(1)).to_contain_text("Interne à CCAS de Concarneau")

    # The timeline tells the story, in order, with who did what.
    expect(timeline(page)).to_have_text(
        [
            re.compile(r"Création — Situation créée \(brouillon\) \(Yann Kerlan, CCAS"),
            re.compile(r"Information du ménage — Information du ménage enregistrée"),
            re.compile(r"Changement de statut — Brouillon → Soumise au comité"),
            re.compile(rf"Partage — Partagée avec {PARTNER} \(Situation seulement\)"),
            re.compile(r"Note — Note ajoutée à la discussion"),
            re.compile(r"Note — Note interne ajoutée"),
        ]
    )
    check_page(page, "cases-12-situation-partagee")

    # The case is in the organisation's list, found by the household's name.
    go_to(page, "Situations")
    page.get_by_role("textbox", name="Rechercher").fill(LAST_NAME)
    page.get_by_role("button", name="Filtrer").click()
    rows = main(page).get_by_role("table").get_by_role("row")
    expect(rows).to_have_count(2)  # header + the case
    expect(rows.nth(1)).to_contain_text(reference)
    expect(rows.nth(1)).to_contain_text("Votre organisation")
    check_page(page, "cases-13-liste-recherche")

    JOURNEY.update(case_url=case_url, household_url=household_url, reference=reference)


# 4. Attachments: a real PDF is accepted, a text file named .pdf is not -------------------


def test_social_worker_attaches_a_pdf_and_a_fake_one_is_refused(page, live_server):
    case_url = journey("case_url")
    sign_in(page, live_server, SOCIAL_WORKER)
    page.goto(case_url)
    files = section(page, "Pièces jointes")
    expect(files).to_contain_text("Aucune pièce jointe.")
    files.get_by_label("Fichier").set_input_files(
        {"name": "bilan.pdf", "mimeType": "application/pdf", "buffer": PDF}
    )
    files.get_by_role("button", name="Joindre le fichier").click()
    expect(page).to_have_url(case_url + "#pieces")
    expect(flash(page)).to_contain_text("Le fichier est joint à la situation.")
    link = section(page, "Pièces jointes").get_by_role("link", name="bilan.pdf")
    expect(link).to_be_visible()
    expect(section(page, "Pièces jointes")).to_contain_text("(1 Ko,")
    expect(timeline(page).last).to_contain_text("Pièce jointe ajoutée : bilan.pdf")
    check_page(page, "cases-14-piece-jointe")

    # It comes back as a download, byte for byte.
    with page.expect_download() as download_info:
        link.click()
    download = download_info.value
    assert download.suggested_filename == "bilan.pdf"
    with open(download.path(), "rb") as handle:
        assert handle.read() == PDF

    # A text file dressed up as a PDF: refused from its content, nothing is stored.
    files = section(page, "Pièces jointes")
    files.get_by_label("Fichier").set_input_files(
        {
            "name": "bilan.pdf",
            "mimeType": "application/pdf",
            "buffer": b"Ceci n'est pas un PDF, seulement du texte.\n",
        }
    )
    files.get_by_role("button", name="Joindre le fichier").click()
    expect(heading(page)).to_have_text("Joindre un fichier")
    expect(page.get_by_role("alert")).to_contain_text("Le formulaire contient 1 erreur.")
    expect(page.locator("#file-error")).to_have_text(
        "Le contenu du fichier ne correspond pas à son extension « .pdf » : le fichier est refusé."
    )
    expect(page.get_by_label("Fichier")).to_have_attribute("aria-invalid", "true")
    expect(main(page)).not_to_contain_text("{{")  # the hint is rendered, not raw Jinja
    check_page(page, "cases-15-piece-jointe-refusee")

    page.goto(case_url)
    expect(section(page, "Pièces jointes").get_by_role("listitem")).to_have_count(1)


# 2. The partner it is shared with reads the situation, never the identity ---------------


def test_partner_reads_the_case_without_the_identity_and_replies(browser, live_server):
    case_url, reference = journey("case_url"), journey("reference")
    page = open_as(browser, live_server, ADVISER)
    try:
        go_to(page, "Situations")
        expect(heading(page)).to_have_text("Situations complexes")
        row = main(page).get_by_role("row").filter(has_text=reference)
        expect(row).to_have_count(1)
        expect(row).to_contain_text(TITLE)
        expect(row).to_contain_text("Partenaire : situation et discussion")
        assert_name_absent(page)
        check_page(page, "cases-16-partenaire-liste")

        # Searching for the name finds nothing: names are searched in one's own files only.
        page.get_by_role("textbox", name="Rechercher").fill(LAST_NAME)
        page.get_by_role("button", name="Filtrer").click()
        expect(main(page).get_by_role("table")).to_have_count(0)
        expect(main(page)).to_contain_text("Aucune situation à afficher")

        page.get_by_role("link", name="Effacer les filtres").click()
        main(page).get_by_role("link", name=reference).click()
        expect(page).to_have_url(case_url)
        expect(heading(page)).to_have_text(f"{reference} — {TITLE}")
        expect(section(page, "Question aux partenaires")).to_contain_text(QUESTION)
        expect(case_facts(page)).to_contain_text("Partenaire : situation et discussion")
        expect(section(page, "Identité")).to_contain_text(
            "L'identité du ménage n'est pas partagée avec votre organisation."
        )
        discussion = section(page, "Discussion")
        expect(discussion).to_contain_text(NOTE)
        expect(discussion.get_by_role("article")).to_have_count(1)
        expect(main(page)).not_to_contain_text(INTERNAL_NOTE)
        expect(main(page)).not_to_contain_text("Note interne ajoutée")
        # Files may name the household: neither they nor their names reach this partner.
        expect(main(page)).not_to_contain_text("bilan.pdf")
        expect(section(page, "Pièces jointes")).to_have_count(0)
        expect(timeline(page).filter(has_text="Pièce jointe ajoutée")).to_contain_text(
            "Pièce jointe ajoutée (réservée aux partenaires ayant un accès complet)"
        )
        expect(section(page, "Partages")).to_have_count(0)  # only the owner manages them
        expect(page.get_by_role("button", name="Soumettre au comité")).to_have_count(0)
        assert_name_absent(page)
        check_page(page, "cases-17-partenaire-situation")

        discussion.get_by_label("Votre message").fill(REPLY)
        discussion.get_by_role("button", name="Publier").click()
        expect(flash(page)).to_contain_text("Votre message est publié.")
        notes = section(page, "Discussion").get_by_role("article")
        expect(notes).to_have_count(2)
        expect(notes.last).to_contain_text(f"Léa Morvan — {PARTNER}")
        expect(notes.last).to_contain_text(REPLY)
        assert_name_absent(page)
        check_page(page, "cases-18-partenaire-reponse")

        # The household file itself stays with the CCAS.
        response = page.goto(journey("household_url"))
        assert response.status == 404
        expect(heading(page)).to_have_text("Page introuvable")
        assert_name_absent(page)
    finally:
        page.context.close()

    # The social worker sees the reply in the discussion and on the timeline.
    page = open_as(browser, live_server, SOCIAL_WORKER)
    try:
        page.goto(case_url)
        expect(section(page, "Discussion").get_by_role("article").last).to_contain_text(REPLY)
        expect(timeline(page).last).to_contain_text(f"(Léa Morvan, {PARTNER})")
    finally:
        page.context.close()


# 3. Outside the case: nothing at all; on the committee: the situation, pseudonymised ----


@pytest.mark.parametrize("email", [STATE_SERVICE, LANDLORD], ids=["etat", "proprietaire"])
def test_an_organisation_outside_the_case_cannot_find_it(browser, live_server, email):
    case_url, reference = journey("case_url"), journey("reference")
    page = open_as(browser, live_server, email)
    try:
        response = page.goto(case_url)
        assert response.status == 404
        expect(heading(page)).to_have_text("Page introuvable")
        expect(main(page)).to_contain_text(
            "Cette page n'existe pas ou n'est pas accessible avec votre compte."
        )
        expect(main(page)).not_to_contain_text(reference)
        assert_name_absent(page)
        check_page(page, f"cases-19-introuvable-{email.split('@')[0]}")

        for path in ("/attachments/1", "/edit"):
            assert page.goto(case_url + path).status == 404
        assert page.goto(journey("household_url")).status == 404

        response = page.goto(live_server.at("/cases/"))
        if email == LANDLORD:
            assert response.status == 403  # no case list for private owners
            expect(nav(page).get_by_role("link", name="Situations")).to_have_count(0)
        else:
            expect(heading(page)).to_have_text("Situations complexes")
            expect(main(page)).not_to_contain_text(reference)
            expect(main(page)).not_to_contain_text(TITLE)
            page.get_by_role("textbox", name="Rechercher").fill(reference)
            page.get_by_role("button", name="Filtrer").click()
            expect(main(page)).to_contain_text("Aucune situation à afficher")
        assert_name_absent(page)
    finally:
        page.context.close()


def test_a_committee_member_sees_the_submitted_case_pseudonymised(browser, live_server):
    case_url, reference = journey("case_url"), journey("reference")
    page = open_as(browser, live_server, COMMITTEE_MEMBER)
    try:
        go_to(page, "Situations")
        row = main(page).get_by_role("row").filter(has_text=reference)
        expect(row).to_contain_text("Membre de l'instance : situation pseudonymisée")
        assert_name_absent(page)

        row.get_by_role("link", name=reference).click()
        expect(page).to_have_url(case_url)
        expect(section(page, "Question aux partenaires")).to_contain_text(QUESTION)
        expect(section(page, "Question aux partenaires")).to_contain_text("Jeune de 18 à 25 ans")
        expect(section(page, "Discussion")).to_contain_text(
            "La discussion est réservée aux partenaires"
        )
        expect(main(page)).not_to_contain_text(NOTE)
        expect(main(page)).not_to_contain_text(INTERNAL_NOTE)
        expect(main(page)).not_to_contain_text(REPLY)
        expect(main(page)).not_to_contain_text("bilan.pdf")
        expect(page.get_by_role("button", name="Publier")).to_have_count(0)
        assert_name_absent(page)
        check_page(page, "cases-20-membre-instance")

        assert page.goto(journey("household_url")).status == 404
    finally:
        page.context.close()
