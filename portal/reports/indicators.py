"""The indicators dashboard: live figures for the coordinator and the comité de pilotage —
capacity in use, waits, bilans and actions due, offers in progress, twelve months of
measures and offers (``build_indicators``)."""

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import cast

import sqlalchemy as sa
from flask_babel import format_date

from portal.extensions import db
from portal.local_time import PARIS, paris_day_end_utc, paris_midnight_utc
from portal.models import (
    ActionStatus,
    Bilan,
    Candidacy,
    CandidacyStatus,
    Committee,
    FollowUpAction,
    Measure,
    MeasureStatus,
    OfferStatus,
    OwnerOffer,
    Programme,
)
from portal.reports.aggregates import (
    Breakdown,
    Durations,
    duration_stats,
    grouped,
    rounded,
    stage_breakdown,
)
from portal.reports.offers import PIPELINE, STOPPED
from portal.reports.scope import (
    Scope,
    in_territories,
    paris_today,
    scoped_measures,
    scoped_offers,
    years_before,
)
from portal.reports.sql import days_between, on, year_month

OPEN_STATUSES = (MeasureStatus.ACTIVE, MeasureStatus.EXTENDED)
BILAN_WINDOW_DAYS = 14  # a bilan is « à venir » when due within two weeks


@dataclass(frozen=True)
class ProgrammeUse:
    programme_id: int
    name: str
    capacity: int
    in_use: int

    @property
    def rate(self) -> float | None:
        return round(100 * self.in_use / self.capacity) if self.capacity else None


@dataclass(frozen=True)
class MonthPoint:
    month: str  # « 2026-03 »
    label: str  # « mars 2026 »
    short_label: str  # « mars 26 », under the chart
    open_measures: int
    entries: int
    exits: int
    offers: int


@dataclass(frozen=True)
class Indicators:
    today: date
    programmes: list[ProgrammeUse]
    validation_to_move_in: Durations  # measures started in the last 12 months
    waiting: int  # validated candidacies still waiting for a unit
    waiting_days: float | None
    bilans_due_soon: int
    bilans_overdue: int
    actions_overdue: int
    pipeline: Breakdown
    blocked: int
    trend: list[MonthPoint]


def build_indicators(scope: Scope, today: date | None = None) -> Indicators:
    """Live figures for the coordinator and the comité de pilotage."""
    today = today or paris_today()
    year_ago = years_before(today, 1)
    validation_to_move_in = duration_stats(
        days_between(Candidacy.validated_at, Measure.start_date),
        scoped_measures(scope),
        Measure.start_date > year_ago,
        Measure.start_date <= today,
        Candidacy.validated_at.isnot(None),
        select_from=sa.join(Measure, Candidacy, Measure.candidacy_id == Candidacy.id),
    )
    waiting, waiting_days = db.session.execute(
        sa.select(
            sa.func.count(),
            sa.func.avg(days_between(Candidacy.validated_at, on(today))),
        ).where(
            Candidacy.programme_id.in_(scope.programme_ids),
            Candidacy.status == CandidacyStatus.VALIDATED,
        )
    ).one()

    def total(condition):
        return sa.func.sum(sa.case((condition, 1), else_=0))

    due_soon, overdue = db.session.execute(
        sa.select(
            total(
                sa.and_(
                    Bilan.due_date >= today,
                    Bilan.due_date <= today + timedelta(days=BILAN_WINDOW_DAYS),
                )
            ),
            total(Bilan.due_date < today),
        )
        .join(Measure, Bilan.measure_id == Measure.id)
        .where(
            scoped_measures(scope),
            Measure.status.in_(OPEN_STATUSES),
            Bilan.held_on.is_(None),
        )
    ).one()
    actions_overdue = db.session.scalar(
        sa.select(sa.func.count()).where(
            FollowUpAction.status == ActionStatus.OPEN,
            FollowUpAction.due_on < today,
            FollowUpAction.committee_id.in_(
                sa.select(Committee.id).where(in_territories(Committee.territory_id, scope))
            ),
        )
    )
    stages = grouped(
        sa.select(OwnerOffer.status, sa.func.count())
        .where(scoped_offers(scope), OwnerOffer.status.in_((*PIPELINE, *STOPPED)))
        .group_by(OwnerOffer.status)
    )
    return Indicators(
        today=today,
        programmes=programme_use(scope),
        validation_to_move_in=validation_to_move_in,
        waiting=int(waiting or 0),
        waiting_days=rounded(waiting_days),
        bilans_due_soon=int(due_soon or 0),
        bilans_overdue=int(overdue or 0),
        actions_overdue=int(actions_overdue or 0),
        pipeline=stage_breakdown(PIPELINE, stages),
        blocked=int(stages.get(OfferStatus.BLOCKED, 0)),
        trend=monthly_trend(scope, today),
    )


