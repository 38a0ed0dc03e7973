"""Household files and complex cases, as the social workers of the pathway use them:
the household's file, its information, the case's workflow, sharing, the discussion,
attachments and the list of cases."""

import html
import re
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
from flask import current_app

from config import Config
from portal import permissions
from portal.cases.services import BY_HAND, TRANSITIONS
from portal.extensions import db
from portal.meetings.services import schedule_meeting
from portal.models import (
    AccessLevel,
    Accommodation,
    AgendaProposal,
    AuditAction,
    Case,
    CaseAttachment,
    CaseEventKind,
    CaseNote,
    CaseParticipant,
    CaseStatus,
    Committee,
    Commune,
    Household,
    HouseholdIdentity,
    HouseholdPerson,
    HouseholdPublic,
    InformationRecord,
    MeetingKind,
    Membership,
    MembershipRole,
    Obstacle,
    OrganisationKind,
    PersonRole,
    ResourceBracket,
    ResourceType,
    Typology,
    now_utc,
)
from tests.case_helpers import (
    CANARY_FIRST,
    CANARY_LAST,
    PNG_BYTES,
    another_household,
    bulk_cases,
    canary_traces,
    change,
    counting_queries,
    household_data,
    listed_case_ids,
    listed_rows,
    open_case,
    share,
    timeline,
    upload,
)
from tests.conftest import PDF_BYTES, sign_in
from tests.support import (
    audit_events,
    database_rows,
    flashed,
    form_errors,
    fresh_client,
    queued_emails,
    shows_typed_value,
)

YEAR = date.today().year


def count(model) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(model))


def uploaded_files(app) -> set[str]:
    folder = Path(app.config["UPLOAD_FOLDER"])
    return {p.name for p in folder.iterdir()} if folder.exists() else set()


# The household file ------------------------------------------------------------------------


def test_a_second_file_for_the_same_person_is_pointed_at_the_first(client, world):
    """Same first name, last name and birth date in the organisation: the form says so,
    with a link, keeps what was typed, and creates only when told it is another household."""
    sign_in(client, world.ccas_worker)
    first = client.post("/cases/households/new", data=household_data())
    [existing] = db.session.scalars(sa.select(Household)).all()

    shouted = household_data(**{"persons-0-last_name": CANARY_LAST.upper()})
    again = client.post("/cases/households/new", data=shouted)

    assert first.status_code == 302 and again.status_code == 200
    assert f'href="/cases/households/{existing.id}">{existing.reference}</a>' in again.text
    assert "déjà un dossier pour une personne de même nom" in html.unescape(again.text)
    assert shows_typed_value(again.text, CANARY_LAST.upper())
    assert db.session.scalar(sa.select(sa.func.count(Household.id))) == 1

    confirmed = client.post("/cases/households/new", data={**shouted, "create_anyway": "y"})

    assert confirmed.status_code == 302
    assert db.session.scalar(sa.select(sa.func.count(Household.id))) == 2


def test_another_organisation_s_file_is_never_mentioned(client, world):
    sign_in(client, world.ccas_worker)
    client.post("/cases/households/new", data=household_data())
    sign_in(client, world.partner_member)

    response = client.post("/cases/households/new", data=household_data())

    assert response.status_code == 302
    assert db.session.scalar(sa.select(sa.func.count(Household.id))) == 2


def test_a_social_worker_creates_a_household_file_with_a_pseudonymous_reference(client, world):
    concarneau = Commune(territory_id=world.ccas.territory_id, name="Concarneau")
    tregunc = Commune(territory_id=world.ccas.territory_id, name="Trégunc")
    db.session.add_all([concarneau, tregunc])
    db.session.commit()
    sign_in(client, world.ccas_worker)

    response = client.post(
        "/cases/households/new", data=household_data(commune_ids=[str(concarneau.id)])
    )

    household = db.session.scalar(sa.select(Household))
    assert response.status_code == 302
    assert response.location == f"/cases/households/{household.id}"
    assert household.reference == f"CCAS-{YEAR}-001"
    assert (
        f"Le dossier CCAS-{YEAR}-001 est créé. Enregistrez l'information du ménage avant de "
        "partager sa situation." in flashed(client.get(response.location).text)
    )
    assert household.organisation_id == world.ccas.id
    assert household.created_by_id == world.ccas_worker.id
    assert household.public == HouseholdPublic.FAMILLE_MONOPARENTALE
    assert (household.adults, household.children, household.children_ages) == (1, 2, "3, 7")
    assert household.accommodation == Accommodation.CHRS_URGENCE
    assert household.accommodation_since == date.today() - timedelta(days=400)
    assert household.resource_type == ResourceType.RSA
    assert household.resource_bracket == ResourceBracket.FROM_500
    assert household.typology == Typology.T3
    assert household.obstacle_values == [Obstacle.DETTES, Obstacle.MOBILITE]
    assert [c.name for c in household.communes] == ["Concarneau"]
    assert not household.is_informed
    [event] = audit_events(AuditAction.CREATE, "household")
    assert (event.object_id, event.user_id) == (household.id, world.ccas_worker.id)

    second = client.post("/cases/households/new", data=household_data(**another_household()))

    assert second.status_code == 302
    assert db.session.scalars(sa.select(Household.reference).order_by(Household.id)).all() == [
        f"CCAS-{YEAR}-001",
        f"CCAS-{YEAR}-002",
    ]


def test_the_identity_is_stored_apart_from_the_situation(client, world):
    sign_in(client, world.ccas_worker)

    client.post("/cases/households/new", data=household_data())

    household = db.session.scalar(sa.select(Household))
    persons = db.session.scalars(sa.select(HouseholdPerson).order_by(HouseholdPerson.id)).all()
    assert [(p.role, p.first_name, p.last_name, p.birth_date) for p in persons] == [
        (PersonRole.DEMANDEUR, CANARY_FIRST, CANARY_LAST, date(1990, 5, 4)),
        (PersonRole.ENFANT, "Hugo", CANARY_LAST, date.today() - timedelta(days=3 * 365 + 10)),
    ]
    identity = db.session.get(HouseholdIdentity, household.id)
    assert (identity.phone, identity.email, identity.address) == (
        "06 11 22 33 44",
        "zephyrine@exemple.fr",
        "CHRS Le Phare, Concarneau",
    )
    # The situation row, the one partners' pages read, holds nothing that names anyone.
    situation_row = db.session.execute(
        sa.select(Household.__table__).where(Household.id == household.id)
    ).one()
    assert canary_traces(" ".join(str(value) for value in situation_row)) == []


