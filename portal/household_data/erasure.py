"""Erasing a household once its retention period is over, table by table as the registry
declares it. Flushes only: the retention job commits each household on its own."""

import json
from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa

from portal.audit import record_event
from portal.extensions import db
from portal.household_data.registry import PARTS, Erasure, Mentions, Part, minutes_ids
from portal.models import AuditAction, Household, Minutes, MinutesRevision, MinutesStatus, now_utc


def erase_household(household: Household) -> list[str]:
    """Erase or neutralise every text the registry declares about the household; codes,
    dates, amounts and statuses stay for the reports. Approved minutes that mention it
    keep their structure, and get a new approval hash with a dated audit entry saying why.

    Returns the stored files to delete once the transaction has committed."""
    # Imported here: the minutes import the cases' services, which import this package.
    from portal.minutes.services import canonical_content, content_hash

    mentions = Mentions.of(household)  # before the names it looks for are erased
    minutes = list(
        db.session.scalars(sa.select(Minutes).where(Minutes.id.in_(minutes_ids(household.id))))
    )
    # What approved minutes hash to before: only minutes still intact get a new hash (one
    # altered before must stay visibly altered).
    before = {
        m.id: content_hash(canonical_content(m))
        for m in minutes
        if m.status == MinutesStatus.APPROVED and m.content_hash
    }
    intact = {m.id: m.content_hash == before[m.id] for m in minutes if m.id in before}
    copies = {
        r.id: (r.content, r.content_hash == content_hash(json.loads(r.content)))
        for r in db.session.scalars(
            sa.select(MinutesRevision).where(
                MinutesRevision.minutes_id.in_(minutes_ids(household.id))
            )
        )
    }

    stored_names = []
    for part in PARTS:
        rows = db.session.scalars(part.rows(household.id)).unique().all()
        stored_names += erase_rows(part, rows, mentions)
    household.anonymised_at = now_utc()
    db.session.flush()
    db.session.expire(household, ["identity", "persons"])

    rehashed_copies: dict[int, int] = {}
    for revision_id, (content, was_intact) in copies.items():
        revision = db.session.get_one(MinutesRevision, revision_id)
        if revision.content != content and was_intact:
            revision.content_hash = content_hash(json.loads(revision.content))
            rehashed_copies[revision.minutes_id] = rehashed_copies.get(revision.minutes_id, 0) + 1
    for record in minutes:
        new_hash = content_hash(canonical_content(record)) if record.id in before else None
        changed = new_hash is not None and new_hash != before[record.id]
        if not changed and record.id not in rehashed_copies:
            continue
        if changed and intact[record.id]:
            record.content_hash = new_hash
        db.session.flush()
        record_event(
            AuditAction.CHANGE,
            "minutes",
            record.id,
            rehash_summary(record, household, changed, intact.get(record.id), rehashed_copies),
            organisation_id=household.organisation_id,
        )
    return stored_names


def erase_rows(part: Part, rows: Sequence[Any], mentions: Mentions) -> list[str]:
    if part.erasure is Erasure.DELETE:
        stored_names = part.before_delete(rows) if part.before_delete and rows else []
        for row in rows:
            db.session.delete(row)
        return stored_names
    for row in rows:
        for text in part.text:
            value = getattr(row, text.name)
            if not value:
                continue
            if part.erasure is Erasure.REPLACE:
                erased = text.erased_to
            else:
                erased = text.redact(value, mentions) if text.redact else mentions.redact(value)
            if erased != value:
                setattr(row, text.name, erased)
        for name, coarser in part.coarsen.items():
            setattr(row, name, coarser(getattr(row, name)))
    return []


def rehash_summary(
    minutes: Minutes, household: Household, changed: bool, intact: bool | None, copies: dict
) -> str:
    """The audit entry of minutes anonymised after their approval: what changed and why."""
    summary = (
        f"Compte rendu de « {minutes.meeting.title} » : passages sur le ménage "
        f"{household.reference} remplacés par « [anonymisé] » (durée de conservation écoulée)"
    )
    if changed and intact:
        summary += " ; empreinte d'approbation recalculée"
    elif changed:
        summary += (
            " ; empreinte d'approbation non recalculée : le texte ne lui correspondait déjà plus"
        )
    if minutes.id in copies:
        summary += f" ; {copies[minutes.id]} version(s) antérieure(s) ré-empreinte(s)"
    return summary
