"""The yearly activity report: every table of it, computed for a scope in a fixed number of
aggregate queries (``build_activity_report``).

Definitions (also written on the report page):
- a household is *followed* in a year when one of its IML measures was open on a day of
  that year; it *entered* when a measure started in the year, it *left* when a measure
  ended in the year (lease slid or measure ended);
- households *without IML* are those of the territory's organisations that never had a
  measure.

Closed years are stored once computed (storage.py); what each reader sees of the counts is
decided by grid.py and disclosure.py.
"""

from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import cast

import sqlalchemy as sa

from portal.extensions import db
from portal.i18n import _, _l
from portal.models import (
    Accommodation,
    ActionStatus,
    AgendaItem,
    Bilan,
    BilanKind,
    BilanOutcome,
    Candidacy,
    Case,
    Committee,
    Decision,
    DecisionKind,
    FollowUpAction,
    Household,
    HouseholdObstacle,
    HouseholdPerson,
    HouseholdPublic,
    Measure,
    MeasureEndReason,
    MeasureStatus,
    Meeting,
    MeetingStatus,
    Obstacle,
    Organisation,
    Programme,
    ResourceBracket,
    ResourceType,
)
from portal.reports.aggregates import (
    Breakdown,
    Durations,
    Row,
    duration_stats,
    enum_breakdown,
    grouped,
)
from portal.reports.offers import LandlordFigures, LandlordRow, landlord_figures, landlord_rows
from portal.reports.scope import (
    Scope,
    done_on_time,
    followed_households,
    in_territories,
    open_during_year,
    paris_today,
    scoped_measures,
    years_before,
)
from portal.reports.sql import days_between, on

# The report's tables -----------------------------------------------------------------------


@dataclass(frozen=True)
class HouseholdFigures:
    followed: int
    entered: int
    left: int


@dataclass(frozen=True)
class Outcomes:
    slid_at_6: int
    slid_at_12: int
    slid_after_extension: int
    continued_at_6: int
    extended: int
    ended: int
    end_reasons: Breakdown


@dataclass(frozen=True)
class ShelterStays:
    iml: Durations  # entry in the shelter → start of the measure, measures started in year
    closed_without_iml: Durations  # entry in the shelter → case closed in the year
    staying_without_iml: Durations  # entry in the shelter → reference day


@dataclass(frozen=True)
class CommitteeFigures:
    meetings: int
    cases_discussed: int
    decisions: Breakdown
    actions_due: int
    actions_done: int
    actions_done_on_time: int
    actions_cancelled: int
    actions_overdue: int
    actions_open: int


@dataclass(frozen=True)
class Results:
    """The results the field report expects, beyond the outcomes of the bilans."""

    slid: int  # measures whose lease slid in the year
    slid_within_12: int  # … at most twelve months after the sublease began
    hotel_households: int  # households out of a hotel by a measure begun in the year
    hotel_nights: int  # the nights they had spent in a hotel before


@dataclass(frozen=True)
class FicheLine:
    """A fiche-bilan of the year: the measure and bilan numbers, never the household."""

    measure_id: int
    bilan_id: int
    reference: str
    programme: str
    kind: str
    held_on: date
    outcome: str


@dataclass(frozen=True)
class ActivityReport:
    scope: Scope
    reference_day: date
    households: HouseholdFigures
    publics: Breakdown
    composition: Breakdown
    age_bands: Breakdown
    resource_types: Breakdown
    resource_brackets: Breakdown
    follow_up: Durations
    outcomes: Outcomes
    obstacles: Breakdown
    shelter: ShelterStays
    committee: CommitteeFigures
    landlords: LandlordFigures
    landlord_rows: list[LandlordRow]
    results: Results
    fiches: list[FicheLine]


def build_activity_report(scope: Scope, today: date | None = None) -> ActivityReport:
    """Every figure of the yearly report, in a fixed number of aggregate queries."""
    today = today or paris_today()
    reference_day = scope.reference_day(today)
    households = household_figures(scope)
    base = households.followed
    return ActivityReport(
        scope=scope,
        reference_day=reference_day,
        households=households,
        publics=enum_breakdown(HouseholdPublic, count_followed_by(Household.public, scope), base),
        composition=composition(scope, base),
        age_bands=age_bands(scope, reference_day),
        resource_types=enum_breakdown(
            ResourceType, count_followed_by(Household.resource_type, scope), base
        ),
        resource_brackets=enum_breakdown(
            ResourceBracket, count_followed_by(Household.resource_bracket, scope), base
        ),
        follow_up=follow_up_lengths(scope, reference_day),
        outcomes=outcomes(scope),
        obstacles=enum_breakdown(
            Obstacle,
            grouped(
                sa.select(HouseholdObstacle.obstacle, sa.func.count())
                .where(HouseholdObstacle.household_id.in_(followed_households(scope)))
                .group_by(HouseholdObstacle.obstacle)
            ),
            base,
        ),
        shelter=shelter_stays(scope, reference_day),
        committee=committee_figures(scope, today),
        landlords=landlord_figures(scope),
        landlord_rows=landlord_rows(scope),
        results=results(scope),
        fiches=fiche_lines(scope),
    )


