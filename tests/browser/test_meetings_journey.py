"""A comité technique from invitation to follow-up, in a real Chromium (issue 4).

The CCAS coordinator schedules a meeting a week ahead, puts a submitted case and a general
item on its agenda and prints it; the Mission Locale adviser sends her apologies with a
written opinion; the coordinator records the joint decision and a follow-up action for the
Mission Locale, writes the minutes, has them approved and downloads them as a PDF; the
adviser finds the action in « Mes actions » and marks it done. Last, two organisers write
the minutes of another meeting at the same time: the second save is a conflict that loses
nothing.

The tests run in file order and build on one another through ``JOURNEY`` (each test module
starts from fresh demo data). Every page visited is screenshotted into test-artifacts/ and
checked with axe-core, forms in their error state included.
"""

import io
import re
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

import pypdf
import pytest
import sqlalchemy as sa
from babel.dates import format_date, format_datetime
from playwright.sync_api import Browser, Page, expect

from portal.extensions import db
from portal.models import Meeting, OutgoingEmail, now_utc
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

PARIS = ZoneInfo("Europe/Paris")

COORDINATOR = "coordination@ccas-concarneau.demo"  # Claire Le Goff, CCAS: organises
ADVISER = "conseil@mission-locale.demo"  # Léa Morvan, Mission Locale: invited partner
STATE = "etat@ddets29.demo"  # Pierre Cariou, DDETS: invited in person, not on the committee
SOCIAL_WORKER = "social@ccas-concarneau.demo"  # co-organises the demo's next meetings

COMMITTEE = "Comité technique Parcours logement"
TERRITORY = "Concarneau Cornouaille Agglomération"
PARTNER = "Mission Locale du Pays de Cornouaille"
INVITED = [
    "CCAS de Concarneau",
    "Finistère Habitat",
    "SIAO du Finistère",
    PARTNER,
]

TITLE = "Comité technique exceptionnel — sorties d'hébergement"
PLACE = "CCAS de Concarneau, salle du conseil"
# A demo case owned by the Mission Locale, submitted to the committee, shared with the CCAS.
CASE_TITLE = "Jeune sans solution d'hébergement"
CASE_ITEM = "Étude de situation"
GENERAL_ITEM = "Logements captés ce trimestre"

OPINION = (
    "La Mission Locale soutient une entrée en ALT : le CEJ commence le mois prochain et "
    "la garantie Visale peut être mobilisée."
)
DECISION = (
    "Orientation vers l'intermédiation locative ; entrée en ALT en attendant, "
    "avec un suivi emploi par la Mission Locale."
)
ACTION = "Déposer la demande de garantie Visale et transmettre l'attestation au CCAS"
DONE_NOTE = "Visa Visale obtenu, attestation envoyée au CCAS."
GENERAL_NOTES = "Six partenaires présents ; la Mission Locale, excusée, a transmis son avis."
CASE_NOTES = "Accord unanime pour l'ALT en attendant l'intermédiation locative."
GENERAL_ITEM_NOTES = "Trois T1 captés à Concarneau, un T2 à Rosporden."

# The other meeting, whose minutes two organisers write at once.
OTHER_MEETING = "Point de situation — bail glissant"
FIRST_TEXT = "Loyer payé depuis trois mois ; le bailleur est favorable au glissement."
SECOND_TEXT = "Le ménage demande un délai pour l'assurance habitation."

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


def facts(page: Page):
    return main(page).locator("dl.facts").first


def fact(page: Page, term: str):
    """The value a term of the facts list has (« Statut », « Date »...)."""
    return (
        facts(page)
        .locator("div")
        .filter(has=page.locator("dt").get_by_text(term, exact=True))
        .locator("dd")
    )


def open_as(browser: Browser, live_server: LiveServer, email: str) -> Page:
    """Another person, in their own browser context (own cookies), signed in."""
    context = browser.new_context(viewport=DESKTOP, locale="fr-FR")
    context.set_default_timeout(10_000)
    page = context.new_page()
    sign_in(page, live_server, email)
    return page


