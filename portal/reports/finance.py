"""The money of the yearly report, per programme: what the CCAS paid the landlords, what the
households contributed, their arrears, and the funding lines with the share of each, as in
the field report's budget (« BOP : 22 000 €, soit 34,39 % ; participation des usagers au
loyer + charges locatives : 36 970 €, soit 57,79 % ; bourse aux initiatives : 5 000 €,
soit 7,82 % »).

Definitions (also written on the report page):
- rent and charges paid to landlords: each measure's monthly rent and charges, for the
  days of the year the CCAS sublet the unit (from the first day of the measure to the day
  before its end; in the current year, up to the reference day), month by month in
  proportion to the days of each month;
- households' contributions: what the monthly rent record shows as paid for the months of
  the year (and what was due);
- arrears: for those months, what was due and not paid;
- funding lines: typed by the coordinator for the programme and the year; the households'
  contributions are one more line, computed. Each line's share is of their total.

Only measure columns (dates, amounts) and rent-record sums are read: no household.
"""

import calendar
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal

import sqlalchemy as sa

from portal.extensions import db
from portal.i18n import _
from portal.models import FundingLine, Measure, Programme, RentRecord
from portal.reports.scope import Scope, open_during_year

CENT = Decimal("0.01")
ZERO = Decimal("0")
MIN_MEASURES = 5  # below, the protected version gives no amount of the programme


@dataclass(frozen=True)
class Funding:
    source: str
    amount: Decimal
    share: Decimal | None  # a percentage with two decimals
    computed: bool = False  # the households' contributions
    line_id: int | None = None


@dataclass(frozen=True)
class ProgrammeFinance:
    programme_id: int | None  # None: every programme of the report together
    name: str
    measures: int  # measures open on a day of the year
    landlords_paid: Decimal
    contributions_due: Decimal
    contributions_paid: Decimal
    arrears: Decimal
    measures_in_arrears: int
    funding: list[Funding]

    @property
    def funding_total(self) -> Decimal:
        return sum((f.amount for f in self.funding), ZERO)


@dataclass(frozen=True)
class Finance:
    programmes: list[ProgrammeFinance]
    total: ProgrammeFinance | None  # None with a single programme


def money(value) -> Decimal:
    return Decimal(value or 0).quantize(CENT, rounding=ROUND_HALF_UP)


def days_paid(start: date, end: date | None, first: date, last: date):
    """For each month of [first, last], the (days sublet, days in month): from ``start``
    to the day before ``end``."""
    until = last if end is None else min(last, end - timedelta(days=1))
    since = max(first, start)
    month = date(since.year, since.month, 1)
    while since <= until and month <= until:
        length = calendar.monthrange(month.year, month.month)[1]
        month_end = month + timedelta(days=length - 1)
        days = (min(month_end, until) - max(month, since)).days + 1
        if days > 0:
            yield days, length
        month = month_end + timedelta(days=1)


def landlord_payments(scope: Scope, reference_day: date) -> dict[int, tuple[Decimal, int]]:
    """Per programme: rent and charges paid to landlords in the year, and measures open."""
    rows = db.session.execute(
        sa.select(
            Measure.programme_id,
            Measure.start_date,
            Measure.end_date,
            Measure.rent,
            Measure.charges,
        ).where(open_during_year(scope))
    )
    paid: dict[int, tuple[Decimal, int]] = {}
    for programme_id, start, end, rent, charges in rows:
        monthly = Decimal(rent or 0) + Decimal(charges or 0)
        amount = sum(
            (
                monthly * days / length
                for days, length in days_paid(start, end, scope.start, reference_day)
            ),
            ZERO,
        )
        total, count = paid.get(programme_id, (ZERO, 0))
        paid[programme_id] = (total + amount, count + 1)
    return {k: (money(v), n) for k, (v, n) in paid.items()}


def rent_record_sums(scope: Scope) -> dict[int, tuple[Decimal, Decimal, Decimal, int]]:
    """Per programme: due, paid, arrears and measures with arrears, over the year's months."""
    shortfall = sa.case(
        (
            RentRecord.amount_due > RentRecord.amount_paid,
            RentRecord.amount_due - RentRecord.amount_paid,
        ),
        else_=0,
    )
    in_arrears = sa.case((RentRecord.amount_due > RentRecord.amount_paid, RentRecord.measure_id))
    rows = db.session.execute(
        sa.select(
            Measure.programme_id,
            sa.func.sum(RentRecord.amount_due),
            sa.func.sum(RentRecord.amount_paid),
            sa.func.sum(shortfall),
            sa.func.count(sa.distinct(in_arrears)),
        )
        .join(Measure, RentRecord.measure_id == Measure.id)
        .where(
            Measure.programme_id.in_(scope.programme_ids),
            RentRecord.month >= scope.start,
            RentRecord.month <= scope.end,
        )
        .group_by(Measure.programme_id)
    )
    return {
        programme_id: (money(due), money(paid), money(arrears), int(count or 0))
        for programme_id, due, paid, arrears, count in rows
    }


