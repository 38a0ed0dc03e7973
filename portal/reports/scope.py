"""What a report covers: a year, the programmes and the territories a reader may read.

The views build one ``Scope`` per request, from the programmes of the territories the reader
may read (``permissions.report_territory_ids``); every figure of the activity report and of
the indicators is then taken within it, through the SQL conditions below. Which counts the
reader sees exactly is decided elsewhere (disclosure.py). Days are days in Paris.
"""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime

import sqlalchemy as sa

from portal.extensions import db
from portal.local_time import PARIS, paris_day_end_utc, paris_midnight_utc
from portal.models import Commune, Measure, OfferStatus, OwnerOffer, Programme, Territory


@dataclass(frozen=True)
class Scope:
    """What a report covers: a year, the programmes and the territories it reads."""

    year: int
    programme_ids: list[int]
    territory_ids: list[int] | None  # None: every territory
    programme: Programme | None = None

    @property
    def start(self) -> date:
        return date(self.year, 1, 1)

    @property
    def end(self) -> date:
        return date(self.year, 12, 31)

    def reference_day(self, today: date) -> date:
        """The day figures are taken at: the year's last day, or today in the current year."""
        return min(self.end, today)

    @property
    def start_utc(self) -> datetime:
        return paris_midnight_utc(self.start)

    @property
    def end_utc(self) -> datetime:
        return paris_day_end_utc(self.end)


def visible_programmes(territory_ids: Iterable[int] | None) -> list[Programme]:
    query = sa.select(Programme).order_by(Programme.name)
    if territory_ids is not None:
        query = query.where(Programme.territory_id.in_(list(territory_ids)))
    return list(db.session.scalars(query))


def make_scope(
    year: int,
    programmes: list[Programme],
    territory_ids: Iterable[int] | None,
    programme: Programme | None = None,
) -> Scope:
    chosen = [programme] if programme is not None else programmes
    return Scope(
        year=year,
        programme_ids=[p.id for p in chosen],
        territory_ids=None if territory_ids is None else sorted(territory_ids),
        programme=programme,
    )


def territory_names(territory_ids: list[int] | None) -> list[str]:
    query = sa.select(Territory.name).order_by(Territory.name)
    if territory_ids is not None:
        query = query.where(Territory.id.in_(territory_ids))
    return list(db.session.scalars(query))


# Days in Paris -----------------------------------------------------------------------------


def paris_today() -> date:
    """Today in the territory's time zone (the server's clock may run in UTC)."""
    return datetime.now(PARIS).date()


def years_before(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year - years)
    except ValueError:  # 29 February
        return day.replace(year=day.year - years, day=28)


def done_on_time(due_on: date, closed_at: datetime | None) -> bool:
    """Closed before the end of its due day in Paris (23:30 in Paris on the due day is on
    time, though it is the next day in UTC in summer… and 00:30 the next day is late)."""
    return closed_at is not None and closed_at < paris_day_end_utc(due_on)


# The rows within a scope -------------------------------------------------------------------


def in_territories(column, scope: Scope):
    """``column`` (a territory id) within the scope's territories."""
    if scope.territory_ids is None:
        return sa.true()
    return column.in_(scope.territory_ids)


def scoped_measures(scope: Scope):
    return Measure.programme_id.in_(scope.programme_ids)


def open_during_year(scope: Scope):
    return sa.and_(
        scoped_measures(scope),
        Measure.start_date <= scope.end,
        sa.or_(Measure.end_date.is_(None), Measure.end_date >= scope.start),
    )


def followed_households(scope: Scope):
    return sa.select(Measure.household_id).where(open_during_year(scope))


def scoped_communes(scope: Scope):
    return sa.select(Commune.id).where(in_territories(Commune.territory_id, scope))


def scoped_offers(scope: Scope):
    if scope.territory_ids is None:
        return OwnerOffer.status != OfferStatus.DRAFT
    return sa.and_(
        OwnerOffer.status != OfferStatus.DRAFT,
        OwnerOffer.commune_id.in_(scoped_communes(scope)),
    )
