"""Committee meetings: invitations, agenda, minutes, joint decisions and follow-up actions."""

import uuid
from datetime import date, datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.extensions import Model, db
from portal.i18n import _l
from portal.models.base import LabelledEnum, UTCDateTime, now_utc, str_enum
from portal.models.cases import Case
from portal.models.organisations import Committee, Organisation
from portal.models.people import User


class MeetingKind(LabelledEnum):
    COMITE_TECHNIQUE = "comite_technique", _l("Comité technique")
    COMITE_PILOTAGE = "comite_pilotage", _l("Comité de pilotage")
    COMMISSION_SIAO = "commission_siao", _l("Commission SIAO")
    POINT_DE_SITUATION = "point_de_situation", _l("Point de situation (bailleur et ménage)")


class MeetingStatus(LabelledEnum):
    PLANNED = "planned", _l("Prévue")
    CANCELLED = "cancelled", _l("Annulée")


class InvitationResponse(LabelledEnum):
    PENDING = "pending", _l("Sans réponse")
    ACCEPTED = "accepted", _l("Présent")
    DECLINED = "declined", _l("Absent")
    EXCUSED = "excused", _l("Excusé")


class Attendance(LabelledEnum):
    PRESENT = "present", _l("Présent")
    ABSENT = "absent", _l("Absent")
    EXCUSED = "excused", _l("Excusé")


class MinutesStatus(LabelledEnum):
    DRAFT = "draft", _l("Brouillon")
    SUBMITTED = "submitted", _l("Soumis pour approbation")
    APPROVED = "approved", _l("Approuvé")


class DecisionKind(LabelledEnum):
    ORIENTATION_IML = "orientation_iml", _l("Orientation vers l'intermédiation locative")
    HOUSING_PROPOSAL = "housing_proposal", _l("Proposition de logement")
    REINFORCED_SUPPORT = "reinforced_support", _l("Accompagnement renforcé")
    PARTNER_MOBILISATION = "partner_mobilisation", _l("Mobilisation d'un partenaire")
    ADJOURNED = "adjourned", _l("Ajournement / informations complémentaires")
    EXTENSION = "extension", _l("Prolongation")
    LEASE_SLIDE = "lease_slide", _l("Glissement du bail")
    CLOSURE = "closure", _l("Clôture")
    OTHER = "other", _l("Autre")


class ActionStatus(LabelledEnum):
    OPEN = "open", _l("À faire")
    DONE = "done", _l("Faite")
    CANCELLED = "cancelled", _l("Annulée")


def new_uid() -> str:
    return f"{uuid.uuid4()}@portail-partenaires"


class Meeting(Model):
    id: Mapped[int] = mapped_column(primary_key=True)
    committee_id: Mapped[int] = mapped_column(sa.ForeignKey("committee.id"), index=True)
    kind: Mapped[MeetingKind] = mapped_column(str_enum(MeetingKind))
    title: Mapped[str] = mapped_column(sa.String(160))
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    duration_minutes: Mapped[int] = mapped_column(default=120)
    location: Mapped[str] = mapped_column(sa.String(250), default="")
    video_link: Mapped[str] = mapped_column(sa.String(500), default="")
    status: Mapped[MeetingStatus] = mapped_column(
        str_enum(MeetingStatus), default=MeetingStatus.PLANNED
    )
    organiser_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("user_account.id", ondelete="SET NULL")
    )
    # The organisation the organiser scheduled it for: the role ends with that membership.
    organiser_organisation_id: Mapped[int | None] = mapped_column(sa.ForeignKey("organisation.id"))
    # iCalendar: the same UID for the life of the event, SEQUENCE raised at each change.
    uid: Mapped[str] = mapped_column(sa.String(120), unique=True, default=new_uid)
    sequence: Mapped[int] = mapped_column(default=0)
    reminder_sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created: Mapped[datetime] = mapped_column(UTCDateTime, default=now_utc)
    updated: Mapped[datetime] = mapped_column(UTCDateTime, default=now_utc, onupdate=now_utc)

    committee: Mapped[Committee] = relationship(lazy="joined")
    organiser: Mapped[User | None] = relationship()
    organiser_organisation: Mapped[Organisation | None] = relationship()
    invitees: Mapped[list["MeetingInvitee"]] = relationship(
        back_populates="meeting", cascade="all, delete-orphan", order_by="MeetingInvitee.id"
    )
    co_organisers: Mapped[list["CoOrganiser"]] = relationship(
        back_populates="meeting", cascade="all, delete-orphan", order_by="CoOrganiser.id"
    )
    agenda_items: Mapped[list["AgendaItem"]] = relationship(
        back_populates="meeting", cascade="all, delete-orphan", order_by="AgendaItem.position"
    )

    def __str__(self) -> str:
        return self.title

    @property
    def ends_at(self) -> datetime:
        return self.starts_at + timedelta(minutes=self.duration_minutes)

    @property
    def is_cancelled(self) -> bool:
        return self.status == MeetingStatus.CANCELLED

    def invitee(self, user_id: int) -> "MeetingInvitee | None":
        return next((i for i in self.invitees if i.user_id == user_id), None)


