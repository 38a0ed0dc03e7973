"""Programmes and units: the coordinator keeps the programmes; the dashboard shows their
occupancy without any identity; social landlords record the units of their convention and
see only their own; units move by hand only between the manual states."""

from datetime import date
from decimal import Decimal

import pytest
import sqlalchemy as sa

from portal import permissions
from portal.extensions import db
from portal.models import (
    Candidacy,
    CandidacyStatus,
    Commune,
    Measure,
    MeasureStatus,
    MembershipRole,
    OrganisationKind,
    Programme,
    Territory,
    Typology,
    Unit,
    UnitStatus,
    now_utc,
)
from portal.units.services import UNIT_TRANSITIONS, change_unit_status
from portal.workflow import WorkflowError
from tests.case_helpers import canary_traces
from tests.conftest import sign_in
from tests.support import database_rows, flashed, form_errors, fresh_client, shows_typed_value


@pytest.fixture
def client(app):
    return fresh_client(app)


@pytest.fixture
def communes(world):
    places = {
        name: Commune(name=name, territory=world.ccas.territory)
        for name in ("Concarneau", "Rosporden")
    }
    db.session.add_all(places.values())
    db.session.commit()
    return places


@pytest.fixture
def landlords(world, make_org, make_user):
    """Two social landlords of the territory, each with one member of staff."""
    first = make_org(OrganisationKind.BAILLEUR_SOCIAL, "Finistère Habitat")
    second = make_org(OrganisationKind.BAILLEUR_SOCIAL, "Espacil")
    return {
        "first": first,
        "second": second,
        "first_staff": make_user(first, MembershipRole.ADMIN, full_name="Marc Bailleur"),
        "second_staff": make_user(second, full_name="Erwan Espacil"),
    }


def make_unit(owner, commune, *, status=UnitStatus.AVAILABLE, address="12 rue des Écoles"):
    unit = Unit(
        social_landlord=owner,
        commune=commune,
        address=address,
        typology=Typology.T2,
        surface=Decimal("45"),
        rent=Decimal("350"),
        charges=Decimal("40"),
        status=status,
    )
    db.session.add(unit)
    db.session.commit()
    return unit


def unit_form(commune, **overrides) -> dict:
    data = {
        "address": "4 allée des Mouettes",
        "commune_id": str(commune.id),
        "typology": "T2",
        "surface": "47,5",
        "rooms": "2",
        "floor": "1",
        "lift": "y",
        "rent": "365",
        "charges": "55,20",
        "dpe_class": "D",
        "available_from": "2026-12-01",
        "notes": "Proche des commerces.",
    }
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


# Programmes --------------------------------------------------------------------------------


def test_the_coordinator_creates_and_edits_a_programme(client, world):
    sign_in(client, world.coordinator)
    response = client.post(
        "/measures/programmes/new",
        data={
            "name": "IML DALO",
            "description": "Ménages prioritaires",
            "capacity": "5",
            "active": "y",
        },
    )
    assert response.status_code == 302
    programme = db.session.scalars(sa.select(Programme)).one()
    assert (programme.name, programme.capacity, programme.active) == ("IML DALO", 5, True)
    assert programme.territory_id == world.ccas.territory_id

    response = client.post(
        f"/measures/programmes/{programme.id}/edit",
        data={"name": "IML DALO", "capacity": "6"},
    )
    assert response.status_code == 302
    db.session.expire_all()
    assert (programme.capacity, programme.active) == (6, False)


@pytest.mark.parametrize(
    ("capacity", "message"),
    [
        ("-1", "La capacité est un nombre entre 0 et 1 000."),
        ("dix", "Indiquez un nombre entier."),
        ("", "Indiquez la capacité du programme."),
    ],
)
def test_a_programme_needs_a_capacity_of_zero_or_more(client, world, capacity, message):
    sign_in(client, world.coordinator)
    before = database_rows()
    response = client.post(
        "/measures/programmes/new", data={"name": "IML sortie", "capacity": capacity}
    )
    assert response.status_code == 400
    assert message in form_errors(response.text)
    assert shows_typed_value(response.text, "IML sortie")
    assert database_rows() == before