def test_the_empty_person_rows_of_the_form_are_ignored(client, world):
    sign_in(client, world.ccas_worker)

    client.post(
        "/cases/households/new",
        data=household_data(**{"persons-1-first_name": "", "persons-1-last_name": ""}),
    )

    assert db.session.scalars(sa.select(HouseholdPerson.first_name)).all() == [CANARY_FIRST]


@pytest.mark.parametrize(
    ("days", "shown"),
    [(45, "45 jours"), (200, "6 mois"), (400, "1 an et 1 mois"), (731, "2 ans")],
)
def test_the_length_of_stay_is_derived_from_the_entry_date(client, world, days, shown):
    sign_in(client, world.ccas_worker)
    since = date.today() - timedelta(days=days)

    response = client.post(
        "/cases/households/new", data=household_data(accommodation_since=since.isoformat())
    )

    household = db.session.scalar(sa.select(Household))
    assert household.length_of_stay_days() == days
    assert household.length_of_stay_days(today=since + timedelta(days=10)) == 10
    page = client.get(response.location).text
    assert f"({shown})" in page


def test_without_an_entry_date_no_length_of_stay_is_shown(client, world):
    sign_in(client, world.ccas_worker)

    response = client.post("/cases/households/new", data=household_data(accommodation_since=""))

    household = db.session.scalar(sa.select(Household))
    assert household.length_of_stay_days() is None
    assert "depuis le" not in client.get(response.location).text


def test_a_thousandth_household_of_the_year_gets_its_own_number(client, world, make_household):
    """References are numbered, not sorted as text: 1000 comes after 999."""
    household = make_household(world.ccas, world.ccas_worker)
    household.reference = f"CCAS-{YEAR}-999"
    db.session.commit()
    sign_in(client, world.ccas_worker)

    for number in range(2):
        data = household_data(**another_household(number))
        assert client.post("/cases/households/new", data=data).status_code == 302

    assert db.session.scalars(sa.select(Household.reference).order_by(Household.id)).all() == [
        f"CCAS-{YEAR}-999",
        f"CCAS-{YEAR}-1000",
        f"CCAS-{YEAR}-1001",
    ]


def test_references_name_the_kind_of_organisation_never_the_household(client, world):
    sign_in(client, world.partner_member)

    client.post("/cases/households/new", data=household_data())

    assert db.session.scalar(sa.select(Household.reference)) == f"ML-{YEAR}-001"


TOMORROW = (date.today() + timedelta(days=1)).isoformat()

BAD_HOUSEHOLD = {
    "empty form": ({}, "Choisissez le public.", ()),
    "no public": ({"public": ""}, "Choisissez le public.", ("06 11 22 33 44",)),
    "unknown public": ({"public": "retraite"}, "N'est pas un choix valide.", (CANARY_FIRST,)),
    "unknown accommodation": (
        {"accommodation": "chateau"},
        "N'est pas un choix valide.",
        (CANARY_FIRST,),
    ),
    "unknown resource type": ({"resource_type": "loto"}, "N'est pas un choix valide.", ()),
    "unknown obstacle": (
        {"obstacles": ["dettes", "casier"]},
        "n'est pas un choix valide pour ce champ.",
        (CANARY_FIRST,),
    ),
    "unknown commune": (
        {"commune_ids": ["999999"]},
        "n'est pas un choix valide pour ce champ.",
        (CANARY_FIRST,),
    ),
    "unknown person role": (
        {"persons-0-role": "voisin"},
        "N'est pas un choix valide.",
        (CANARY_FIRST,),
    ),
    "no adult": ({"adults": "0"}, "Entre 1 et 10 adultes.", (CANARY_FIRST,)),
    "missing adults": ({"adults": ""}, "Indiquez le nombre d'adultes.", (CANARY_FIRST,)),
    "too many children": (
        {"children": "16", "children_ages": ""},
        "Entre 0 et 15 enfants.",
        (CANARY_FIRST,),
    ),
    "fewer ages than children": (
        {"children": "2", "children_ages": "4"},
        "Indiquez un âge par enfant.",
        ("4", CANARY_FIRST),
    ),
    "ages without children": (
        {"children": "0", "children_ages": "4, 9"},
        "Indiquez un âge par enfant.",
        ("4, 9",),
    ),
    "ages in words": (
        {"children_ages": "trois et sept ans"},
        "Indiquez des âges en années, séparés par des virgules.",
        ("trois et sept ans",),
    ),
    "entry date in the future": (
        {"accommodation_since": TOMORROW},
        "Indiquez une date entre le 01/01/1950 et aujourd'hui.",
        (TOMORROW,),
    ),
    "birth date in the future": (
        {"persons-0-birth_date": TOMORROW},
        "Indiquez une date entre le 01/01/1900 et aujourd'hui.",
        (TOMORROW, CANARY_FIRST),
    ),
    "malformed entry date": (
        {"accommodation_since": "31/13/2025"},
        "Indiquez une date valide (jj/mm/aaaa).",
        (CANARY_FIRST,),
    ),
    "malformed birth date": (
        {"persons-0-birth_date": "1899-12-31"},
        "Indiquez une date entre le 01/01/1900 et aujourd'hui.",
        (CANARY_FIRST,),
    ),
    "malformed number of adults": (
        {"adults": "deux"},
        "N'est pas un entier valide.",
        (CANARY_FIRST,),
    ),
    "first name without last name": (
        {"persons-1-first_name": "Hugo", "persons-1-last_name": ""},
        "Indiquez le prénom et le nom, ou aucun des deux.",
        ("Hugo",),
    ),
    "nobody named": (
        {
            "persons-0-first_name": "",
            "persons-0-last_name": "",
            "persons-1-first_name": "",
            "persons-1-last_name": "",
        },
        "Indiquez au moins le demandeur principal (prénom et nom).",
        ("06 11 22 33 44",),
    ),
    "oversized notes": (
        {"situation_notes": "N" * 501},
        "500 caractères au plus.",
        ("N" * 501,),
    ),
    "oversized first name": (
        {"persons-0-first_name": "Z" * 81},
        "80 caractères au plus.",
        ("Z" * 81,),
    ),
    "malformed e-mail": (
        {"email": "zephyrine@"},
        "Cette adresse e-mail n'est pas valide.",
        ("zephyrine@", CANARY_FIRST),
    ),
}


