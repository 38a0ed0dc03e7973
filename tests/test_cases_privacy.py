"""Privacy by design for household files and complex cases (DESIGN §3): who sees what, the
audit trail and its access log, the right of access, the retention job, and a canary
identity that must never reach anyone who may not see it."""

import html
import json
import re
from datetime import timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
from dateutil.relativedelta import relativedelta
from flask import current_app

from portal.cases.services import add_attachment, add_note, remove_attachment
from portal.extensions import db
from portal.models import (
    AccessLevel,
    Accommodation,
    AuditAction,
    AuditEvent,
    CaseAttachment,
    CaseEvent,
    CaseNote,
    CaseStatus,
    HouseholdIdentity,
    HouseholdObstacle,
    HouseholdPerson,
    HouseholdPublic,
    InformationRecord,
    Obstacle,
    ResourceBracket,
    ResourceType,
    Typology,
    now_utc,
)
from tests.case_helpers import (
    CANARY_FIRST,
    CANARY_LAST,
    canary_traces,
    change,
    listed_case_ids,
    open_case,
    share,
)
from tests.conftest import CANARY_NAME, PDF_BYTES, sign_in
from tests.support import audit_events, database_rows, flashed, queued_emails

SHARED_NOTE = "Le bailleur OPAC aurait un T2 libre en mars."
INTERNAL_NOTE = "Interne CCAS : vérifier la dette de loyer avant la séance."
QUESTION = "Quel bailleur pour un T2 ?"


def reader(world, case_world, role):
    if role == "anonymous":
        return None
    if role == "cdas_worker":
        return case_world.cdas_worker
    return getattr(world, role)


def become(client, person) -> None:
    """Sign out whoever was signed in, then sign ``person`` in (None: stay anonymous)."""
    client.post("/logout")
    if person is not None:
        sign_in(client, person)


@pytest.fixture
def discussed(world, case_world):
    """The case_world case, with a note for the partners and an internal note of the CCAS."""
    add_note(case_world.case, world.ccas_worker, SHARED_NOTE, internal=False)
    add_note(case_world.case, world.ccas_worker, INTERNAL_NOTE, internal=True)
    db.session.commit()
    return case_world


# Who sees what ---------------------------------------------------------------------------

# role: (case page, identity, discussion, files, download)
SEES = {
    "ccas_worker": (200, True, True, True, 200),  # the owning organisation
    "coordinator": (200, True, True, True, 200),  # ... its admin too
    "partner_member": (200, True, True, True, 200),  # participant, level "full"
    "partner_admin": (200, True, True, True, 200),
    "cdas_worker": (200, False, True, False, 403),  # participant, level "situation"
    "siao_officer": (200, False, False, False, 403),  # member of the committee only
    "outsider": (404, False, False, False, 404),
    "landlord": (404, False, False, False, 404),
    "anonymous": (302, False, False, False, 302),
}


def test_each_reader_sees_what_their_access_allows(client, world, discussed, subtests):
    case, household = discussed.case, discussed.household

    for role, (page_status, identity, discussion, files, download_status) in SEES.items():
        with subtests.test(role):
            become(client, reader(world, discussed, role))

            response = client.get(f"/cases/{case.id}")
            download = client.get(
                f"/cases/{case.id}/attachments/{discussed.attachment.id}", buffered=True
            )

            assert response.status_code == page_status
            assert download.status_code == download_status
            page = html.unescape(response.text)
            if page_status != 200:
                assert household.reference not in page
                assert canary_traces(page) == []
                continue
            # Everyone who may open the case sees its situation and its question...
            for fact in (household.reference, "Femme seule", "CHRS urgence", QUESTION):
                assert fact in page
            # ... the rest depends on their access.
            assert (CANARY_NAME in page) is identity
            assert ("06 11 22 33 44" in page) is identity
            if not identity:
                assert canary_traces(page) == []
                assert "L'identité du ménage n'est pas partagée avec votre organisation." in page
            assert (SHARED_NOTE in page) is discussion
            assert ("bilan.pdf" in page) is files
            assert (f"/attachments/{discussed.attachment.id}" in page) is files
            assert (INTERNAL_NOTE in page) is (role in ("ccas_worker", "coordinator"))
            if download_status == 200:
                assert download.data == PDF_BYTES
                assert download.headers["Content-Disposition"].startswith("attachment;")


