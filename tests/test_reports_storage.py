"""A closed year's report is computed once and stored (issue 21): what is stored equals a
fresh computation; a change in the data it reads (through the ORM, or bulk SQL) has it
computed again; the coordinator recomputes it on request; the current year is live."""

from datetime import date

import pytest
import sqlalchemy as sa

from portal.extensions import db
from portal.models import AuditAction, Bilan, BilanOutcome, StoredReport
from portal.reports.activity import build_activity_report
from portal.reports.scope import make_scope
from portal.reports.storage import activity_report, data_version, dump, load
from tests.conftest import sign_in
from tests.support import audit_events, csrf_token
from tests.test_reports import YEAR, build_2025

TODAY = date(2026, 6, 1)


@pytest.fixture
def data(world, territory, make_org, make_user):
    return build_2025(world, territory, make_org, make_user)


def scope_of(data, territory, programme=None):
    return make_scope(YEAR, [data.programme, data.dalo], {territory.id}, programme)


def stored_rows() -> list[StoredReport]:
    return list(db.session.scalars(sa.select(StoredReport)))


def test_the_stored_report_equals_a_fresh_computation(data, territory):
    for programme in (None, data.dalo):
        scope = scope_of(data, territory, programme)
        first = activity_report(scope, TODAY)
        db.session.commit()
        assert first.recomputed and first.stored_at is not None
        again = activity_report(scope, TODAY)
        assert not again.recomputed and again.stored_at == first.stored_at
        assert again.report == build_activity_report(scope, TODAY)
        assert load(dump(first.report)) == first.report
    assert len(stored_rows()) == 2
    assert stored_rows()[0].data_version == data_version()


def test_a_change_in_the_data_has_it_computed_again(data, territory):
    scope = scope_of(data, territory)
    activity_report(scope, TODAY)
    db.session.commit()
    assert len(stored_rows()) == 1
    # A bilan's decision changes (no « updated » column on bilans): the ORM change forgets
    # the stored reports in the same transaction.
    bilan = data.measures[2].bilans[0]
    bilan.outcome = BilanOutcome.GLISSEMENT
    db.session.commit()
    assert stored_rows() == []
    changed = activity_report(scope, TODAY)
    db.session.commit()
    assert changed.recomputed
    assert changed.report.outcomes.slid_at_6 == 2
    assert changed.report == build_activity_report(scope, TODAY)
    # A bulk UPDATE through the session: forgotten at commit.
    db.session.execute(sa.update(Bilan).where(Bilan.id == bilan.id).values(outcome=None))
    db.session.commit()
    assert stored_rows() == []
    activity_report(scope, TODAY)
    db.session.commit()
    # A change beside the ORM (a new row by plain SQL): the data version differs.
    # (the session's connection, not the session: no ORM event sees it)
    db.session.connection().execute(
        sa.text(
            "INSERT INTO bilan (measure_id, kind, due_date, held_on, outcome, "
            "landlord_present, household_present, summary, created) VALUES "
            "(:m, 'ten_months', '2025-10-01', '2025-10-02', 'poursuite', "
            "false, false, '', '2025-10-02 10:00:00')"
        ),
        {"m": data.measures[4].id},
    )
    db.session.commit()
    db.session.expire_all()
    assert len(stored_rows()) == 1
    recomputed = activity_report(scope, TODAY)
    assert recomputed.recomputed
    assert len(recomputed.report.fiches) == len(changed.report.fiches) + 1


def test_the_current_year_is_live(data, territory):
    computed = activity_report(scope_of(data, territory), date(2025, 12, 31))
    assert computed.stored_at is None
    db.session.commit()
    assert stored_rows() == []


def test_the_coordinator_recomputes_on_request_and_readers_get_the_stored_report(
    client, world, data
):
    sign_in(client, world.coordinator)
    page = client.get(f"/reports/activity?year={YEAR}").get_data(as_text=True)
    assert "Année close : rapport calculé le" in page
    (stored,) = stored_rows()
    first = stored.computed_at
    sign_in(client, data.etat_user)
    page = client.get(f"/reports/activity?year={YEAR}").get_data(as_text=True)
    assert "Recalculer" not in page
    db.session.expire_all()
    assert stored_rows()[0].computed_at == first
    sign_in(client, world.coordinator)
    token = csrf_token(client.get(f"/reports/activity?year={YEAR}").get_data(as_text=True))
    response = client.post(f"/reports/activity/refresh?year={YEAR}", data={"csrf_token": token})
    assert response.status_code == 302
    db.session.expire_all()
    assert stored_rows()[0].computed_at > first
    assert any(
        "recalculé" in e.summary for e in audit_events(AuditAction.CHANGE, "activity_report")
    )