def test_the_household_form_refuses_bad_input_in_french_and_keeps_what_was_typed(
    client, world, subtests
):
    sign_in(client, world.ccas_worker)
    before = database_rows()

    for case, (bad, message, kept) in BAD_HOUSEHOLD.items():
        with subtests.test(case):
            response = client.post(
                "/cases/households/new", data=household_data(**bad) if bad else {}
            )

            assert response.status_code == 200
            errors = form_errors(response.text)
            assert any(message in error for error in errors), errors
            assert "Le formulaire contient" in response.text
            for value in kept:
                assert shows_typed_value(response.text, value), value
            assert database_rows() == before


def test_editing_the_file_changes_the_situation_and_the_identity(client, world, make_household):
    household = make_household(world.ccas, world.ccas_worker)
    sign_in(client, world.ccas_worker)

    form = client.get(f"/cases/households/{household.id}/edit").text
    response = client.post(
        f"/cases/households/{household.id}/edit",
        data=household_data(
            public="femme_seule",
            children="0",
            children_ages="",
            **{"persons-1-first_name": "", "persons-1-last_name": ""},
            phone="07 00 00 00 00",
        ),
    )

    assert shows_typed_value(form, CANARY_LAST)
    assert shows_typed_value(form, "06 11 22 33 44")
    assert response.status_code == 302
    db.session.expire_all()
    assert household.public == HouseholdPublic.FEMME_SEULE
    assert household.children == 0
    assert household.identity.phone == "07 00 00 00 00"
    assert [p.full_name for p in household.persons] == [f"{CANARY_FIRST} {CANARY_LAST}"]
    assert household.reference == f"CCAS-{YEAR}-001"
    [change_event] = audit_events(AuditAction.CHANGE, "household")
    assert change_event.user_id == world.ccas_worker.id


# Information of the household ----------------------------------------------------------------


def test_nothing_is_shared_before_the_household_is_informed(client, world, make_household):
    household = make_household(world.ccas, world.ccas_worker, informed=False)
    case = open_case(household, world.ccas_worker, world.committee, CaseStatus.DRAFT)
    sign_in(client, world.ccas_worker)
    assert "Le ménage n'a pas encore été informé" in client.get(f"/cases/{case.id}").text
    before = database_rows()

    submitted = change(client, case, "submit")

    assert submitted.status_code == 302
    assert database_rows() == before
    assert (
        "Enregistrez d'abord l'information du ménage : une situation n'est partagée "
        "qu'avec son accord éclairé." in flashed(client.get(submitted.location).text)
    )
    before = database_rows()

    shared = share(client, case, world.mission_locale)

    assert shared.status_code == 400
    assert (
        "Enregistrez d'abord l'information du ménage : le partage est refusé tant que le "
        "ménage n'a pas été informé." in form_errors(shared.text)
    )
    assert database_rows() == before
    assert queued_emails() == []


def test_once_the_information_is_recorded_the_case_can_be_submitted_and_shared(
    client, world, make_household
):
    household = make_household(world.ccas, world.ccas_worker, informed=False)
    case = open_case(household, world.ccas_worker, world.committee, CaseStatus.DRAFT)
    sign_in(client, world.ccas_worker)

    recorded = client.post(
        f"/cases/households/{household.id}/information",
        data={
            "informed_on": date.today().isoformat(),
            "what_is_shared": "La situation sans identité",
            "shared_with": "Le comité technique et la Mission Locale",
        },
    )

    assert recorded.status_code == 302
    assert "L'information du ménage est enregistrée : sa situation peut être partagée." in (
        flashed(client.get(recorded.location).text)
    )
    [record] = db.session.scalars(sa.select(InformationRecord)).all()
    assert record.informed_by_id == world.ccas_worker.id
    assert record.informed_on == date.today()
    assert record.shared_with == "Le comité technique et la Mission Locale"
    assert CaseEventKind.INFORMED in [e.kind for e in timeline(case)]

    assert change(client, case, "submit").status_code == 302
    assert share(client, case, world.mission_locale).status_code == 302
    db.session.expire_all()
    assert case.status == CaseStatus.SUBMITTED
    assert [p.organisation_id for p in case.participants] == [world.mission_locale.id]


BAD_INFORMATION = {
    "no date": ({"informed_on": ""}, "Indiquez une date valide (jj/mm/aaaa)."),
    "malformed date": ({"informed_on": "31/02/2026"}, "Indiquez une date valide (jj/mm/aaaa)."),
    "future date": (
        {"informed_on": TOMORROW},
        "Indiquez une date entre le 01/01/2000 et aujourd'hui.",
    ),
    "nothing said": ({"what_is_shared": ""}, "Ce champ est obligatoire."),
    "nobody named": ({"shared_with": "   "}, "Ce champ est obligatoire."),
    "oversized": ({"shared_with": "S" * 301}, "300 caractères au plus."),
}


def test_the_information_form_refuses_bad_input(client, world, make_household, subtests):
    household = make_household(world.ccas, world.ccas_worker, informed=False)
    sign_in(client, world.ccas_worker)
    before = database_rows()

    for case, (bad, message) in BAD_INFORMATION.items():
        with subtests.test(case):
            data = {
                "informed_on": date.today().isoformat(),
                "what_is_shared": "La situation sans identité",
                "shared_with": "Le comité technique",
                **bad,
            }

            response = client.post(f"/cases/households/{household.id}/information", data=data)

            assert response.status_code == 200
            assert any(message in error for error in form_errors(response.text))
            assert database_rows() == before


# The case's workflow -------------------------------------------------------------------------


def test_a_case_is_posted_as_a_draft_to_one_of_the_organisations_committees(
    client, world, make_household
):
    household = make_household(world.ccas, world.ccas_worker)
    sign_in(client, world.ccas_worker)

    response = client.post(
        f"/cases/new?household={household.id}",
        data={
            "committee_id": str(world.committee.id),
            "title": "Sortie de CHRS bloquée",
            "question": "Un bailleur peut-il proposer un T2 ?",
        },
    )

    case = db.session.scalar(sa.select(Case))
    assert response.status_code == 302
    assert response.location == f"/cases/{case.id}"
    assert case.status == CaseStatus.DRAFT
    assert (case.organisation_id, case.household_id) == (world.ccas.id, household.id)
    [event] = timeline(case)
    assert (event.kind, event.user_id, event.organisation_id) == (
        CaseEventKind.CREATED,
        world.ccas_worker.id,
        world.ccas.id,
    )