def test_the_owner_alone_opens_the_household_file(client, world, case_world):
    household = case_world.household
    for person in (world.partner_member, world.siao_officer, case_world.cdas_worker):
        sign_in(client, person)
        for path in ("", "/edit", "/information", "/access-log", "/export"):
            assert client.get(f"/cases/households/{household.id}{path}").status_code == 404
        assert household.reference not in client.get("/cases/households/").text
        client.post("/logout")

    sign_in(client, world.ccas_worker)
    page = client.get(f"/cases/households/{household.id}").text
    assert CANARY_NAME in page
    assert household.reference in client.get("/cases/households/").text


def test_committee_members_see_a_case_only_while_it_is_before_the_committee(
    client, world, case_world
):
    case = case_world.case
    committee_member, participant = world.siao_officer, case_world.cdas_worker

    def sees(person) -> bool:
        become(client, person)
        shown = client.get(f"/cases/{case.id}").status_code
        listed = case.id in listed_case_ids(client.get("/cases/").text)
        assert (shown == 200) is listed
        return listed

    for status in CaseStatus:
        case.status = status
        db.session.commit()
        expected = status in (CaseStatus.SUBMITTED, CaseStatus.ON_AGENDA, CaseStatus.DECIDED)
        assert sees(committee_member) is expected, status
        assert sees(participant), status

    become(client, world.ccas_worker)
    assert change(client, case, "reopen").status_code == 302
    assert sees(committee_member)
    become(client, world.ccas_worker)
    assert change(client, case, "close").status_code == 302
    assert not sees(committee_member)


def test_internal_notes_stay_inside_their_authors_organisation(client, world, discussed):
    case = discussed.case
    sign_in(client, world.partner_member)
    posted = client.post(
        f"/cases/{case.id}/notes",
        data={"body": "Interne ML : le jeune a refusé deux offres.", "internal": "y"},
    )
    assert posted.status_code == 302
    note = db.session.scalar(sa.select(CaseNote).where(CaseNote.body.like("Interne ML%")))
    assert (note.internal, note.organisation_id) == (True, world.mission_locale.id)
    event = db.session.scalar(sa.select(CaseEvent).order_by(CaseEvent.id.desc()))
    assert (event.internal, event.organisation_id, event.summary) == (
        True,
        world.mission_locale.id,
        "Note interne ajoutée",
    )

    readers = {
        "ccas_worker": (True, False),
        "coordinator": (True, False),
        "partner_member": (False, True),
        "partner_admin": (False, True),
        "cdas_worker": (False, False),
        "siao_officer": (False, False),
    }
    for role, (reads_ccas, reads_ml) in readers.items():
        become(client, reader(world, discussed, role))
        page = html.unescape(client.get(f"/cases/{case.id}").text)
        assert (INTERNAL_NOTE in page) is reads_ccas, role
        assert ("Interne ML : le jeune a refusé deux offres." in page) is reads_ml, role
        # Their timeline events follow the same rule.
        assert page.count("Note interne ajoutée") == reads_ccas + reads_ml, role
        assert ("Interne à CCAS de Concarneau" in page) is reads_ccas, role


def test_the_timeline_does_not_give_file_names_to_those_who_may_not_open_the_files(
    client, world, case_world
):
    add_attachment(case_world.case, world.ccas_worker, f"attestation-{CANARY_LAST}.pdf", PDF_BYTES)
    db.session.commit()

    for person, sees_name in (
        (world.ccas_worker, True),
        (world.partner_member, True),
        (case_world.cdas_worker, False),
        (world.siao_officer, False),
    ):
        become(client, person)
        page = client.get(f"/cases/{case_world.case.id}").text
        assert (f"attestation-{CANARY_LAST}.pdf" in page) is sees_name, person.full_name
        assert ("bilan.pdf" in page) is sees_name, person.full_name


