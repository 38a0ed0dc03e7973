"""The measure's calendar, from the start of the sublease: bilans at 6 and 10 months, the
decision at 12, and months that do not have the start's day end on their last day."""

from datetime import date

import pytest

from portal.measures.timeline import (
    add_months,
    bilan_schedule,
    calendar_steps,
    months_between,
    today_position,
)
from portal.models.housing import BilanKind


def dates(start: date) -> list[date]:
    return [due for _, due in bilan_schedule(start)]


def test_the_bilans_come_at_6_10_and_12_months():
    schedule = bilan_schedule(date(2026, 1, 15))
    assert schedule == [
        (BilanKind.SIX_MONTHS, date(2026, 7, 15)),
        (BilanKind.TEN_MONTHS, date(2026, 11, 15)),
        (BilanKind.TWELVE_MONTHS, date(2027, 1, 15)),
    ]


@pytest.mark.parametrize(
    ("start", "expected"),
    [
        # 31 August: February has no 31st, nor does June; the last day of the month is kept.
        (date(2025, 8, 31), [date(2026, 2, 28), date(2026, 6, 30), date(2026, 8, 31)]),
        # The same start the year before a leap year: 29 February.
        (date(2023, 8, 31), [date(2024, 2, 29), date(2024, 6, 30), date(2024, 8, 31)]),
        # 30th: February is clamped, the other months keep the 30th.
        (date(2025, 8, 30), [date(2026, 2, 28), date(2026, 6, 30), date(2026, 8, 30)]),
        (date(2023, 8, 30), [date(2024, 2, 29), date(2024, 6, 30), date(2024, 8, 30)]),
        # 29th: only a common year's February is clamped.
        (date(2025, 8, 29), [date(2026, 2, 28), date(2026, 6, 29), date(2026, 8, 29)]),
        (date(2023, 8, 29), [date(2024, 2, 29), date(2024, 6, 29), date(2024, 8, 29)]),
        # 31 October: April (6 months) and August (10 months).
        (date(2025, 10, 31), [date(2026, 4, 30), date(2026, 8, 31), date(2026, 10, 31)]),
        # 29 February of a leap year: the decision falls on 28 February of the next year.
        (date(2024, 2, 29), [date(2024, 8, 29), date(2024, 12, 29), date(2025, 2, 28)]),
        # Across a leap February: 6 months after 29 August 2027 is 29 February 2028.
        (date(2027, 8, 29), [date(2028, 2, 29), date(2028, 6, 29), date(2028, 8, 29)]),
    ],
)
def test_month_ends_are_clamped_to_the_last_day_of_the_month(start, expected):
    assert dates(start) == expected


def test_months_are_counted_from_the_start_not_chained():
    # Chaining 6 then 4 more months from 28 February would give 28 June; from the start
    # (31 August) the 10-month bilan is on 30 June, the 12-month on 31 August.
    start = date(2025, 8, 31)
    assert add_months(start, 6) == date(2026, 2, 28)
    assert add_months(start, 10) == date(2026, 6, 30)
    assert add_months(start, 12) == date(2026, 8, 31)
    # 29 February + 12 months, then + 12 more: 28 February 2025, then 29 February 2028
    # only after four years.
    assert add_months(date(2024, 2, 29), 12) == date(2025, 2, 28)
    assert add_months(date(2024, 2, 29), 48) == date(2028, 2, 29)


def test_months_between_lists_first_days_of_month():
    assert months_between(date(2025, 11, 30), date(2026, 2, 3)) == [
        date(2025, 11, 1),
        date(2025, 12, 1),
        date(2026, 1, 1),
        date(2026, 2, 1),
    ]
    assert months_between(date(2026, 3, 5), date(2026, 2, 1)) == []


def test_the_calendar_marks_what_is_done_overdue_and_where_today_is():
    start = date(2026, 1, 15)
    bilans = [
        (BilanKind.TWELVE_MONTHS, date(2027, 1, 15), False, ""),
        (BilanKind.SIX_MONTHS, date(2026, 7, 15), True, "Poursuite de la mesure"),
        (BilanKind.TEN_MONTHS, date(2026, 11, 15), False, ""),
    ]
    today = date(2026, 11, 20)
    steps = calendar_steps(start, bilans, today)
    assert [s.day for s in steps] == [
        date(2026, 1, 15),
        date(2026, 7, 15),
        date(2026, 11, 15),
        date(2027, 1, 15),
    ]
    assert [s.state for s in steps] == ["done", "done", "overdue", "upcoming"]
    assert steps[1].outcome == "Poursuite de la mesure"
    assert steps[0].title == "Entrée dans le logement"
    assert "glisse" in steps[3].explanation
    assert today_position(steps, today) == 3
    assert today_position(steps, date(2025, 12, 1)) == 0
    assert today_position(steps, date(2028, 1, 1)) == 4
    assert calendar_steps(start, bilans, date(2026, 7, 15))[1].state == "done"
    assert calendar_steps(start, [bilans[0]], date(2027, 1, 15))[1].state == "today"
