"""Small display helpers shared by templates, e-mails and documents."""

import functools
from datetime import date, datetime
from decimal import Decimal

from flask_babel import (
    format_currency,
    format_date,
    format_datetime,
    format_decimal,
    get_locale,
    get_timezone,
)

from portal.i18n import _, ngettext


def stay_length(days: int | None) -> str:
    """A length of stay as a social worker would say it: « 45 jours », « 1 an et 3 mois »."""
    if days is None:
        return ""
    if days < 60:
        return ngettext("%(num)d jour", "%(num)d jours", days)
    months = days * 12 // 365
    years, months = divmod(months, 12)
    if not years:
        return ngettext("%(num)d mois", "%(num)d mois", months)
    text = ngettext("%(num)d an", "%(num)d ans", years)
    if not months:
        return text
    return _(
        "%(years)s et %(months)s",
        years=text,
        months=ngettext("%(num)d mois", "%(num)d mois", months),
    )


# Numbers and amounts the French way, by Babel in the reader's locale: « 1 250 »,
# « 418,00 € », « 2,5 ». Registered as template filters by the app factory.


def number(value: Decimal | float | None) -> str:
    """A whole number with its thousands grouped: « 1 250 »."""
    return "" if value is None else format_decimal(value, format="#,##0")


def euros(value: Decimal | float | None) -> str:
    """An amount in euros, to the cent: « 1 234,50 € »."""
    return "" if value is None else format_currency(value, "EUR")


def plain_number(value: Decimal | float | None) -> str:
    """A number without trailing zeros: « 1 », « 2,5 », « 40 »."""
    return "" if value is None else format_decimal(value, format="#,##0.##")


def fr_decimal(value: Decimal | float | None) -> str:
    """An amount without its currency: « 450,50 »; whole numbers without decimals (« 32 »)."""
    if value is None:
        return ""
    formatted: str = format_decimal(value, format="#,##0.##" if value == int(value) else "#,##0.00")
    return formatted


# Dates and moments, in the reader's locale and the territory's time zone. A page shows the
# same few dates many times (a meeting's day on each agenda line): each is formatted once per
# process for its locale and time zone, which are part of the cache's key.


@functools.lru_cache(maxsize=4096)
def _formatted(
    formatter: str, value: date | datetime, pattern: str, locale: object, zone: object
) -> str:
    if formatter == "datetime":
        return str(format_datetime(value, pattern))
    return str(format_date(value, pattern))


def moment(value: datetime | None, pattern: str | None = None) -> str:
    """« 3 décembre 2026 à 14:30 », in Paris time."""
    if not value:
        return ""
    pattern = pattern or _("d MMMM yyyy 'à' HH:mm")
    return _formatted("datetime", value, pattern, get_locale(), get_timezone())


def day(value: date | datetime | None, pattern: str | None = None) -> str:
    """« 3 décembre 2026 » (a moment: its day in Paris)."""
    if not value:
        return ""
    pattern = pattern or _("d MMMM yyyy")
    return _formatted("date", value, pattern, get_locale(), get_timezone())


FILTERS = {
    "datetime": moment,
    "date": day,
    "stay_length": stay_length,
    "number": number,
    "euros": euros,
    "plain_number": plain_number,
    "fr_decimal": fr_decimal,
}