def test_a_case_goes_only_to_a_committee_the_organisation_sits_on(
    client, world, make_household, make_committee
):
    elsewhere = make_committee([world.outsider_org], name="Commission d'ailleurs")
    household = make_household(world.ccas, world.ccas_worker)
    sign_in(client, world.ccas_worker)
    before = database_rows()

    response = client.post(
        f"/cases/new?household={household.id}",
        data={"committee_id": str(elsewhere.id), "title": "Titre", "question": "Question ?"},
    )

    assert response.status_code == 200
    assert "N'est pas un choix valide." in form_errors(response.text)
    assert database_rows() == before


@pytest.mark.parametrize("source", list(CaseStatus), ids=[s.value for s in CaseStatus])
def test_each_status_allows_exactly_its_transitions(client, world, make_household, source):
    household = make_household(world.ccas, world.ccas_worker)
    case = open_case(household, world.ccas_worker, world.committee, source)
    sign_in(client, world.ccas_worker)
    # The buttons: the agenda and the decisions move the case through the other steps.
    allowed = {name for name, t in TRANSITIONS.items() if source in t.sources and t.by == BY_HAND}
    assert allowed, "every status has a way out"
    not_by_hand = {name for name, t in TRANSITIONS.items() if t.by != BY_HAND}
    assert not_by_hand == {"put_on_agenda", "withdraw_from_agenda", "mark_decided"}

    for name in [*TRANSITIONS, "validate", "delete", ""]:
        case.status = source
        case.closed_at = now_utc() if source == CaseStatus.CLOSED else None
        db.session.commit()
        events_before = len(timeline(case))
        started = now_utc()

        if name in allowed:
            response = change(client, case, name)
            db.session.expire_all()
            target = TRANSITIONS[name].target
            assert response.status_code == 302
            assert case.status == target, name
            assert (case.closed_at is not None) == (target == CaseStatus.CLOSED)
            [*_, event] = timeline(case)
            assert len(timeline(case)) == events_before + 1
            assert event.kind == CaseEventKind.STATUS
            assert event.summary == f"{source.label} → {target.label}"
            assert (event.user_id, event.organisation_id) == (world.ccas_worker.id, world.ccas.id)
            assert started <= event.created <= now_utc()
            assert f"Statut de la situation : {target.label}." in flashed(
                client.get(response.location).text
            )
        else:
            before = database_rows()
            response = change(client, case, name)
            assert database_rows() == before, name
            assert response.status_code == 302
            message = (
                "Cette étape suit l'ordre du jour et les décisions de l'instance"
                if name in not_by_hand
                else f"Cette action n'est pas possible pour une situation « {source.label} »."
            )
            assert any(
                m.startswith(message) for m in flashed(client.get(response.location).text)
            ), name


def test_the_timeline_shows_who_moved_the_case_and_when(client, world, make_household):
    household = make_household(world.ccas, world.ccas_worker)
    case = open_case(household, world.ccas_worker, world.committee, CaseStatus.DRAFT)
    sign_in(client, world.ccas_worker)
    assert change(client, case, "submit").status_code == 302
    meeting = schedule_meeting(
        world.committee,
        world.coordinator,
        {
            "kind": MeetingKind.COMITE_TECHNIQUE,
            "title": "Comité technique",
            "starts_at": (now_utc() + timedelta(days=3)).replace(second=0, microsecond=0),
            "duration_minutes": 120,
            "location": "Salle du conseil",
            "video_link": "",
            "organisation_ids": [world.ccas.id],
            "user_ids": [],
        },
        notify=False,
    )
    db.session.commit()
    # The social worker proposes the case; the organiser (the coordinator) accepts it.
    response = client.post(f"/cases/{case.id}/agenda", data={"meeting_id": str(meeting.id)})
    assert response.status_code == 302
    [proposal] = db.session.scalars(sa.select(AgendaProposal)).all()
    organiser = fresh_client(current_app._get_current_object())
    sign_in(organiser, world.coordinator)
    accepted = organiser.post(f"/meetings/{meeting.id}/proposals/{proposal.id}/accept")
    assert accepted.status_code == 302
    # The meeting takes place; the organiser records the committee's decision.
    meeting = db.session.merge(meeting)
    meeting.starts_at = now_utc() - timedelta(hours=1)
    db.session.commit()
    response = organiser.post(
        f"/actions/meetings/{meeting.id}/decisions/new",
        data={
            "agenda_item_id": str(meeting.agenda_items[0].id),
            "kind": "orientation_iml",
            "text": "Orientation vers l'IML.",
            "organisation_ids": [str(world.ccas.id)],
        },
    )
    assert response.status_code == 302, response.text
    assert change(client, case, "close").status_code == 302

    events = timeline(case)
    assert [e.summary for e in events if e.kind == CaseEventKind.STATUS] == [
        "Brouillon → Soumise au comité",
        "Soumise au comité → À l'ordre du jour",
        "À l'ordre du jour → Décision prise",
        "Décision prise → Close",
    ]
    assert [e.created for e in events] == sorted(e.created for e in events)
    moved_by = {e.summary: e.user_id for e in events if e.kind == CaseEventKind.STATUS}
    # On the agenda with the agreement of the case's organisation: its status moved by it.
    assert moved_by["Soumise au comité → À l'ordre du jour"] == world.ccas_worker.id
    assert moved_by["À l'ordre du jour → Décision prise"] == world.coordinator.id
    page = client.get(f"/cases/{case.id}").text
    assert 'Décision prise → Close <span class="muted">(Yann Social, CCAS de Concarneau)' in page
    assert page.index("Brouillon → Soumise au comité") < page.index("Décision prise → Close")
    assert [e.summary for e in audit_events(AuditAction.CHANGE, "case")][-1] == (
        "Statut : Décision prise → Close"
    )


def test_the_first_submission_date_is_kept_when_a_case_comes_back(client, world, make_household):
    household = make_household(world.ccas, world.ccas_worker)
    case = open_case(household, world.ccas_worker, world.committee, CaseStatus.DRAFT)
    sign_in(client, world.ccas_worker)

    change(client, case, "submit")
    db.session.expire_all()
    first_submission = case.submitted_at
    for name in ("close", "reopen"):
        change(client, case, name)

    db.session.expire_all()
    assert first_submission is not None
    assert case.submitted_at == first_submission
    assert case.status == CaseStatus.SUBMITTED
    assert case.closed_at is None


