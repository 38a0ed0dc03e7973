"""Demo data of the minutes feature, loaded by `flask demo load` after the cases."""

from datetime import timedelta

from portal.minutes.services import change_status, save_minutes
from portal.models import Minutes

COORDINATOR = "coordination@ccas-concarneau.demo"

GENERAL_NOTES = {
    "ct_past_1": (
        "Tour de table des partenaires : le CCAS, le SIAO, Finistère Habitat, la Mission "
        "Locale et le CDAS sont représentés.\n"
        "Point sur le dispositif : 7 mesures d'intermédiation locative en cours sur 10, "
        "deux bilans à 6 mois à prévoir le mois prochain.\n"
        "Prochain comité technique dans un mois, même lieu."
    ),
    "ct_past_2": (
        "Tour de table des partenaires ; Aiguillon excusé (avis écrit joint à l'ordre du jour).\n"
        "Le point sur les logements vacants du parc social sera envoyé par Finistère Habitat "
        "avant le prochain comité."
    ),
}

CASE_NOTES = [
    "Situation présentée par le CCAS. Les partenaires confirment que le ménage est prêt à "
    "sortir : budget travaillé, dettes apurées. Une proposition de logement est attendue du "
    "bailleur avant le prochain comité.",
    "Le bailleur signale un logement adapté qui se libère le mois prochain. Le CCAS prépare "
    "la sous-location ; la Mission Locale poursuit l'accompagnement vers l'emploi.",
    "Informations complémentaires nécessaires sur les ressources : situation ajournée au "
    "prochain comité.",
]
OTHER_NOTES = "Point d'information partagé avec les partenaires ; pas de décision attendue."

CORRECTION = "Rectificatif : le logement est disponible dans quinze jours, et non le mois prochain."
REOPENING = (
    "Correction demandée par Finistère Habitat : la date de disponibilité du logement était "
    "erronée."
)


def item_notes(meeting) -> dict[int, str]:
    notes, case_number = {}, 0
    for item in meeting.agenda_items:
        if item.case_id is None:
            notes[item.id] = OTHER_NOTES
        else:
            notes[item.id] = CASE_NOTES[case_number % len(CASE_NOTES)]
            case_number += 1
    return notes


def approver(meeting, author):
    """Four eyes: a co-organiser approves what the author wrote, when there is one."""
    return next((c.user for c in meeting.co_organisers if c.user_id != author.id), author)


def write_and_approve(meeting, general_notes: str, author, approved_at) -> Minutes:
    minutes = save_minutes(meeting, 0, general_notes, item_notes(meeting), author)
    change_status(minutes, "submit", author, based_on_version=minutes.version)
    change_status(
        minutes,
        "approve",
        approver(meeting, author),
        based_on_version=minutes.version,
        when=approved_at,
    )
    return minutes


def correct_and_approve_again(meeting, minutes: Minutes, author) -> None:
    """Re-open the approved minutes, correct one item, approve them again."""
    change_status(
        minutes,
        "reopen",
        author,
        based_on_version=minutes.version,
        reason=REOPENING,
        when=meeting.ends_at + timedelta(days=5),
    )
    notes = item_notes(meeting)
    first = next(iter(notes), None)
    if first is not None:
        notes[first] += "\n" + CORRECTION
    general_notes = (
        minutes.general_notes if first is not None else minutes.general_notes + "\n" + CORRECTION
    )
    save_minutes(meeting, minutes.version, general_notes, notes, author)
    change_status(minutes, "submit", author, based_on_version=minutes.version)
    change_status(
        minutes,
        "approve",
        approver(meeting, author),
        based_on_version=minutes.version,
        when=meeting.ends_at + timedelta(days=6),
    )


def load_demo_minutes(data: dict) -> None:
    """Approved minutes for the two past comités techniques; the second was re-opened once
    to correct an item, then approved again (flushes only)."""
    meetings = data.get("meetings") or {}
    author = (data.get("users") or {}).get(COORDINATOR)
    if author is None:
        return
    for key in ("ct_past_1", "ct_past_2"):
        meeting = meetings.get(key)
        if meeting is None:
            continue
        minutes = write_and_approve(
            meeting, GENERAL_NOTES[key], author, meeting.ends_at + timedelta(days=3)
        )
        if key == "ct_past_2":
            correct_and_approve_again(meeting, minutes, author)