# The audit trail ---------------------------------------------------------------------------


def view_events(household) -> list[tuple]:
    db.session.expire_all()
    return [
        (e.user_id, e.organisation_id, e.summary)
        for e in audit_events(AuditAction.VIEW, "household")
        if e.object_id == household.id
    ]


def test_every_read_of_household_data_is_written_to_the_audit_trail(client, world, case_world):
    case, household = case_world.case, case_world.household
    reference = household.reference
    download = f"/cases/{case.id}/attachments/{case_world.attachment.id}"
    visits = [
        (world.ccas_worker, f"/cases/households/{household.id}", "Consultation du dossier (id"),
        (
            world.ccas_worker,
            f"/cases/households/{household.id}/edit",
            "Consultation du dossier pour",
        ),
        (world.ccas_worker, f"/cases/{case.id}", "Consultation de la situation et de l'identité"),
        (world.partner_member, f"/cases/{case.id}", "Consultation de la situation et de"),
        (world.partner_member, download, "Téléchargement de la pièce jointe « bilan.pdf »"),
        (case_world.cdas_worker, f"/cases/{case.id}", "Consultation de la situation (pseudo"),
        (world.siao_officer, f"/cases/{case.id}", "Consultation de la situation (pseudo"),
    ]
    for person, url, summary in visits:
        become(client, person)
        before = len(view_events(household))
        started = now_utc()

        assert client.get(url, buffered=True).status_code == 200

        events = view_events(household)
        assert len(events) == before + 1, url
        user_id, organisation_id, text = events[-1]
        assert user_id == person.id
        assert organisation_id == person.active_memberships[0].organisation_id
        assert text.startswith(summary), text
        assert text.endswith(reference)
        assert canary_traces(text) == []
        [latest] = db.session.scalars(
            sa.select(AuditEvent).order_by(AuditEvent.id.desc()).limit(1)
        ).all()
        assert started <= latest.created <= now_utc()


def test_refused_reads_leave_no_view_in_the_trail(client, world, case_world):
    case = case_world.case
    for person, url in (
        (world.outsider, f"/cases/{case.id}"),
        (world.landlord, f"/cases/{case.id}"),
        (case_world.cdas_worker, f"/cases/{case.id}/attachments/{case_world.attachment.id}"),
        (world.siao_officer, f"/cases/households/{case_world.household.id}"),
    ):
        become(client, person)
        assert client.get(url).status_code in (403, 404)

    assert view_events(case_world.household) == []


def test_the_owners_admin_reads_the_access_log(app, client, world, case_world):
    household = case_world.household
    sign_in(client, case_world.cdas_worker)
    client.get(f"/cases/{case_world.case.id}")
    become(client, world.coordinator)

    response = client.get(f"/cases/households/{household.id}/access-log")

    assert response.status_code == 200
    page = html.unescape(response.text)
    [cdas_view] = [
        e for e in audit_events(AuditAction.VIEW) if e.user_id == case_world.cdas_worker.id
    ]
    when = app.jinja_env.filters["datetime"](cdas_view.created)
    row = (
        f"<tr><td>{when}</td><td>Anne CDAS</td><td>CDAS de Concarneau</td>"
        f"<td>Consultation</td><td>Consultation de la situation (pseudonymisée) — "
        f"{household.reference}</td></tr>"
    )
    assert row in page
    # Creation, information, sharing and status changes are in it too, newest first.
    assert "Dossier " + household.reference + " créé" in page
    assert "Partage avec Mission Locale : Situation et identité" in page
    assert page.index("Anne CDAS") < page.index(f"Dossier {household.reference} créé")
    assert canary_traces(page) == []


def test_only_the_owners_admin_reads_the_access_log_or_exports(client, world, case_world):
    household = case_world.household

    for role, status in (
        ("ccas_worker", 403),  # a member of the owning organisation, not its admin
        ("partner_admin", 404),  # admin of a partner with full access
        ("siao_officer", 404),
        ("outsider", 404),
    ):
        become(client, getattr(world, role))
        assert client.get(f"/cases/households/{household.id}/access-log").status_code == status
        assert client.get(f"/cases/households/{household.id}/export").status_code == status, role

    assert audit_events(AuditAction.EXPORT) == []


