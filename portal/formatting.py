"""Small display helpers shared by templates, e-mails and documents."""

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
