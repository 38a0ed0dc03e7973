"""Access rules of the reports: the activity report, the indicators and the exports.

In the matrix's world only the CCAS (its worker and the coordinator) may read them; the
State service and the comité de pilotage, absent from this world, are covered in
tests/test_reports.py.
"""

from decimal import Decimal

from portal.extensions import db
from portal.models import FundingLine, Programme
from tests.access_rules import COORDINATOR_ONLY, Route, answers

CCAS_ONLY = answers(403, ccas_worker=200, coordinator=200)

ROUTES: dict[tuple[str, str], Route] = {
    ("reports.index", "GET"): Route(lambda w, e: "/reports/", CCAS_ONLY),
    ("reports.activity", "GET"): Route(lambda w, e: "/reports/activity?year=2025", CCAS_ONLY),
    # A closed year's stored report, computed again: back to the report.
    ("reports.refresh_activity", "POST"): Route(
        lambda w, e: "/reports/activity/refresh?year=2025", answers(403, coordinator=302)
    ),
    ("reports.activity_pdf", "GET"): Route(
        lambda w, e: "/reports/activity.pdf?year=2025", CCAS_ONLY
    ),
    ("reports.activity_csv", "GET"): Route(
        lambda w, e: "/reports/activity.csv?year=2025", CCAS_ONLY
    ),
    ("reports.year_entries", "GET"): Route(lambda w, e: "/reports/year/2025", COORDINATOR_ONLY),
    # Empty forms are refused (400); a confirmed deletion goes back to the page.
    ("reports.add_funding", "POST"): Route(
        lambda w, e: "/reports/year/2025/funding", answers(403, coordinator=400)
    ),
    ("reports.delete_funding", "POST"): Route(
        lambda w, e: f"/reports/year/2025/funding/{e['funding_line'].id}/delete",
        answers(403, coordinator=302),
    ),
    ("reports.write_analysis", "POST"): Route(
        lambda w, e: "/reports/year/2025/analysis", answers(403, coordinator=400)
    ),
    ("reports.indicators", "GET"): Route(lambda w, e: "/reports/indicators", CCAS_ONLY),
    ("reports.export_measures", "GET"): Route(
        lambda w, e: "/reports/exports/measures.csv", CCAS_ONLY
    ),
    ("reports.export_candidacies", "GET"): Route(
        lambda w, e: "/reports/exports/candidacies.csv", CCAS_ONLY
    ),
    ("reports.export_decisions", "GET"): Route(
        lambda w, e: "/reports/exports/decisions.csv", CCAS_ONLY
    ),
    ("reports.export_offers", "GET"): Route(lambda w, e: "/reports/exports/offers.csv", CCAS_ONLY),
}


def build(world, case_world) -> dict:
    programme = Programme(territory=world.ccas.territory, name="IML de la matrice", capacity=3)
    line = FundingLine(programme=programme, year=2025, source="BOP 177", amount=Decimal(1000))
    db.session.add_all([programme, line])
    db.session.flush()
    return {"funding_line": line}
