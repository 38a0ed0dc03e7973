"""Complex cases (situations complexes) posted to a committee, and everything around them."""

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.extensions import Model
from portal.i18n import _l
from portal.models.base import LabelledEnum, UTCDateTime, now_utc, str_enum
from portal.models.households import Household
from portal.models.organisations import Committee, Organisation
from portal.models.people import User


class CaseStatus(LabelledEnum):
    DRAFT = "draft", _l("Brouillon")
    SUBMITTED = "submitted", _l("Soumise au comité")
    ON_AGENDA = "on_agenda", _l("À l'ordre du jour")
    DECIDED = "decided", _l("Décision prise")
    CLOSED = "closed", _l("Close")


class AccessLevel(LabelledEnum):
    SITUATION = "situation", _l("Situation seulement")
    FULL = "full", _l("Situation et identité")


class CaseEventKind(LabelledEnum):
    CREATED = "created", _l("Création")
    STATUS = "status", _l("Changement de statut")
    EDITED = "edited", _l("Modification")
    NOTE = "note", _l("Note")
    ATTACHMENT = "attachment", _l("Pièce jointe")
    ATTACHMENT_REMOVED = "attachment_removed", _l("Pièce jointe retirée")
    SHARED = "shared", _l("Partage")
    UNSHARED = "unshared", _l("Fin de partage")
    INFORMED = "informed", _l("Information du ménage")
    MEETING = "meeting", _l("Réunion")
    DECISION = "decision", _l("Décision")
    ACTION = "action", _l("Action de suivi")


class Case(Model):
    __tablename__ = "complex_case"  # "case" is a reserved word in SQL

    id: Mapped[int] = mapped_column(primary_key=True)
    household_id: Mapped[int] = mapped_column(sa.ForeignKey("household.id"), index=True)
    organisation_id: Mapped[int] = mapped_column(sa.ForeignKey("organisation.id"), index=True)
    committee_id: Mapped[int] = mapped_column(sa.ForeignKey("committee.id"), index=True)
    created_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("user_account.id", ondelete="SET NULL")
    )
    title: Mapped[str] = mapped_column(sa.String(160))
    question: Mapped[str] = mapped_column(sa.String(2000))
    status: Mapped[CaseStatus] = mapped_column(str_enum(CaseStatus), default=CaseStatus.DRAFT)
    created: Mapped[datetime] = mapped_column(UTCDateTime, default=now_utc, index=True)
    submitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    updated: Mapped[datetime] = mapped_column(UTCDateTime, default=now_utc, onupdate=now_utc)

    household: Mapped[Household] = relationship(lazy="joined")
    organisation: Mapped[Organisation] = relationship(lazy="joined")
    committee: Mapped[Committee] = relationship(lazy="joined")
    created_by: Mapped[User | None] = relationship()
    participants: Mapped[list["CaseParticipant"]] = relationship(
        back_populates="case", cascade="all, delete-orphan", lazy="selectin"
    )

    # Committee members see the cases before their committees in some statuses
    # (visible_cases_clause): without this index, SQLite reads every case in those statuses
    # across the department (bench/results.md: dashboard 245 ms → 28 ms at 50 000 households).
    # The case list filtered by status shows the most recently updated first: in this order
    # SQLite reads the first page from the index instead of sorting every case in the status
    # (bench/results-department.md: 16 ms → under 1 ms at 50 000 households).
    __table_args__ = (
        sa.Index("ix_complex_case_committee_id_status", "committee_id", "status"),
        sa.Index("ix_complex_case_status_updated", "status", "updated", "id"),
    )

    def __str__(self) -> str:
        return f"{self.household.reference} — {self.title}"

    def participant(self, organisation_id: int) -> "CaseParticipant | None":
        return next((p for p in self.participants if p.organisation_id == organisation_id), None)


class CaseParticipant(Model):
    """An organisation the case is shared with, at a level, for a stated reason."""

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(
        sa.ForeignKey("complex_case.id", ondelete="CASCADE"), index=True
    )
    organisation_id: Mapped[int] = mapped_column(sa.ForeignKey("organisation.id"), index=True)
    level: Mapped[AccessLevel] = mapped_column(str_enum(AccessLevel))
    reason: Mapped[str] = mapped_column(sa.String(300))
    added_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("user_account.id", ondelete="SET NULL")
    )
    created: Mapped[datetime] = mapped_column(UTCDateTime, default=now_utc)

    case: Mapped[Case] = relationship(back_populates="participants")
    # Access rules read the organisation's id; only the case page names it (and loads it).
    organisation: Mapped[Organisation] = relationship()
    added_by: Mapped[User | None] = relationship()

    __table_args__ = (sa.UniqueConstraint("case_id", "organisation_id"),)


class CaseNote(Model):
    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(
        sa.ForeignKey("complex_case.id", ondelete="CASCADE"), index=True
    )
    author_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("user_account.id", ondelete="SET NULL")
    )
    organisation_id: Mapped[int] = mapped_column(sa.ForeignKey("organisation.id"))
    body: Mapped[str] = mapped_column(sa.Text)
    # Internal notes are read by the author's organisation only.
    internal: Mapped[bool] = mapped_column(default=False)
    created: Mapped[datetime] = mapped_column(UTCDateTime, default=now_utc)

    author: Mapped[User | None] = relationship(lazy="joined")
    organisation: Mapped[Organisation] = relationship(lazy="joined")


class CaseAttachment(Model):
    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(
        sa.ForeignKey("complex_case.id", ondelete="CASCADE"), index=True
    )
    uploaded_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("user_account.id", ondelete="SET NULL")
    )
    organisation_id: Mapped[int] = mapped_column(sa.ForeignKey("organisation.id"))
    filename: Mapped[str] = mapped_column(sa.String(200))  # cleaned name shown to people
    stored_name: Mapped[str] = mapped_column(sa.String(64), unique=True)  # random, on disk
    content_type: Mapped[str] = mapped_column(sa.String(120))
    size: Mapped[int]
    sha256: Mapped[str] = mapped_column(sa.String(64))
    created: Mapped[datetime] = mapped_column(UTCDateTime, default=now_utc)

    uploaded_by: Mapped[User | None] = relationship(lazy="joined")


class CaseEvent(Model):
    """One line of the case's timeline."""

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(
        sa.ForeignKey("complex_case.id", ondelete="CASCADE"), index=True
    )
    kind: Mapped[CaseEventKind] = mapped_column(str_enum(CaseEventKind))
    user_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("user_account.id", ondelete="SET NULL")
    )
    organisation_id: Mapped[int | None] = mapped_column(sa.ForeignKey("organisation.id"))
    summary: Mapped[str] = mapped_column(sa.String(500))
    # Events about internal notes are shown to the author's organisation only.
    internal: Mapped[bool] = mapped_column(default=False)
    created: Mapped[datetime] = mapped_column(UTCDateTime, default=now_utc, index=True)

    user: Mapped[User | None] = relationship(lazy="joined")
    organisation: Mapped[Organisation | None] = relationship(lazy="joined")