@pytest.mark.parametrize("who", ["partner_member", "siao_officer"])
def test_only_the_posting_organisation_moves_a_case(client, world, case_world, who):
    sign_in(client, getattr(world, who))
    before = database_rows()

    response = change(client, case_world.case, "close")

    assert response.status_code == 403
    assert database_rows() == before


def test_a_case_on_the_agenda_can_no_longer_be_edited(client, world, case_world):
    case = case_world.case
    case.status = CaseStatus.ON_AGENDA
    db.session.commit()
    sign_in(client, world.ccas_worker)
    before = database_rows()

    response = client.post(
        f"/cases/{case.id}/edit",
        data={"committee_id": str(world.committee.id), "title": "Autre", "question": "Autre ?"},
    )

    assert database_rows() == before
    assert "Une situation inscrite à l'ordre du jour ne se modifie plus." in flashed(
        client.get(response.location).text
    )


# Participants --------------------------------------------------------------------------------


def test_sharing_changing_the_level_and_unsharing_are_logged(client, world, make_household):
    household = make_household(world.ccas, world.ccas_worker)
    case = open_case(household, world.ccas_worker, world.committee)
    sign_in(client, world.ccas_worker)

    added = share(client, case, world.mission_locale, "situation", "Accompagnement CEJ")
    changed = share(client, case, world.mission_locale, "full", "Bail glissant à préparer")

    assert added.status_code == changed.status_code == 302
    assert "La situation est partagée avec Mission Locale." in flashed(
        client.get(added.location).text
    )
    db.session.expire_all()
    [participant] = case.participants
    assert participant.organisation_id == world.mission_locale.id
    assert participant.level == AccessLevel.FULL
    assert participant.reason == "Bail glissant à préparer"
    assert participant.added_by_id == world.ccas_worker.id

    removed = client.post(f"/cases/{case.id}/participants/{participant.id}/remove")

    assert removed.status_code == 302
    assert "Le partage est retiré." in flashed(client.get(removed.location).text)
    assert count(CaseParticipant) == 0
    shares = [
        (e.kind, e.summary, e.user_id)
        for e in timeline(case)
        if e.kind in (CaseEventKind.SHARED, CaseEventKind.UNSHARED)
    ]
    assert shares == [
        (
            CaseEventKind.SHARED,
            "Partagée avec Mission Locale (Situation seulement)",
            world.ccas_worker.id,
        ),
        (
            CaseEventKind.SHARED,
            "Partagée avec Mission Locale (Situation et identité)",
            world.ccas_worker.id,
        ),
        (CaseEventKind.UNSHARED, "Partage avec Mission Locale retiré", world.ccas_worker.id),
    ]
    assert [(e.summary, e.user_id) for e in audit_events(AuditAction.CHANGE, "case")] == [
        ("Partage avec Mission Locale : Situation seulement", world.ccas_worker.id),
        ("Partage avec Mission Locale : Situation et identité", world.ccas_worker.id),
        ("Partage avec Mission Locale retiré", world.ccas_worker.id),
    ]
    client.post("/logout")
    sign_in(client, world.partner_member)
    assert client.get(f"/cases/{case.id}").status_code == 200  # still on the committee
    case.status = CaseStatus.DRAFT
    db.session.commit()
    assert client.get(f"/cases/{case.id}").status_code == 404


def test_the_partners_members_are_told_by_email_without_the_households_identity(
    client, world, make_household, make_user
):
    make_user(world.mission_locale, email="ancienne@exemple.fr", active=False)
    household = make_household(world.ccas, world.ccas_worker)
    case = open_case(household, world.ccas_worker, world.committee)
    sign_in(client, world.ccas_worker)

    share(client, case, world.mission_locale, "full")

    emails = queued_emails()
    # The partner's admins (it names nobody), not every member: test_notifications.
    assert [e.recipient for e in emails] == [world.partner_admin.email]
    for email in emails:
        assert email.subject == f"Situation {household.reference} partagée avec Mission Locale"
        assert household.reference in email.text_body
        assert household.reference in email.html_body
        assert f"http://localhost/cases/{case.id}" in email.text_body
        for part in (email.subject, email.text_body, email.html_body):
            assert canary_traces(part) == []


BAD_SHARE = {
    "no reason": ({"reason": ""}, "Ce champ est obligatoire."),
    "oversized reason": ({"reason": "R" * 301}, "300 caractères au plus."),
    "unknown level": ({"level": "owner"}, "N'est pas un choix valide."),
    "no organisation": ({"organisation_id": ""}, "Choisissez une organisation."),
    "unknown organisation": ({"organisation_id": "999999"}, "N'est pas un choix valide."),
    "malformed organisation": ({"organisation_id": "ccas"}, "Choisissez une organisation."),
}


def test_a_share_with_bad_input_is_refused_and_nothing_changes(client, world, case_world, subtests):
    sign_in(client, world.ccas_worker)
    before = database_rows()

    for case, (bad, message) in BAD_SHARE.items():
        with subtests.test(case):
            data = {
                "organisation_id": str(world.siao.id),
                "level": "situation",
                "reason": "Préparer la commission",
                **bad,
            }

            response = client.post(f"/cases/{case_world.case.id}/participants", data=data)

            assert response.status_code == 400
            errors = form_errors(response.text)
            assert any(message in error for error in errors), errors
            assert database_rows() == before


def test_a_case_is_not_shared_with_its_own_organisation(client, world, case_world):
    sign_in(client, world.ccas_worker)
    before = database_rows()

    response = share(client, case_world.case, world.ccas, "full")

    assert response.status_code == 400
    assert "N'est pas un choix valide." in form_errors(response.text)
    assert database_rows() == before


# Discussion ----------------------------------------------------------------------------------


def test_participants_discuss_and_the_timeline_records_each_note(client, world, case_world):
    case = case_world.case
    sign_in(client, case_world.cdas_worker)

    response = client.post(f"/cases/{case.id}/notes", data={"body": "Un dossier FSL est possible."})

    assert response.status_code == 302
    assert response.location == f"/cases/{case.id}#discussion"
    [note] = db.session.scalars(sa.select(CaseNote)).all()
    assert (note.author_id, note.organisation_id, note.internal) == (
        case_world.cdas_worker.id,
        case_world.cdas.id,
        False,
    )
    [*_, event] = timeline(case)
    assert (event.kind, event.user_id, event.internal) == (
        CaseEventKind.NOTE,
        case_world.cdas_worker.id,
        False,
    )
    client.post("/logout")
    sign_in(client, world.partner_member)
    assert "Un dossier FSL est possible." in client.get(f"/cases/{case.id}").text