def test_two_programmes_of_a_territory_cannot_share_a_name(client, world):
    db.session.add(Programme(territory=world.ccas.territory, name="IML DALO", capacity=5))
    db.session.commit()
    sign_in(client, world.coordinator)
    response = client.post("/measures/programmes/new", data={"name": "iml dalo", "capacity": "3"})
    assert response.status_code == 400
    assert "Un programme porte déjà ce nom sur ce territoire." in form_errors(response.text)


def test_only_the_coordinator_manages_programmes(client, world):
    for person in (world.ccas_worker, world.siao_officer, world.partner_admin):
        sign_in(client, person)
        assert client.get("/measures/programmes/new").status_code == 403


def test_the_dashboard_shows_occupancy_waiting_list_and_free_units(
    client, world, make_household, make_org, make_user, communes, landlords
):
    programme = Programme(territory=world.ccas.territory, name="IML sortie", capacity=2)
    db.session.add(programme)
    make_unit(landlords["first"], communes["Concarneau"])
    let = make_unit(landlords["first"], communes["Rosporden"], status=UnitStatus.LET)
    make_unit(landlords["second"], communes["Rosporden"], status=UnitStatus.RETURNED)
    housed, waiting_later, waiting_first = (
        make_household(world.ccas, world.ccas_worker, first=f"P{i}", last="Test") for i in range(3)
    )
    candidacies = {}
    for name, household, status, validated in (
        ("housed", housed, CandidacyStatus.HOUSED, None),
        ("later", waiting_later, CandidacyStatus.VALIDATED, now_utc()),
        ("first", waiting_first, CandidacyStatus.VALIDATED, now_utc().replace(year=2025)),
    ):
        candidacies[name] = Candidacy(
            household=household,
            programme=programme,
            organisation_id=world.ccas.id,
            siao_id=world.siao.id,
            requested_typology=Typology.T2,
            status=status,
            validated_at=validated,
        )
    db.session.add_all(candidacies.values())
    db.session.flush()
    db.session.add(
        Measure(
            candidacy=candidacies["housed"],
            programme=programme,
            unit=let,
            household=housed,
            organisation_id=world.ccas.id,
            start_date=date(2026, 1, 1),
            rent=Decimal("350"),
            household_share=Decimal("120"),
            status=MeasureStatus.ACTIVE,
        )
    )
    db.session.commit()
    etat = make_org(OrganisationKind.ETAT, "DDETS")
    for person in (world.coordinator, world.siao_officer, make_user(etat)):
        sign_in(client, person)
        page = client.get(f"/measures/programmes/{programme.id}").text
        assert "1 / 2" in page
        waiting = page.split("Liste d'attente", 1)[1]
        assert waiting.index(waiting_first.reference) < waiting.index(waiting_later.reference)
        assert housed.reference not in waiting
        assert not canary_traces(page)
        listing = client.get("/measures/programmes").text
        assert "1 / 2" in listing
        # One available unit in the territory (the let and the returned ones do not count).
        assert "<td>1</td>" in listing


def test_partners_other_than_ccas_siao_and_state_do_not_see_the_programmes(
    client, world, landlords
):
    for person in (world.partner_member, world.outsider, landlords["first_staff"]):
        sign_in(client, person)
        assert client.get("/measures/programmes").status_code == 403


# Units -------------------------------------------------------------------------------------


def test_a_social_landlord_records_a_unit_of_its_convention(client, world, communes, landlords):
    sign_in(client, landlords["first_staff"])
    page = client.get("/measures/units/new")
    assert page.status_code == 200
    assert 'name="social_landlord_id"' not in page.text  # the owner is their own

    response = client.post("/measures/units/new", data=unit_form(communes["Concarneau"]))

    assert response.status_code == 302
    unit = db.session.scalars(sa.select(Unit)).one()
    assert unit.social_landlord_id == landlords["first"].id
    assert unit.status == UnitStatus.AVAILABLE
    assert unit.surface == Decimal("47.5") and unit.charges == Decimal("55.2")
    assert unit.lift and not unit.accessible
    assert unit.created_by_id == landlords["first_staff"].id