class CoOrganiser(Model):
    """A person named to organise a meeting with its organiser, for one organisation of the
    committee: the role ends with that membership."""

    __tablename__ = "meeting_co_organiser"

    id: Mapped[int] = mapped_column(primary_key=True)
    meeting_id: Mapped[int] = mapped_column(
        sa.ForeignKey("meeting.id", ondelete="CASCADE"), index=True
    )
    user_id: Mapped[int] = mapped_column(
        sa.ForeignKey("user_account.id", ondelete="CASCADE"), index=True
    )
    organisation_id: Mapped[int] = mapped_column(sa.ForeignKey("organisation.id"))
    named_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("user_account.id", ondelete="SET NULL")
    )
    created: Mapped[datetime] = mapped_column(UTCDateTime, default=now_utc)

    meeting: Mapped[Meeting] = relationship(back_populates="co_organisers")
    user: Mapped[User] = relationship(lazy="joined", foreign_keys=[user_id])
    organisation: Mapped[Organisation] = relationship(lazy="joined")

    __table_args__ = (sa.UniqueConstraint("meeting_id", "user_id"),)


class MeetingInvitee(Model):
    """A person invited, for the organisation they represent; their answer and presence."""

    id: Mapped[int] = mapped_column(primary_key=True)
    meeting_id: Mapped[int] = mapped_column(
        sa.ForeignKey("meeting.id", ondelete="CASCADE"), index=True
    )
    user_id: Mapped[int] = mapped_column(
        sa.ForeignKey("user_account.id", ondelete="CASCADE"), index=True
    )
    organisation_id: Mapped[int] = mapped_column(sa.ForeignKey("organisation.id"), index=True)
    response: Mapped[InvitationResponse] = mapped_column(
        str_enum(InvitationResponse), default=InvitationResponse.PENDING
    )
    # An excused partner may send a written opinion; it is attached to the agenda.
    opinion: Mapped[str] = mapped_column(sa.String(2000), default="")
    responded_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # « Relancer les sans-réponse »: one reminder per invitee.
    chased_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    attendance: Mapped[Attendance | None] = mapped_column(str_enum(Attendance))

    meeting: Mapped[Meeting] = relationship(back_populates="invitees")
    user: Mapped[User] = relationship(lazy="joined")
    organisation: Mapped[Organisation] = relationship(lazy="joined")
    item_opinions: Mapped[list["ItemOpinion"]] = relationship(
        back_populates="invitee", cascade="all, delete-orphan", order_by="ItemOpinion.id"
    )

    __table_args__ = (sa.UniqueConstraint("meeting_id", "user_id"),)


class AgendaItem(Model):
    id: Mapped[int] = mapped_column(primary_key=True)
    meeting_id: Mapped[int] = mapped_column(
        sa.ForeignKey("meeting.id", ondelete="CASCADE"), index=True
    )
    position: Mapped[int] = mapped_column(default=0)
    title: Mapped[str] = mapped_column(sa.String(200))
    duration_minutes: Mapped[int] = mapped_column(default=15)
    presenter_organisation_id: Mapped[int | None] = mapped_column(sa.ForeignKey("organisation.id"))
    case_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("complex_case.id", ondelete="SET NULL"), index=True
    )
    # The minutes' notes on this item.
    notes: Mapped[str] = mapped_column(sa.Text, default="")

    meeting: Mapped[Meeting] = relationship(back_populates="agenda_items")
    presenter: Mapped[Organisation | None] = relationship(lazy="joined")
    case: Mapped[Case | None] = relationship(lazy="joined")
    opinions: Mapped[list["ItemOpinion"]] = relationship(
        back_populates="agenda_item", cascade="all, delete-orphan", order_by="ItemOpinion.id"
    )


class ItemOpinion(Model):
    """An excused partner's written opinion on one agenda item: about a case, it is read
    only by those who may read that case's discussion."""

    id: Mapped[int] = mapped_column(primary_key=True)
    invitee_id: Mapped[int] = mapped_column(
        sa.ForeignKey("meeting_invitee.id", ondelete="CASCADE"), index=True
    )
    agenda_item_id: Mapped[int] = mapped_column(
        sa.ForeignKey("agenda_item.id", ondelete="CASCADE"), index=True
    )
    text: Mapped[str] = mapped_column(sa.String(2000))

    invitee: Mapped[MeetingInvitee] = relationship(back_populates="item_opinions")
    agenda_item: Mapped[AgendaItem] = relationship(back_populates="opinions")

    __table_args__ = (sa.UniqueConstraint("invitee_id", "agenda_item_id"),)


