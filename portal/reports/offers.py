"""Landlords and offers in figures: the units landlords made available, the private
owners' offers through their stages, and each landlord's part in the year (the activity
report's « Partenariat avec les bailleurs »; the indicators show the offers in progress).

A private owner is a person: never named in a report, counted with the others.
"""

from dataclasses import dataclass

import sqlalchemy as sa

from portal.extensions import db
from portal.i18n import _
from portal.models import (
    Measure,
    OfferReason,
    OfferStatus,
    OfferStatusChange,
    Organisation,
    OwnerOffer,
    Unit,
)
from portal.reports.aggregates import (
    Breakdown,
    Durations,
    duration_stats,
    enum_breakdown,
    grouped,
    rounded,
    stage_breakdown,
)
from portal.reports.scope import Scope, scoped_communes, scoped_measures, scoped_offers
from portal.reports.sql import days_between

PIPELINE = (
    OfferStatus.NEW,
    OfferStatus.FIRST_CONTACT,
    OfferStatus.VISIT_PLANNED,
    OfferStatus.VISITED,
    OfferStatus.FINANCIAL_PROPOSAL,
    OfferStatus.AGREEMENT_SIGNED,
    OfferStatus.AVAILABLE,
)


STOPPED = (OfferStatus.BLOCKED, OfferStatus.REFUSED)


@dataclass(frozen=True)
class StageDuration:
    key: str
    label: str
    count: int
    average_days: float | None


@dataclass(frozen=True)
class LandlordFigures:
    social_units: int
    private_units: int
    offers_received: int
    reached: Breakdown  # offers that reached each stage during the year
    current: Breakdown  # offers at each stage now
    stop_reasons: Breakdown  # blocked or refused in the year, per reason
    stage_durations: list[StageDuration]
    offer_to_agreement: Durations


@dataclass(frozen=True)
class LandlordRow:
    """One landlord's partnership in the year: a social landlord by name, private owners
    together (an owner is a person: never named in a report)."""

    key: str
    label: str
    units: int  # units made available in the year
    measures: int  # measures started in the year in its units
    offers: int | None  # private owners: offers received in the year
    agreements: int | None  # private owners: agreements signed in the year


def landlord_figures(scope: Scope) -> LandlordFigures:
    social, private = db.session.execute(
        sa.select(
            sa.func.sum(sa.case((Unit.social_landlord_id.isnot(None), 1), else_=0)),
            sa.func.sum(sa.case((Unit.private_owner_id.isnot(None), 1), else_=0)),
        ).where(
            Unit.created >= scope.start_utc,
            Unit.created < scope.end_utc,
            Unit.commune_id.in_(scoped_communes(scope)),
        )
    ).one()
    received = db.session.scalar(
        sa.select(sa.func.count()).where(
            scoped_offers(scope),
            OwnerOffer.submitted_at >= scope.start_utc,
            OwnerOffer.submitted_at < scope.end_utc,
        )
    )
    changes_in_year = sa.and_(
        OfferStatusChange.created >= scope.start_utc,
        OfferStatusChange.created < scope.end_utc,
        OfferStatusChange.offer_id.in_(sa.select(OwnerOffer.id).where(scoped_offers(scope))),
    )
    reached = grouped(
        sa.select(
            OfferStatusChange.to_status, sa.func.count(sa.distinct(OfferStatusChange.offer_id))
        )
        .where(changes_in_year)
        .group_by(OfferStatusChange.to_status)
    )
    current = grouped(
        sa.select(OwnerOffer.status, sa.func.count())
        .where(scoped_offers(scope))
        .group_by(OwnerOffer.status)
    )
    reasons = grouped(
        sa.select(OfferStatusChange.reason, sa.func.count())
        .where(changes_in_year, OfferStatusChange.to_status.in_(STOPPED))
        .group_by(OfferStatusChange.reason)
    )
    stages = (*PIPELINE, OfferStatus.ALLOCATED, *STOPPED)
    return LandlordFigures(
        social_units=int(social or 0),
        private_units=int(private or 0),
        offers_received=int(received or 0),
        reached=stage_breakdown(stages, reached),
        current=stage_breakdown(stages, current),
        stop_reasons=enum_breakdown(OfferReason, reasons, sum(reasons.values())),
        stage_durations=stage_durations(scope),
        offer_to_agreement=duration_stats(
            days_between(OwnerOffer.submitted_at, OwnerOffer.agreement_signed_at),
            scoped_offers(scope),
            OwnerOffer.submitted_at.isnot(None),
            OwnerOffer.agreement_signed_at >= scope.start_utc,
            OwnerOffer.agreement_signed_at < scope.end_utc,
        ),
    )


