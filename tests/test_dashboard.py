"""Each person's dashboard: the blocks their organisation's work calls for, each counting what
its reader may act on, the oldest first; no block (and no call to action) for anyone else.
And the navigation that leads there: at most seven entries, built from what each may use."""

import re
from datetime import timedelta
from decimal import Decimal

import pytest

from portal.extensions import db
from portal.local_time import PARIS
from portal.measures.services import record_rent
from portal.models import (
    AuditAction,
    CandidacyStatus,
    InvitationResponse,
    MembershipRole,
    RentStatus,
    UnitStatus,
    now_utc,
)
from portal.navigation import MAX_ENTRIES, navigation_for
from tests.conftest import sign_in
from tests.support import audit_events
from tests.test_actions import TODAY, decide, give, held  # noqa: F401
from tests.test_measures import make_candidacy, make_unit, opened, scheme  # noqa: F401
from tests.test_meetings import make_meeting
from tests.test_owners import make_offer

BLOCK = re.compile(r'<h2 id="[^"]+">([^<]+?)(?: <span class="count">([^<]+)</span>)?</h2>')


def blocks(client) -> dict[str, int | None]:
    """The dashboard's block titles, with the count each shows (None: no count)."""
    page = client.get("/").text
    return {
        title.strip(): int(count.replace("\u202f", "")) if count else None
        for title, count in BLOCK.findall(page)
    }


def dashboard_of(app, user) -> dict:
    with app.test_client() as client:
        sign_in(client, user)
        return blocks(client)


def submitted(world, scheme, days_ago):  # noqa: F811
    candidacy = make_candidacy(world, scheme.programme, status=CandidacyStatus.SUBMITTED)
    candidacy.submitted_at = now_utc() - timedelta(days=days_ago)
    return candidacy


def test_the_siao_sees_what_waits_for_its_decision_the_oldest_first(app, world, scheme):  # noqa: F811
    recent, oldest = submitted(world, scheme, 2), submitted(world, scheme, 9)
    make_candidacy(world, scheme.programme, status=CandidacyStatus.DRAFT)  # not the SIAO's yet
    make_candidacy(world, scheme.programme)  # validated: on the waiting list
    db.session.commit()

    with app.test_client() as client:
        sign_in(client, world.siao_officer)
        page = client.get("/").text
    assert dashboard_of(app, world.siao_officer)["À instruire"] == 2
    assert page.index(oldest.household.reference) < page.index(recent.household.reference)
    assert "en attente depuis 9 jours" in page
    assert "1 ménage en attente d'un logement, le premier depuis 0 jour" in page
    assert "Prochaine commission" in page
    # The SIAO opens no household file: nothing invites it to.
    assert "Créer un dossier" not in page
    assert "Situations de mon organisation" not in page
    for other in (world.ccas_worker, world.partner_member, scheme.etat_user):
        assert "À instruire" not in dashboard_of(app, other), other.full_name


def test_the_state_service_sees_the_fiche_bilans_received_and_its_report(app, world, scheme):  # noqa: F811
    measure = opened(world, scheme)
    measure.bilans[0].held_on = (now_utc() - timedelta(days=3)).astimezone(PARIS).date()
    db.session.commit()

    shown = dashboard_of(app, scheme.etat_user)
    assert shown["Fiches-bilans reçues"] == 1
    assert f"Rapport d'activité {now_utc().astimezone(PARIS).year}" in shown
    assert "Programmes : places et liste d'attente" in shown
    assert "Situations de mon organisation" not in shown  # no « Créer un dossier »
    for other in (world.ccas_worker, world.partner_member, world.siao_officer):
        assert "Fiches-bilans reçues" not in dashboard_of(app, other), other.full_name


def test_a_social_landlord_follows_its_own_units_only(app, world, scheme):  # noqa: F811
    own = opened(world, scheme, unit=scheme.unit)
    opened(world, scheme, unit=scheme.other_unit)  # the other landlord's
    unpaid = record_rent(
        own,
        world.ccas_worker,
        {"month": own.start_date.replace(day=1), "status": RentStatus.UNPAID},
    )
    make_unit(scheme.commune, scheme.landlord, "12 rue des Écoles", status=UnitStatus.AVAILABLE)
    db.session.commit()

    shown = dashboard_of(app, scheme.landlord_user)
    assert shown["Mesures dans vos logements"] == 1
    assert shown["Loyers en retard"] == 1
    assert shown["Logements en attente d'un ménage"] == 1
    with app.test_client() as client:
        sign_in(client, scheme.landlord_user)
        page = client.get("/").text
    owed = f"{unpaid.amount_due - unpaid.amount_paid:.2f}".replace(".", ",")
    assert f"{owed}\u00a0€ restent dus au total." in page.replace("\u202f", "")
    other = dashboard_of(app, scheme.other_landlord_user)
    assert other["Mesures dans vos logements"] == 1
    assert other["Loyers en retard"] == 0
    for reader in (world.ccas_worker, world.partner_member, scheme.etat_user):
        assert "Mesures dans vos logements" not in dashboard_of(app, reader)


