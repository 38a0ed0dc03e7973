"""Tried as an outsider would: what the loader changes (a case participant's organisation
no longer loaded with the case) cost the pages and services that still name it."""

from datetime import date

import sqlalchemy as sa

from portal.extensions import db
from portal.models import AccessLevel, CaseParticipant, Household, OrganisationKind


def test_withdrawing_identity_names_the_partners_without_a_query_each(
    app, world, case_world, make_org
):
    """A household withdraws its consent to share its identity: every partner with full
    access is brought down to the situation and named in the case's history. Naming them
    must not load each organisation on its own (an N+1 since the participant's
    organisation stopped being loaded with the case)."""
    from portal.cases.services import record_information, share_case

    case = case_world.case
    for number in range(4):
        partner = make_org(OrganisationKind.ASSOCIATION, f"Association partenaire {number}")
        share_case(case, partner, AccessLevel.FULL, "Suivi", world.ccas_worker, notify=False)
    db.session.commit()
    household_id, case_id = case_world.household.id, case.id
    db.session.expunge_all()  # as in a request: nothing already in memory
    household = db.session.get(Household, household_id)

    statements = []

    def executes(connection, cursor, statement, *args):
        if statement.lstrip().upper().startswith("SELECT") and "FROM organisation" in statement:
            statements.append(statement)

    sa.event.listen(db.engine, "before_cursor_execute", executes)
    try:
        record_information(
            household,
            world.ccas_worker,
            {
                "informed_on": date(2026, 3, 1),
                "what_is_shared": "Situation seule",
                "shared_with": "Comité technique",
                "allows_identity": False,
            },
        )
    finally:
        sa.event.remove(db.engine, "before_cursor_execute", executes)
    db.session.commit()

    levels = db.session.scalars(
        sa.select(CaseParticipant.level).where(CaseParticipant.case_id == case_id)
    )
    assert set(levels) == {AccessLevel.SITUATION}
    # Five partners had full access (the Mission Locale and the four associations).
    assert len(statements) <= 1, f"{len(statements)} queries for the partners' names"


def test_the_household_data_export_names_the_partners_without_a_query_each(
    client, world, case_world, make_org
):
    """The right-of-access export lists each sharing of the household's cases with its
    partner: not one query per partner organisation."""
    from portal.cases.services import share_case
    from tests.conftest import sign_in

    case = case_world.case
    for number in range(4):
        partner = make_org(OrganisationKind.ASSOCIATION, f"Association partenaire {number}")
        share_case(case, partner, AccessLevel.FULL, "Suivi", world.ccas_worker, notify=False)
    db.session.commit()
    sign_in(client, world.coordinator)  # an admin of the owning CCAS

    lookups = []

    def executes(connection, cursor, statement, *args):
        flat = " ".join(statement.split())
        by_id = flat.endswith(("WHERE organisation.id = ?", "WHERE organisation.id = %(pk_1)s"))
        if flat.startswith("SELECT") and "FROM organisation" in flat and by_id:
            lookups.append(flat)

    sa.event.listen(db.engine, "before_cursor_execute", executes)
    try:
        response = client.get(f"/cases/households/{case_world.household.id}/export")
    finally:
        sa.event.remove(db.engine, "before_cursor_execute", executes)
    assert response.status_code == 200
    assert "Association partenaire 3" in response.text
    assert len(lookups) <= 1, f"{len(lookups)} organisations loaded one by one"