class ProposalOrigin(LabelledEnum):
    OWNER = "owner", _l("Proposée par l'organisation qui suit la situation")
    ORGANISER = "organiser", _l("Demandée par les organisateurs")
    ADJOURNED = "adjourned", _l("Ajournée lors d'une réunion précédente")


class ProposalStatus(LabelledEnum):
    PENDING = "pending", _l("En attente")
    ACCEPTED = "accepted", _l("Acceptée")
    DECLINED = "declined", _l("Refusée")


class AgendaProposal(Model):
    """A case proposed for a meeting's agenda. A case goes on an agenda only with the
    agreement of the organisation that follows it: the organisers accept what it (or an
    adjournment) proposes; it accepts what the organisers request."""

    id: Mapped[int] = mapped_column(primary_key=True)
    meeting_id: Mapped[int] = mapped_column(
        sa.ForeignKey("meeting.id", ondelete="CASCADE"), index=True
    )
    case_id: Mapped[int] = mapped_column(
        sa.ForeignKey("complex_case.id", ondelete="CASCADE"), index=True
    )
    origin: Mapped[ProposalOrigin] = mapped_column(str_enum(ProposalOrigin))
    status: Mapped[ProposalStatus] = mapped_column(
        str_enum(ProposalStatus), default=ProposalStatus.PENDING
    )
    proposed_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("user_account.id", ondelete="SET NULL")
    )
    answered_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("user_account.id", ondelete="SET NULL")
    )
    answered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created: Mapped[datetime] = mapped_column(UTCDateTime, default=now_utc)

    meeting: Mapped[Meeting] = relationship()
    case: Mapped[Case] = relationship()
    proposed_by: Mapped[User | None] = relationship(foreign_keys=[proposed_by_id])
    answered_by: Mapped[User | None] = relationship(foreign_keys=[answered_by_id])

    @property
    def is_pending(self) -> bool:
        return self.status == ProposalStatus.PENDING

    @property
    def answered_by_owner(self) -> bool:
        """The organisers ask; the case's organisation answers (and the other way round)."""
        return self.origin == ProposalOrigin.ORGANISER


class Minutes(Model):
    """The compte rendu: general notes here, item notes on the agenda items."""

    id: Mapped[int] = mapped_column(primary_key=True)
    meeting_id: Mapped[int] = mapped_column(
        sa.ForeignKey("meeting.id", ondelete="CASCADE"), unique=True
    )
    general_notes: Mapped[str] = mapped_column(sa.Text, default="")
    status: Mapped[MinutesStatus] = mapped_column(
        str_enum(MinutesStatus), default=MinutesStatus.DRAFT
    )
    # Raised at each save: a save based on an older version is a conflict, never an overwrite.
    version: Mapped[int] = mapped_column(default=1)
    updated_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("user_account.id", ondelete="SET NULL")
    )
    updated: Mapped[datetime] = mapped_column(UTCDateTime, default=now_utc)
    approved_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("user_account.id", ondelete="SET NULL")
    )
    approved_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    content_hash: Mapped[str | None] = mapped_column(sa.String(64))
    # « Envoyer le compte rendu »: the invitees were sent a link to the approved version.
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    meeting: Mapped[Meeting] = relationship()
    updated_by: Mapped[User | None] = relationship(foreign_keys=[updated_by_id])
    approved_by: Mapped[User | None] = relationship(foreign_keys=[approved_by_id])

    __mapper_args__ = {"version_id_col": version}


class MinutesRevision(Model):
    """A frozen copy of approved minutes, kept when they are re-opened."""

    id: Mapped[int] = mapped_column(primary_key=True)
    minutes_id: Mapped[int] = mapped_column(
        sa.ForeignKey("minutes.id", ondelete="CASCADE"), index=True
    )
    content: Mapped[str] = mapped_column(sa.Text)  # JSON of general and item notes
    content_hash: Mapped[str] = mapped_column(sa.String(64))
    approved_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("user_account.id", ondelete="SET NULL")
    )
    approved_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    reopened_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("user_account.id", ondelete="SET NULL")
    )
    reopened_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now_utc)
    reason: Mapped[str] = mapped_column(sa.String(500), default="")

    reopened_by: Mapped[User | None] = relationship(foreign_keys=[reopened_by_id])


decision_organisation = sa.Table(
    "decision_organisation",
    db.Model.metadata,
    sa.Column("decision_id", sa.ForeignKey("decision.id", ondelete="CASCADE"), primary_key=True),
    sa.Column(
        "organisation_id", sa.ForeignKey("organisation.id", ondelete="CASCADE"), primary_key=True
    ),
)