def test_the_ccas_records_a_unit_for_a_landlord_it_chooses(client, world, communes, landlords):
    sign_in(client, world.ccas_worker)
    data = unit_form(communes["Rosporden"], social_landlord_id=str(landlords["second"].id))
    assert client.post("/measures/units/new", data=data).status_code == 302
    assert db.session.scalars(sa.select(Unit)).one().social_landlord_id == (landlords["second"].id)
    response = client.post("/measures/units/new", data=unit_form(communes["Rosporden"]))
    assert response.status_code == 400
    assert "Choisissez le bailleur social." in form_errors(response.text)


def test_the_commune_must_be_in_the_territory(client, world, communes, landlords):
    elsewhere = Territory(name="Quimper Bretagne Occidentale")
    far = Commune(name="Quimper", territory=elsewhere)
    db.session.add_all([elsewhere, far])
    db.session.commit()
    sign_in(client, landlords["first_staff"])
    before = database_rows()
    response = client.post("/measures/units/new", data=unit_form(far))
    assert response.status_code == 400
    assert "Choisissez une commune de votre territoire." in form_errors(response.text)
    assert database_rows() == before


def test_unit_form_errors_are_in_french_and_keep_what_was_typed(client, world, communes, landlords):
    sign_in(client, landlords["first_staff"])
    response = client.post(
        "/measures/units/new",
        data=unit_form(communes["Concarneau"], surface="grand", rent="-5", typology="T9"),
    )
    assert response.status_code == 400
    errors = form_errors(response.text)
    assert "Indiquez un nombre, par exemple 450,50." in errors
    assert "Entre 0 et 5 000 €." in errors
    assert "Choisissez une valeur de la liste." in errors
    assert shows_typed_value(response.text, "grand")
    assert shows_typed_value(response.text, "4 allée des Mouettes")
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Unit)) == 0


def test_a_social_landlord_sees_only_its_own_units(client, world, communes, landlords):
    own = make_unit(landlords["first"], communes["Concarneau"], address="1 rue à nous")
    other = make_unit(landlords["second"], communes["Concarneau"], address="2 rue des autres")
    sign_in(client, landlords["first_staff"])

    page = client.get("/measures/units").text
    assert "1 rue à nous" in page and "2 rue des autres" not in page
    assert client.get(f"/measures/units/{own.id}").status_code == 200
    assert client.get(f"/measures/units/{other.id}").status_code == 404
    assert client.get(f"/measures/units/{other.id}/edit").status_code == 404
    assert (
        client.post(f"/measures/units/{other.id}/status", data={"transition": "offer"}).status_code
        == 404
    )

    sign_in(client, world.ccas_worker)
    page = client.get("/measures/units").text
    assert "1 rue à nous" in page and "2 rue des autres" in page
    assert client.get(f"/measures/units/{other.id}/edit").status_code == 200


def test_others_see_no_unit(client, world, communes, landlords):
    unit = make_unit(landlords["first"], communes["Concarneau"])
    for person in (world.siao_officer, world.partner_member, world.outsider, world.landlord):
        sign_in(client, person)
        assert client.get(f"/measures/units/{unit.id}").status_code == 404
        assert client.get("/measures/units").status_code == 403


def test_the_landlord_edits_its_unit(client, world, communes, landlords):
    unit = make_unit(landlords["first"], communes["Concarneau"])
    sign_in(client, landlords["first_staff"])
    page = client.get(f"/measures/units/{unit.id}/edit")
    assert shows_typed_value(page.text, "12 rue des Écoles")
    response = client.post(
        f"/measures/units/{unit.id}/edit",
        data=unit_form(communes["Rosporden"], address="12 bis rue des Écoles"),
    )
    assert response.status_code == 302
    db.session.expire_all()
    assert unit.address == "12 bis rue des Écoles"
    assert unit.commune.name == "Rosporden"
    assert unit.social_landlord_id == landlords["first"].id


