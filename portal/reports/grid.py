"""The activity report's counts as one grid: an id per count, shared by every table that
shows it, and the relations a reader knows between them (see disclosure.py).

Templates, charts, the PDF and the CSV read counts through these ids only, so that what one
audience reads is decided once.
"""

from portal.reports.activity import ActivityReport
from portal.reports.aggregates import Breakdown
from portal.reports.disclosure import Grid

FOLLOWED = "households.followed"


def cell_key(key: str) -> str:
    return key or "unknown"


def add_breakdown(grid: Grid, table: str, breakdown: Breakdown, total: str | None) -> None:
    """Rows of ``table`` summing to ``total`` (a cell already in the grid, or a new one
    ``table.total``)."""
    parts = [grid.add(f"{table}.{cell_key(r.key)}", r.count) for r in breakdown.rows]
    if total is None:
        total = grid.add(f"{table}.total", sum(r.count for r in breakdown.rows))
    grid.add_sum(total, parts)


def activity_grid(report: ActivityReport) -> Grid:
    grid = Grid()
    h = report.households
    grid.add(FOLLOWED, h.followed)
    grid.add("households.entered", h.entered)
    grid.add("households.left", h.left)
    grid.add_at_most("households.entered", FOLLOWED)
    grid.add_at_most("households.left", FOLLOWED)
    for table in ("publics", "composition", "resource_types", "resource_brackets"):
        add_breakdown(grid, table, getattr(report, table), FOLLOWED)
    add_breakdown(grid, "age_bands", report.age_bands, None)

    grid.add("follow_up.count", report.follow_up.count)
    parts = [grid.add(f"follow_up.{r.key}", r.count) for r in report.follow_up.buckets]
    grid.add_sum("follow_up.count", parts)

    o = report.outcomes
    for key, value in (
        ("slid_6", o.slid_at_6),
        ("slid_12", o.slid_at_12),
        ("slid_ext", o.slid_after_extension),
        ("continued_6", o.continued_at_6),
        ("extended", o.extended),
        ("ended", o.ended),
    ):
        grid.add(f"outcomes.{key}", value)
    add_breakdown(grid, "end_reasons", o.end_reasons, "outcomes.ended")

    r = report.results
    grid.add("results.slid", r.slid)
    grid.add_sum("results.slid", ("outcomes.slid_6", "outcomes.slid_12", "outcomes.slid_ext"))
    grid.add("results.slid_within_12", r.slid_within_12)
    grid.add_at_most("results.slid_within_12", "results.slid")
    grid.add("results.hotel_households", r.hotel_households)

    for row in report.obstacles.rows:
        cell = grid.add(f"obstacles.{cell_key(row.key)}", row.count)
        grid.add_at_most(cell, FOLLOWED)

    s = report.shelter
    grid.add("shelter.iml", s.iml.count)
    grid.add("shelter.closed", s.closed_without_iml.count)
    grid.add("shelter.staying", s.staying_without_iml.count)

    c = report.committee
    grid.add("committee.meetings", c.meetings, public=True)
    grid.add("committee.cases", c.cases_discussed)
    add_breakdown(grid, "decisions", c.decisions, None)
    grid.add("actions.due", c.actions_due)
    grid.add("actions.done", c.actions_done)
    grid.add("actions.on_time", c.actions_done_on_time)
    grid.add("actions.cancelled", c.actions_cancelled)
    grid.add("actions.open", c.actions_open)
    grid.add("actions.overdue", c.actions_overdue)
    grid.add_sum("actions.due", ("actions.done", "actions.cancelled", "actions.open"))
    grid.add_at_most("actions.on_time", "actions.done")
    grid.add_at_most("actions.overdue", "actions.open")

    lf = report.landlords
    grid.add("landlords.social_units", lf.social_units)
    grid.add("landlords.private_units", lf.private_units)
    grid.add("landlords.offers_received", lf.offers_received)
    # Offers « arrived at » the first stage and at the agreement are, but for a rare edit of
    # the history, the offers received and the agreements signed: when they are equal they
    # are one count (a reader would take them as one), shown or withheld together.
    same = {
        "new": ("landlords.offers_received", lf.offers_received),
        "agreement_signed": ("offer_to_agreement", lf.offer_to_agreement.count),
    }
    for row in lf.reached.rows:
        shared = same.get(row.key)
        if shared is not None and shared[1] == row.count:
            cell, value = shared
            grid.add(cell, value)
            grid.alias(f"offers.reached.{row.key}", cell)
        else:
            grid.add(f"offers.reached.{row.key}", row.count)
    add_breakdown(grid, "offers.current", lf.current, None)
    add_breakdown(grid, "stop_reasons", lf.stop_reasons, None)
    for stage in lf.stage_durations:
        grid.add(f"stages.{stage.key}", stage.count)
    grid.add("offer_to_agreement", lf.offer_to_agreement.count)

    social_units, measures = [], []
    for landlord in report.landlord_rows:
        units = f"landlord.{landlord.key}.units"
        if landlord.key == "private":
            units = "landlords.private_units"  # the same count, in two tables
            # Offers received and agreements signed are the counts of the offers' table.
            grid.add("landlords.offers_received", landlord.offers or 0)
            grid.add("offer_to_agreement", landlord.agreements or 0)
        else:
            social_units.append(units)
        grid.add(units, landlord.units)
        measures.append(grid.add(f"landlord.{landlord.key}.measures", landlord.measures))
    grid.add_sum("landlords.social_units", social_units)
    grid.add("landlords.units_total", lf.social_units + lf.private_units)
    grid.add_sum("landlords.units_total", ("landlords.social_units", "landlords.private_units"))
    grid.add("landlords.measures_total", sum(r.measures for r in report.landlord_rows))
    grid.add_sum("landlords.measures_total", measures)
    return grid
