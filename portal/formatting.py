"""Small display helpers shared by templates, e-mails and documents."""

from decimal import Decimal

from flask_babel import format_currency, format_decimal

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


FILTERS = {
    "stay_length": stay_length,
    "number": number,
    "euros": euros,
    "plain_number": plain_number,
    "fr_decimal": fr_decimal,
}
