"""The fixed wording of the documents the portal generates, as the coordinator edits it.

A row overrides one passage of one document; without it the default of
``portal/documents/catalogue.py`` is used.
"""

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.extensions import Model
from portal.models.base import UTCDateTime, now_utc
from portal.models.people import User


class DocumentWording(Model):
    id: Mapped[int] = mapped_column(primary_key=True)
    document: Mapped[str] = mapped_column(sa.String(40))  # a catalogue slug
    passage: Mapped[str] = mapped_column(sa.String(40))  # a passage key of that document
    text: Mapped[str] = mapped_column(sa.String(4000))
    updated_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("user_account.id", ondelete="SET NULL")
    )
    updated: Mapped[datetime] = mapped_column(UTCDateTime, default=now_utc, onupdate=now_utc)

    updated_by: Mapped[User | None] = relationship()

    __table_args__ = (sa.UniqueConstraint("document", "passage"),)
