"""Outgoing e-mail, written in the same transaction as the change it reports."""

import enum
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.extensions import Model
from portal.models.base import UTCDateTime, now_utc, str_enum


class EmailStatus(enum.StrEnum):
    PENDING = "pending"
    SENDING = "sending"  # claimed by one sender; nobody else may send it
    SENT = "sent"
    FAILED = "failed"  # gave up after the maximum number of attempts


class OutgoingEmail(Model):
    id: Mapped[int] = mapped_column(primary_key=True)
    created: Mapped[datetime] = mapped_column(UTCDateTime, default=now_utc)
    recipient: Mapped[str] = mapped_column(sa.String(254))
    subject: Mapped[str] = mapped_column(sa.String(255))
    # Which message it is (its template): what the coordinator's list of undelivered
    # messages shows, since a subject can name a household or a meeting.
    template: Mapped[str] = mapped_column(sa.String(60), default="")
    text_body: Mapped[str] = mapped_column(sa.Text)
    html_body: Mapped[str] = mapped_column(sa.Text)
    message_id: Mapped[str] = mapped_column(sa.String(255), unique=True)
    status: Mapped[EmailStatus] = mapped_column(str_enum(EmailStatus), default=EmailStatus.PENDING)
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now_utc)
    claimed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    claim_token: Mapped[str | None] = mapped_column(sa.String(32))
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_error: Mapped[str | None] = mapped_column(sa.String(500))

    attachments: Mapped[list["OutgoingEmailAttachment"]] = relationship(
        back_populates="email", cascade="all, delete-orphan", lazy="selectin"
    )

    __table_args__ = (sa.Index("ix_outgoing_email_due", "status", "next_attempt_at"),)


class OutgoingEmailAttachment(Model):
    id: Mapped[int] = mapped_column(primary_key=True)
    email_id: Mapped[int] = mapped_column(
        sa.ForeignKey("outgoing_email.id", ondelete="CASCADE"), index=True
    )
    filename: Mapped[str] = mapped_column(sa.String(255))
    content_type: Mapped[str] = mapped_column(sa.String(120))
    data: Mapped[bytes] = mapped_column(sa.LargeBinary)

    email: Mapped[OutgoingEmail] = relationship(back_populates="attachments")
