"""The canary identity (DESIGN §3) through meetings, minutes, decisions and actions.

A comité technique of ``world.committee`` has the canary case on its agenda; every
organisation of the readers is invited; the minutes' notes on the case item name the
household (as an organiser might type them); a decision and actions follow; invitations,
reminders and action e-mails are queued. Each reader then crawls every meetings, minutes
and actions URL (pages, printable agenda, .ics, personal feed, PDF text, CSV) and reads
every e-mail and calendar attachment addressed to them.
"""

import html
import io
import re
from dataclasses import dataclass
from datetime import date, timedelta

import pypdf
import pytest

from portal.actions.services import create_action, record_decision
from portal.extensions import db
from portal.meetings.services import (
    add_agenda_item,
    answer_invitation,
    new_calendar_token,
    schedule_meeting,
    send_invitations,
)
from portal.minutes.services import change_status, minutes_of, save_minutes
from portal.models import (
    CaseStatus,
    DecisionKind,
    InvitationResponse,
    MeetingKind,
    OrganisationKind,
    User,
    now_utc,
)
from tests.case_helpers import canary_traces
from tests.conftest import CANARY_NAME, sign_in
from tests.support import queued_emails

# What the organiser typed about the case in the minutes: the household is named in it.
NOTES_MARKER = "Avis favorable de l'OPAC pour un T2 à Trégunc"
ITEM_NOTES = f"{NOTES_MARKER} : Mme {CANARY_NAME} (06 11 22 33 44) sera recontactée."
GENERAL_NOTES = "Tour de table des partenaires ; prochain comité en avril."
DECISION_TEXT = "Proposition d'un T2 du parc OPAC, visite à organiser."
ACTION_TEXT = "Organiser la visite du T2 avec le bailleur."
ITEM_TITLE = "Relogement après la dette FSL"
POSITION_TEXT = "Le CDAS préfère attendre le bilan budgétaire."
OPINION_TEXT = "Avis du CDAS sur la situation : le budget est tenu depuis six mois."


@dataclass
class Scene:
    meeting: object
    case_item: object
    decision: object
    actions: list
    readers: dict  # role -> User (None: anonymous)
    tokens: dict  # role -> personal feed token


@pytest.fixture
def scene(app, world, case_world, make_org, make_user) -> Scene:
    case = case_world.case
    siao_member = make_user(world.siao, full_name="Samuel SIAO")  # committee, not an admin
    guest_org = make_org(OrganisationKind.ASSOCIATION, "Association Le Relais")
    guest = make_user(guest_org, full_name="Gaëlle Invitée")  # invited, no access to the case
    meeting = schedule_meeting(
        world.committee,
        world.coordinator,
        {
            "kind": MeetingKind.COMITE_TECHNIQUE,
            "title": "Comité technique de suivi",
            "starts_at": (now_utc() + timedelta(days=1)).replace(second=0, microsecond=0),
            "duration_minutes": 120,
            "location": "CCAS, salle du conseil",
            "video_link": "",
            "organisation_ids": [
                world.ccas.id,
                world.mission_locale.id,
                world.siao.id,
                case_world.cdas.id,
                guest_org.id,
            ],
            "user_ids": [],
        },
        notify=False,
    )
    general_item = add_agenda_item(
        meeting, {"title": "Logements disponibles", "duration_minutes": 10}, world.coordinator
    )
    case_item = add_agenda_item(
        meeting,
        {"title": ITEM_TITLE, "duration_minutes": 20, "case": case},
        world.coordinator,
    )
    # The invitations leave with the agenda as each invitee may see it; the reminders go
    # out the day before.
    send_invitations(meeting, meeting.invitees, "meeting_invitation", "Invitation")
    db.session.commit()
    result = app.test_cli_runner().invoke(args=["reminders", "send"])
    assert result.exit_code == 0, result.output
    assert result.output.startswith("1 réunion(s) rappelée(s)"), result.output
    # The CDAS is excused: a general opinion for all, one on the case for its readers.
    answer_invitation(
        meeting,
        case_world.cdas_worker,
        InvitationResponse.EXCUSED,
        "Le CDAS sera représenté au prochain comité.",
        {case_item.id: OPINION_TEXT},
    )
    # The day has come: the meeting is held, minuted, and its decisions recorded.
    meeting = db.session.merge(meeting)
    meeting.starts_at = (now_utc() - timedelta(hours=1)).replace(second=0, microsecond=0)
    save_minutes(
        meeting,
        0,
        GENERAL_NOTES,
        {general_item.id: "Trois T2 libres en mars.", case_item.id: ITEM_NOTES},
        world.coordinator,
    )
    minutes = minutes_of(meeting)
    decision = record_decision(
        meeting,
        world.coordinator,
        kind=DecisionKind.HOUSING_PROPOSAL,
        text=DECISION_TEXT,
        organisations=[world.ccas, world.mission_locale, case_world.cdas],
        positions=[(case_world.cdas, POSITION_TEXT)],
        agenda_item=case_item,
    )
    actions = [
        create_action(
            meeting,
            world.coordinator,
            description=ACTION_TEXT,
            organisation=case_world.cdas,
            user=case_world.cdas_worker,
            due_on=date.today() + timedelta(days=7),
            decision=decision,
        ),
        create_action(  # already overdue: the reminders run e-mails the SIAO about it
            meeting,
            world.coordinator,
            description="Vérifier la demande SIAO.",
            organisation=world.siao,
            due_on=date.today() - timedelta(days=1),
            decision=decision,
        ),
        create_action(
            meeting,
            world.coordinator,
            description="Proposer un accompagnement au relogement.",
            organisation=guest_org,
            due_on=date.today() + timedelta(days=14),
            decision=decision,
        ),
    ]
    change_status(minutes, "submit", world.coordinator, based_on_version=minutes.version)
    change_status(minutes, "approve", world.coordinator, based_on_version=minutes.version)
    readers = {
        "coordinator": world.coordinator,  # organiser, owning organisation
        "ccas_worker": world.ccas_worker,  # owning organisation
        "partner_member": world.partner_member,  # participant, level "full"
        "cdas_worker": case_world.cdas_worker,  # participant, level "situation"
        "siao_officer": world.siao_officer,  # committee member org's admin: invited only
        "siao_member": siao_member,  # committee member
        "guest": guest,  # invited, no access to the case
        "outsider": world.outsider,  # not invited
        "landlord": world.landlord,
        "anonymous": None,
    }
    tokens = {
        role: new_calendar_token(person)
        for role, person in readers.items()
        if person is not None and not person.is_private_owner
    }
    db.session.commit()
    result = app.test_cli_runner().invoke(args=["reminders", "send"])
    assert result.exit_code == 0, result.output
    assert "1 action(s) en retard signalée(s)" in result.output
    db.session.expire_all()
    return Scene(meeting, case_item, decision, actions, readers, tokens)