# Right of access ---------------------------------------------------------------------------


def test_the_owners_admin_exports_everything_held_on_the_household(client, world, discussed):
    household, case = discussed.household, discussed.case
    sign_in(client, discussed.cdas_worker)
    client.get(f"/cases/{case.id}")
    become(client, world.coordinator)

    response = client.get(f"/cases/households/{household.id}/export")

    assert response.status_code == 200
    assert response.mimetype == "application/json"
    assert response.headers["Content-Disposition"] == (
        f'attachment; filename="donnees-{household.reference}.json"'
    )
    data = json.loads(response.text)
    assert data["reference"] == household.reference
    assert data["organisation"] == "CCAS de Concarneau"
    assert data["schema_version"] == 2
    sections = data["sections"]

    def rows(key):
        return sections[key]["rows"]

    [contact] = rows("coordonnees")
    assert (contact["phone"], contact["email"]) == ("06 11 22 33 44", "zephyrine@exemple.fr")
    [person] = rows("personnes")
    assert {k: person[k] for k in ("role", "first_name", "last_name", "birth_date")} == {
        "role": "Demandeur principal",
        "first_name": CANARY_FIRST,
        "last_name": CANARY_LAST,
        "birth_date": "1990-05-04",
    }
    [situation] = rows("menage")
    assert (situation["public"], situation["accommodation"]) == ("Femme seule", "CHRS urgence")
    assert situation["accommodation_since"] == "2026-01-15"
    assert situation["situation_notes"] == "Travaille à mi-temps, budget suivi."
    [information] = rows("informations_du_menage")
    assert (information["informed_on"], information["informed_by"]) == (
        "2026-02-01",
        "Yann Social",
    )
    [exported_case] = rows("situations")
    assert exported_case["question"] == QUESTION
    assert exported_case["status"] == "Soumise au comité"
    assert {(p["organisation"], p["level"]) for p in rows("partages")} == {
        ("Mission Locale", "Situation et identité"),
        ("CDAS de Concarneau", "Situation seulement"),
    }
    assert [(n["body"], n["internal"]) for n in rows("notes")] == [
        (SHARED_NOTE, False),
        (INTERNAL_NOTE, True),
    ]
    assert [(a["filename"], a["content_type"]) for a in rows("pieces_jointes")] == [
        ("bilan.pdf", "application/pdf")
    ]
    assert "Changement de statut" in [e["kind"] for e in rows("historique_des_situations")]
    # Each section says what its keys mean, in French.
    assert sections["notes"]["title"] and sections["notes"]["fields"]["body"]
    log = rows("journal_des_acces")
    assert {
        "user": "Anne CDAS",
        "organisation": "CDAS de Concarneau",
        "action": "Consultation",
    }.items() <= next(e for e in log if e["user"] == "Anne CDAS").items()
    [event] = audit_events(AuditAction.EXPORT, "household")
    assert (event.object_id, event.user_id, event.organisation_id) == (
        household.id,
        world.coordinator.id,
        world.ccas.id,
    )


# Retention ---------------------------------------------------------------------------------


def closed_months_ago(case, months: int) -> None:
    case.status = CaseStatus.CLOSED
    case.closed_at = now_utc() - relativedelta(months=months) - timedelta(days=1)
    db.session.commit()


