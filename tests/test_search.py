"""The header's search finds, for each reader, only what their own list pages show: a
household's reference and its people's names in the reader's own files, the cases they may
open, the meetings they may see, their units and offers; typed wildcards are just text."""

import re

import pytest

from portal.models import CandidacyStatus
from portal.permissions import can_view_case
from tests.conftest import CANARY_NAME, sign_in
from tests.test_measures import make_candidacy, scheme  # noqa: F401
from tests.test_meetings import make_meeting
from tests.test_owners import make_offer


def found(client, query: str) -> str:
    response = client.get("/search/", query_string={"q": query})
    assert response.status_code == 200
    return response.text


def result_links(page: str) -> set[str]:
    main = page[page.index("<main") : page.index("</main>")]
    return set(re.findall(r'<li><a href="(/[^"]+)"', main))


def test_the_owner_finds_a_household_by_a_person_s_name_and_no_one_else_does(
    client, world, case_world
):
    household, case = case_world.household, case_world.case
    last_name = CANARY_NAME.split()[-1]
    sign_in(client, world.ccas_worker)
    page = found(client, last_name.lower())
    assert f"/cases/households/{household.id}" in result_links(page)
    assert CANARY_NAME not in page  # the result names the reference, not the person

    for reader in (world.partner_member, world.siao_officer, world.outsider):
        with client.application.test_client() as other:
            sign_in(other, reader)
            page = found(other, last_name)
            assert not result_links(page), reader.full_name
            assert CANARY_NAME not in page
            links = result_links(found(other, household.reference))
            # A reader who may open the case (shared with them, or on its committee) finds it
            # by its reference.
            assert (f"/cases/{case.id}" in links) == can_view_case(reader, case)


def test_meetings_units_and_offers_are_found_by_those_who_see_them(
    client,
    world,
    scheme,  # noqa: F811
):
    meeting = make_meeting(world, days=8, title="Comité technique de la Saint-Nicolas")
    offer = make_offer(world, scheme.commune, address="14 rue des Goélands")
    sign_in(client, world.ccas_worker)
    assert f"/meetings/{meeting.id}" in result_links(found(client, "saint-nicolas"))
    assert f"/measures/units/{scheme.unit.id}" in result_links(found(client, "rue des écoles"))
    assert f"/landlords/offers/{offer.id}" in result_links(found(client, "Goélands"))

    with client.application.test_client() as other:
        sign_in(other, world.outsider)  # not invited, no units, no offers
        assert not result_links(found(other, "saint-nicolas"))
        assert not result_links(found(other, "rue"))
    with client.application.test_client() as landlord:
        sign_in(landlord, scheme.landlord_user)
        links = result_links(found(landlord, "rue"))
        assert f"/measures/units/{scheme.unit.id}" in links  # its own unit
        assert f"/measures/units/{scheme.other_unit.id}" not in links
        assert f"/landlords/offers/{offer.id}" not in links


def test_the_siao_finds_only_candidacies_that_reached_it(client, world, scheme):  # noqa: F811
    draft = make_candidacy(world, scheme.programme, status=CandidacyStatus.DRAFT)
    sent = make_candidacy(world, scheme.programme, status=CandidacyStatus.SUBMITTED)
    sign_in(client, world.siao_officer)
    links = result_links(found(client, "CCAS-T"))
    assert f"/siao/{sent.id}" in links
    assert f"/siao/{draft.id}" not in links


@pytest.mark.parametrize("typed", ["%", "_", "%%", "\\"])
def test_wildcards_typed_are_searched_as_text(client, world, case_world, typed):
    sign_in(client, world.ccas_worker)
    assert not result_links(found(client, typed * 2))


def test_a_query_too_short_or_hostile_gets_an_answer(client, world):
    sign_in(client, world.ccas_worker)
    assert "Tapez au moins 2 caractères." in found(client, "a")
    assert found(client, "\x00" * 3 + "é" * 500)
