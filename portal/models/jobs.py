"""The worker's bookkeeping: which scheduled job ran for which period, the tasks the web
requests hand it, and the audit counts kept once the entries themselves are purged."""

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from portal.extensions import Model
from portal.models.base import UTCDateTime, now_utc


class JobRun(Model):
    """A scheduled job's run for one period (an hour, a day): the unique constraint makes it
    run once per period across every worker on every machine."""

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(60))
    period: Mapped[str] = mapped_column(sa.String(20))
    worker: Mapped[str] = mapped_column(sa.String(120), default="")
    started_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now_utc)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    result: Mapped[str] = mapped_column(sa.String(500), default="")

    __table_args__ = (sa.UniqueConstraint("name", "period"),)


class Task(Model):
    """Work a request hands the worker, so that it answers at once and in the same time
    whatever the work (a password-reset request for an unknown address included)."""

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(sa.String(60))
    payload: Mapped[str] = mapped_column(sa.Text, default="{}")  # JSON
    created: Mapped[datetime] = mapped_column(UTCDateTime, default=now_utc)
    claimed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    claim_token: Mapped[str | None] = mapped_column(sa.String(32))
    done_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)
    attempts: Mapped[int] = mapped_column(default=0)
    last_error: Mapped[str | None] = mapped_column(sa.String(500))


class AuditMonthlyCount(Model):
    """What remains of purged audit entries: counts per month, action and object type."""

    id: Mapped[int] = mapped_column(primary_key=True)
    month: Mapped[str] = mapped_column(sa.String(7))  # YYYY-MM
    action: Mapped[str] = mapped_column(sa.String(32))
    object_type: Mapped[str] = mapped_column(sa.String(40))
    count: Mapped[int] = mapped_column(default=0)

    __table_args__ = (sa.UniqueConstraint("month", "action", "object_type"),)