@pytest.fixture
def aged(world, case_world, make_household):
    """Four households: one whose case closed 25 months ago (the canary), one 23 months ago,
    one with an old closed case and an open one, and one with no case at all."""
    case = case_world.case
    add_note(case, world.ccas_worker, SHARED_NOTE, internal=False)
    add_note(case, world.ccas_worker, INTERNAL_NOTE, internal=True)
    removed = add_attachment(case, world.ccas_worker, f"courrier-{CANARY_LAST}.pdf", PDF_BYTES)
    db.session.commit()
    stored = remove_attachment(case, removed, world.ccas_worker)
    db.session.commit()
    Path(current_app.config["UPLOAD_FOLDER"], stored).unlink()
    closed_months_ago(case, 25)

    recent = make_household(world.ccas, world.ccas_worker, first="Rémi", last="Récent")
    closed_months_ago(open_case(recent, world.ccas_worker, world.committee), 23)
    mixed = make_household(world.ccas, world.ccas_worker, first="Inès", last="Encours")
    closed_months_ago(open_case(mixed, world.ccas_worker, world.committee), 30)
    open_case(mixed, world.ccas_worker, world.committee, CaseStatus.ON_AGENDA)
    caseless = make_household(world.ccas, world.ccas_worker, first="Sans", last="Situation")
    return case_world, [recent, mixed, caseless]


def run_retention(app, *args: str) -> str:
    result = app.test_cli_runner().invoke(args=["retention", "run", *args])
    assert result.exit_code == 0, result.output
    db.session.expire_all()
    return result.output


def identity_of(household) -> tuple:
    persons = db.session.scalars(
        sa.select(HouseholdPerson.last_name).where(HouseholdPerson.household_id == household.id)
    ).all()
    return tuple(persons), db.session.get(HouseholdIdentity, household.id) is not None


def test_retention_anonymises_households_closed_for_longer_than_the_period(app, world, aged):
    case_world, kept = aged
    household, case = case_world.household, case_world.case
    stored_name = case_world.attachment.stored_name
    folder = Path(app.config["UPLOAD_FOLDER"])
    assert (folder / stored_name).is_file()
    kept_before = {h.id: identity_of(h) for h in kept}

    output = run_retention(app)

    assert output.strip() == "1 dossier(s) anonymisé(s) (conservation : 24 mois après clôture)."
    assert household.anonymised_at is not None
    # Identity and free text are gone...
    # The persons stay for the statistics (role, a coarser birth date), nameless.
    assert identity_of(household) == (("",), False)
    assert household.situation_notes == ""
    assert case.question == ""
    assert case.title == "Situation anonymisée"
    assert {p.reason for p in case.participants} == {""}
    assert db.session.scalars(sa.select(CaseNote).where(CaseNote.case_id == case.id)).all() == []
    [record] = db.session.scalars(
        sa.select(InformationRecord).where(InformationRecord.household_id == household.id)
    ).all()
    assert (record.what_is_shared, record.shared_with) == ("", "")
    # ... and so are the files, rows and bytes.
    assert db.session.scalar(sa.select(sa.func.count()).select_from(CaseAttachment)) == 0
    assert not (folder / stored_name).exists()
    # Nothing that names the household is left in the database.
    for table, rows in database_rows().items():
        for row in rows:
            assert CANARY_LAST not in " ".join(map(str, row)), (table, row)
    # The statistics stay.
    assert household.public == HouseholdPublic.FEMME_SEULE
    assert household.accommodation == Accommodation.CHRS_URGENCE
    assert (household.adults, household.children) == (1, 0)
    assert household.accommodation_since is not None
    assert household.reference.startswith("CCAS-")
    assert case.status == CaseStatus.CLOSED
    assert {p.level for p in case.participants} == {AccessLevel.FULL, AccessLevel.SITUATION}
    # The others are untouched.
    for other in kept:
        assert other.anonymised_at is None
        assert identity_of(other) == kept_before[other.id]
        assert other.situation_notes == "Travaille à mi-temps, budget suivi."
    [event] = audit_events(AuditAction.DELETE, "household")
    assert event.object_id == household.id

    assert run_retention(app).strip().startswith("0 dossier(s) anonymisé(s)")


def test_the_statistics_fields_survive_anonymisation(app, world, make_household):
    household = make_household(world.ccas, world.ccas_worker)
    household.resource_type = ResourceType.RSA
    household.resource_bracket = ResourceBracket.FROM_500
    household.typology = Typology.T2
    household.victim_of_violence = True
    household.obstacles = [HouseholdObstacle(obstacle=Obstacle.DETTES)]
    db.session.commit()
    closed_months_ago(open_case(household, world.ccas_worker, world.committee), 30)

    run_retention(app)

    assert household.anonymised_at is not None
    assert household.resource_type == ResourceType.RSA
    assert household.resource_bracket == ResourceBracket.FROM_500
    assert household.typology == Typology.T2
    assert household.victim_of_violence
    assert household.obstacle_values == [Obstacle.DETTES]