# Households followed -----------------------------------------------------------------------


def household_figures(scope: Scope) -> HouseholdFigures:
    def distinct_households(condition):
        return sa.func.count(sa.distinct(sa.case((condition, Measure.household_id))))

    in_year = sa.and_(Measure.start_date >= scope.start, Measure.start_date <= scope.end)
    left = sa.and_(Measure.end_date >= scope.start, Measure.end_date <= scope.end)
    followed, entered, gone = db.session.execute(
        sa.select(
            sa.func.count(sa.distinct(Measure.household_id)),
            distinct_households(in_year),
            distinct_households(left),
        ).where(open_during_year(scope))
    ).one()
    return HouseholdFigures(int(followed), int(entered), int(gone))


def count_followed_by(column, scope: Scope) -> dict:
    return grouped(
        sa.select(column, sa.func.count())
        .where(Household.id.in_(followed_households(scope)))
        .group_by(column)
    )


COMPOSITIONS = (
    ("single", _l("Personne seule")),
    ("single_parent", _l("Un adulte avec enfant(s)")),
    ("couple", _l("Deux adultes ou plus sans enfant")),
    ("family", _l("Deux adultes ou plus avec enfant(s)")),
)


def composition(scope: Scope, base: int) -> Breakdown:
    kind = sa.case(
        (sa.and_(Household.adults <= 1, Household.children == 0), "single"),
        (Household.adults <= 1, "single_parent"),
        (Household.children == 0, "couple"),
        else_="family",
    )
    counts = count_followed_by(kind, scope)
    return Breakdown([Row(k, str(label), int(counts.get(k, 0))) for k, label in COMPOSITIONS], base)


AGE_BANDS = (
    (18, "lt_18", _l("Moins de 18 ans")),
    (26, "18_25", _l("18 à 25 ans")),
    (40, "26_39", _l("26 à 39 ans")),
    (60, "40_59", _l("40 à 59 ans")),
    (None, "gte_60", _l("60 ans ou plus")),
)


def age_bands(scope: Scope, reference_day: date) -> Breakdown:
    """People of the followed households by age on the reference day (birth dates only
    enter the query; no one is loaded)."""
    whens: list[tuple[sa.ColumnElement[bool], str]] = [
        (HouseholdPerson.birth_date.is_(None), "unknown")
    ]
    for limit, key, _label in AGE_BANDS:
        if limit is not None:
            whens.append((HouseholdPerson.birth_date > years_before(reference_day, limit), key))
    band = sa.case(*whens, else_="gte_60")
    counts = grouped(
        sa.select(band, sa.func.count())
        .where(HouseholdPerson.household_id.in_(followed_households(scope)))
        .group_by(band)
    )
    rows = [Row(key, str(label), int(counts.get(key, 0))) for _limit, key, label in AGE_BANDS]
    if counts.get("unknown"):
        rows.append(Row("unknown", _("Date de naissance non renseignée"), counts["unknown"]))
    return Breakdown(rows, sum(counts.values()))


def follow_up_lengths(scope: Scope, reference_day: date) -> Durations:
    """From the start of each measure followed in the year to its end, or to the
    reference day while it runs."""
    until = sa.case(
        (
            sa.or_(Measure.end_date.is_(None), Measure.end_date > reference_day),
            on(reference_day),
        ),
        else_=Measure.end_date,
    )
    return duration_stats(days_between(Measure.start_date, until), open_during_year(scope))


# Outcomes, shelter stays, committees -------------------------------------------------------


