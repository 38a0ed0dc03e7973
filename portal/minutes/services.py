"""Minutes of a meeting: writing, the draft → submitted → approved workflow, re-opening,
what each reader may see, and the PDF.

Every function flushes and never commits: the view (or the CLI command) commits once.
Audit events are written here, beside the change they describe.
"""

import difflib
import hashlib
import json
from dataclasses import dataclass
from datetime import datetime
from typing import cast

import sqlalchemy as sa
from flask import render_template
from flask_babel import format_datetime
from sqlalchemy.orm.exc import StaleDataError

from portal import permissions
from portal.actions.services import meeting_actions, meeting_decisions, open_actions_before
from portal.audit import record_event
from portal.case_content import (
    ActionView,
    DecisionView,
    ItemView,
    action_views,
    audit_reads,
    decision_views,
    item_views,
    mask_identity,
    reading_loads,
)
from portal.extensions import db
from portal.household_data import link_meeting_email
from portal.i18n import _, _l
from portal.models import (
    AgendaItem,
    AuditAction,
    Case,
    Household,
    ItemOpinion,
    Meeting,
    Minutes,
    MinutesRevision,
    MinutesStatus,
    User,
    now_utc,
)
from portal.models.people import load_memberships
from portal.notifications.services import notify as notify_person
from portal.outbox.services import public_url_for, queue_email
from portal.pdf import render_pdf
from portal.workflow import Transition, WorkflowError, available, lookup, transition_table