def stage_durations(scope: Scope) -> list[StageDuration]:
    """How long offers stayed at each stage, for the stays that ended in the year: each
    status change against the offer's next one (a window function, one query)."""
    steps = (
        sa.select(
            OfferStatusChange.to_status.label("stage"),
            OfferStatusChange.created.label("entered"),
            sa.func.lead(OfferStatusChange.created, type_=OfferStatusChange.created.type)
            .over(
                partition_by=OfferStatusChange.offer_id,
                order_by=(OfferStatusChange.created, OfferStatusChange.id),
            )
            .label("left"),
        )
        .where(OfferStatusChange.offer_id.in_(sa.select(OwnerOffer.id).where(scoped_offers(scope))))
        .subquery()
    )
    left = steps.c.left
    days = days_between(steps.c.entered, left)
    averages = {
        stage: (count, average)
        for stage, count, average in db.session.execute(
            sa.select(steps.c.stage, sa.func.count(), sa.func.avg(days))
            .where(left >= scope.start_utc, left < scope.end_utc)
            .group_by(steps.c.stage)
        )
    }
    result = []
    for status in PIPELINE:
        count, average = averages.get(status.value, averages.get(status, (0, None)))
        result.append(StageDuration(status.value, status.label, int(count), rounded(average)))
    return result


def landlord_rows(scope: Scope) -> list[LandlordRow]:
    """Per social landlord, then private owners together: units made available and
    measures begun in the year; offers and agreements for private owners."""
    # (None, None): units and measures of private owners (no landlord organisation).
    units: dict[tuple[int, str] | tuple[None, None], int] = {
        (org_id, name): n
        for org_id, name, n in db.session.execute(
            sa.select(Organisation.id, Organisation.name, sa.func.count())
            .select_from(Unit)
            .outerjoin(Organisation, Unit.social_landlord_id == Organisation.id)
            .where(
                Unit.created >= scope.start_utc,
                Unit.created < scope.end_utc,
                Unit.commune_id.in_(scoped_communes(scope)),
            )
            .group_by(Organisation.id, Organisation.name)
        )
    }
    measures: dict[tuple[int, str] | tuple[None, None], int] = {
        (org_id, name): n
        for org_id, name, n in db.session.execute(
            sa.select(Organisation.id, Organisation.name, sa.func.count())
            .select_from(Measure)
            .join(Unit, Measure.unit_id == Unit.id)
            .outerjoin(Organisation, Unit.social_landlord_id == Organisation.id)
            .where(
                scoped_measures(scope),
                Measure.start_date >= scope.start,
                Measure.start_date <= scope.end,
            )
            .group_by(Organisation.id, Organisation.name)
        )
    }
    offers, agreements = db.session.execute(
        sa.select(
            sa.func.sum(
                sa.case(
                    (
                        sa.and_(
                            OwnerOffer.submitted_at >= scope.start_utc,
                            OwnerOffer.submitted_at < scope.end_utc,
                        ),
                        1,
                    ),
                    else_=0,
                )
            ),
            sa.func.sum(
                sa.case(
                    (
                        sa.and_(
                            OwnerOffer.submitted_at.isnot(None),
                            OwnerOffer.agreement_signed_at >= scope.start_utc,
                            OwnerOffer.agreement_signed_at < scope.end_utc,
                        ),
                        1,
                    ),
                    else_=0,
                )
            ),
        ).where(scoped_offers(scope))
    ).one()
    social = sorted({key for key in (*units, *measures) if key[0] is not None}, key=lambda k: k[1])
    rows = [
        LandlordRow(
            f"org{org_id}",
            name,
            int(units.get((org_id, name), 0)),
            int(measures.get((org_id, name), 0)),
            None,
            None,
        )
        for org_id, name in social
    ]
    rows.append(
        LandlordRow(
            "private",
            _("Propriétaires privés"),
            int(units.get((None, None), 0)),
            int(measures.get((None, None), 0)),
            int(offers or 0),
            int(agreements or 0),
        )
    )
    return rows
