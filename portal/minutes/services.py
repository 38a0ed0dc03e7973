"""Minutes of a meeting: writing, the draft → submitted → approved workflow, re-opening,
what each reader may see, and the PDF.

Every function flushes and never commits: the view (or the CLI command) commits once.
Audit events are written here, beside the change they describe.
"""

import difflib
import hashlib
import json
import re
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from flask import render_template
from sqlalchemy.orm.exc import StaleDataError

from portal import permissions
from portal.audit import record_event
from portal.extensions import db
from portal.i18n import _, _l
from portal.models import (
    AgendaItem,
    AuditAction,
    Case,
    Meeting,
    Minutes,
    MinutesRevision,
    MinutesStatus,
    User,
    now_utc,
)
from portal.permissions import CaseAccess

GENERAL_NOTES_MAX = 20_000
ITEM_NOTES_MAX = 10_000
REASON_MAX = 500


class WorkflowError(ValueError):
    """A change the rules refuse; the message says why, in French."""


class MinutesConflict(Exception):
    """The minutes changed since the form was loaded: nothing was saved."""


# Reading -----------------------------------------------------------------------------------


def minutes_of(meeting: Meeting) -> Minutes | None:
    return db.session.scalar(sa.select(Minutes).where(Minutes.meeting_id == meeting.id))


def revisions_of(minutes: Minutes) -> list[MinutesRevision]:
    return list(
        db.session.scalars(
            sa.select(MinutesRevision)
            .where(MinutesRevision.minutes_id == minutes.id)
            .order_by(MinutesRevision.reopened_at.desc(), MinutesRevision.id.desc())
        )
    )


def canonical_content(minutes: Minutes) -> dict:
    """The text of the minutes: general notes, then each agenda item's notes in order."""
    return {
        "general_notes": minutes.general_notes,
        "items": [
            {"id": item.id, "title": item.title, "case_id": item.case_id, "notes": item.notes}
            for item in minutes.meeting.agenda_items
        ],
    }


def is_empty(minutes: Minutes) -> bool:
    return not minutes.general_notes and not any(i.notes for i in minutes.meeting.agenda_items)