def journey(key: str) -> str:
    if key not in JOURNEY:
        earlier_step_missing("needs the coordinator's journey (the first test of this module)")
    return JOURNEY[key]


def starts_at() -> datetime:
    """A week from today, 9:30 in Paris, whatever the test machine's time zone."""
    day = datetime.now(PARIS).date() + timedelta(days=7)
    return datetime.combine(day, time(9, 30), tzinfo=PARIS)


def long_date(moment: datetime) -> str:
    """As the meeting page writes it: « mardi 14 avril 2026 à 09:30 »."""
    return format_datetime(moment, "EEEE d MMMM yyyy 'à' HH:mm", tzinfo=PARIS, locale="fr")


def short_date(day) -> str:
    return format_date(day, "d MMMM yyyy", locale="fr")


# 1. The coordinator schedules the meeting and builds its agenda --------------------------


def test_coordinator_schedules_a_meeting_and_builds_its_agenda(browser, page, live_server):
    sign_in(page, live_server, COORDINATOR)
    go_to(page, "Réunions")
    expect(page).to_have_url(live_server.at("/meetings/"))
    expect(heading(page)).to_have_text("Réunions")
    expect(nav(page).get_by_role("link", name="Réunions", include_hidden=True)).to_have_attribute(
        "aria-current", "page"
    )
    check_page(page, "meetings-01-liste")

    main(page).get_by_role("link", name="Programmer une réunion").click()
    expect(page).to_have_url(live_server.at("/meetings/new"))
    expect(heading(page)).to_have_text("Programmer une réunion")
    check_page(page, "meetings-02-formulaire")

    # Sent empty, the form says what is missing, field by field.
    submit = page.get_by_role("button", name="Programmer et envoyer les invitations")
    submit.click()
    expect(page).to_have_url(live_server.at("/meetings/new"))
    summary = page.get_by_role("alert")
    expect(summary).to_contain_text(re.compile(r"Le formulaire contient \d+ erreurs\."))
    expect(summary).to_be_focused()
    expect(page.get_by_label("Titre")).to_have_attribute("aria-invalid", "true")
    expect(page.get_by_label("Date", exact=True)).to_have_attribute("aria-invalid", "true")
    expect(page.locator("#location-error")).to_have_text(
        "Indiquez un lieu ou un lien de visioconférence."
    )
    expect(page.locator("#organisation_ids-error")).to_have_text(
        "Invitez au moins une organisation ou une personne."
    )
    check_page(page, "meetings-03-formulaire-erreurs")

    moment = starts_at()
    page.get_by_label("Instance").select_option(label=f"{COMMITTEE} ({TERRITORY})")
    page.get_by_label("Type de réunion").select_option(label="Comité technique")
    page.get_by_label("Titre").fill(TITLE)
    page.get_by_label("Date", exact=True).fill(moment.date().isoformat())
    page.get_by_label("Heure de début").fill("09:30")
    page.get_by_label("Durée (minutes)").fill("150")
    page.get_by_label("Lieu").fill(PLACE)
    invited = page.get_by_role("group", name="Organisations invitées")
    for name in INVITED:
        invited.get_by_label(re.compile(rf"^{re.escape(name)} \(")).check()
    page.get_by_role("group", name="Personnes invitées individuellement").get_by_label(
        re.compile(r"^Pierre Cariou \(")
    ).check()
    submit.click()

    expect(page).to_have_url(re.compile(r"/meetings/\d+$"))
    meeting_url = page.url
    expect(heading(page)).to_have_text(TITLE)
    expect(flash(page)).to_contain_text(
        re.compile(r"La réunion est programmée ; \d+ invitation\(s\) envoyée\(s\)\.")
    )
    expect(fact(page, "Date")).to_have_text(f"{long_date(moment)} (150 min)")  # Paris time
    expect(fact(page, "Instance")).to_have_text(COMMITTEE)
    expect(fact(page, "Lieu")).to_have_text(PLACE)
    expect(fact(page, "Organisée par")).to_have_text("Claire Le Goff (CCAS de Concarneau)")
    participants = section(page, "Participants")
    for name in INVITED:
        expect(participants).to_contain_text(name)
    expect(participants.get_by_role("row").filter(has_text="Léa Morvan")).to_contain_text(
        "Sans réponse"
    )
    expect(section(page, "Ordre du jour")).to_contain_text(
        "L'ordre du jour n'est pas encore établi."
    )
    check_page(page, "meetings-04-reunion-programmee")

    # It is among the meetings to come.
    go_to(page, "Réunions")
    upcoming = section(page, "À venir").get_by_role("listitem").filter(has_text=TITLE)
    expect(upcoming).to_have_count(1)
    expect(upcoming).to_contain_text(f"{short_date(moment.date())} à 09:30")
    check_page(page, "meetings-05-liste-a-venir")
    upcoming.get_by_role("link", name=TITLE).click()
    expect(page).to_have_url(meeting_url)

    # The agenda: first an item with neither case nor title, refused.
    section(page, "Ordre du jour").get_by_role("link", name="Ajouter un point").click()
    expect(page).to_have_url(meeting_url + "/agenda/new")
    expect(heading(page)).to_have_text("Ajouter un point à l'ordre du jour")
    check_page(page, "meetings-06-point-formulaire")
    page.get_by_role("button", name="Ajouter à l'ordre du jour").click()
    expect(page.get_by_role("alert")).to_contain_text("Le formulaire contient 1 erreur.")
    expect(page.locator("#title-error")).to_have_text(
        "Donnez un titre au point, ou choisissez une situation."
    )
    check_page(page, "meetings-07-point-formulaire-erreur")

    # The submitted case: its reference is read from the list offered.
    case_choice = page.get_by_label("Situation présentée")
    option = case_choice.locator("option").filter(has_text=CASE_TITLE)
    expect(option).to_have_count(1)
    label = option.inner_text().strip()
    reference = label.split(" — ")[0]
    assert re.fullmatch(r"[A-Z]+-\d{4}-\d{3}", reference), label
    case_choice.select_option(label=label)
    page.get_by_label("Durée (minutes)").fill("20")
    page.get_by_role("button", name="Ajouter à l'ordre du jour").click()
    expect(page).to_have_url(meeting_url + "#ordre-du-jour")
    # The case is the Mission Locale's: it goes on the agenda only with its agreement.
    expect(flash(page)).to_contain_text(
        "La demande d'inscription est envoyée à l'organisation qui suit la situation"
    )
    proposals = section(page, "Ordre du jour").locator("#propositions-titre").locator("..")
    expect(proposals).to_contain_text(f"Situation {reference} — Demandée par les organisateurs")
    expect(proposals).to_contain_text("en attente de l'accord")
    check_page(page, "meetings-08a-demande-d-inscription")
    adviser = open_as(browser, live_server, ADVISER)
    try:
        adviser.goto(live_server.at("/cases/"))
        adviser.get_by_role("link", name=re.compile(re.escape(reference))).first.click()
        request = section(adviser, "Instance et décisions")
        expect(request).to_contain_text(f"Réunion « {TITLE} »")
        check_page(adviser, "meetings-08b-accord-du-partenaire")
        request.get_by_role("button", name=re.compile("^Accepter l'inscription")).click()
        expect(flash(adviser)).to_contain_text("La situation est inscrite à l'ordre du jour.")
    finally:
        adviser.context.close()
    page.goto(meeting_url)

    section(page, "Ordre du jour").get_by_role("link", name="Ajouter un point").click()
    page.get_by_label("Titre du point").fill(GENERAL_ITEM)
    page.get_by_label("Durée (minutes)").fill("15")
    page.get_by_label("Organisation qui présente").select_option(label="CCAS de Concarneau")
    page.get_by_role("button", name="Ajouter à l'ordre du jour").click()
    expect(flash(page)).to_contain_text("Le point est ajouté à l'ordre du jour.")

    items = section(page, "Ordre du jour").locator(".agenda-item")
    expect(items).to_have_count(2)
    expect(items.nth(0)).to_contain_text(f"{CASE_ITEM} — 20 min · présenté par {PARTNER}")
    expect(items.nth(0)).to_contain_text(f"{reference} — {CASE_TITLE}")
    expect(items.nth(0)).to_contain_text("Question : Hébergée chez des amis")
    expect(items.nth(1)).to_contain_text(f"{GENERAL_ITEM} — 15 min · présenté par CCAS")
    check_page(page, "meetings-08-ordre-du-jour")

    # The case now says it is on the agenda, and its timeline names the meeting.
    items.nth(0).get_by_role("link", name=reference).click()
    expect(page).to_have_url(re.compile(r"/cases/\d+$"))
    case_url = page.url
    expect(heading(page)).to_have_text(f"{reference} — {CASE_TITLE}")
    expect(fact(page, "Statut")).to_have_text("À l'ordre du jour")
    history = section(page, "Historique").get_by_role("listitem")
    expect(history.filter(has_text="Soumise au comité → À l'ordre du jour")).to_have_count(1)
    expect(history.last).to_contain_text(
        f"Réunion — Inscrite à l'ordre du jour : {TITLE} du {long_date(moment)}"
    )
    check_page(page, "meetings-09-situation-inscrite")

    # The printable agenda.
    page.goto(meeting_url)
    main(page).get_by_role("link", name="Ordre du jour imprimable").click()
    expect(page).to_have_url(meeting_url + "/agenda/print")
    expect(heading(page)).to_have_text(f"Ordre du jour — {TITLE}")
    expect(main(page)).to_contain_text(long_date(moment))
    expect(main(page)).to_contain_text(f"{reference} — {CASE_TITLE}")
    expect(main(page)).to_contain_text(GENERAL_ITEM)
    expect(main(page).get_by_role("button", name="Retirer")).to_have_count(0)
    expect(main(page).locator(".print-footer")).to_contain_text("édité pour Claire Le Goff")
    check_page(page, "meetings-10-ordre-du-jour-imprimable")

    JOURNEY.update(
        meeting_url=meeting_url,
        case_url=case_url,
        reference=reference,
        day=moment.date().isoformat(),
    )


