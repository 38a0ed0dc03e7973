"""The results the field report expects (issue 21): hotel nights ended, leases slid within
twelve months, partnership per landlord; every bilan held reaches the State's list of
fiche-bilans. On the 2025 territory of tests/test_reports.py."""

import csv
import io
from datetime import date

import pytest
import sqlalchemy as sa

from portal.extensions import db
from portal.reports.activity import build_activity_report
from portal.reports.scope import make_scope
from tests.conftest import sign_in
from tests.test_reports import YEAR, build_2025


@pytest.fixture
def data(world, territory, make_org, make_user):
    return build_2025(world, territory, make_org, make_user)


def report_for(data, territory):
    return build_activity_report(
        make_scope(YEAR, [data.programme, data.dalo], {territory.id}), today=date(2026, 6, 1)
    )


def test_hotel_nights_ended_by_measures_begun_in_the_year(data, territory):
    assert (report_for(data, territory).results.hotel_households, 0) == (0, 0)
    # The couple of measure 3 was at the hotel from 1 January; the measure began on 15
    # January: 14 nights. Measure 2 (begun 1 March) from 20 February 2025: 9 nights.
    data.measures[3].candidacy.in_hotel = True
    data.measures[3].candidacy.hotel_since = date(2025, 1, 1)
    data.measures[2].candidacy.in_hotel = True
    data.measures[2].candidacy.hotel_since = date(2025, 2, 20)
    # A measure begun before the year does not count.
    data.measures[4].candidacy.in_hotel = True
    data.measures[4].candidacy.hotel_since = date(2023, 1, 1)
    db.session.commit()
    results = report_for(data, territory).results
    assert (results.hotel_households, results.hotel_nights) == (2, 23)


def test_leases_slid_within_twelve_months(data, territory):
    results = report_for(data, territory).results
    # Measure 1: 1 September 2024 → slide decided at the bilan of 1 March 2025.
    assert (results.slid, results.slid_within_12) == (1, 1)
    data.measures[1].start_date = date(2024, 2, 28)  # a year and a day before the bilan
    db.session.commit()
    results = report_for(data, territory).results
    assert (results.slid, results.slid_within_12) == (1, 0)
    data.measures[1].start_date = date(2024, 3, 1)  # exactly twelve months
    db.session.commit()
    assert report_for(data, territory).results.slid_within_12 == 1


def test_partnership_per_landlord(data, territory):
    rows = [
        (r.label, r.units, r.measures, r.offers, r.agreements)
        for r in report_for(data, territory).landlord_rows
    ]
    # Units made available in 2025: one of Finistère Habitat, two of the private owner;
    # measures begun in 2025 (2 and 3) in Finistère Habitat's units; three offers received,
    # one agreement signed.
    assert rows == [
        ("Finistère Habitat", 1, 2, None, None),
        ("Propriétaires privés", 2, 0, 3, 1),
    ]


def test_every_bilan_held_reaches_the_state_s_list(client, data, territory):
    fiches = report_for(data, territory).fiches
    kinds = {(f.measure_id, f.kind, f.outcome) for f in fiches}
    # Measure 3's 10-month bilan (with a decision) and a 10-month point without one.
    assert (data.measures[3].id, "Bilan à 10 mois", "Fin de mesure") in kinds
    bilan = data.measures[2].bilans[1]
    bilan.held_on = date(2025, 12, 20)  # the 10-month point, held early, no decision
    db.session.commit()
    fiches = report_for(data, territory).fiches
    assert (data.measures[2].id, "Bilan à 10 mois", "Point d'étape, sans décision") in {
        (f.measure_id, f.kind, f.outcome) for f in fiches
    }
    sign_in(client, data.etat_user)
    page = client.get(f"/reports/activity?year={YEAR}").get_data(as_text=True)
    assert f"/measures/{data.measures[2].id}/bilans/{bilan.id}/fiche" in page


# Time in Paris -------------------------------------------------------------------------------


def test_done_on_time_is_judged_on_the_due_day_in_paris(client, world, data, territory):
    from datetime import UTC, datetime

    from portal.models import ActionStatus, FollowUpAction, Meeting

    meeting = db.session.scalar(sa.select(Meeting).limit(1))

    def action(closed_at):
        db.session.add(
            FollowUpAction(
                meeting=meeting,
                committee_id=meeting.committee_id,
                description="x",
                organisation=world.ccas,
                due_on=date(2025, 7, 1),
                status=ActionStatus.DONE,
                closed_at=closed_at,
            )
        )

    before = report_for(data, territory).committee
    # 23:30 in Paris on the due day (21:30 UTC, summer time): on time; 00:30 the next day
    # in Paris (22:30 UTC on the due day): late.
    action(datetime(2025, 7, 1, 21, 30, tzinfo=UTC))
    action(datetime(2025, 7, 1, 22, 30, tzinfo=UTC))
    db.session.commit()
    after = report_for(data, territory).committee
    assert after.actions_done == before.actions_done + 2
    assert after.actions_done_on_time == before.actions_done_on_time + 1
    # The CSV of decisions and actions says the same (to the meeting's organiser).
    sign_in(client, world.coordinator)
    text = client.get("/reports/exports/decisions.csv").get_data(as_text=True).lstrip("\ufeff")
    rows = list(csv.reader(io.StringIO(text), delimiter=";"))
    # (closed on 1 and 2 July in Paris; due on 1 July)
    closed = {row[10]: row[-1] for row in rows[1:] if row[8] == "01/07/2025" and row[9] == "Faite"}
    assert closed == {"01/07/2025": "oui", "02/07/2025": "non"}


def test_monthly_trend_counts_offers_in_the_month_of_paris(data, territory):
    from datetime import UTC, datetime

    from portal.models import OfferStatus, OwnerOffer
    from portal.reports.indicators import build_indicators

    owner_id, commune_id = db.session.execute(
        sa.select(OwnerOffer.owner_id, OwnerOffer.commune_id).limit(1)
    ).one()
    # 00:30 on 1 April in Paris is still 31 March in UTC.
    db.session.add(
        OwnerOffer(
            owner_id=owner_id,
            commune_id=commune_id,
            status=OfferStatus.NEW,
            submitted_at=datetime(2025, 3, 31, 22, 30, tzinfo=UTC),
        )
    )
    db.session.commit()
    scope = make_scope(YEAR, [data.programme, data.dalo], {territory.id})
    trend = {p.month: p.offers for p in build_indicators(scope, today=date(2025, 12, 31)).trend}
    assert (trend["2025-03"], trend["2025-04"]) == (0, 2)