def content_hash(content: dict) -> str:
    """SHA-256 of the canonical JSON (sorted keys, no spaces, UTF-8)."""
    data = json.dumps(content, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(data.encode()).hexdigest()


def is_intact(minutes: Minutes) -> bool:
    """Approved minutes still hold the text whose hash was stored at approval."""
    return minutes.content_hash == content_hash(canonical_content(minutes))


@dataclass(frozen=True)
class ItemView:
    """An agenda item as one reader may see it in the minutes."""

    item: AgendaItem
    access: CaseAccess | None  # None: the item is not about a case

    @property
    def is_confidential(self) -> bool:
        return self.access == CaseAccess.NONE

    @property
    def shows_identity(self) -> bool:
        return self.access is not None and self.access >= CaseAccess.FULL

    @property
    def shows_notes(self) -> bool:
        return self.access is None or self.access >= CaseAccess.SITUATION

    @property
    def notes(self) -> str:
        """The item's notes as this reader may read them: a household named in them by
        the writer stays masked for readers without access to its identity."""
        if self.item.case is None or self.shows_identity:
            return self.item.notes
        return mask_identity(self.item.notes, self.item.case.household)


IDENTITY_MASK = "[identité masquée]"


def mask_identity(text: str, household) -> str:
    """``text`` with the household's names, phone number and e-mail address masked
    (names whole-word and in any case; the phone number whatever its separators)."""
    patterns = [
        rf"\b{re.escape(name)}\b"
        for person in household.persons
        for name in (person.first_name.strip(), person.last_name.strip())
        if name
    ]
    identity = household.identity
    if identity is not None and identity.email.strip():
        patterns.append(re.escape(identity.email.strip()))
    digits = re.sub(r"\D", "", identity.phone) if identity is not None else ""
    if len(digits) >= 6:
        patterns.append(r"[\s.-]?".join(digits))
    if not text or not patterns:
        return text
    # Longest first, so that a name inside another one does not leave half of it.
    pattern = "|".join(sorted(patterns, key=len, reverse=True))
    return re.sub(pattern, IDENTITY_MASK, text, flags=re.IGNORECASE)


def items_for(user, meeting: Meeting) -> list[ItemView]:
    return [
        ItemView(item, permissions.case_access(user, item.case) if item.case else None)
        for item in meeting.agenda_items
    ]


def audit_case_reads(user, items: list[ItemView], action: AuditAction, what: str) -> None:
    """Each household whose situation is shown to the reader gets a line in its access log."""
    for view in items:
        if view.access is not None and view.access > CaseAccess.NONE:
            household = view.item.case.household
            record_event(action, "household", household.id, f"{what} — {household.reference}")


# Writing -----------------------------------------------------------------------------------


def save_minutes(
    meeting: Meeting,
    based_on_version: int,
    general_notes: str,
    item_notes: dict[int, str],
    actor: User,
) -> Minutes:
    """Save the text typed on a form loaded at ``based_on_version`` (0: no minutes yet).

    If anyone saved in between, raise ``MinutesConflict`` and change nothing: the caller
    rolls back and shows both versions. ``item_notes`` holds only items whose notes the
    actor may read (the others keep theirs).
    """
    minutes = minutes_of(meeting)
    if minutes is None:
        minutes = start_minutes(meeting, based_on_version)
    elif minutes.version != based_on_version:
        raise MinutesConflict
    if minutes.status == MinutesStatus.APPROVED:
        raise WorkflowError(
            _("Le compte rendu est approuvé : son texte est figé. Rouvrez-le pour le modifier.")
        )
    items = {item.id: item for item in meeting.agenda_items}
    if set(item_notes) - set(items):
        # The agenda changed under the writer: let them see where their notes would go.
        raise MinutesConflict
    if any(not permissions.can_read_item_notes(actor, items[i]) for i in item_notes):
        raise WorkflowError(_("Les notes de cette situation sont réservées à ses partenaires."))
    minutes.general_notes = general_notes
    minutes.updated_by = actor
    minutes.updated = now_utc()
    try:
        # The minutes row is the lock of the whole text: its version is checked in the
        # UPDATE itself, so two saves that read the same version cannot both pass.
        db.session.flush()
    except StaleDataError as error:
        raise MinutesConflict from error
    for item_id, notes in item_notes.items():
        items[item_id].notes = notes
    db.session.flush()
    record_event(
        AuditAction.CHANGE,
        "minutes",
        minutes.id,
        f"Compte rendu de « {meeting.title} » enregistré (version {minutes.version})",
        user=actor,
    )
    return minutes


def start_minutes(meeting: Meeting, based_on_version: int) -> Minutes:
    """The first save creates the minutes; two first saves at once are a conflict."""
    if based_on_version != 0:
        raise MinutesConflict
    minutes = Minutes(meeting=meeting)
    try:
        with db.session.begin_nested():
            db.session.add(minutes)
            db.session.flush()
    except sa.exc.IntegrityError as error:
        raise MinutesConflict from error
    return minutes


# Workflow ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Transition:
    name: str
    label: str
    source: MinutesStatus
    target: MinutesStatus


TRANSITIONS = {
    t.name: t
    for t in (
        Transition(
            "submit", _l("Soumettre pour approbation"), MinutesStatus.DRAFT, MinutesStatus.SUBMITTED
        ),
        Transition(
            "back_to_draft",
            _l("Remettre en brouillon"),
            MinutesStatus.SUBMITTED,
            MinutesStatus.DRAFT,
        ),
        Transition("approve", _l("Approuver"), MinutesStatus.SUBMITTED, MinutesStatus.APPROVED),
        Transition("reopen", _l("Rouvrir"), MinutesStatus.APPROVED, MinutesStatus.DRAFT),
    )
}


def available_transitions(minutes: Minutes | None) -> list[Transition]:
    """The buttons under the minutes; re-opening has its own form (it asks for a reason)."""
    if minutes is None:
        return []
    return [t for t in TRANSITIONS.values() if t.source == minutes.status and t.name != "reopen"]


def change_status(
    minutes: Minutes,
    transition_name: str,
    actor: User,
    *,
    based_on_version: int | None,
    reason: str = "",
    when: datetime | None = None,
) -> None:
    """Move the minutes along their workflow; anything not in the table is refused.

    ``based_on_version`` is the version the person read: approving (or re-opening) a text
    that changed since would approve what nobody read.
    """
    transition = TRANSITIONS.get(transition_name)
    if transition is None or minutes.status != transition.source:
        raise WorkflowError(
            _(
                "Cette action n'est pas possible pour un compte rendu « %(status)s ».",
                status=minutes.status.label,
            )
        )
    if based_on_version != minutes.version:
        raise WorkflowError(
            _(
                "Le compte rendu a été modifié depuis que vous l'avez ouvert : relisez-le, "
                "puis recommencez."
            )
        )
    if transition.name == "submit" and is_empty(minutes):
        raise WorkflowError(_("Le compte rendu est vide : rédigez-le avant de le soumettre."))
    when = when or now_utc()
    previous = minutes.status
    if transition.name == "reopen":
        reason = reason.strip()
        if not reason:
            raise WorkflowError(_("Indiquez le motif de la réouverture."))
        if len(reason) > REASON_MAX:
            raise WorkflowError(_("Le motif tient en %(max)d caractères au plus.", max=REASON_MAX))
        keep_revision(minutes, actor, reason, when)
        minutes.approved_by = None
        minutes.approved_at = None
        minutes.content_hash = None
    elif transition.name == "approve":
        minutes.approved_by = actor
        minutes.approved_at = when
        minutes.content_hash = content_hash(canonical_content(minutes))
    minutes.status = transition.target
    try:
        db.session.flush()
    except StaleDataError as error:
        raise WorkflowError(
            _(
                "Le compte rendu vient d'être modifié par quelqu'un d'autre : relisez-le, "
                "puis recommencez."
            )
        ) from error
    summary = (
        f"Compte rendu de « {minutes.meeting.title} » : {previous.label} → {minutes.status.label}"
    )
    if reason:
        summary += f" (motif : {reason})"
    record_event(AuditAction.CHANGE, "minutes", minutes.id, summary, user=actor)


def keep_revision(minutes: Minutes, actor: User, reason: str, when: datetime) -> MinutesRevision:
    """Keep a frozen copy of the approved text before it is re-opened."""
    content = canonical_content(minutes)
    revision = MinutesRevision(
        minutes_id=minutes.id,
        content=json.dumps(content, ensure_ascii=False),
        content_hash=minutes.content_hash or content_hash(content),
        approved_by_id=minutes.approved_by_id,
        approved_at=minutes.approved_at,
        reopened_by_id=actor.id,
        reopened_at=when,
        reason=reason,
    )
    db.session.add(revision)
    return revision


# Changes since the last approved version ---------------------------------------------------


@dataclass(frozen=True)
class SectionChanges:
    title: str
    lines: list[tuple[str, str]]  # ("equal" | "insert" | "delete", line)


def line_changes(before: str, after: str) -> list[tuple[str, str]]:
    """A line-by-line comparison (plain text: the template escapes it)."""
    old, new = before.splitlines(), after.splitlines()
    lines = []
    for op, i1, i2, j1, j2 in difflib.SequenceMatcher(None, old, new).get_opcodes():
        if op == "equal":
            lines += [("equal", line) for line in old[i1:i2]]
            continue
        lines += [("delete", line) for line in old[i1:i2]]
        lines += [("insert", line) for line in new[j1:j2]]
    return lines


def changes_since(revision: MinutesRevision, minutes: Minutes, user) -> list[SectionChanges]:
    """What changed between a frozen version and the current text, in the sections the
    reader may see (a case item's notes only with access to its discussion)."""
    before = json.loads(revision.content)
    after = canonical_content(minutes)
    sections = []
    if before["general_notes"] != after["general_notes"]:
        sections.append(
            SectionChanges(
                _("Notes générales"), line_changes(before["general_notes"], after["general_notes"])
            )
        )
    old_items = {item["id"]: item for item in before["items"]}
    new_items = {item["id"]: item for item in after["items"]}
    for item_id in list(new_items) + [i for i in old_items if i not in new_items]:
        old, new = old_items.get(item_id), new_items.get(item_id)
        old_notes = old["notes"] if old else ""
        new_notes = new["notes"] if new else ""
        if old_notes == new_notes or not may_read_item_content(user, old or new):
            continue
        case_id = (new or old)["case_id"]
        case = db.session.get(Case, case_id) if case_id is not None else None
        if case is not None and not permissions.can_view_identity(user, case):
            old_notes = mask_identity(old_notes, case.household)
            new_notes = mask_identity(new_notes, case.household)
        title = (new or old)["title"]
        if new is None:
            title += _(" (retiré de l'ordre du jour)")
        sections.append(SectionChanges(title, line_changes(old_notes, new_notes)))
    return sections


def may_read_item_content(user, item: dict) -> bool:
    if item.get("case_id") is None:
        return True
    case = db.session.get(Case, item["case_id"])
    return case is not None and permissions.can_view_discussion(user, case)


# PDF ---------------------------------------------------------------------------------------


def render_pdf(html: str, stylesheet: str) -> bytes:
    """Render the minutes' HTML to PDF with WeasyPrint; nothing is fetched from outside."""
    import weasyprint  # heavy: loaded on the first export only

    nothing = weasyprint.URLFetcher(allowed_protocols=())
    return weasyprint.HTML(string=html, url_fetcher=nothing).write_pdf(
        stylesheets=[weasyprint.CSS(string=stylesheet, url_fetcher=nothing)]
    )


def export_pdf(meeting: Meeting, minutes: Minutes, user: User, stylesheet: str) -> bytes:
    """The PDF of the minutes as this reader may see them; the export is audited."""
    items = items_for(user, meeting)
    html = render_template(
        "minutes/pdf.html",
        meeting=meeting,
        minutes=minutes,
        items=items,
        generated_at=now_utc(),
        reader=user,
        intact=minutes.status == MinutesStatus.APPROVED and is_intact(minutes),
    )
    pdf = render_pdf(html, stylesheet)
    record_event(
        AuditAction.EXPORT,
        "minutes",
        minutes.id,
        f"Compte rendu de « {meeting.title} » téléchargé en PDF",
        user=user,
    )
    audit_case_reads(user, items, AuditAction.EXPORT, "Compte rendu exporté en PDF")
    return pdf