# 2. The Mission Locale sends its apologies, with a written opinion -----------------------


def test_adviser_sends_apologies_with_a_written_opinion(browser, page, live_server):
    meeting_url = journey("meeting_url")
    sign_in(page, live_server, ADVISER)
    go_to(page, "Réunions")
    section(page, "À venir").get_by_role("link", name=TITLE).click()
    expect(page).to_have_url(meeting_url)
    answer = section(page, "Votre réponse")
    expect(answer).to_contain_text(f"Vous êtes invité pour {PARTNER}")
    expect(answer).to_contain_text("Réponse actuelle : Sans réponse")
    check_page(page, "meetings-11-invitation")

    # An opinion goes with « Excusé » only: the form says so and keeps the text.
    answer.get_by_role("radio", name="Présent").check()
    answer.get_by_label("Avis écrit général (si vous êtes excusé)").fill(OPINION)
    answer.get_by_role("button", name="Envoyer ma réponse").click()
    answer = section(page, "Votre réponse")
    expect(answer.locator("#opinion-error")).to_have_text(
        "Un avis écrit accompagne une réponse « Excusé »."
    )
    expect(answer.get_by_label("Avis écrit général (si vous êtes excusé)")).to_have_value(OPINION)
    check_page(page, "meetings-12-reponse-erreur")

    answer.get_by_role("radio", name="Excusé").check()
    answer.get_by_role("button", name="Envoyer ma réponse").click()
    expect(page).to_have_url(meeting_url + "#reponse")
    expect(flash(page)).to_contain_text("Votre réponse est enregistrée : Excusé.")
    expect(section(page, "Votre réponse")).to_contain_text("Réponse actuelle : Excusé")
    check_page(page, "meetings-13-reponse-enregistree")

    # The coordinator sees the answer, and the opinion joined to the agenda.
    coordinator = open_as(browser, live_server, COORDINATOR)
    try:
        coordinator.goto(meeting_url)
        row = section(coordinator, "Participants").get_by_role("row").filter(has_text="Léa Morvan")
        expect(row).to_contain_text("Excusé")
        expect(row).to_contain_text("(avis écrit joint)")
        agenda = section(coordinator, "Ordre du jour")
        expect(
            agenda.get_by_role("heading", name="Avis écrits des partenaires excusés")
        ).to_be_visible()
        expect(agenda.locator("blockquote.opinion")).to_contain_text(OPINION)
        expect(agenda.locator("blockquote.opinion")).to_contain_text(f"— Léa Morvan, {PARTNER}")
        check_page(coordinator, "meetings-14-avis-recu")
        coordinator.get_by_role("link", name="Ordre du jour imprimable").click()
        expect(main(coordinator)).to_contain_text(OPINION)
    finally:
        coordinator.context.close()