def test_the_retention_period_is_a_setting(app, world, aged):
    app.config["RETENTION_MONTHS"] = 12

    output = run_retention(app)

    assert output.strip() == "2 dossier(s) anonymisé(s) (conservation : 12 mois après clôture)."
    recent, mixed, caseless = aged[1]
    assert recent.anonymised_at is not None
    assert mixed.anonymised_at is None  # one of its cases is still open
    assert caseless.anonymised_at is None
    assert run_retention(app, "--months", "6").strip().startswith("0 dossier(s)")


def test_an_anonymised_file_can_no_longer_come_back_to_the_committee(client, world, aged):
    case_world, _ = aged
    run_retention(current_app)
    sign_in(client, world.ccas_worker)
    household_page = client.get(f"/cases/households/{case_world.household.id}").text
    before = database_rows()

    reopened = change(client, case_world.case, "reopen")
    refused = flashed(client.get(reopened.location).text)
    edited = client.get(f"/cases/households/{case_world.household.id}/edit")
    posted = client.get(f"/cases/new?household={case_world.household.id}")

    assert "Dossier anonymisé le" in household_page
    assert canary_traces(household_page) == []
    assert "Le dossier de ce ménage est anonymisé : la situation reste close." in refused
    assert (edited.status_code, posted.status_code) == (403, 403)
    after = database_rows()
    # Only the reads of the pages themselves were written down.
    assert after.pop("audit_event") != before.pop("audit_event")
    assert after == before


# The canary --------------------------------------------------------------------------------

SKIPPED_LINKS = ("/static/", "/logout")


def crawl(client, start: list[str], limit: int = 80) -> dict[str, tuple[int, str]]:
    """Every page reachable from ``start`` by GET links, with its status and text."""
    seen: dict[str, tuple[int, str]] = {}
    queue = list(start)
    while queue and len(seen) < limit:
        url = queue.pop(0)
        if url in seen:
            continue
        response = client.get(url, buffered=True)
        body = response.get_data().decode("utf-8", errors="replace")
        seen[url] = (response.status_code, body)
        assert response.status_code < 500, url
        if response.status_code in (301, 302, 303):
            queue.append(response.location)
        for link in re.findall(r'href="(/[^"#]*)', body):
            link = html.unescape(link)
            if not link.startswith(SKIPPED_LINKS) and link not in seen:
                queue.append(link)
    return seen


@pytest.fixture
def canary(client, world, case_world):
    """The canary household's case, discussed, with a file named after the household, shared
    again (this time by e-mail) with both partners."""
    case = case_world.case
    add_note(case, world.ccas_worker, SHARED_NOTE, internal=False)
    add_note(case, world.ccas_worker, INTERNAL_NOTE, internal=True)
    named = add_attachment(case, world.ccas_worker, f"attestation-{CANARY_LAST}.pdf", PDF_BYTES)
    db.session.commit()
    sign_in(client, world.ccas_worker)
    assert share(client, case, world.mission_locale, "full").status_code == 302
    assert share(client, case, case_world.cdas, "situation").status_code == 302
    client.post("/logout")
    household_id = case_world.household.id
    urls = [
        "/",
        "/cases/",
        "/cases/?status=submitted",
        f"/cases/{case.id}",
        f"/cases/{case.id}/edit",
        f"/cases/{case.id}/attachments/{case_world.attachment.id}",
        f"/cases/{case.id}/attachments/{named.id}",
        "/cases/households/",
        f"/cases/households/{household_id}",
        f"/cases/households/{household_id}/edit",
        f"/cases/households/{household_id}/information",
        f"/cases/households/{household_id}/access-log",
        f"/cases/households/{household_id}/export",
        f"/cases/new?household={household_id}",
        f"/committees/{world.committee.id}",
    ]
    return case_world, urls


