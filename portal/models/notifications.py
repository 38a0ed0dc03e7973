"""Notifications: what each person chose to receive, the events kept for their digests, and
the people an organisation names to receive what is addressed to it."""

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from portal.extensions import Model, db
from portal.i18n import _l
from portal.models.base import LabelledEnum, UTCDateTime, now_utc, str_enum


class NotificationFrequency(LabelledEnum):
    IMMEDIATE = "immediate", _l("Tout de suite")
    DAILY = "daily", _l("Dans le résumé quotidien")
    WEEKLY = "weekly", _l("Dans le résumé hebdomadaire")
    NEVER = "never", _l("Jamais")


class NotificationPreference(Model):
    """One person's choice for one kind of notification (no row: the kind's default)."""

    __tablename__ = "notification_preference"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(
        sa.ForeignKey("user_account.id", ondelete="CASCADE"), index=True
    )
    kind: Mapped[str] = mapped_column(sa.String(40))
    frequency: Mapped[NotificationFrequency] = mapped_column(str_enum(NotificationFrequency))

    __table_args__ = (sa.UniqueConstraint("user_id", "kind"),)


class PendingNotification(Model):
    """An event waiting for one person's digest. It holds no text: the digest is written
    when it is sent, from what the object says then and what the reader may see then (a
    share withdrawn in between takes the line away)."""

    __tablename__ = "pending_notification"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(
        sa.ForeignKey("user_account.id", ondelete="CASCADE"), index=True
    )
    kind: Mapped[str] = mapped_column(sa.String(40))
    event: Mapped[str] = mapped_column(sa.String(40), default="")
    target_id: Mapped[int]
    # The organisation the event was addressed to (a share, a decision), when there is one.
    organisation_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("organisation.id", ondelete="CASCADE")
    )
    created: Mapped[datetime] = mapped_column(UTCDateTime, default=now_utc)
    # Set when a digest took it (or found it no longer wanted): never in two digests.
    digested_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    __table_args__ = (sa.Index("ix_pending_notification_waiting", "digested_at", "user_id"),)


# The people an organisation names to receive what is addressed to it (when no one is
# assigned to the item), instead of its admins.
notification_recipient = sa.Table(
    "notification_recipient",
    db.Model.metadata,
    sa.Column(
        "organisation_id", sa.ForeignKey("organisation.id", ondelete="CASCADE"), primary_key=True
    ),
    sa.Column("user_id", sa.ForeignKey("user_account.id", ondelete="CASCADE"), primary_key=True),
)