# 3. Decision, follow-up action, minutes approved, PDF ------------------------------------


def test_coordinator_records_the_decision_and_approves_the_minutes(browser, page, live_server):
    meeting_url, reference = journey("meeting_url"), journey("reference")
    sign_in(page, live_server, COORDINATOR)
    page.goto(meeting_url)
    decisions = section(page, "Décisions et actions de suivi")
    expect(decisions).to_contain_text(
        "Les décisions et les actions s'enregistrent à partir du début de la réunion."
    )
    # The day comes: the meeting begins.
    with live_server.app.app_context():
        meeting = db.session.get(Meeting, int(meeting_url.rsplit("/", 1)[1]))
        meeting.starts_at = now_utc() - timedelta(minutes=30)
        db.session.commit()
        JOURNEY["day"] = meeting.starts_at.astimezone(PARIS).date().isoformat()
    page.goto(meeting_url)
    decisions = section(page, "Décisions et actions de suivi")
    expect(decisions).to_contain_text("Points sans décision :")
    decisions.get_by_role(
        "link", name=f"enregistrer la décision sur le point « {CASE_ITEM} »"
    ).click()
    expect(heading(page)).to_have_text("Enregistrer une décision conjointe")
    item = page.get_by_label("Point de l'ordre du jour")
    expect(item.locator("option:checked")).to_have_text(f"1. {CASE_ITEM} — situation {reference}")
    taking_part = page.get_by_role("group", name="Organisations ayant pris part à la décision")
    for name in INVITED:  # those invited are ticked in advance
        expect(taking_part.get_by_label(name, exact=True)).to_be_checked()
    check_page(page, "meetings-15-decision-formulaire")

    page.get_by_label("Type de décision").select_option(
        label="Orientation vers l'intermédiation locative"
    )
    page.get_by_label("Décision", exact=True).fill(DECISION)
    taking_part.get_by_label("Finistère Habitat", exact=True).uncheck()
    taking_part.get_by_label("DDETS du Finistère", exact=True).uncheck()
    page.get_by_role("button", name="Enregistrer la décision").click()

    expect(page).to_have_url(re.compile(r"/actions/decisions/\d+$"))
    expect(heading(page)).to_have_text("Décision : Orientation vers l'intermédiation locative")
    expect(flash(page)).to_contain_text("La décision est enregistrée.")
    expect(fact(page, "Point de l'ordre du jour")).to_have_text(CASE_ITEM)
    expect(fact(page, "Situation")).to_have_text(reference)
    decided = section(page, "Décision prise")
    expect(decided).to_contain_text(DECISION)
    expect(decided).to_contain_text(f"CCAS de Concarneau, {PARTNER}, SIAO du Finistère")
    expect(decided).not_to_contain_text("Finistère Habitat")
    # Still within the meeting, as far as the navigation goes.
    expect(nav(page).get_by_role("link", name="Réunions", include_hidden=True)).to_have_attribute(
        "aria-current", "page"
    )
    expect(
        nav(page).get_by_role("link", name="Mes actions", include_hidden=True)
    ).not_to_have_attribute("aria-current", "page")
    check_page(page, "meetings-16-decision")

    # The follow-up action, for the Mission Locale, due two weeks after the meeting.
    main(page).get_by_role("link", name="Ajouter une action de suivi").click()
    expect(heading(page)).to_have_text("Nouvelle action de suivi")
    expect(page.get_by_label("Décision", exact=True).locator("option:checked")).to_contain_text(
        f"Orientation vers l'intermédiation locative — situation {reference}"
    )
    check_page(page, "meetings-17-action-formulaire")
    due = datetime.fromisoformat(journey("day")).date() + timedelta(days=14)
    page.get_by_label("Action à mener").fill(ACTION)
    page.get_by_label("Organisation responsable").select_option(label=PARTNER)
    page.get_by_label("Personne responsable").select_option(label="Léa Morvan")
    page.get_by_label("Échéance").fill(due.isoformat())
    page.get_by_role("button", name="Enregistrer l'action").click()
    expect(flash(page)).to_contain_text(f"L'action est enregistrée ; {PARTNER} en est prévenue.")
    expect(heading(page)).to_have_text("Décision : Orientation vers l'intermédiation locative")
    row = section(page, "Actions de suivi").get_by_role("row").filter(has_text=ACTION)
    expect(row).to_contain_text(PARTNER)
    expect(row).to_contain_text("Léa Morvan")
    expect(row).to_contain_text(short_date(due))
    expect(row).to_contain_text("À faire")
    check_page(page, "meetings-18-action-enregistree")

    # The case has its decision.
    page.goto(journey("case_url"))
    expect(fact(page, "Statut")).to_have_text("Décision prise")
    history = section(page, "Historique")
    expect(history).to_contain_text("Orientation vers l'intermédiation locative")
    expect(history).to_contain_text(ACTION)

    # The minutes: written, submitted, approved.
    page.goto(meeting_url)
    section(page, "Compte rendu").get_by_role("link", name="Rédiger le compte rendu").click()
    expect(page).to_have_url(meeting_url + "/minutes/edit")
    expect(heading(page)).to_have_text("Rédiger le compte rendu")
    check_page(page, "meetings-19-compte-rendu-formulaire")
    page.get_by_label("Notes générales").fill(GENERAL_NOTES)
    page.get_by_label(f"Notes sur « {CASE_ITEM} »").fill(CASE_NOTES)
    page.get_by_label(f"Notes sur « {GENERAL_ITEM} »").fill(GENERAL_ITEM_NOTES)
    page.get_by_role("button", name="Enregistrer", exact=True).click()
    expect(page).to_have_url(meeting_url + "/minutes")
    expect(flash(page)).to_contain_text("Le compte rendu est enregistré.")
    expect(fact(page, "Statut")).to_have_text("Brouillon")
    expect(section(page, "Notes générales")).to_contain_text(GENERAL_NOTES)
    points = section(page, "Points de l'ordre du jour")
    expect(points).to_contain_text(CASE_NOTES)
    expect(points).to_contain_text(GENERAL_ITEM_NOTES)
    check_page(page, "meetings-20-compte-rendu-brouillon")

    page.get_by_role("button", name="Soumettre pour approbation").click()
    expect(flash(page)).to_contain_text("Compte rendu : Soumis pour approbation.")
    expect(fact(page, "Statut")).to_have_text("Soumis pour approbation")
    page.get_by_role("button", name="Approuver").click()
    expect(flash(page)).to_contain_text("Compte rendu : Approuvé.")
    expect(fact(page, "Statut")).to_have_text("Approuvé")
    today = short_date(datetime.now(PARIS).date())
    expect(page.get_by_role("status").filter(has_text="Le texte est figé")).to_contain_text(
        re.compile(rf"Approuvé le {today} à \d\d:\d\d par Claire Le Goff\. Le texte est figé\.")
    )
    expect(main(page).get_by_role("link", name="Modifier")).to_have_count(0)
    check_page(page, "meetings-21-compte-rendu-approuve")

    with page.expect_download() as download_info:
        main(page).get_by_role("link", name="Télécharger en PDF").click()
    download = download_info.value
    assert download.suggested_filename == f"compte-rendu-comite-technique-{journey('day')}.pdf"
    with open(download.path(), "rb") as handle:
        document = handle.read()
    assert document.startswith(b"%PDF-")
    text = " ".join(sheet.extract_text() for sheet in pypdf.PdfReader(io.BytesIO(document)).pages)
    text = " ".join(text.split())
    assert "Approuvé le" in text and "par Claire Le Goff" in text
    for written in (GENERAL_NOTES, CASE_NOTES, GENERAL_ITEM_NOTES, DECISION, ACTION):
        assert written in text, written

    # Sent: every invitee gets a link, never the content.
    page.get_by_role("button", name="Envoyer le compte rendu").click()
    expect(flash(page)).to_contain_text(
        re.compile(r"Le lien du compte rendu est envoyé à \d+ invités\.")
    )
    expect(page.get_by_role("button", name="Envoyer le compte rendu")).to_have_count(0)
    with live_server.app.app_context():
        sent = db.session.scalars(
            sa.select(OutgoingEmail).where(
                OutgoingEmail.subject.startswith("Compte rendu approuvé")
            )
        ).all()
        assert {e.recipient for e in sent} >= {ADVISER, STATE}
        assert all(DECISION not in e.text_body and CASE_NOTES not in e.text_body for e in sent)

    # Each invitee's PDF is their own: the Mission Locale's holds its case's decision; the
    # State service's, invited without access to the case, only that a decision was taken.
    for email, sees in ((ADVISER, True), (STATE, False)):
        reader = open_as(browser, live_server, email)
        try:
            reader.goto(meeting_url + "/minutes")
            with reader.expect_download() as download_info:
                main(reader).get_by_role("link", name="Télécharger en PDF").click()
            with open(download_info.value.path(), "rb") as handle:
                pages = pypdf.PdfReader(io.BytesIO(handle.read())).pages
            own = " ".join(" ".join(sheet.extract_text() for sheet in pages).split())
            for secret in (DECISION, ACTION, reference, CASE_NOTES):
                assert (secret in own) is sees, (email, secret)
            if not sees:
                assert "Étude de situation — situation confidentielle" in own
            assert GENERAL_NOTES in own
        finally:
            reader.context.close()

    # The meeting page sums it up.
    page.goto(meeting_url)
    expect(section(page, "Compte rendu")).to_contain_text(f"Approuvé le {today}")
    decisions = section(page, "Décisions et actions de suivi")
    # Approved minutes freeze the record: no more decisions to record on this meeting.
    expect(decisions.get_by_role("link", name=re.compile("enregistrer la décision"))).to_have_count(
        0
    )
    expect(decisions.get_by_role("link", name="Enregistrer une décision")).to_have_count(0)
    expect(decisions).to_contain_text(f"situation {reference} : {DECISION}")
    check_page(page, "meetings-22-reunion-apres")