def test_a_partner_sees_what_is_shared_with_it_and_the_answers_it_owes(app, world, case_world):
    meeting = make_meeting(world, days=5)
    invitees = {i.user_id: i for i in meeting.invitees}
    assert invitees[world.partner_member.id].response == InvitationResponse.PENDING
    invitees[world.partner_admin.id].response = InvitationResponse.ACCEPTED
    db.session.commit()

    shown = dashboard_of(app, world.partner_member)
    assert shown["Réponse attendue"] == 1
    assert shown["Partagé avec vous"] >= 1
    assert "Réponse attendue" not in dashboard_of(app, world.partner_admin)  # answered
    assert "Partagé avec vous" not in dashboard_of(app, world.ccas_worker)  # its own cases


def test_the_ccas_sees_the_landlord_offers_to_handle(app, world, scheme):  # noqa: F811
    make_offer(world, scheme.commune)
    make_offer(world, scheme.commune, assigned_to=world.coordinator)  # someone else's
    db.session.commit()

    assert dashboard_of(app, world.ccas_worker)["Offres des propriétaires à traiter"] == 1
    assert dashboard_of(app, world.coordinator)["Offres des propriétaires à traiter"] == 2
    for other in (world.partner_member, world.siao_officer, scheme.landlord_user):
        assert "Offres des propriétaires à traiter" not in dashboard_of(app, other)


def test_a_private_landlord_sees_only_its_offers(app, world, scheme):  # noqa: F811
    mine = make_offer(world, scheme.commune, owner=world.landlord)
    db.session.commit()
    with app.test_client() as client:
        sign_in(client, world.landlord)
        page = client.get("/").text
    assert f"Proposition n° {mine.id}" in page
    assert "Mes actions" not in page and "Partagé avec vous" not in page


@pytest.mark.parametrize(
    "person", ["coordinator", "ccas_worker", "partner_member", "siao_officer", "landlord"]
)
def test_the_navigation_has_at_most_seven_entries_each_allowed(app, world, person):
    user = getattr(world, person)
    with app.test_request_context():
        entries = navigation_for(user)
        urls = [(link.endpoint, link.url) for entry in entries for link in entry.links]
    assert 1 + len(entries) + 1 <= MAX_ENTRIES  # with the dashboard and the account
    with app.test_client() as client:
        sign_in(client, user)
        for endpoint, url in urls:
            assert client.get(url).status_code == 200, (person, endpoint)


def test_only_organisations_that_hold_household_files_are_offered_to_open_one(app, world, scheme):  # noqa: F811
    labels = {
        link.label
        for user in (world.siao_officer, scheme.etat_user, scheme.landlord_user)
        for entry in navigation_for(user)
        for link in entry.links
    }
    assert "Dossiers des ménages" not in labels
    assert "Dossiers des ménages" in {
        link.label for entry in navigation_for(world.partner_member) for link in entry.links
    }


def test_a_person_of_two_organisations_acts_for_one_and_creates_for_it(
    app, client, world, make_user
):
    both = make_user(world.mission_locale, full_name="Nina Deux")
    from portal.models import Membership

    db.session.add(
        Membership(user=both, organisation=world.ccas, role=MembershipRole.MEMBER, active=True)
    )
    db.session.commit()
    sign_in(client, both)
    page = client.get("/cases/households/new").text
    first = both.active_memberships[0].organisation
    assert f"Pour {first.name}" in page and f"Dossier créé pour {first.name}." in page
    other = world.ccas if first.id != world.ccas.id else world.mission_locale

    response = client.post("/organisations/acting", data={"organisation_id": other.id})
    assert response.status_code == 303
    page = client.get("/cases/households/new").text
    assert f"Pour {other.name}" in page and f"Dossier créé pour {other.name}." in page
    # An organisation one does not belong to is refused, and nothing changes.
    client.post("/organisations/acting", data={"organisation_id": world.siao.id})
    assert f"Pour {other.name}" in client.get("/").text


def test_amounts_and_numbers_are_written_the_french_way(app):
    from portal.formatting import euros, number

    with app.test_request_context():
        assert euros(Decimal("418")) == "418,00\u00a0€"
        assert number(1250) == "1\u202f250"


def test_the_households_the_dashboard_shows_are_in_their_access_log(
    app,
    world,
    case_world,
    held,  # noqa: F811
):
    """« Mes actions » on the dashboard names the household of each action: each reading is
    written in the household's access log, and committed with the page."""
    decision = decide(held, world, item=held.agenda_items[0])
    give(held, world, world.ccas, TODAY + timedelta(days=3), decision=decision, text="Appeler")
    with app.test_client() as client:
        sign_in(client, world.ccas_worker)
        assert "Appeler" in client.get("/").text
    db.session.rollback()  # what the request did not commit is gone
    logged = [
        event.object_id
        for event in audit_events(AuditAction.VIEW, "household")
        if event.summary.startswith("Consultation du tableau de bord")
    ]
    assert logged == [case_world.case.household_id]
