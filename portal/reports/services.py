"""The figures of the activity report and of the indicators dashboard.

Every figure is an SQL aggregate (COUNT, AVG, GROUP BY): the number of queries is the same
for ten households or ten thousand, and no household row is ever loaded. Functions return
plain dataclasses; the views and templates only display them.

Definitions (also written on the report page):
- a household is *followed* in a year when one of its IML measures was open on a day of
  that year; it *entered* when a measure started in the year, it *left* when a measure
  ended in the year (lease slid or measure ended);
- households *without IML* are those of the territory's organisations that never had a
  measure.
"""

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

import sqlalchemy as sa
from flask_babel import format_date

from portal.extensions import db
from portal.i18n import _, _l
from portal.local_time import PARIS, paris_day_end_utc, paris_midnight_utc
from portal.models import (
    Accommodation,
    ActionStatus,
    AgendaItem,
    Bilan,
    BilanKind,
    BilanOutcome,
    Candidacy,
    CandidacyStatus,
    Case,
    Committee,
    Commune,
    Decision,
    DecisionKind,
    FollowUpAction,
    Household,
    HouseholdObstacle,
    HouseholdPerson,
    HouseholdPublic,
    LandlordOffer,
    Measure,
    MeasureEndReason,
    MeasureStatus,
    Meeting,
    MeetingStatus,
    Obstacle,
    OfferReason,
    OfferStatus,
    OfferStatusChange,
    Organisation,
    Programme,
    ResourceBracket,
    ResourceType,
    Territory,
    Unit,
)
from portal.reports.sql import days_between, on, year_month

OPEN_STATUSES = (MeasureStatus.ACTIVE, MeasureStatus.EXTENDED)
# Where a household waits for housing: the stays the scheme wants to shorten.
SHELTERS = (
    Accommodation.CHRS_URGENCE,
    Accommodation.ALT,
    Accommodation.PENSION_DE_FAMILLE,
    Accommodation.URGENCE_FEMMES,
    Accommodation.HOTEL,
)
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


# Result types ------------------------------------------------------------------------------


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


# Helpers -----------------------------------------------------------------------------------


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


def paris_today() -> date:
    """Today in the territory's time zone (the server's clock may run in UTC)."""
    return datetime.now(PARIS).date()


def done_on_time(due_on: date, closed_at: datetime | None) -> bool:
    """Closed before the end of its due day in Paris (23:30 in Paris on the due day is on
    time, though it is the next day in UTC in summer… and 00:30 the next day is late)."""
    return closed_at is not None and closed_at < paris_day_end_utc(due_on)


def paris_month(moment: datetime) -> str:
    """« 2026-03 »: the month of an instant in Paris."""
    return f"{moment.astimezone(PARIS):%Y-%m}"


def grouped(query) -> dict:
    return {key: count for key, count in db.session.execute(query)}


def rounded(value) -> float | None:
    return None if value is None else round(float(value), 1)


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


# Scope -------------------------------------------------------------------------------------


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


# The activity report -----------------------------------------------------------------------


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


def years_before(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year - years)
    except ValueError:  # 29 February
        return day.replace(year=day.year - years, day=28)


def age_bands(scope: Scope, reference_day: date) -> Breakdown:
    """People of the followed households by age on the reference day (birth dates only
    enter the query; no one is loaded)."""
    whens = [(HouseholdPerson.birth_date.is_(None), "unknown")]
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


def scoped_communes(scope: Scope):
    return sa.select(Commune.id).where(in_territories(Commune.territory_id, scope))


def scoped_offers(scope: Scope):
    if scope.territory_ids is None:
        return LandlordOffer.status != OfferStatus.DRAFT
    return sa.and_(
        LandlordOffer.status != OfferStatus.DRAFT,
        LandlordOffer.commune_id.in_(scoped_communes(scope)),
    )


def stage_breakdown(statuses, counts: dict) -> Breakdown:
    rows = [Row(s.value, s.label, int(counts.get(s, 0))) for s in statuses]
    return Breakdown(rows, sum(r.count for r in rows))


