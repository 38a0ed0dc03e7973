"""Small display helpers shared by templates, e-mails and documents."""


def plural(count: int, singular: str, plural_form: str | None = None) -> str:
    return f"{count} {singular if count < 2 else plural_form or singular + 's'}"


def stay_length(days: int | None) -> str:
    """A length of stay as a social worker would say it: « 45 jours », « 1 an et 3 mois »."""
    if days is None:
        return ""
    if days < 60:
        return plural(days, "jour")
    months = days * 12 // 365
    years, months = divmod(months, 12)
    if not years:
        return f"{months} mois"
    text = plural(years, "an")
    return f"{text} et {months} mois" if months else text