@pytest.mark.parametrize(
    ("body", "message"),
    [("   ", "Écrivez votre message."), ("M" * 5001, "5000 caractères au plus.")],
    ids=["empty", "oversized"],
)
def test_an_empty_or_oversized_note_is_refused(client, world, case_world, body, message):
    sign_in(client, world.partner_member)
    before = database_rows()

    response = client.post(f"/cases/{case_world.case.id}/notes", data={"body": body})

    assert response.status_code == 400
    assert any(message in error for error in form_errors(response.text))
    assert database_rows() == before


def test_a_closed_case_takes_no_more_notes_nor_files(client, world, case_world):
    case_world.case.status = CaseStatus.CLOSED
    db.session.commit()
    sign_in(client, world.ccas_worker)
    before = database_rows()

    note = client.post(f"/cases/{case_world.case.id}/notes", data={"body": "Encore un mot"})
    file = upload(client, case_world.case, PDF_BYTES)

    assert (note.status_code, file.status_code) == (403, 403)
    assert database_rows() == before


# Attachments ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "content", "content_type"),
    [
        ("Bilan FSL été 2026.pdf", PDF_BYTES, "application/pdf"),
        ("quittance.PNG", PNG_BYTES, "image/png"),
    ],
    ids=["pdf", "png"],
)
def test_a_file_is_stored_under_a_random_name_outside_static(
    app, client, world, case_world, name, content, content_type
):
    sign_in(client, world.partner_member)  # full access: may add files
    files_before = uploaded_files(app)

    response = upload(client, case_world.case, content, name)

    assert response.status_code == 302
    assert response.location == f"/cases/{case_world.case.id}#pieces"
    attachment = db.session.scalar(
        sa.select(CaseAttachment).where(CaseAttachment.id != case_world.attachment.id)
    )
    assert attachment.filename == name
    assert attachment.content_type == content_type
    assert attachment.size == len(content)
    assert re.fullmatch(r"[0-9a-f]{48}", attachment.stored_name)
    [new_file] = uploaded_files(app) - files_before
    assert new_file == attachment.stored_name
    stored = Path(app.config["UPLOAD_FOLDER"]) / new_file
    assert stored.read_bytes() == content
    static = Path(app.static_folder).resolve()
    assert not stored.resolve().is_relative_to(static)
    assert not Path(Config.UPLOAD_FOLDER).resolve().is_relative_to(static)
    assert client.get(f"/static/{new_file}").status_code == 404
    [*_, event] = timeline(case_world.case)
    assert (event.kind, event.summary, event.user_id) == (
        CaseEventKind.ATTACHMENT,
        f"Pièce jointe ajoutée : {name}",
        world.partner_member.id,
    )

    download = client.get(f"/cases/{case_world.case.id}/attachments/{attachment.id}", buffered=True)

    assert download.status_code == 200
    assert download.data == content
    assert download.mimetype == content_type
    assert download.headers["Content-Disposition"].startswith("attachment;")


UPLOAD_REFUSALS = {
    "png named pdf": (
        PNG_BYTES,
        "scan.pdf",
        "Le contenu du fichier ne correspond pas à son extension « .pdf » : le fichier est refusé.",
    ),
    "text named pdf": (
        b"Ceci n'est pas un PDF\n",
        "scan.pdf",
        "Le contenu du fichier ne correspond pas à son extension « .pdf »",
    ),
    "pdf named png": (PDF_BYTES, "photo.png", "ne correspond pas à son extension « .png »"),
    "html named jpg": (
        b"<html><script>alert(1)</script></html>",
        "photo.jpg",
        "ne correspond pas à son extension « .jpg »",
    ),
    "unknown extension": (b"MZ\x90\x00" + b"\x00" * 60, "outil.exe", "n'est pas accepté"),
    "no extension": (PDF_BYTES, "bilan", "n'est pas accepté"),
    "parent directory": (PDF_BYTES, "../x.pdf", "Le nom du fichier n'est pas valable"),
    "sub-directory": (PDF_BYTES, "a/b.pdf", "Le nom du fichier n'est pas valable"),
    "windows parent directory": (PDF_BYTES, "..\\x.pdf", "Le nom du fichier n'est pas valable"),
    "absolute path": (PDF_BYTES, "/etc/passwd.pdf", "Le nom du fichier n'est pas valable"),
    "hidden file": (PDF_BYTES, ".htaccess.pdf", "Le nom du fichier n'est pas valable"),
    "control character": (PDF_BYTES, "bi\x07lan.pdf", "caractères non autorisés"),
    "oversized name": (PDF_BYTES, "b" * 201 + ".pdf", "Le nom du fichier est trop long"),
    "empty file": (b"", "vide.pdf", "Le fichier est vide."),
    "no file": (None, "", "Choisissez un fichier."),
}


def test_a_bad_file_is_refused_with_a_message_and_nothing_is_stored(
    app, client, world, case_world, subtests
):
    sign_in(client, world.ccas_worker)
    files_before = uploaded_files(app)
    before = database_rows()

    for case, (content, name, message) in UPLOAD_REFUSALS.items():
        with subtests.test(case):
            response = upload(client, case_world.case, content, name)

            assert response.status_code == 400
            errors = form_errors(response.text)
            assert any(message in error for error in errors), errors
            assert "{{" not in response.text
            assert database_rows() == before
            assert uploaded_files(app) == files_before


class TestUploadLimit:
    """The size limit is a setting: 1 Ko here."""

    @pytest.fixture
    def app(self, make_app):
        app = make_app(MAX_UPLOAD_BYTES=1024)
        with app.app_context():
            yield app

    def test_a_file_over_the_limit_is_refused_and_nothing_is_stored(self, app, client, case_world):
        sign_in(client, case_world.case.created_by)
        big = PDF_BYTES + b"%" * 1024
        files_before = uploaded_files(app)
        before = database_rows()

        response = upload(client, case_world.case, big, "gros.pdf")

        assert response.status_code == 400
        assert any(
            "Le fichier dépasse la taille autorisée" in e for e in form_errors(response.text)
        )
        assert database_rows() == before
        assert uploaded_files(app) == files_before

    def test_a_request_far_over_the_limit_is_stopped_before_it_is_read(
        self, app, client, case_world
    ):
        app.config["MAX_CONTENT_LENGTH"] = 4096
        sign_in(client, case_world.case.created_by)
        files_before = uploaded_files(app)
        before = database_rows()

        response = upload(client, case_world.case, PDF_BYTES + b"%" * 8192, "enorme.pdf")

        assert response.status_code == 413
        assert "Fichier trop volumineux" in response.text
        assert "Le fichier envoyé dépasse la taille autorisée." in response.text
        assert database_rows() == before
        assert uploaded_files(app) == files_before

    def test_a_file_just_under_the_limit_is_accepted(self, app, client, case_world):
        sign_in(client, case_world.case.created_by)
        exact = PDF_BYTES + b"%" * (1024 - len(PDF_BYTES))

        assert upload(client, case_world.case, exact, "juste.pdf").status_code == 302


