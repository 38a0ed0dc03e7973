"""What a figure is — a count per category, lengths in days — and the SQL aggregates that
compute them, shared by the activity report and the indicators.

Every figure is an SQL aggregate (COUNT, AVG, GROUP BY): the number of queries is the same
for ten households or ten thousand, and no household row is ever loaded. Functions return
plain dataclasses; the views and templates only display them.
"""

from dataclasses import dataclass, field

import sqlalchemy as sa

from portal.extensions import db
from portal.i18n import _, _l


@dataclass(frozen=True)
class Row:
    """One line of a breakdown: a category and how many."""

    key: str
    label: str
    count: int


@dataclass(frozen=True)
class Breakdown:
    rows: list[Row]
    base: int  # what percentages are taken of

    @property
    def total(self) -> int:
        return sum(r.count for r in self.rows)


@dataclass(frozen=True)
class Durations:
    """Lengths in days over ``count`` items (averages are None when there is none)."""

    count: int
    average: float | None
    minimum: float | None
    maximum: float | None
    buckets: list[Row] = field(default_factory=list)


def grouped(query) -> dict:
    return {key: count for key, count in db.session.execute(query)}


def rounded(value) -> float | None:
    return None if value is None else round(float(value), 1)


def enum_breakdown(enum_class, counts: dict, base: int, *, keep_empty: bool = True) -> Breakdown:
    """Counts per enum member, in the enum's order, plus « non renseigné » when some are."""
    rows = [
        Row(member.value, member.label, int(counts.get(member, 0)))
        for member in enum_class
        if keep_empty or counts.get(member)
    ]
    if counts.get(None):
        rows.append(Row("", _("Non renseigné"), int(counts[None])))
    return Breakdown(rows, base)


def stage_breakdown(statuses, counts: dict) -> Breakdown:
    rows = [Row(s.value, s.label, int(counts.get(s, 0))) for s in statuses]
    return Breakdown(rows, sum(r.count for r in rows))


DURATION_BUCKETS = (
    (183, "lt_6", _l("Moins de 6 mois")),
    (365, "6_12", _l("De 6 à 12 mois")),
    (548, "12_18", _l("De 12 à 18 mois")),
    (None, "gte_18", _l("18 mois ou plus")),
)


def duration_columns(days) -> list:
    """count, avg, min, max, then one SUM per bucket of ``DURATION_BUCKETS``."""
    columns = [sa.func.count(days), sa.func.avg(days), sa.func.min(days), sa.func.max(days)]
    lower = None
    for upper, _key, _label in DURATION_BUCKETS:
        condition = days.isnot(None)
        if lower is not None:
            condition = sa.and_(condition, days >= lower)
        if upper is not None:
            condition = sa.and_(condition, days < upper)
        columns.append(sa.func.sum(sa.case((condition, 1), else_=0)))
        lower = upper
    return columns


def durations(query_row) -> Durations:
    count, average, minimum, maximum, *buckets = query_row
    return Durations(
        count=int(count or 0),
        average=rounded(average),
        minimum=rounded(minimum),
        maximum=rounded(maximum),
        buckets=[
            Row(key, str(label), int(n or 0))
            for (_upper, key, label), n in zip(DURATION_BUCKETS, buckets, strict=True)
        ],
    )


def duration_stats(days, *where, select_from=None) -> Durations:
    query = sa.select(*duration_columns(days))
    if select_from is not None:
        query = query.select_from(select_from)
    return durations(db.session.execute(query.where(*where)).one())
