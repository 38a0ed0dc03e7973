"""A household's identity leaves the organisation that follows it only when its latest
information record says the household agreed: for a partner given full access to a case,
and for the SIAO reading a candidacy. The record is updated by recording a new one (dated,
the earlier ones stay in the file's history)."""

import html
from datetime import date

import pytest
import sqlalchemy as sa

from portal import permissions
from portal.candidacies.services import change_candidacy_status, create_candidacy
from portal.cases.services import (
    WorkflowError,
    change_status,
    create_case,
    record_information,
    share_case,
)
from portal.extensions import db
from portal.models import (
    AccessLevel,
    CandidacyStatus,
    CaseEvent,
    CaseParticipant,
    Programme,
    Typology,
)
from tests.conftest import CANARY_NAME, sign_in
from tests.support import database_rows, flashed, form_errors, fresh_client, shows_typed_value


@pytest.fixture
def client(app):
    return fresh_client(app)


def inform(household, author, *, identity: bool, on=date(2026, 2, 1)):
    record_information(
        household,
        author,
        {
            "informed_on": on,
            "what_is_shared": "Situation et identité" if identity else "Situation sans identité",
            "shared_with": "Partenaires du comité et SIAO",
            "allows_identity": identity,
        },
    )
    db.session.commit()


@pytest.fixture
def without_identity(world, make_household):
    """A household informed that its situation, not its identity, is shared."""
    household = make_household(world.ccas, world.ccas_worker, informed=False)
    inform(household, world.ccas_worker, identity=False)
    return household


@pytest.fixture
def case(world, without_identity):
    found = create_case(
        without_identity,
        world.ccas_worker,
        {"committee_id": world.committee.id, "title": "Relogement", "question": "Quel T2 ?"},
    )
    change_status(found, "submit", world.ccas_worker)
    db.session.commit()
    return found


def share_form(world, level: str) -> dict:
    return {"organisation_id": world.mission_locale.id, "level": level, "reason": "Référente"}


def test_full_access_is_refused_while_the_information_says_without_identity(client, world, case):
    sign_in(client, world.ccas_worker)
    before = database_rows()
    response = client.post(f"/cases/{case.id}/participants", data=share_form(world, "full"))
    assert response.status_code == 400
    [error] = form_errors(response.text)
    assert "ne permet pas de transmettre son identité" in error
    assert shows_typed_value(response.text, "Référente")
    assert database_rows() == before
    with pytest.raises(WorkflowError, match="ne permet pas de transmettre son identité"):
        share_case(case, world.mission_locale, AccessLevel.FULL, "Suivi", world.ccas_worker)
    db.session.rollback()
    # The situation alone may be shared.
    response = client.post(f"/cases/{case.id}/participants", data=share_form(world, "situation"))
    assert response.status_code == 302
    assert not permissions.can_view_identity(world.partner_member, case)


def test_the_information_is_updated_dated_and_kept_in_history_before_sharing_identity(
    client, world, case, without_identity
):
    household = without_identity
    sign_in(client, world.ccas_worker)
    response = client.post(
        f"/cases/households/{household.id}/information",
        data={
            "informed_on": "2026-03-10",
            "what_is_shared": "Situation et identité, pour la Mission Locale",
            "shared_with": "Mission Locale du Pays de Cornouaille",
            "allows_identity": "y",
        },
    )
    assert response.status_code == 302
    db.session.expire_all()
    assert [(r.informed_on, r.allows_identity) for r in household.information_records] == [
        (date(2026, 3, 10), True),
        (date(2026, 2, 1), False),
    ]
    assert household.allows_identity_sharing
    page = html.unescape(client.get(f"/cases/households/{household.id}").text)
    assert "identité transmise : oui" in page and "identité transmise : non" in page
    assert page.count("en vigueur") == 1

    response = client.post(f"/cases/{case.id}/participants", data=share_form(world, "full"))
    assert response.status_code == 302
    assert permissions.can_view_identity(world.partner_member, case)
    sign_in(client, world.partner_member)
    assert CANARY_NAME in client.get(f"/cases/{case.id}").text

    # The household changes its mind: a new record without identity brings the partner
    # back to the situation alone, with a line on the case's timeline.
    inform(household, world.ccas_worker, identity=False, on=date(2026, 4, 2))
    participant = db.session.scalar(sa.select(CaseParticipant))
    assert participant.level == AccessLevel.SITUATION
    assert not permissions.can_view_identity(world.partner_member, case)
    assert CANARY_NAME not in client.get(f"/cases/{case.id}").text
    summaries = db.session.scalars(
        sa.select(CaseEvent.summary).where(CaseEvent.case_id == case.id)
    ).all()
    assert any("ramené à la situation seule" in s for s in summaries)


def test_the_siao_reads_the_identity_only_when_the_household_agreed(
    client, world, without_identity
):
    household = without_identity
    programme = Programme(territory=world.ccas.territory, name="IML", capacity=2)
    db.session.add(programme)
    db.session.flush()
    candidacy = create_candidacy(
        household,
        world.ccas_worker,
        {"programme_id": programme.id, "requested_typology": Typology.T2, "commune_ids": []},
    )
    db.session.commit()
    sign_in(client, world.ccas_worker)
    page = client.get(f"/siao/{candidacy.id}").text
    assert "la soumission sera refusée" in page
    before = database_rows()
    response = client.post(f"/siao/{candidacy.id}/submit", data={"comment": ""})
    assert response.status_code == 302
    assert database_rows() == before
    response = client.get(response.location)
    assert any("ne permet pas de transmettre son identité" in m for m in flashed(response.text))

    inform(household, world.ccas_worker, identity=True, on=date(2026, 3, 1))
    change_candidacy_status(candidacy, "submit", world.ccas_worker)
    db.session.commit()
    assert candidacy.status == CandidacyStatus.SUBMITTED
    sign_in(client, world.siao_officer)
    assert CANARY_NAME in client.get(f"/siao/{candidacy.id}").text

    inform(household, world.ccas_worker, identity=False, on=date(2026, 3, 20))
    assert not permissions.can_view_candidacy_identity(world.siao_officer, candidacy)
    assert permissions.can_view_candidacy_identity(world.ccas_worker, candidacy)
    page = client.get(f"/siao/{candidacy.id}").text
    assert CANARY_NAME not in page and household.reference in page