# 4. The Mission Locale does what was asked -----------------------------------------------


def test_adviser_marks_the_action_done(browser, page, live_server):
    meeting_url, reference = journey("meeting_url"), journey("reference")
    sign_in(page, live_server, ADVISER)
    go_to(page, "Mes actions")
    expect(page).to_have_url(live_server.at("/actions/"))
    expect(heading(page)).to_have_text("Mes actions")
    row = main(page).get_by_role("row").filter(has_text=ACTION)
    expect(row).to_have_count(1)
    expect(row).to_contain_text(f"Situation {reference}")
    expect(row).to_contain_text("Léa Morvan")
    expect(row).to_contain_text(COMMITTEE)
    expect(row).to_contain_text("À faire")
    check_page(page, "meetings-23-mes-actions")

    row.get_by_label("Note").fill(DONE_NOTE)
    row.get_by_role("button", name="Faite").click()
    expect(page).to_have_url(re.compile(r"/actions/\??$"))
    expect(flash(page)).to_contain_text("L'action est marquée comme faite.")
    expect(main(page).get_by_role("row").filter(has_text=ACTION)).to_have_count(0)

    page.get_by_label("Statut").select_option(label="Faite")
    page.get_by_role("button", name="Filtrer").click()
    row = main(page).get_by_role("row").filter(has_text=ACTION)
    expect(row).to_contain_text("Faite")
    expect(row).to_contain_text(DONE_NOTE)
    check_page(page, "meetings-24-mes-actions-faites")

    coordinator = open_as(browser, live_server, COORDINATOR)
    try:
        coordinator.goto(meeting_url)
        row = (
            section(coordinator, "Décisions et actions de suivi")
            .get_by_role("row")
            .filter(has_text=ACTION)
        )
        expect(row).to_contain_text("Faite")
        row.get_by_role("link", name=ACTION).click()
        expect(heading(coordinator)).to_have_text("Action de suivi")
        expect(fact(coordinator, "Statut")).to_have_text("Faite")
        done = section(coordinator, "Action")  # no longer « À faire »
        expect(done).to_contain_text(DONE_NOTE)
        expect(done).to_contain_text(re.compile(r"Faite le .+ par Léa Morvan\."))
        check_page(coordinator, "meetings-25-action-faite")
    finally:
        coordinator.context.close()