def test_the_list_filters_by_commune_typology_and_status(client, world, communes, landlords):
    make_unit(landlords["first"], communes["Concarneau"], address="A Concarneau")
    make_unit(
        landlords["first"], communes["Rosporden"], address="B Rosporden", status=UnitStatus.LET
    )
    sign_in(client, world.ccas_worker)
    page = client.get(f"/measures/units?commune={communes['Rosporden'].id}").text
    assert "B Rosporden" in page and "A Concarneau" not in page
    page = client.get("/measures/units?status=available").text
    assert "A Concarneau" in page and "B Rosporden" not in page
    page = client.get("/measures/units?typology=T4").text
    assert "A Concarneau" not in page and "B Rosporden" not in page
    assert client.get("/measures/units?status=rien&commune=x").status_code == 200


def test_a_private_landlords_unit_shows_its_owner(client, world, communes):
    unit = Unit(
        private_owner_id=world.landlord.id,
        commune=communes["Concarneau"],
        address="3 rue privée",
        typology=Typology.T1,
        surface=Decimal("30"),
        rent=Decimal("320"),
    )
    db.session.add(unit)
    db.session.commit()
    sign_in(client, world.ccas_worker)
    assert "Jean Propriétaire" in client.get(f"/measures/units/{unit.id}").text
    assert "Jean Propriétaire" in client.get("/measures/units").text


# Unit states -------------------------------------------------------------------------------

UNIT_CASES = [(status, name) for status in UnitStatus for name in UNIT_TRANSITIONS]


@pytest.mark.parametrize(
    ("status", "name"), UNIT_CASES, ids=[f"{s.value}-{n}" for s, n in UNIT_CASES]
)
def test_every_manual_unit_transition_and_only_those(
    client, world, communes, landlords, status, name
):
    unit = make_unit(landlords["first"], communes["Concarneau"], status=status)
    transition = UNIT_TRANSITIONS[name]
    sign_in(client, landlords["first_staff"])
    before = database_rows()

    response = client.post(f"/measures/units/{unit.id}/status", data={"transition": name})

    assert response.status_code == 302
    db.session.expire_all()
    if status in transition.sources:
        assert unit.status == transition.target
        return
    assert database_rows() == before
    messages = flashed(client.get(response.location).text)
    assert any("n'est pas possible pour un logement" in m for m in messages), messages


def test_let_is_never_entered_or_left_by_hand(world, communes, landlords):
    unit = make_unit(landlords["first"], communes["Concarneau"], status=UnitStatus.LET)
    for name in (*UNIT_TRANSITIONS, "let", "unlet"):
        with pytest.raises(WorkflowError):
            change_unit_status(unit, name, world.ccas_worker)
    assert unit.status == UnitStatus.LET
    assert all(t.target != UnitStatus.LET for t in UNIT_TRANSITIONS.values())


def test_unit_predicates_and_sql_clause_agree_for_every_reader(
    world, case_world, communes, landlords
):
    make_unit(landlords["first"], communes["Concarneau"])
    make_unit(landlords["second"], communes["Rosporden"])
    private = Unit(
        private_owner_id=world.landlord.id,
        commune=communes["Concarneau"],
        address="3 rue privée",
        typology=Typology.T1,
        surface=Decimal("30"),
        rent=Decimal("320"),
    )
    db.session.add(private)
    db.session.commit()
    readers = [
        world.coordinator,
        world.ccas_worker,
        world.partner_admin,
        world.partner_member,
        world.siao_officer,
        world.outsider,
        world.landlord,
        case_world.cdas_worker,
        landlords["first_staff"],
        landlords["second_staff"],
    ]
    units = db.session.scalars(sa.select(Unit)).all()
    for reader in readers:
        by_predicate = {u.id for u in units if permissions.can_view_unit(reader, u)}
        by_sql = set(
            db.session.scalars(sa.select(Unit.id).where(permissions.visible_units_clause(reader)))
        )
        assert by_predicate == by_sql, reader.full_name
    first_sees = {
        u.social_landlord_id
        for u in units
        if permissions.can_view_unit(landlords["first_staff"], u)
    }
    assert first_sees == {landlords["first"].id}