def landlord_figures(scope: Scope) -> LandlordFigures:
    social, private = db.session.execute(
        sa.select(
            sa.func.sum(sa.case((Unit.landlord_organisation_id.isnot(None), 1), else_=0)),
            sa.func.sum(sa.case((Unit.private_landlord_id.isnot(None), 1), else_=0)),
        ).where(
            Unit.created >= scope.start_utc,
            Unit.created < scope.end_utc,
            Unit.commune_id.in_(scoped_communes(scope)),
        )
    ).one()
    received = db.session.scalar(
        sa.select(sa.func.count()).where(
            scoped_offers(scope),
            LandlordOffer.submitted_at >= scope.start_utc,
            LandlordOffer.submitted_at < scope.end_utc,
        )
    )
    changes_in_year = sa.and_(
        OfferStatusChange.created >= scope.start_utc,
        OfferStatusChange.created < scope.end_utc,
        OfferStatusChange.offer_id.in_(sa.select(LandlordOffer.id).where(scoped_offers(scope))),
    )
    reached = grouped(
        sa.select(
            OfferStatusChange.to_status, sa.func.count(sa.distinct(OfferStatusChange.offer_id))
        )
        .where(changes_in_year)
        .group_by(OfferStatusChange.to_status)
    )
    current = grouped(
        sa.select(LandlordOffer.status, sa.func.count())
        .where(scoped_offers(scope))
        .group_by(LandlordOffer.status)
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
            days_between(LandlordOffer.submitted_at, LandlordOffer.agreement_signed_at),
            scoped_offers(scope),
            LandlordOffer.submitted_at.isnot(None),
            LandlordOffer.agreement_signed_at >= scope.start_utc,
            LandlordOffer.agreement_signed_at < scope.end_utc,
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
        .where(
            OfferStatusChange.offer_id.in_(sa.select(LandlordOffer.id).where(scoped_offers(scope)))
        )
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
    units = {
        (org_id, name): n
        for org_id, name, n in db.session.execute(
            sa.select(Organisation.id, Organisation.name, sa.func.count())
            .select_from(Unit)
            .outerjoin(Organisation, Unit.landlord_organisation_id == Organisation.id)
            .where(
                Unit.created >= scope.start_utc,
                Unit.created < scope.end_utc,
                Unit.commune_id.in_(scoped_communes(scope)),
            )
            .group_by(Organisation.id, Organisation.name)
        )
    }
    measures = {
        (org_id, name): n
        for org_id, name, n in db.session.execute(
            sa.select(Organisation.id, Organisation.name, sa.func.count())
            .select_from(Measure)
            .join(Unit, Measure.unit_id == Unit.id)
            .outerjoin(Organisation, Unit.landlord_organisation_id == Organisation.id)
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
                            LandlordOffer.submitted_at >= scope.start_utc,
                            LandlordOffer.submitted_at < scope.end_utc,
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
                            LandlordOffer.submitted_at.isnot(None),
                            LandlordOffer.agreement_signed_at >= scope.start_utc,
                            LandlordOffer.agreement_signed_at < scope.end_utc,
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
    within = sum(held <= twelve_months_after(start) for start, held in slid)
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
            held_on,
            outcome.label if outcome else _("Point d'étape, sans décision"),
        )
        for measure_id, bilan_id, reference, programme, kind, held_on, outcome in rows
    ]


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


def territory_names(territory_ids: list[int] | None) -> list[str]:
    query = sa.select(Territory.name).order_by(Territory.name)
    if territory_ids is not None:
        query = query.where(Territory.id.in_(territory_ids))
    return list(db.session.scalars(query))


# The indicators dashboard ------------------------------------------------------------------


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


BILAN_WINDOW_DAYS = 14


def month_starts(today: date, count: int = 12) -> list[date]:
    """The first days of the last ``count`` months, the current one last."""
    year, month = today.year, today.month
    months = []
    for _i in range(count):
        months.append(date(year, month, 1))
        year, month = (year, month - 1) if month > 1 else (year - 1, 12)
    return months[::-1]


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
        sa.select(LandlordOffer.submitted_at).where(
            scoped_offers(scope),
            LandlordOffer.submitted_at >= paris_midnight_utc(first),
            LandlordOffer.submitted_at < paris_day_end_utc(today),
        )
    ):
        key = paris_month(submitted_at)
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


def month_label(day: date, pattern: str = "MMM yyyy") -> str:
    return format_date(day, pattern)


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
        sa.select(LandlordOffer.status, sa.func.count())
        .where(scoped_offers(scope), LandlordOffer.status.in_((*PIPELINE, *STOPPED)))
        .group_by(LandlordOffer.status)
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
