"""Tried as an outsider would: the dashboard's « Mes actions » block against the
actions pages' per-reader rule."""

import pytest

from tests.conftest import CANARY_NAME, sign_in
from tests.test_actions import TODAY, decide, give, held  # noqa: F401


@pytest.mark.parametrize("who", ["outsider", "cdas"])
def test_the_dashboard_masks_the_household_in_an_action_as_the_actions_page_does(
    client,
    world,
    case_world,
    held,  # noqa: F811
    who,
):
    decision = decide(held, world, item=held.agenda_items[0])
    organisation, reader = (
        (world.outsider_org, world.outsider)
        if who == "outsider"
        else (case_world.cdas, case_world.cdas_worker)
    )
    give(
        held,
        world,
        organisation,
        TODAY,
        decision=decision,
        text=f"Appeler {CANARY_NAME} pour le dossier CAF",
    )
    sign_in(client, reader)
    actions_page = client.get("/actions/").text
    assert "Appeler" in actions_page and CANARY_NAME not in actions_page  # the rule
    dashboard = client.get("/").text
    assert "Mes actions" in dashboard
    assert CANARY_NAME not in dashboard