def test_removing_a_file_deletes_it_from_the_disk(app, client, world, case_world):
    attachment = case_world.attachment
    stored_name = attachment.stored_name
    assert stored_name in uploaded_files(app)
    sign_in(client, world.ccas_worker)

    response = client.post(f"/cases/{case_world.case.id}/attachments/{attachment.id}/delete")

    assert response.status_code == 302
    assert count(CaseAttachment) == 0
    assert stored_name not in uploaded_files(app)
    [*_, event] = timeline(case_world.case)
    assert (event.kind, event.summary) == (
        CaseEventKind.ATTACHMENT_REMOVED,
        "Pièce jointe retirée : bilan.pdf",
    )
    assert client.get(f"/cases/{case_world.case.id}/attachments/{attachment.id}").status_code == 404


def test_an_attachment_is_reached_only_through_its_own_case(
    client, world, case_world, make_household
):
    other = open_case(
        make_household(world.ccas, world.ccas_worker), world.ccas_worker, world.committee
    )
    sign_in(client, world.ccas_worker)

    response = client.get(f"/cases/{other.id}/attachments/{case_world.attachment.id}")

    assert response.status_code == 404


# The list of cases ---------------------------------------------------------------------------


def noon(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, 12, tzinfo=UTC)


@pytest.fixture
def listing(world, make_committee):
    """Cases the CCAS worker may see, each different in one way, and one they may not."""
    commission = make_committee([world.ccas, world.siao], name="Commission SIAO")
    elsewhere = make_committee([world.outsider_org], name="Comité d'ailleurs")
    specs = {
        "draft": dict(
            organisation=world.ccas,
            committee=world.committee,
            status=CaseStatus.DRAFT,
            public=HouseholdPublic.FEMME_SEULE,
            title="Dette de loyer ancienne",
            created=noon(date(2026, 1, 10)),
        ),
        "commission": dict(
            organisation=world.ccas,
            committee=commission,
            status=CaseStatus.SUBMITTED,
            public=HouseholdPublic.COUPLE,
            title="Mobilité vers Quimper",
            created=noon(date(2026, 2, 15)),
        ),
        "mission_locale": dict(
            organisation=world.mission_locale,
            committee=world.committee,
            status=CaseStatus.ON_AGENDA,
            public=HouseholdPublic.JEUNE_18_25,
            title="Jeune en CEJ sans garant",
            created=noon(date(2026, 3, 20)),
        ),
        "closed": dict(
            organisation=world.ccas,
            committee=world.committee,
            status=CaseStatus.CLOSED,
            public=HouseholdPublic.FAMILLE,
            title="Famille relogée",
            created=noon(date(2025, 12, 1)),
        ),
        "invisible": dict(
            organisation=world.outsider_org,
            committee=elsewhere,
            status=CaseStatus.SUBMITTED,
            public=HouseholdPublic.COUPLE,
            title="Dette de loyer ailleurs",
            created=noon(date(2026, 2, 16)),
        ),
    }
    cases = dict(zip(specs, bulk_cases(list(specs.values())), strict=True))
    cases["commission_committee"] = commission
    return cases


def listed(client, **params) -> set[int]:
    response = client.get("/cases/", query_string=params)
    assert response.status_code == 200
    return set(listed_case_ids(response.text))


def test_the_filters_each_narrow_the_list(client, world, listing):
    ids = {name: case.id for name, case in listing.items() if isinstance(case, Case)}
    sign_in(client, world.ccas_worker)

    assert listed(client) == {ids[n] for n in ("draft", "commission", "mission_locale", "closed")}
    assert listed(client, status="draft") == {ids["draft"]}
    assert listed(client, status="on_agenda") == {ids["mission_locale"]}
    assert listed(client, committee=listing["commission_committee"].id) == {ids["commission"]}
    assert listed(client, public="couple") == {ids["commission"]}
    assert listed(client, organisation=world.mission_locale.id) == {ids["mission_locale"]}
    assert listed(client, organisation=world.outsider_org.id) == set()
    assert listed(client, date_from="2026-02-01") == {ids["commission"], ids["mission_locale"]}
    assert listed(client, date_to="2026-01-10") == {ids["draft"], ids["closed"]}
    assert listed(client, date_from="2026-01-01", date_to="2026-02-28") == {
        ids["draft"],
        ids["commission"],
    }
    assert listed(client, q="dette de loyer") == {ids["draft"]}
    assert listed(client, q=listing["mission_locale"].household.reference) == {
        ids["mission_locale"]
    }
    assert listed(client, status="submitted", public="couple") == {ids["commission"]}
    assert listed(client, status="draft", public="couple") == set()


def test_a_malformed_filter_never_shows_more_than_the_reader_may_see(client, world, listing):
    sign_in(client, world.outsider)

    for params in (
        {"committee": "abc"},
        {"organisation": "1.5"},
        {"status": "perdu"},
        {"date_from": "hier"},
        {"q": "x" * 101},
        {"page": "-3"},
        {"committee": listing["commission_committee"].id},  # a committee it does not sit on
    ):
        assert listed(client, **params) == {listing["invisible"].id}, params


def test_names_are_searched_only_in_the_readers_own_households(
    client, world, case_world, make_user
):
    case = case_world.case
    sign_in(client, world.ccas_worker)
    assert listed(client, q=CANARY_LAST) == {case.id}
    assert listed(client, q=CANARY_FIRST.lower()) == {case.id}

    for reader in (world.partner_member, world.siao_officer, case_world.cdas_worker):
        client.post("/logout")
        sign_in(client, reader)
        assert case.id in listed(client)
        assert listed(client, q=CANARY_LAST) == set(), reader.full_name
        assert listed(client, q=case.household.reference) == {case.id}