# Reading what each reader is served ----------------------------------------------------------


def unfold_ics(data: bytes) -> str:
    """iCalendar text as a person reads it: folded lines joined, escapes undone."""
    text = re.sub(r"\r?\n[ \t]", "", data.decode("utf-8"))
    return re.sub(r"\\([,;\\])", r"\1", text).replace("\\n", "\n").replace("\\N", "\n")


def pdf_text(data: bytes) -> str:
    reader = pypdf.PdfReader(io.BytesIO(data))
    return "\n".join(page.extract_text() for page in reader.pages)


def readable(response) -> str:
    data = response.get_data()
    if response.mimetype == "application/pdf":
        return pdf_text(data)
    if response.mimetype == "text/calendar":
        return unfold_ics(data)
    return html.unescape(data.decode("utf-8"))


def followed(link: str) -> bool:
    """Meetings, minutes and actions pages, and the case pages they link to."""
    return link.startswith(("/meetings/", "/actions/")) or bool(re.fullmatch(r"/cases/\d+", link))


def crawl(client, start: list[str], limit: int = 80) -> dict[str, tuple[int, str]]:
    """Every meetings, minutes and actions URL reachable from ``start`` by GET links (and
    the case pages they link to), with its status and readable text."""
    seen: dict[str, tuple[int, str]] = {}
    queue = list(start)
    while queue and len(seen) < limit:
        url = queue.pop(0)
        if url in seen:
            continue
        response = client.get(url, buffered=True)
        assert response.status_code < 500, url
        seen[url] = (response.status_code, readable(response))
        if response.status_code in (301, 302, 303) and followed(response.location):
            queue.append(response.location)
        if response.mimetype == "text/html":
            for link in re.findall(r'href="(/[^"#]*)', response.get_data(as_text=True)):
                if followed(html.unescape(link)):
                    queue.append(html.unescape(link))
    return seen


