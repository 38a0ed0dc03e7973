"""One way to tell people about what happens: every event a person may choose to hear of
goes through ``notify``, which applies the reader's rule and their choice.

A feature calls ``notify(person, kind, target)`` for each person concerned and queues its
own e-mail only when it answers true (« tout de suite »); an event kept for a digest is a
row, written as a line when the digest leaves (``send_digests``, a scheduled job), each row
in one digest at most. A message to an organisation goes to the person assigned to the
item, else to the people the organisation names, else to its admins (``organisation_recipients``).
Functions flush; the view or the job commits.
"""

from collections import defaultdict
from collections.abc import Iterable
from datetime import datetime

import sqlalchemy as sa
from flask import current_app

from portal.extensions import db
from portal.i18n import _
from portal.models import (
    Membership,
    MembershipRole,
    NotificationFrequency,
    NotificationPreference,
    Organisation,
    PendingNotification,
    User,
    notification_recipient,
    now_utc,
)
from portal.notifications.kinds import KINDS, DigestLine, Kind, kinds_for

F = NotificationFrequency

# Preferences -------------------------------------------------------------------------------


def preferences_of(user: User) -> dict[str, NotificationFrequency]:
    """Every kind's frequency for this person (their choice, else the kind's default)."""
    chosen = dict(
        db.session.execute(
            sa.select(NotificationPreference.kind, NotificationPreference.frequency).where(
                NotificationPreference.user_id == user.id
            )
        ).all()
    )
    return {key: chosen.get(key, kind.default) for key, kind in KINDS.items()}


def frequency_for(user: User, kind: str) -> NotificationFrequency:
    chosen = db.session.scalar(
        sa.select(NotificationPreference.frequency).where(
            NotificationPreference.user_id == user.id, NotificationPreference.kind == kind
        )
    )
    return chosen or KINDS[kind].default


def save_preferences(user: User, choices: dict[str, NotificationFrequency]) -> None:
    """Record the person's choices for the kinds that concern them."""
    existing = {
        p.kind: p
        for p in db.session.scalars(
            sa.select(NotificationPreference).where(NotificationPreference.user_id == user.id)
        )
    }
    for kind in kinds_for(user):
        frequency = choices.get(kind.key)
        if frequency is None:
            continue
        row = existing.get(kind.key)
        if row is None:
            db.session.add(
                NotificationPreference(user_id=user.id, kind=kind.key, frequency=frequency)
            )
        else:
            row.frequency = frequency
    db.session.flush()


# Who receives what is addressed to an organisation ---------------------------------------


def active_members(organisation: Organisation) -> sa.Select:
    return (
        sa.select(User)
        .join(Membership, Membership.user_id == User.id)
        .where(
            Membership.organisation_id == organisation.id,
            Membership.active,
            User.active,
        )
        .order_by(User.email)
    )


def named_recipients(organisation: Organisation) -> list[User]:
    """The active members the organisation names to receive its messages."""
    return list(
        db.session.scalars(
            active_members(organisation).where(
                User.id.in_(
                    sa.select(notification_recipient.c.user_id).where(
                        notification_recipient.c.organisation_id == organisation.id
                    )
                )
            )
        )
    )


def organisation_recipients(organisation: Organisation, assigned: User | None = None) -> list[User]:
    """Who hears of something addressed to ``organisation``: the person assigned to the
    item (while an active member), else the people the organisation names, else its
    admins. An organisation without any of them (no admin yet) falls back to its members,
    so that nothing addressed to it is lost."""
    if (
        assigned is not None
        and assigned.active
        and any(m.organisation_id == organisation.id and m.is_current for m in assigned.memberships)
    ):
        return [assigned]
    named = named_recipients(organisation)
    if named:
        return named
    admins = list(
        db.session.scalars(
            active_members(organisation).where(Membership.role == MembershipRole.ADMIN)
        )
    )
    return admins or list(db.session.scalars(active_members(organisation)))


def set_named_recipients(organisation: Organisation, people: Iterable[User]) -> None:
    db.session.execute(
        sa.delete(notification_recipient).where(
            notification_recipient.c.organisation_id == organisation.id
        )
    )
    rows = [{"organisation_id": organisation.id, "user_id": p.id} for p in people]
    if rows:
        db.session.execute(sa.insert(notification_recipient), rows)
    db.session.flush()


def named_recipient_ids(organisation: Organisation) -> set[int]:
    return set(
        db.session.scalars(
            sa.select(notification_recipient.c.user_id).where(
                notification_recipient.c.organisation_id == organisation.id
            )
        )
    )


# The one path ------------------------------------------------------------------------------


def notify(
    person: User,
    kind: str,
    target,
    *,
    event: str = "",
    organisation: Organisation | None = None,
) -> bool:
    """Whether the caller sends its e-mail to ``person`` now. Nothing for a person who may
    not read ``target`` (the page's own rule) or who chose « jamais »; a row for their next
    digest when they chose one."""
    spec = KINDS[kind]
    if not person.active or not spec.may_read(person, target):
        return False
    frequency = frequency_for(person, kind)
    if frequency == F.IMMEDIATE:
        return True
    if frequency in (F.DAILY, F.WEEKLY):
        db.session.add(
            PendingNotification(
                user_id=person.id,
                kind=kind,
                event=event,
                target_id=target.id,
                organisation_id=organisation.id if organisation else None,
            )
        )
        db.session.flush()
    return False