class Decision(Model):
    """A joint decision, on an agenda item or a case."""

    id: Mapped[int] = mapped_column(primary_key=True)
    meeting_id: Mapped[int] = mapped_column(
        sa.ForeignKey("meeting.id", ondelete="CASCADE"), index=True
    )
    agenda_item_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("agenda_item.id", ondelete="SET NULL")
    )
    case_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("complex_case.id", ondelete="SET NULL"), index=True
    )
    kind: Mapped[DecisionKind] = mapped_column(str_enum(DecisionKind))
    text: Mapped[str] = mapped_column(sa.String(2000))
    created_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("user_account.id", ondelete="SET NULL")
    )
    created: Mapped[datetime] = mapped_column(UTCDateTime, default=now_utc)

    meeting: Mapped[Meeting] = relationship(lazy="joined")
    case: Mapped[Case | None] = relationship(lazy="joined")
    agenda_item: Mapped[AgendaItem | None] = relationship()
    organisations: Mapped[list[Organisation]] = relationship(
        secondary=decision_organisation, order_by=Organisation.name
    )
    positions: Mapped[list["DecisionPosition"]] = relationship(
        cascade="all, delete-orphan", lazy="selectin"
    )
    actions: Mapped[list["FollowUpAction"]] = relationship(back_populates="decision")


class DecisionPosition(Model):
    """A partner's position, when it differs from the joint decision."""

    id: Mapped[int] = mapped_column(primary_key=True)
    decision_id: Mapped[int] = mapped_column(
        sa.ForeignKey("decision.id", ondelete="CASCADE"), index=True
    )
    organisation_id: Mapped[int] = mapped_column(sa.ForeignKey("organisation.id"))
    position: Mapped[str] = mapped_column(sa.String(1000))

    organisation: Mapped[Organisation] = relationship(lazy="joined")


class FollowUpAction(Model):
    """Something a partner must do, carried from meeting to meeting until done."""

    __tablename__ = "follow_up_action"

    id: Mapped[int] = mapped_column(primary_key=True)
    meeting_id: Mapped[int] = mapped_column(
        sa.ForeignKey("meeting.id", ondelete="CASCADE"), index=True
    )
    committee_id: Mapped[int] = mapped_column(sa.ForeignKey("committee.id"), index=True)
    decision_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("decision.id", ondelete="SET NULL"), index=True
    )
    case_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("complex_case.id", ondelete="SET NULL"), index=True
    )
    description: Mapped[str] = mapped_column(sa.String(1000))
    organisation_id: Mapped[int] = mapped_column(sa.ForeignKey("organisation.id"), index=True)
    user_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("user_account.id", ondelete="SET NULL"), index=True
    )
    due_on: Mapped[date] = mapped_column(index=True)
    status: Mapped[ActionStatus] = mapped_column(
        str_enum(ActionStatus), default=ActionStatus.OPEN, index=True
    )
    closing_note: Mapped[str] = mapped_column(sa.String(1000), default="")
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    closed_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("user_account.id", ondelete="SET NULL")
    )
    overdue_notified_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created: Mapped[datetime] = mapped_column(UTCDateTime, default=now_utc)

    meeting: Mapped[Meeting] = relationship(lazy="joined")
    decision: Mapped[Decision | None] = relationship(back_populates="actions")
    case: Mapped[Case | None] = relationship(lazy="joined")
    organisation: Mapped[Organisation] = relationship(lazy="joined")
    user: Mapped[User | None] = relationship(lazy="joined", foreign_keys=[user_id])
    closed_by: Mapped[User | None] = relationship(foreign_keys=[closed_by_id])

    notes: Mapped[list["ActionNote"]] = relationship(
        back_populates="action", cascade="all, delete-orphan", order_by="ActionNote.id"
    )

    @property
    def is_overdue(self) -> bool:
        return self.status == ActionStatus.OPEN and self.due_on < date.today()


class ActionNote(Model):
    """A note on a follow-up action, added by its responsible organisation or the
    organisers (where it stands, what is in the way)."""

    id: Mapped[int] = mapped_column(primary_key=True)
    action_id: Mapped[int] = mapped_column(
        sa.ForeignKey("follow_up_action.id", ondelete="CASCADE"), index=True
    )
    user_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("user_account.id", ondelete="SET NULL")
    )
    organisation_id: Mapped[int | None] = mapped_column(sa.ForeignKey("organisation.id"))
    text: Mapped[str] = mapped_column(sa.String(1000))
    created: Mapped[datetime] = mapped_column(UTCDateTime, default=now_utc)

    action: Mapped[FollowUpAction] = relationship(back_populates="notes")
    user: Mapped[User | None] = relationship(lazy="joined")
    organisation: Mapped[Organisation | None] = relationship(lazy="joined")