def private_urls(scene: Scene) -> list[str]:
    """The URLs of this meeting, its minutes, decision and actions: for its readers only."""
    meeting = f"/meetings/{scene.meeting.id}"
    return [
        meeting,
        f"{meeting}/agenda/print",
        f"{meeting}.ics",
        f"{meeting}/edit",
        f"{meeting}/register",
        f"{meeting}/agenda/new",
        f"{meeting}/minutes",
        f"{meeting}/minutes/edit",
        f"{meeting}/minutes/reopen",
        f"{meeting}/minutes.pdf",
        *(f"/actions/{action.id}" for action in scene.actions),
        f"/actions/decisions/{scene.decision.id}",
        f"/actions/meetings/{scene.meeting.id}/decisions/new",
        f"/actions/meetings/{scene.meeting.id}/new",
    ]


def start_urls(scene: Scene, role: str) -> list[str]:
    """Everything of the meetings, minutes and actions features, the personal feed too."""
    token = scene.tokens.get(role, "pas-de-jeton")
    return [
        *private_urls(scene),
        "/meetings/",
        "/meetings/calendar",
        f"/meetings/calendar/{token}.ics",
        "/actions/",
        "/actions/?status=all",
        "/actions/decisions",
        "/actions/decisions.csv",
    ]


def mail_texts(person: User | None) -> list[tuple[str, str]]:
    """Every part of every e-mail queued for ``person``, calendar attachments included."""
    if person is None:
        return []
    texts = []
    for email in queued_emails(person.email):
        label = f"{email.subject} → {email.recipient}"
        texts += [(label, email.subject), (label, email.text_body), (label, email.html_body)]
        for attachment in email.attachments:
            assert attachment.content_type.startswith("text/calendar"), attachment.filename
            texts.append((f"{label} [{attachment.filename}]", unfold_ics(attachment.data)))
    return texts


def become(client, person) -> None:
    client.post("/logout")
    if person is not None:
        sign_in(client, person)


# The crawl -----------------------------------------------------------------------------------

# role: (sees the household's identity, sees the notes on the case item)
SEES = {
    "coordinator": (True, True),  # the owning organisation
    "ccas_worker": (True, True),
    "partner_member": (True, True),  # participant, level "full"
    "cdas_worker": (False, True),  # participant, level "situation"
    "siao_officer": (False, False),  # committee member (an admin: no organiser for that)
    "siao_member": (False, False),  # committee member
    "guest": (False, False),  # invited, no access to the case
    "outsider": (False, False),  # not invited
    "landlord": (False, False),
    "anonymous": (False, False),
}


# Readers without any access to the case: they learn that it exists, nothing more.
NO_ACCESS = ("guest", "outsider", "landlord", "anonymous")

# role: the action e-mail they get (the CDAS and the guest are given an action; the SIAO's
# is overdue, and the reminders run tells them)
ACTION_MAILS = {
    "cdas_worker": "Action de suivi confiée",
    # The SIAO names nobody: its admin hears of its actions, not each member.
    "siao_officer": "Action de suivi en retard",
    "guest": "Action de suivi confiée",
}


def flat(text: str) -> str:
    """Whitespace collapsed, as PDF text extraction breaks lines anywhere."""
    return " ".join(text.split())


