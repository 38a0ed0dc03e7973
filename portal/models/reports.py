"""What the coordinator writes into the yearly activity report, and closed years' reports
computed once.

- funding lines: per programme and year, an amount and its source (« BOP 177 – État »,
  22 000 €), as in the field report's budget;
- the year's written analysis: difficulties, levers, perspectives, per programme and year;
- a closed year's report, stored with the moment and the data version it was computed from.
"""

from datetime import datetime
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.extensions import Model
from portal.models.base import UTCDateTime, now_utc
from portal.models.housing import Money, Programme
from portal.models.people import User


class FundingLine(Model):
    """One source of the programme's funding for a year."""

    __tablename__ = "report_funding_line"

    id: Mapped[int] = mapped_column(primary_key=True)
    programme_id: Mapped[int] = mapped_column(
        sa.ForeignKey("programme.id", ondelete="CASCADE"), index=True
    )
    year: Mapped[int]
    source: Mapped[str] = mapped_column(sa.String(160))
    amount: Mapped[Decimal] = mapped_column(Money)
    created_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("user_account.id", ondelete="SET NULL")
    )
    created: Mapped[datetime] = mapped_column(UTCDateTime, default=now_utc)

    programme: Mapped[Programme] = relationship(lazy="joined")
    created_by: Mapped[User | None] = relationship()

    __table_args__ = (
        sa.CheckConstraint("amount >= 0", name="amount_not_negative"),
        sa.Index("ix_report_funding_line_programme_year", "programme_id", "year"),
    )


class YearAnalysis(Model):
    """The coordinator's written analysis of a programme's year (no household in it)."""

    __tablename__ = "report_analysis"

    id: Mapped[int] = mapped_column(primary_key=True)
    programme_id: Mapped[int] = mapped_column(sa.ForeignKey("programme.id", ondelete="CASCADE"))
    year: Mapped[int]
    difficulties: Mapped[str] = mapped_column(sa.Text, default="")
    levers: Mapped[str] = mapped_column(sa.Text, default="")
    perspectives: Mapped[str] = mapped_column(sa.Text, default="")
    updated_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("user_account.id", ondelete="SET NULL")
    )
    updated: Mapped[datetime] = mapped_column(UTCDateTime, default=now_utc, onupdate=now_utc)

    programme: Mapped[Programme] = relationship(lazy="joined")
    updated_by: Mapped[User | None] = relationship()

    __table_args__ = (sa.UniqueConstraint("programme_id", "year"),)


class StoredReport(Model):
    """A closed year's activity report as computed (JSON), for one scope."""

    __tablename__ = "stored_report"

    id: Mapped[int] = mapped_column(primary_key=True)
    scope_key: Mapped[str] = mapped_column(sa.String(200), unique=True)
    year: Mapped[int] = mapped_column(index=True)
    computed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now_utc)
    data_version: Mapped[str] = mapped_column(sa.String(64))
    payload: Mapped[str] = mapped_column(sa.Text)