def unique(people: Iterable[User]) -> list[User]:
    seen: dict[int, User] = {}
    for person in people:
        seen.setdefault(person.id, person)
    return list(seen.values())


# Digests -----------------------------------------------------------------------------------


def digest_takes(frequency: NotificationFrequency, chosen: NotificationFrequency) -> bool:
    """Which rows a digest takes, by the reader's choice at the time it leaves: the daily one
    also takes what was kept before the person switched to « tout de suite »."""
    if frequency == F.DAILY:
        return chosen in (F.DAILY, F.IMMEDIATE)
    return chosen == F.WEEKLY


def claim_rows(row_ids: list[int], now: datetime) -> bool:
    """Mark the rows as digested; false if another run took one of them first (on
    PostgreSQL the second UPDATE waits for the first transaction, then finds them taken)."""
    result = db.session.execute(
        sa.update(PendingNotification)
        .where(PendingNotification.id.in_(row_ids), PendingNotification.digested_at.is_(None))
        .values(digested_at=now)
        .execution_options(synchronize_session=False)
    )
    # Typed as a Result; an UPDATE's or a DELETE's is a CursorResult, with rowcount.
    return result.rowcount == len(row_ids)  # type: ignore[attr-defined]


def digest_lines(user: User, rows: list[PendingNotification]) -> tuple[list, list[int | None]]:
    """[(kind, [lines])] in the kinds' order, and the households the lines are about. Each
    line is written now, as the reader may see it now: an object gone or no longer
    readable gives no line."""
    grouped: dict[str, list[DigestLine]] = defaultdict(list)
    households: list[int | None] = []
    seen: set[tuple[str, str, int]] = set()
    for row in rows:
        spec = KINDS.get(row.kind)
        if spec is None or (row.kind, row.event, row.target_id) in seen:
            continue
        seen.add((row.kind, row.event, row.target_id))
        target = db.session.get(spec.model, row.target_id)
        if target is None or not spec.may_read(user, target):
            continue
        line = spec.line(user, target, row)
        if line is None:
            continue
        grouped[row.kind].append(line)
        households.extend(spec.households(target))
    sections = [(KINDS[key], grouped[key]) for key in KINDS if grouped.get(key)]
    return sections, households


def send_digest(user: User, frequency: NotificationFrequency, now: datetime) -> bool:
    """One person's digest: claims their rows and queues one e-mail, in one transaction
    (the caller commits). False when there was nothing to send."""
    from portal.household_data import link_email
    from portal.outbox.services import public_url_for, queue_email

    rows = list(
        db.session.scalars(
            sa.select(PendingNotification)
            .where(
                PendingNotification.user_id == user.id, PendingNotification.digested_at.is_(None)
            )
            .order_by(PendingNotification.created, PendingNotification.id)
        )
    )
    chosen = preferences_of(user)
    unwanted = [r.id for r in rows if chosen.get(r.kind) == F.NEVER or r.kind not in KINDS]
    taken = [r for r in rows if r.kind in KINDS and digest_takes(frequency, chosen[r.kind])]
    if unwanted:
        claim_rows(unwanted, now)  # « jamais » since: dropped, never sent
    if not taken:
        return False
    if not claim_rows([r.id for r in taken], now):
        db.session.rollback()  # another run is sending them
        return False
    if not user.active:
        return False
    sections, households = digest_lines(user, taken)
    if not sections:
        return False
    count = sum(len(lines) for _kind, lines in sections)
    daily = frequency == F.DAILY
    subject = (
        _("Votre résumé quotidien du portail : %(count)d nouveauté(s)", count=count)
        if daily
        else _("Votre résumé de la semaine du portail : %(count)d nouveauté(s)", count=count)
    )
    queued = queue_email(
        user.email,
        "notification_digest",
        subject,
        daily=daily,
        sections=sections,
        count=count,
        preferences_link=public_url_for("notifications.preferences"),
    )
    link_email(queued, households)
    return True


def send_digests(frequency: NotificationFrequency, now: datetime | None = None) -> int:
    """Every person's digest of ``frequency``, each in a transaction of its own; returns
    how many were queued. A second run finds the rows taken and sends nothing."""
    now = now or now_utc()
    user_ids = db.session.scalars(
        sa.select(PendingNotification.user_id)
        .where(PendingNotification.digested_at.is_(None))
        .distinct()
        .order_by(PendingNotification.user_id)
    ).all()
    sent = 0
    for user_id in user_ids:
        try:
            if send_digest(db.session.get_one(User, user_id), frequency, now):
                sent += 1
            db.session.commit()
        except Exception:
            db.session.rollback()
            current_app.logger.exception("Digest for user %s failed", user_id)
    return sent


__all__ = [
    "Kind",
    "KINDS",
    "kinds_for",
    "notify",
    "organisation_recipients",
    "preferences_of",
    "save_preferences",
    "send_digests",
    "unique",
]