def programme_use(scope: Scope) -> list[ProgrammeUse]:
    rows = db.session.execute(
        sa.select(Programme.id, Programme.name, Programme.capacity, sa.func.count(Measure.id))
        .outerjoin(
            Measure,
            sa.and_(Measure.programme_id == Programme.id, Measure.status.in_(OPEN_STATUSES)),
        )
        .where(Programme.id.in_(scope.programme_ids), Programme.active)
        .group_by(Programme.id, Programme.name, Programme.capacity)
        .order_by(Programme.name)
    )
    return [ProgrammeUse(*row) for row in rows]


def month_starts(today: date, count: int = 12) -> list[date]:
    """The first days of the last ``count`` months, the current one last."""
    year, month = today.year, today.month
    months = []
    for _i in range(count):
        months.append(date(year, month, 1))
        year, month = (year, month - 1) if month > 1 else (year - 1, 12)
    return months[::-1]


def monthly_trend(scope: Scope, today: date) -> list[MonthPoint]:
    starts = month_starts(today)
    first = starts[0]
    open_before = db.session.scalar(
        sa.select(sa.func.count()).where(
            scoped_measures(scope),
            Measure.start_date < first,
            sa.or_(Measure.end_date.is_(None), Measure.end_date >= first),
        )
    )
    entries = grouped(
        sa.select(year_month(Measure.start_date), sa.func.count())
        .where(scoped_measures(scope), Measure.start_date >= first, Measure.start_date <= today)
        .group_by(year_month(Measure.start_date))
    )
    exits = grouped(
        sa.select(year_month(Measure.end_date), sa.func.count())
        .where(scoped_measures(scope), Measure.end_date >= first, Measure.end_date <= today)
        .group_by(year_month(Measure.end_date))
    )
    # Offers by month of their sending in Paris (an offer sent at 00:30 on 1 April in Paris
    # is April's, though it is still 31 March in UTC).
    offers: dict[str, int] = {}
    for (submitted_at,) in db.session.execute(
        sa.select(OwnerOffer.submitted_at).where(
            scoped_offers(scope),
            OwnerOffer.submitted_at >= paris_midnight_utc(first),
            OwnerOffer.submitted_at < paris_day_end_utc(today),
        )
    ):
        key = paris_month(cast(datetime, submitted_at))  # sent: the query keeps sent offers
        offers[key] = offers.get(key, 0) + 1
    points, running = [], int(open_before or 0)
    for start in starts:
        key = f"{start:%Y-%m}"
        running += int(entries.get(key, 0)) - int(exits.get(key, 0))
        points.append(
            MonthPoint(
                month=key,
                label=month_label(start),
                short_label=month_label(start, "MMM yy"),
                open_measures=running,
                entries=int(entries.get(key, 0)),
                exits=int(exits.get(key, 0)),
                offers=int(offers.get(key, 0)),
            )
        )
    return points


def paris_month(moment: datetime) -> str:
    """« 2026-03 »: the month of an instant in Paris."""
    return f"{moment.astimezone(PARIS):%Y-%m}"


def month_label(day: date, pattern: str = "MMM yyyy") -> str:
    return format_date(day, pattern)
