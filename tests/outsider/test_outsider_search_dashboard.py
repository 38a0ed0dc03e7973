"""Tried as an outsider would: the global search, the dashboards and the organisation
switcher."""

import sqlalchemy as sa

from portal.extensions import db
from portal.models import Membership, MembershipRole, OrganisationKind, Unit
from tests.conftest import sign_in
from tests.test_measures import make_candidacy, opened, scheme  # noqa: F401
from tests.test_units import unit_form

# Search --------------------------------------------------------------------------------------


def test_search_does_not_give_a_social_landlord_the_household_reference(
    client,
    world,
    scheme,  # noqa: F811
):
    measure = opened(world, scheme, unit=scheme.unit)
    reference = measure.household.reference
    sign_in(client, scheme.landlord_user)
    assert reference not in client.get(f"/measures/{measure.id}").text  # the rule
    page = client.get("/search/", query_string={"q": reference}).text
    results = page.split('role="status"', 1)[1].split("</p>", 1)[1]  # after « N résultats »
    assert reference not in results
    # and the landlord cannot confirm a guessed reference maps to one of its units either
    assert f"/measures/{measure.id}" not in page


def test_dashboard_does_not_give_a_social_landlord_the_household_reference(
    client,
    world,
    scheme,  # noqa: F811
):
    measure = opened(world, scheme, unit=scheme.unit)
    reference = measure.household.reference
    sign_in(client, scheme.landlord_user)
    assert "Mesures dans vos logements" in client.get("/").text
    assert reference not in client.get("/").text


def test_search_survives_hostile_queries(client, world, case_world):
    sign_in(client, world.ccas_worker)
    for q in (
        "%ED%A0%80",  # a lone surrogate, percent-encoded
        str(2**31),
        str(2**63 + 1),
        "a\x00b",
        "é" * 10_000,
        "ǅ" * 60,
        "\u0130\u0130",  # İ lowercases to two code points
        "ß ẞ",
        "\\%",
        "'; --",
    ):
        response = client.get("/search/", query_string={"q": q})
        assert response.status_code == 200, q
    for raw in ("%ED%A0%80%00%ff", "%ED%A0%80abc", "%F4%90%80%80x", "%C0%AE%C0%AE"):
        assert client.get("/search/?q=" + raw).status_code == 200, raw


# Organisation switcher ---------------------------------------------------------------------


def two_org_person(world, make_user, second=None, active=True):
    both = make_user(world.mission_locale, full_name="Nina Deux")
    db.session.add(
        Membership(
            user=both, organisation=second or world.ccas, role=MembershipRole.MEMBER, active=active
        )
    )
    db.session.commit()
    return both


def test_switching_to_a_deactivated_membership_is_refused(client, world, make_user):
    both = two_org_person(world, make_user, active=False)
    sign_in(client, both)
    client.post("/organisations/acting", data={"organisation_id": world.ccas.id})
    page = client.get("/cases/households/new")
    # only the mission locale remains: it holds household files
    assert f"Pour {world.ccas.name}" not in page.text


def test_switcher_hostile_ids_get_an_answer(client, world, make_user):
    both = two_org_person(world, make_user)
    sign_in(client, both)
    for value in (
        str(2**31),
        str(2**63),
        "-1",
        "0",
        "1e3",
        "\x00",
        "１",
        str(world.siao.id),
        str(world.outsider_org.id),
        "",
    ):
        response = client.post("/organisations/acting", data={"organisation_id": value})
        assert response.status_code == 303, value
    response = client.post(
        "/organisations/acting",
        data=b"organisation_id=%ED%A0%80",
        content_type="application/x-www-form-urlencoded",
    )
    assert response.status_code < 500
    response = client.post(
        "/organisations/acting",
        data={"organisation_id": [str(world.ccas.id), str(world.siao.id)]},
    )
    assert response.status_code < 500


def test_switcher_does_not_send_back_to_another_site(client, world, make_user):
    both = two_org_person(world, make_user)
    sign_in(client, both)
    for referrer in (
        "http://localhost//evil.example/x",
        "http://localhost/\\evil.example/x",
    ):
        response = client.post(
            "/organisations/acting",
            data={"organisation_id": world.ccas.id},
            headers={"Referer": referrer},
        )
        location = response.headers["Location"]
        assert not location.startswith("//") and not location.startswith("/\\"), location


def test_a_unit_created_by_a_person_of_two_social_landlords_goes_to_the_acting_one(
    client,
    world,
    make_user,
    scheme,  # noqa: F811
):
    both = make_user(scheme.landlord, full_name="Inès Deux")
    db.session.add(
        Membership(user=both, organisation=scheme.other_landlord, role=MembershipRole.MEMBER)
    )
    db.session.commit()
    sign_in(client, both)
    response = client.post(
        "/organisations/acting", data={"organisation_id": scheme.other_landlord.id}
    )
    assert response.status_code == 303
    response = client.post("/measures/units/new", data=unit_form(scheme.commune))
    assert response.status_code == 302, response.text[:2000]
    unit = db.session.scalars(sa.select(Unit).where(Unit.address == "4 allée des Mouettes")).one()
    assert unit.social_landlord_id == scheme.other_landlord.id


def test_acting_organisation_in_a_copied_session_follows_deactivation(
    client, app, world, make_user
):
    both = two_org_person(world, make_user)
    sign_in(client, both)
    client.post("/organisations/acting", data={"organisation_id": world.ccas.id})
    assert f"Pour {world.ccas.name}" in client.get("/cases/households/new").text
    membership = both.membership_of(world.ccas.id)
    membership.active = False
    db.session.commit()
    page = client.get("/cases/households/new").text
    assert f"Pour {world.ccas.name}" not in page


assert OrganisationKind  # imported for readers of this module
