"""The measure's calendar, computed from the start of the sublease: pure functions.

Months are added to the start date itself (never chained from one step to the next), and
a day that does not exist in the target month falls back to that month's last day: a
sublease starting on 31 August has its 6-month bilan on the last day of February.
"""

from dataclasses import dataclass
from datetime import date

from dateutil.relativedelta import relativedelta

from portal.i18n import _l
from portal.models.housing import BilanKind

# Months after the start of the sublease, per the scheme (fiche d'expérience).
BILAN_MONTHS = (
    (BilanKind.SIX_MONTHS, 6),
    (BilanKind.TEN_MONTHS, 10),
    (BilanKind.TWELVE_MONTHS, 12),
)

# Bilans due within this many days raise an alert (dashboard and e-mail).
ALERT_DAYS = 14


def add_months(start: date, months: int) -> date:
    """``start`` plus ``months``, clamped to the last day of the target month."""
    return start + relativedelta(months=months)


def bilan_schedule(start: date) -> list[tuple[BilanKind, date]]:
    """The bilans a measure opened on ``start`` must hold, with their due dates."""
    return [(kind, add_months(start, months)) for kind, months in BILAN_MONTHS]


def first_of_month(day: date) -> date:
    return day.replace(day=1)


def months_between(first: date, last: date) -> list[date]:
    """First days of the months from ``first``'s month to ``last``'s, both included."""
    months = []
    month = first_of_month(first)
    while month <= last:
        months.append(month)
        month = add_months(month, 1)
    return months


@dataclass(frozen=True)
class Step:
    """One step of the calendar, as a household or a landlord would read it."""

    day: date
    title: str
    explanation: str
    state: str  # "done", "today", "upcoming", "overdue"
    outcome: str = ""


STEP_TEXTS = {
    "start": (
        _l("Entrée dans le logement"),
        _l(
            "Le CCAS loue le logement au propriétaire et le sous-loue au ménage, qui paie "
            "chaque mois sa part du loyer au CCAS. L'accompagnement social commence."
        ),
    ),
    BilanKind.SIX_MONTHS: (
        _l("Bilan à 6 mois"),
        _l(
            "Rencontre avec le propriétaire et le ménage. Soit le bail glisse dès maintenant "
            "au nom du ménage, soit la sous-location continue jusqu'à 12 mois. Une fiche-bilan "
            "anonyme est envoyée aux services de l'État."
        ),
    ),
    BilanKind.TEN_MONTHS: (
        _l("Bilan à 10 mois"),
        _l("Point d'étape pour préparer la décision des 12 mois : rien n'est décidé ce jour-là."),
    ),
    BilanKind.TWELVE_MONTHS: (
        _l("Décision à 12 mois"),
        _l(
            "Si le loyer est payé régulièrement et la situation stabilisée, le bail glisse : "
            "le ménage devient locataire en titre. Sinon, la mesure est prolongée ou prend fin."
        ),
    ),
    BilanKind.EXTENSION: (
        _l("Décision en fin de prolongation"),
        _l(
            "Même choix qu'à 12 mois : glissement du bail si les conditions sont réunies, "
            "nouvelle prolongation ou fin de la mesure."
        ),
    ),
}


def step_state(day: date, done: bool, today: date) -> str:
    if done:
        return "done"
    if day == today:
        return "today"
    return "overdue" if day < today else "upcoming"


def calendar_steps(
    start: date, bilans: list[tuple[BilanKind, date, bool, str]], today: date
) -> list[Step]:
    """The calendar of a measure: its start, then each bilan (kind, due date, whether it
    was held, its outcome label), in date order."""
    title, explanation = STEP_TEXTS["start"]
    steps = [Step(start, str(title), str(explanation), "done" if start <= today else "upcoming")]
    for kind, due, done, outcome in sorted(bilans, key=lambda b: b[1]):
        title, explanation = STEP_TEXTS[kind]
        steps.append(Step(due, str(title), str(explanation), step_state(due, done, today), outcome))
    return steps


def today_position(steps: list[Step], today: date) -> int:
    """Where the « aujourd'hui » marker goes: before the first step that comes after today."""
    return next((i for i, step in enumerate(steps) if step.day > today), len(steps))
