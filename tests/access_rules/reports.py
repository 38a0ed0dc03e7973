"""Access rules of the reports: the activity report, the indicators and the exports.

In the matrix's world only the CCAS (its worker and the coordinator) may read them; the
State service and the comité de pilotage, absent from this world, are covered in
tests/test_reports.py.
"""

from tests.access_rules import Route, answers

CCAS_ONLY = answers(403, ccas_worker=200, coordinator=200)

ROUTES: dict[tuple[str, str], Route] = {
    ("reports.index", "GET"): Route(lambda w, e: "/reports/", CCAS_ONLY),
    ("reports.activity", "GET"): Route(lambda w, e: "/reports/activity?year=2025", CCAS_ONLY),
    ("reports.activity_pdf", "GET"): Route(
        lambda w, e: "/reports/activity.pdf?year=2025", CCAS_ONLY
    ),
    ("reports.activity_csv", "GET"): Route(
        lambda w, e: "/reports/activity.csv?year=2025", CCAS_ONLY
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
    return {}
