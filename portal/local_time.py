"""The portal's clock: committees meet in France, and a day is a day in Paris."""

from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo

PARIS = ZoneInfo("Europe/Paris")

# Instants for the ends of the calendar: a filter « du 01/01/0001 au 31/12/9999 » means
# « everything », not an error.
EARLIEST = datetime.min.replace(tzinfo=UTC)
LATEST = datetime.max.replace(tzinfo=UTC)


def paris_midnight_utc(day: date) -> datetime:
    """The instant ``day`` starts in Paris, in UTC."""
    try:
        return datetime.combine(day, time(), tzinfo=PARIS).astimezone(UTC)
    except OverflowError:
        return EARLIEST if day.year == date.min.year else LATEST


def paris_day_end_utc(day: date) -> datetime:
    """The instant ``day`` ends in Paris (the next one starts), in UTC."""
    if day == date.max:
        return LATEST
    return paris_midnight_utc(date.fromordinal(day.toordinal() + 1))