def test_the_canary_identity_never_reaches_those_who_may_not_see_it(
    client, world, canary, subtests
):
    case_world, urls = canary

    for role in ("cdas_worker", "siao_officer", "outsider", "landlord", "anonymous"):
        with subtests.test(role):
            become(client, reader(world, case_world, role))

            pages = crawl(client, urls)

            assert len(pages) >= len(urls)
            for url, (_status, body) in pages.items():
                assert canary_traces(body) == [], url
            for typed in (CANARY_LAST, CANARY_FIRST, CANARY_NAME, "06 11 22 33"):
                response = client.get("/cases/", query_string={"q": typed})
                if role == "anonymous":
                    assert response.location.startswith("/login")
                    continue
                assert listed_case_ids(response.text) == []
                echoed = html.unescape(response.text).replace(f'value="{typed}"', "")
                assert canary_traces(echoed) == [], typed
    for email in queued_emails():
        for part in (email.subject, email.text_body, email.html_body):
            assert canary_traces(part) == [], email.recipient


def test_the_canary_does_reach_those_who_may_see_it(client, world, canary):
    """The same crawl finds it for the owner and the full participant: the canary works."""
    case_world, urls = canary
    case, household = case_world.case, case_world.household

    become(client, world.ccas_worker)
    pages = crawl(client, urls)
    assert CANARY_NAME in html.unescape(pages[f"/cases/{case.id}"][1])
    assert CANARY_NAME in html.unescape(pages[f"/cases/households/{household.id}"][1])
    found = client.get("/cases/", query_string={"q": CANARY_LAST}).text
    assert listed_case_ids(found) == [case.id]

    become(client, world.partner_member)
    pages = crawl(client, urls)
    assert CANARY_NAME in html.unescape(pages[f"/cases/{case.id}"][1])
    # The partner reads the name, but cannot find the household by it.
    found = client.get("/cases/", query_string={"q": CANARY_LAST}).text
    assert listed_case_ids(found) == []


def test_a_file_that_never_led_to_a_case_is_anonymised_once_untouched_for_the_period(
    app, world, make_household
):
    forgotten = make_household(world.ccas, world.ccas_worker, first="Oublié", last="Dossier")
    recent = make_household(world.ccas, world.ccas_worker, first="Récent", last="Dossier")
    forgotten.updated = now_utc() - relativedelta(months=25)
    db.session.commit()

    output = run_retention(app)

    assert output.startswith("1 dossier(s) anonymisé(s)")
    assert forgotten.anonymised_at is not None
    assert identity_of(forgotten) == (("",), False)
    assert recent.anonymised_at is None
    assert identity_of(recent) == (("Dossier",), True)


def test_internal_notes_stay_inside_their_organisation_on_the_case_page(client, world, case_world):
    """An internal note stays inside its author's organisation: the case page serves each
    reader exactly the notes it may read."""
    case = case_world.case
    add_note(case, world.ccas_worker, "CCAS-INTERNE-42", internal=True)
    add_note(case, world.partner_member, "ML-INTERNE-42", internal=True)
    add_note(case, world.ccas_worker, "PARTAGEE-42", internal=False)
    db.session.commit()
    expected = {  # reader -> bodies of the notes it may read
        "ccas_worker": {"CCAS-INTERNE-42", "PARTAGEE-42"},
        "coordinator": {"CCAS-INTERNE-42", "PARTAGEE-42"},
        "partner_member": {"ML-INTERNE-42", "PARTAGEE-42"},
        "partner_admin": {"ML-INTERNE-42", "PARTAGEE-42"},
        "cdas_worker": {"PARTAGEE-42"},
    }
    for role, bodies in expected.items():
        reader = case_world.cdas_worker if role == "cdas_worker" else getattr(world, role)
        client.post("/logout")
        sign_in(client, reader)
        page = html.unescape(client.get(f"/cases/{case.id}").get_data(as_text=True))
        assert {b for b in ("CCAS-INTERNE-42", "ML-INTERNE-42", "PARTAGEE-42") if b in page} == (
            bodies
        ), role