def outcomes(scope: Scope) -> Outcomes:
    held = {
        (kind, result): n
        for kind, result, n in db.session.execute(
            sa.select(Bilan.kind, Bilan.outcome, sa.func.count())
            .join(Measure, Bilan.measure_id == Measure.id)
            .where(
                scoped_measures(scope),
                Bilan.held_on >= scope.start,
                Bilan.held_on <= scope.end,
                Bilan.outcome.isnot(None),
            )
            .group_by(Bilan.kind, Bilan.outcome)
        )
    }

    def count(kinds, outcome) -> int:
        return sum(n for (kind, result), n in held.items() if kind in kinds and result == outcome)

    reasons = grouped(
        sa.select(Measure.end_reason, sa.func.count())
        .where(
            scoped_measures(scope),
            Measure.status == MeasureStatus.ENDED,
            Measure.end_date >= scope.start,
            Measure.end_date <= scope.end,
        )
        .group_by(Measure.end_reason)
    )
    ended = sum(reasons.values())
    return Outcomes(
        slid_at_6=count((BilanKind.SIX_MONTHS,), BilanOutcome.GLISSEMENT),
        slid_at_12=count((BilanKind.TWELVE_MONTHS,), BilanOutcome.GLISSEMENT),
        slid_after_extension=count((BilanKind.EXTENSION,), BilanOutcome.GLISSEMENT),
        continued_at_6=count((BilanKind.SIX_MONTHS,), BilanOutcome.POURSUITE),
        extended=count(tuple(BilanKind), BilanOutcome.PROLONGATION),
        ended=ended,
        end_reasons=enum_breakdown(MeasureEndReason, reasons, ended),
    )


# Where a household waits for housing: the stays the scheme wants to shorten.
SHELTERS = (
    Accommodation.CHRS_URGENCE,
    Accommodation.ALT,
    Accommodation.PENSION_DE_FAMILLE,
    Accommodation.URGENCE_FEMMES,
    Accommodation.HOTEL,
)


def shelter_stays(scope: Scope, reference_day: date) -> ShelterStays:
    iml = duration_stats(
        days_between(Household.accommodation_since, Measure.start_date),
        scoped_measures(scope),
        Measure.start_date >= scope.start,
        Measure.start_date <= scope.end,
        Household.accommodation_since.isnot(None),
        select_from=sa.join(Measure, Household, Measure.household_id == Household.id),
    )
    without_measure = sa.and_(
        Household.id.not_in(sa.select(Measure.household_id)),
        Household.accommodation_since.isnot(None),
        Household.organisation_id.in_(
            sa.select(Organisation.id).where(in_territories(Organisation.territory_id, scope))
        ),
    )
    closures = (
        sa.select(Case.household_id, sa.func.max(Case.closed_at).label("closed_at"))
        .where(Case.closed_at >= scope.start_utc, Case.closed_at < scope.end_utc)
        .group_by(Case.household_id)
        .subquery()
    )
    closed = duration_stats(
        days_between(Household.accommodation_since, closures.c.closed_at),
        without_measure,
        select_from=sa.join(Household, closures, closures.c.household_id == Household.id),
    )
    staying = duration_stats(
        days_between(Household.accommodation_since, on(reference_day)),
        without_measure,
        Household.accommodation.in_(SHELTERS),
        Household.accommodation_since <= reference_day,
        Household.id.not_in(
            sa.select(Case.household_id).where(
                Case.closed_at.isnot(None), Case.closed_at < scope.end_utc
            )
        ),
    )
    return ShelterStays(iml, closed, staying)


def scoped_meetings(scope: Scope):
    return sa.and_(
        Meeting.status != MeetingStatus.CANCELLED,
        Meeting.starts_at >= scope.start_utc,
        Meeting.starts_at < scope.end_utc,
        Meeting.committee_id.in_(
            sa.select(Committee.id).where(in_territories(Committee.territory_id, scope))
        ),
    )