@pytest.mark.parametrize("role", SEES)
def test_each_reader_is_served_only_what_their_access_allows(client, scene, role):
    identity, notes = SEES[role]
    person = scene.readers[role]
    become(client, person)
    meeting_id = scene.meeting.id
    meeting_url, minutes_url = f"/meetings/{meeting_id}", f"/meetings/{meeting_id}/minutes"
    print_url, pdf_url = f"{meeting_url}/agenda/print", f"{meeting_url}/minutes.pdf"
    reference = scene.case_item.case.household.reference

    pages = crawl(client, start_urls(scene, role))
    mails = mail_texts(person)

    # E-mails, calendars and the decisions export never name a household, whoever reads them.
    assert [(label, canary_traces(text)) for label, text in mails if canary_traces(text)] == []
    for url, (_, text) in pages.items():
        if url.endswith((".ics", ".csv")):
            assert canary_traces(text) == [], url
    if not identity:
        leaks = [(url, canary_traces(text)) for url, (_, text) in pages.items()]
        assert [(url, traces) for url, traces in leaks if traces] == []
    if not notes:
        assert [url for url, (_, text) in pages.items() if NOTES_MARKER in flat(text)] == []
        assert [url for url, (_, text) in pages.items() if OPINION_TEXT in flat(text)] == []
    if role in NO_ACCESS:
        # Nothing about the case: neither its reference, nor the decision, the positions or
        # the actions about it (their own action aside), on any page or in any e-mail.
        served = [*((url, text) for url, (_, text) in pages.items()), *mails]
        markers = (reference, ITEM_TITLE, DECISION_TEXT, POSITION_TEXT, ACTION_TEXT, OPINION_TEXT)
        for marker in markers:
            assert [where for where, text in served if marker in flat(text)] == [], marker

    if role in ("outsider", "landlord", "anonymous"):
        refused = 302 if role == "anonymous" else 404  # the sign-in page, or not found
        statuses = {url: pages[url][0] for url in private_urls(scene)}
        assert statuses == dict.fromkeys(private_urls(scene), refused)
        assert reference not in " ".join(text for _, text in pages.values())
        assert mails == []
        return
    # The crawl reached everything this reader may see, so that the checks above mean something.
    assert {pages[url][0] for url in (meeting_url, print_url, minutes_url, pdf_url)} == {200}
    assert "BEGIN:VEVENT" in pages[f"/meetings/{meeting_id}.ics"][1]
    assert "BEGIN:VEVENT" in pages[f"/meetings/calendar/{scene.tokens[role]}.ics"][1]
    assert len([url for url in pages if url.startswith("/actions/")]) >= 6
    subjects = [label for label, _ in mails]
    assert any(s.startswith("Invitation") for s in subjects), subjects
    assert any(s.startswith("Rappel") for s in subjects), subjects
    if role in ACTION_MAILS:
        assert any(s.startswith(ACTION_MAILS[role]) for s in subjects), subjects
    if role == "guest":
        assert "Situation confidentielle" in pages[meeting_url][1]
        assert reference not in pages[minutes_url][1] + pages[pdf_url][1]
    else:
        for url in (meeting_url, print_url, minutes_url, pdf_url):
            assert reference in pages[url][1], url
    for url in (meeting_url, print_url, minutes_url, pdf_url):
        assert (CANARY_NAME in flat(pages[url][1])) is identity, url
    for url in (meeting_url, print_url, minutes_url, pdf_url):
        assert (OPINION_TEXT in flat(pages[url][1])) is notes, url
    for url in (minutes_url, pdf_url):
        text = flat(pages[url][1])
        assert GENERAL_NOTES in text, url
        assert (NOTES_MARKER in text) is notes, url
        # The minutes carry the decisions, as each reader may see them.
        assert (DECISION_TEXT in text) is (role not in NO_ACCESS), url
        # A household the writer named in the notes stays masked below full access.
        assert ("06 11 22 33 44" in text) is identity, url
        assert ("[identité masquée]" in text) is (notes and not identity), url


def test_the_changes_shown_after_reopening_keep_the_household_masked(client, scene, world):
    """Re-opened minutes list what changed in each section a reader may see: a case item's
    changed lines follow the same masking as its notes."""
    meeting = scene.meeting
    minutes = minutes_of(meeting)
    change_status(
        minutes, "reopen", world.coordinator, based_on_version=minutes.version, reason="Ajout"
    )
    save_minutes(
        meeting,
        minutes.version,
        GENERAL_NOTES,
        {scene.case_item.id: f"{ITEM_NOTES}\nVisite fixée avec {CANARY_NAME.upper()} le 3 avril."},
        world.coordinator,
    )
    change_status(minutes, "submit", world.coordinator, based_on_version=minutes.version)
    db.session.commit()
    url = f"/meetings/{meeting.id}/minutes"

    for role, identity, changes in (
        ("coordinator", True, True),
        ("partner_member", True, True),
        ("cdas_worker", False, True),
        ("siao_member", False, False),
    ):
        become(client, scene.readers[role])
        page = flat(html.unescape(client.get(url).text))
        assert "Modifications depuis la version approuvée" in page, role
        assert ("le 3 avril" in page) is changes, role
        assert (CANARY_NAME.upper() in page) is identity, role
        if not identity:
            assert canary_traces(page) == [], role


def test_what_was_visible_through_the_committee_goes_when_the_case_is_closed(client, scene, world):
    """A committee member reads the decision on a case while it is before the committee;
    once the case is closed, the reference, decision and actions leave every surface."""
    reader = scene.readers["siao_member"]
    become(client, reader)
    reference = scene.case_item.case.household.reference
    before = crawl(client, start_urls(scene, "siao_member"))
    assert any(DECISION_TEXT in flat(text) for _, text in before.values())
    case = db.session.merge(scene.case_item.case)
    case.status = CaseStatus.CLOSED
    case.closed_at = now_utc()
    db.session.commit()
    after = crawl(client, start_urls(scene, "siao_member"))
    for marker in (reference, ITEM_TITLE, DECISION_TEXT, POSITION_TEXT, ACTION_TEXT, NOTES_MARKER):
        assert [url for url, (_, text) in after.items() if marker in flat(text)] == [], marker
    assert "situation confidentielle" in flat(after[f"/meetings/{scene.meeting.id}"][1]).lower()