GENERAL_NOTES_MAX = 20_000
ITEM_NOTES_MAX = 10_000
REASON_MAX = 500


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
    """The committee's record: general notes, each agenda item's notes in order, and the
    meeting's decisions and actions (what, who, when: not whether an action is done yet)."""
    meeting = minutes.meeting
    return {
        "general_notes": minutes.general_notes,
        "items": [
            {"id": item.id, "title": item.title, "case_id": item.case_id, "notes": item.notes}
            for item in meeting.agenda_items
        ],
        "decisions": [
            {
                "id": d.id,
                "agenda_item_id": d.agenda_item_id,
                "case_id": d.case_id,
                "kind": d.kind.value,
                "text": d.text,
                "organisations": sorted(o.id for o in d.organisations),
                "positions": sorted([p.organisation_id, p.position] for p in d.positions),
            }
            for d in meeting_decisions(meeting)
        ],
        "actions": [
            {
                "id": a.id,
                "decision_id": a.decision_id,
                "case_id": a.case_id,
                "description": a.description,
                "organisation_id": a.organisation_id,
                "user_id": a.user_id,
                "due_on": a.due_on.isoformat(),
            }
            for a in meeting_actions(meeting)
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


def items_for(user, meeting: Meeting) -> list[ItemView]:
    """The agenda as the reader may see it, with what the minutes show of each item (its
    case's situation, the excused partners' opinions) loaded with the items."""
    items = db.session.scalars(
        sa.select(AgendaItem)
        .where(AgendaItem.meeting_id == meeting.id)
        .order_by(AgendaItem.position)
        .options(
            *reading_loads(AgendaItem.case),
            sa.orm.defaultload(AgendaItem.case)
            .defaultload(Case.household)
            .selectinload(Household.communes),
            sa.orm.defaultload(AgendaItem.case)
            .defaultload(Case.household)
            .selectinload(Household.obstacles),
            sa.orm.selectinload(AgendaItem.opinions).joinedload(ItemOpinion.invitee),
        )
    ).all()
    return item_views(user, items)


@dataclass(frozen=True)
class DecisionRecord:
    decision: DecisionView
    actions: list[ActionView]


@dataclass(frozen=True)
class ItemRecord:
    """An agenda item in the minutes: its notes, its decisions and their actions."""

    view: ItemView
    decisions: list[DecisionRecord]


@dataclass(frozen=True)
class MeetingRecord:
    """The minutes as one reader may see them (page and PDF alike)."""

    items: list[ItemRecord]
    other_decisions: list[DecisionRecord]  # on no agenda item
    other_actions: list[ActionView]  # on no decision
    follow_up: list[ActionView]  # still open from earlier meetings

    def views(self) -> list:
        """Every item, decision and action shown, for the household access log."""
        shown: list[ItemView | DecisionView | ActionView] = []
        for item in self.items:
            shown.append(item.view)
            for record in item.decisions:
                shown += [record.decision, *record.actions]
        for record in self.other_decisions:
            shown += [record.decision, *record.actions]
        return shown + self.other_actions + self.follow_up


def meeting_record(user, meeting: Meeting) -> MeetingRecord:
    actions = action_views(user, meeting_actions(meeting))
    by_decision: dict[int | None, list[ActionView]] = {}
    for action_view in actions:
        by_decision.setdefault(action_view.action.decision_id, []).append(action_view)
    decisions_by_item: dict[int | None, list[DecisionRecord]] = {}
    for view in decision_views(user, meeting_decisions(meeting)):
        record = DecisionRecord(view, by_decision.get(view.decision.id, []))
        decisions_by_item.setdefault(view.decision.agenda_item_id, []).append(record)
    items = [
        ItemRecord(view, decisions_by_item.pop(view.item.id, []))
        for view in items_for(user, meeting)
    ]
    return MeetingRecord(
        items=items,
        other_decisions=[r for records in decisions_by_item.values() for r in records],
        other_actions=by_decision.get(None, []),
        follow_up=action_views(user, open_actions_before(meeting)),
    )


# Writing -----------------------------------------------------------------------------------


def save_minutes(
    meeting: Meeting,
    based_on_version: int,
    general_notes: str,
    item_notes: dict[int, str],
    actor: User,
    item_additions: dict[int, str] | None = None,
) -> Minutes:
    """Save the text typed on a form loaded at ``based_on_version`` (0: no minutes yet).

    If anyone saved in between, raise ``MinutesConflict`` and change nothing: the caller
    rolls back and shows both versions. ``item_notes`` holds only items whose notes the
    actor may read (the others keep theirs). ``item_additions``: notes an organiser writes
    on an item about a case not shared with them; they are added to the item's notes, which
    the organiser cannot read, and shown to the readers of the case's discussion.
    """
    item_additions = {i: text.strip() for i, text in (item_additions or {}).items()}
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
    if (set(item_notes) | set(item_additions)) - set(items):
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
    for item_id, addition in item_additions.items():
        if addition:
            item = items[item_id]
            item.notes = f"{item.notes}\n\n{addition}" if item.notes else addition
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


TRANSITIONS = transition_table(
    Transition(
        "submit",
        _l("Soumettre pour approbation"),
        (MinutesStatus.DRAFT,),
        MinutesStatus.SUBMITTED,
    ),
    Transition(
        "back_to_draft",
        _l("Remettre en brouillon"),
        (MinutesStatus.SUBMITTED,),
        MinutesStatus.DRAFT,
    ),
    Transition("approve", _l("Approuver"), (MinutesStatus.SUBMITTED,), MinutesStatus.APPROVED),
    Transition("reopen", _l("Rouvrir"), (MinutesStatus.APPROVED,), MinutesStatus.DRAFT),
)


def available_transitions(minutes: Minutes | None) -> list[Transition[MinutesStatus]]:
    """The buttons under the minutes; re-opening has its own form (it asks for a reason)."""
    if minutes is None:
        return []
    return [t for t in available(TRANSITIONS, minutes.status) if t.name != "reopen"]


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
    transition = lookup(TRANSITIONS, transition_name, minutes.status)
    if transition is None:
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
    if transition.name == "approve" and not permissions.can_approve_minutes(actor, minutes):
        raise WorkflowError(
            _(
                "La réunion a plusieurs organisateurs : un autre que la dernière personne à "
                "avoir modifié le compte rendu doit l'approuver."
            )
        )
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
        # The item is in one version at least: as it was first, and as it is last.
        first, last = cast(dict, old or new), cast(dict, new or old)
        old_notes = old["notes"] if old else ""
        new_notes = new["notes"] if new else ""
        if old_notes == new_notes or not may_read_item_content(user, first):
            continue
        case_id = last["case_id"]
        case = db.session.get(Case, case_id) if case_id is not None else None
        if case is not None and not permissions.can_view_identity(user, case):
            old_notes = mask_identity(old_notes, case.household)
            new_notes = mask_identity(new_notes, case.household)
        title = last["title"]
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


def export_pdf(meeting: Meeting, minutes: Minutes, user: User, stylesheet: str) -> bytes:
    """The PDF of the minutes as this reader may see them; the export is audited."""
    record = meeting_record(user, meeting)
    html = render_template(
        "minutes/pdf.html",
        meeting=meeting,
        minutes=minutes,
        record=record,
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
    audit_reads(record.views(), "Compte rendu exporté en PDF", AuditAction.EXPORT)
    return pdf


# Sending -----------------------------------------------------------------------------------


def send_minutes(minutes: Minutes, actor: User) -> int:
    """E-mail every invitee a link to the approved minutes (never their content: each
    reader's page and PDF hold what they may see). Once per approval; returns how many
    people were written to."""
    if minutes.status != MinutesStatus.APPROVED:
        raise WorkflowError(_("Seul un compte rendu approuvé peut être envoyé."))
    # Approved minutes have their approved_at (set by the approve transition).
    if minutes.sent_at is not None and minutes.sent_at >= cast(datetime, minutes.approved_at):
        raise WorkflowError(
            _(
                "Ce compte rendu a déjà été envoyé aux invités le %(when)s.",
                when=format_datetime(minutes.sent_at, _("d MMMM yyyy 'à' HH:mm")),
            )
        )
    meeting = minutes.meeting
    load_memberships([i.user for i in meeting.invitees])
    recipients = [i.user for i in meeting.invitees if permissions.is_invited(i.user, meeting)]
    when = format_datetime(meeting.starts_at, _("d MMMM yyyy"))
    for person in recipients:
        if not notify_person(person, "minutes_approved", minutes):
            continue
        queued = queue_email(
            person.email,
            "minutes_approved",
            _("Compte rendu approuvé : %(title)s du %(when)s", title=meeting.title, when=when),
            meeting=meeting,
            when=when,
            link=public_url_for("minutes.show", meeting_id=meeting.id),
        )
        link_meeting_email(queued, meeting.id)
    minutes.sent_at = now_utc()
    db.session.flush()
    record_event(
        AuditAction.CHANGE,
        "minutes",
        minutes.id,
        f"Compte rendu de « {meeting.title} » envoyé à {len(recipients)} invité(s)",
        user=actor,
    )
    return len(recipients)