def committee_figures(scope: Scope, today: date) -> CommitteeFigures:
    meetings, cases = db.session.execute(
        sa.select(
            sa.func.count(sa.distinct(Meeting.id)),
            sa.func.count(sa.distinct(AgendaItem.case_id)),
        )
        .select_from(Meeting)
        .outerjoin(AgendaItem, AgendaItem.meeting_id == Meeting.id)
        .where(scoped_meetings(scope), Meeting.starts_at <= datetime.now(UTC))
    ).one()
    kinds = grouped(
        sa.select(Decision.kind, sa.func.count())
        .join(Meeting, Decision.meeting_id == Meeting.id)
        .where(scoped_meetings(scope))
        .group_by(Decision.kind)
    )
    decisions = enum_breakdown(DecisionKind, kinds, sum(kinds.values()))

    def total(condition):
        return sa.func.sum(sa.case((condition, 1), else_=0))

    done = FollowUpAction.status == ActionStatus.DONE
    is_open = FollowUpAction.status == ActionStatus.OPEN
    in_scope = (
        FollowUpAction.due_on >= scope.start,
        FollowUpAction.due_on <= scope.end,
        FollowUpAction.committee_id.in_(
            sa.select(Committee.id).where(in_territories(Committee.territory_id, scope))
        ),
    )
    due, n_done, cancelled, overdue, n_open = db.session.execute(
        sa.select(
            sa.func.count(),
            total(done),
            total(FollowUpAction.status == ActionStatus.CANCELLED),
            total(sa.and_(is_open, FollowUpAction.due_on < today)),
            total(is_open),
        ).where(*in_scope)
    ).one()
    # Done on time: closed before the end of its due day in Paris (two dates per action
    # done, no other column).
    n_on_time = sum(
        done_on_time(due_on, closed_at)
        for due_on, closed_at in db.session.execute(
            sa.select(FollowUpAction.due_on, FollowUpAction.closed_at).where(done, *in_scope)
        )
    )
    return CommitteeFigures(
        meetings=int(meetings),
        cases_discussed=int(cases),
        decisions=decisions,
        actions_due=int(due),
        actions_done=int(n_done or 0),
        actions_done_on_time=int(n_on_time or 0),
        actions_cancelled=int(cancelled or 0),
        actions_overdue=int(overdue or 0),
        actions_open=int(n_open or 0),
    )


# Results and fiches-bilans -----------------------------------------------------------------


def hotel_stays(scope: Scope) -> tuple[int, int]:
    """Households that left a hotel for a measure begun in the year, and the nights they
    had spent there (from the candidacy's « à l'hôtel depuis » to the measure's start)."""
    households, nights = db.session.execute(
        sa.select(
            sa.func.count(sa.distinct(Measure.household_id)),
            sa.func.sum(days_between(Candidacy.hotel_since, Measure.start_date)),
        )
        .select_from(Measure)
        .join(Candidacy, Measure.candidacy_id == Candidacy.id)
        .where(
            scoped_measures(scope),
            Measure.start_date >= scope.start,
            Measure.start_date <= scope.end,
            Candidacy.in_hotel.is_(True),
            Candidacy.hotel_since.isnot(None),
            Candidacy.hotel_since <= Measure.start_date,
        )
    ).one()
    return int(households or 0), int(round(nights or 0))


def twelve_months_after(day: date) -> date:
    try:
        return day.replace(year=day.year + 1)
    except ValueError:  # 29 February
        return day.replace(year=day.year + 1, month=3, day=1)


def results(scope: Scope) -> Results:
    """Leases slid in the year (the bilans of the year that decided the slide, so that the
    count is exactly the sum of the outcomes' slides), and how many within twelve months of
    the sublease's start (dates only are read)."""
    slid = db.session.execute(
        sa.select(Measure.start_date, Bilan.held_on)
        .join(Measure, Bilan.measure_id == Measure.id)
        .where(
            scoped_measures(scope),
            Bilan.outcome == BilanOutcome.GLISSEMENT,
            Bilan.held_on >= scope.start,
            Bilan.held_on <= scope.end,
        )
    ).all()
    # held_on is set: the query keeps the bilans held in the year.
    within = sum(cast(date, held) <= twelve_months_after(start) for start, held in slid)
    households, nights = hotel_stays(scope)
    return Results(len(slid), within, households, nights)


def fiche_lines(scope: Scope) -> list[FicheLine]:
    """Every bilan held in the year (6 and 10 months, 12-month decision, end of an
    extension), with a decision or not: the State's list of fiche-bilans."""
    rows = db.session.execute(
        sa.select(
            Bilan.measure_id,
            Bilan.id,
            Household.reference,
            Programme.name,
            Bilan.kind,
            Bilan.held_on,
            Bilan.outcome,
        )
        .join(Measure, Bilan.measure_id == Measure.id)
        .join(Household, Measure.household_id == Household.id)
        .join(Programme, Measure.programme_id == Programme.id)
        .where(
            scoped_measures(scope),
            Bilan.held_on >= scope.start,
            Bilan.held_on <= scope.end,
            Bilan.held_on.isnot(None),
        )
        .order_by(Bilan.held_on, Bilan.id)
    )
    return [
        FicheLine(
            measure_id,
            bilan_id,
            reference,
            programme,
            kind.label,
            cast(date, held_on),  # set: the query keeps held bilans only
            outcome.label if outcome else _("Point d'étape, sans décision"),
        )
        for measure_id, bilan_id, reference, programme, kind, held_on, outcome in rows
    ]