# 5. Two organisers write the same minutes: the second save is a conflict ------------------


def open_minutes_form(page: Page) -> None:
    go_to(page, "Réunions")
    section(page, "À venir").get_by_role("link", name=OTHER_MEETING).click()
    section(page, "Compte rendu").get_by_role("link", name="Rédiger le compte rendu").click()
    expect(heading(page)).to_have_text("Rédiger le compte rendu")


def test_two_organisers_writing_the_same_minutes_get_a_conflict(browser, page, live_server):
    sign_in(page, live_server, COORDINATOR)
    other = open_as(browser, live_server, SOCIAL_WORKER)
    try:
        open_minutes_form(page)
        open_minutes_form(other)
        item_label = re.compile(r"^Notes sur « Point de situation avec le bailleur")
        page.get_by_label("Notes générales").fill(FIRST_TEXT)
        other.get_by_label("Notes générales").fill(SECOND_TEXT)
        other.get_by_label(item_label).fill("Prochain point dans trois mois.")

        page.get_by_role("button", name="Enregistrer", exact=True).click()
        expect(flash(page)).to_contain_text("Le compte rendu est enregistré.")

        other.get_by_role("button", name="Enregistrer", exact=True).click()
        expect(heading(other)).to_have_text("Votre texte n'a pas été enregistré")
        alert = other.get_by_role("alert")
        expect(alert).to_contain_text(
            "Le compte rendu a été modifié pendant que vous écriviez, par Claire Le Goff"
        )
        expect(alert).to_contain_text("Rien n'a été écrasé.")
        expect(alert).to_be_focused()
        # What this person typed is still in the fields; what was saved is shown beside it.
        expect(other.get_by_label("Notes générales")).to_have_value(SECOND_TEXT)
        expect(other.get_by_label(item_label)).to_have_value("Prochain point dans trois mois.")
        saved = other.locator(".conflict-saved")
        expect(saved.first).to_contain_text("Version enregistrée par Claire Le Goff :")
        expect(saved.first).to_contain_text(FIRST_TEXT)
        expect(saved.nth(1)).to_contain_text("(vide)")
        check_page(other, "meetings-26-conflit")

        # Merged, then saved again: it goes through.
        other.get_by_label("Notes générales").fill(f"{FIRST_TEXT}\n{SECOND_TEXT}")
        other.get_by_role("button", name="Enregistrer la version fusionnée").click()
        expect(flash(other)).to_contain_text("Le compte rendu est enregistré.")
        general = section(other, "Notes générales")
        expect(general).to_contain_text(FIRST_TEXT)
        expect(general).to_contain_text(SECOND_TEXT)
        check_page(other, "meetings-27-conflit-resolu")
    finally:
        other.context.close()