def test_the_list_is_paginated_and_keeps_its_filters(client, world):
    bulk_cases(
        [
            dict(
                organisation=world.ccas,
                committee=world.committee,
                status=CaseStatus.DRAFT if n % 10 == 0 else CaseStatus.SUBMITTED,
            )
            for n in range(60)
        ]
    )
    sign_in(client, world.ccas_worker)

    first = client.get("/cases/?status=submitted")
    first_ids = listed_case_ids(first.text)
    assert len(first_ids) == 25
    assert "54 situations" in first.text
    assert "Page 1 sur 3" in first.text
    seen = list(first_ids)
    page = first.text
    while "Suivante ›" in page:
        next_link = re.search(r'<a href="([^"]+)">Suivante ›</a>', page).group(1)
        next_link = next_link.replace("&amp;", "&")
        assert "status=submitted" in next_link
        page = client.get(next_link).text
        seen += listed_case_ids(page)
    assert len(seen) == len(set(seen)) == 54
    submitted = db.session.scalars(
        sa.select(Case.id).where(Case.status == CaseStatus.SUBMITTED)
    ).all()
    assert set(seen) == set(submitted)
    assert listed(client, status="submitted", page=9) == set()


# The list shows exactly what the detail page would let each reader see ---------------------

SHAPES = {
    "not shared": (),
    "ML situation": (("mission_locale", AccessLevel.SITUATION),),
    "SIAO full": (("siao", AccessLevel.FULL),),
    "outsider situation": (("outsider_org", AccessLevel.SITUATION),),
    "CDAS and ML full": (("cdas", AccessLevel.FULL), ("mission_locale", AccessLevel.FULL)),
}


@pytest.fixture
def every_shape(world, make_org, make_user, make_committee):
    """Cases in every status and sharing shape, from three organisations, on two committees;
    readers of every kind, including people in two organisations or no longer in one."""
    cdas = make_org(OrganisationKind.DEPARTEMENT, "CDAS de Concarneau")
    orgs = {
        "ccas": world.ccas,
        "mission_locale": world.mission_locale,
        "siao": world.siao,
        "outsider_org": world.outsider_org,
        "cdas": cdas,
    }
    other_committee = make_committee([world.outsider_org, cdas], name="Commission Sud")
    specs = [
        dict(
            organisation=orgs[owner],
            committee=committee,
            status=status,
            shares=[(orgs[o], level) for o, level in shares if o != owner],
        )
        for owner in ("ccas", "mission_locale", "outsider_org")
        for committee in (world.committee, other_committee)
        for status in CaseStatus
        for shares in SHAPES.values()
    ]
    cases = bulk_cases(specs)
    two_hats = make_user(world.mission_locale, full_name="Deux Casquettes")
    db.session.add(Membership(user=two_hats, organisation=cdas, role=MembershipRole.MEMBER))
    former = make_user(world.ccas, full_name="Ancien Salarié", active=False)
    db.session.commit()
    readers = {
        name: getattr(world, name)
        for name in (
            "coordinator",
            "ccas_worker",
            "partner_admin",
            "partner_member",
            "siao_officer",
            "outsider",
            "landlord",
        )
    }
    readers.update(
        cdas_worker=make_user(cdas, full_name="Anne CDAS"), two_hats=two_hats, former=former
    )
    return cases, readers


def test_the_list_and_the_detail_page_apply_the_same_rule_for_every_reader(
    app, client, every_shape
):
    _, readers = every_shape
    cases = db.session.scalars(
        sa.select(Case).options(
            sa.orm.selectinload(Case.participants),
            sa.orm.joinedload(Case.committee).selectinload(Committee.organisations),
        )
    ).all()
    # What the predicate says, for every reader and case, before any request expires it.
    access = {
        name: {case.id: permissions.case_access(reader, case) for case in cases}
        for name, reader in readers.items()
    }
    visible = {
        name: {case.id for case in cases if permissions.can_view_case(reader, case)}
        for name, reader in readers.items()
    }
    app.config["PER_PAGE"] = len(cases)

    for name, reader in readers.items():
        in_sql = set(
            db.session.scalars(sa.select(Case.id).where(permissions.visible_cases_clause(reader)))
        )
        assert in_sql == visible[name], name
        client.post("/logout")
        sign_in(client, reader)
        response = client.get("/cases/")
        if visible[name]:
            rows = listed_rows(response.text)
            assert set(rows) == visible[name], name
            for case_id, row in rows.items():
                assert f"<td>{access[name][case_id].label}</td>" in row, (name, case_id)
        else:
            assert response.status_code in (302, 403), name

    # The rule is neither everything nor nothing, and two organisations see more than one.
    sizes = {name: len(ids) for name, ids in visible.items()}
    assert sizes.pop("former") == sizes.pop("landlord") == 0
    assert all(0 < size < len(cases) for size in sizes.values()), sizes
    assert sizes["two_hats"] > max(sizes["partner_member"], sizes["cdas_worker"])


@pytest.mark.parametrize("reader", ["ccas_worker", "partner_member", "siao_officer"])
def test_the_list_costs_the_same_number_of_queries_with_10_or_500_cases(
    client, world, make_org, make_committee, reader
):
    cdas = make_org(OrganisationKind.DEPARTEMENT, "CDAS de Concarneau")
    commission = make_committee([world.ccas, world.siao, cdas], name="Commission SIAO")
    shapes = [
        (world.ccas, world.committee, [(world.mission_locale, AccessLevel.FULL)]),
        (world.ccas, commission, [(cdas, AccessLevel.SITUATION)]),
        (world.mission_locale, world.committee, [(world.ccas, AccessLevel.SITUATION)]),
        (world.siao, commission, [(world.mission_locale, AccessLevel.SITUATION)]),
        (world.ccas, world.committee, []),
    ]

    def add(number: int) -> None:
        specs = []
        for n in range(number):
            organisation, committee, shares = shapes[n % len(shapes)]
            specs.append(dict(organisation=organisation, committee=committee, shares=shares))
        bulk_cases(specs)

    sign_in(client, getattr(world, reader))
    add(10)
    client.get("/cases/")  # warm-up: the first request of a process loads more

    with counting_queries() as few:
        assert 0 < len(listed_case_ids(client.get("/cases/").text)) <= 10
    add(490)
    with counting_queries() as many:
        assert len(listed_case_ids(client.get("/cases/").text)) == 25

    assert len(many) == len(few), "\n".join(many)
    with counting_queries() as searched:
        client.get("/cases/", query_string={"q": "TEST", "status": "submitted"})
    assert len(searched) == len(few)