def shares(lines: list[Funding]) -> list[Funding]:
    total = sum((f.amount for f in lines), ZERO)
    return [
        Funding(
            f.source,
            f.amount,
            (100 * f.amount / total).quantize(CENT, rounding=ROUND_HALF_UP) if total else None,
            f.computed,
            f.line_id,
        )
        for f in lines
    ]


def contributions_label() -> str:
    return _("Participation des ménages au loyer et aux charges (relevé mensuel)")


def build_finance(scope: Scope, reference_day: date) -> Finance:
    programmes = list(
        db.session.execute(
            sa.select(Programme.id, Programme.name)
            .where(Programme.id.in_(scope.programme_ids))
            .order_by(Programme.name)
        )
    )
    payments = landlord_payments(scope, reference_day)
    records = rent_record_sums(scope)
    entered: dict[int, list[Funding]] = {}
    for line in db.session.scalars(
        sa.select(FundingLine)
        .where(FundingLine.programme_id.in_(scope.programme_ids), FundingLine.year == scope.year)
        .order_by(FundingLine.id)
    ):
        entered.setdefault(line.programme_id, []).append(
            Funding(line.source, money(line.amount), None, line_id=line.id)
        )
    result = []
    for programme_id, name in programmes:
        paid, measures = payments.get(programme_id, (ZERO, 0))
        due, contributed, arrears, late = records.get(programme_id, (ZERO, ZERO, ZERO, 0))
        lines = [
            *entered.get(programme_id, []),
            Funding(contributions_label(), contributed, None, True),
        ]
        result.append(
            ProgrammeFinance(
                programme_id, name, measures, paid, due, contributed, arrears, late, shares(lines)
            )
        )
    total = None
    if len(result) > 1:
        by_source: dict[tuple[str, bool], Decimal] = {}
        for p in result:
            for f in p.funding:
                key = (f.source, f.computed)
                by_source[key] = by_source.get(key, ZERO) + f.amount
        lines = [
            Funding(source, amount, None, computed)
            for (source, computed), amount in by_source.items()
        ]
        lines.sort(key=lambda f: f.computed)  # the households' contributions last
        total = ProgrammeFinance(
            None,
            _("Tous les programmes"),
            sum(p.measures for p in result),
            sum((p.landlords_paid for p in result), ZERO),
            sum((p.contributions_due for p in result), ZERO),
            sum((p.contributions_paid for p in result), ZERO),
            sum((p.arrears for p in result), ZERO),
            sum(p.measures_in_arrears for p in result),
            shares(lines),
        )
    return Finance(result, total)


@dataclass(frozen=True)
class Disclosed:
    """What the reader gets of one programme's money (or of all programmes together)."""

    finance: ProgrammeFinance
    amounts: bool  # landlords paid, contributions, and the funding lines' shares
    arrears: bool


def disclosed(finance: Finance, protected: bool) -> list[Disclosed]:
    """The protected version gives no amount computed over fewer than 5 measures (it would
    be one household's rent, payments or debt), nor the shares of the funding lines beside
    it (they give the contributions back); and no total of all programmes from which such
    an amount could be worked out by subtraction."""

    def amounts(p: ProgrammeFinance) -> bool:
        return not protected or p.measures == 0 or p.measures >= MIN_MEASURES

    def arrears(p: ProgrammeFinance) -> bool:
        return (
            not protected or p.measures_in_arrears == 0 or (p.measures_in_arrears >= MIN_MEASURES)
        )

    result = [Disclosed(p, amounts(p), amounts(p) and arrears(p)) for p in finance.programmes]
    if finance.total is not None:
        result.append(
            Disclosed(
                finance.total,
                amounts(finance.total) and all(d.amounts for d in result),
                arrears(finance.total) and all(d.arrears for d in result),
            )
        )
    return result


def euros(value: Decimal) -> str:
    """« 22 000,00 € »."""
    text = f"{value:,.2f}".replace(",", "\u202f").replace(".", ",")
    return f"{text}\u00a0€"


def percent(value: Decimal | None) -> str:
    return "—" if value is None else f"{value:.2f}".replace(".", ",") + "\u00a0%"
