"""Private landlords' offers of a unit, tracked by the CCAS to a signed agreement."""

from datetime import date, datetime
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.extensions import db
from portal.i18n import _l
from portal.models.base import LabelledEnum, UTCDateTime, now_utc, str_enum
from portal.models.households import Typology
from portal.models.housing import DpeClass, Money, Unit
from portal.models.organisations import Commune
from portal.models.people import User


class OfferStatus(LabelledEnum):
    DRAFT = "draft", _l("En cours de saisie")
    NEW = "new", _l("Nouvelle offre")
    FIRST_CONTACT = "first_contact", _l("Premier contact")
    VISIT_PLANNED = "visit_planned", _l("Visite prévue")
    VISITED = "visited", _l("Logement visité")
    FINANCIAL_PROPOSAL = "financial_proposal", _l("Proposition financière")
    AGREEMENT_SIGNED = "agreement_signed", _l("Convention signée")
    AVAILABLE = "available", _l("Logement disponible")
    ALLOCATED = "allocated", _l("Logement attribué")
    BLOCKED = "blocked", _l("Bloquée")
    REFUSED = "refused", _l("Refusée")


class OfferReason(LabelledEnum):
    """Why an offer is blocked or refused (counted in the activity report)."""

    WORKS_NEEDED = "works_needed", _l("Travaux nécessaires")
    RENT_ABOVE_CEILING = "rent_above_ceiling", _l("Loyer au-dessus du plafond")
    OWNER_REFUSED = "owner_refused", _l("Refus du propriétaire")
    CO_OWNERSHIP = "co_ownership", _l("Copropriété")
    INHERITANCE_PENDING = "inheritance_pending", _l("Succession en cours")
    OTHER = "other", _l("Autre motif")


class OwnerKind(LabelledEnum):
    PERSON = "person", _l("Particulier")
    COMPANY = "company", _l("Société (SCI…)")


class PreferredScheme(LabelledEnum):
    SUBLEASE = "sublease", _l("Location au CCAS qui sous-loue (intermédiation locative)")
    MANDATE = "mandate", _l("Mandat de gestion")
    UNKNOWN = "unknown", _l("Je ne sais pas encore")


class LandlordOffer(db.Model):
    """A unit a private landlord offers, with the owner's details, as the form collects it."""

    id: Mapped[int] = mapped_column(primary_key=True)
    owner_id: Mapped[int] = mapped_column(sa.ForeignKey("user_account.id"), index=True)
    status: Mapped[OfferStatus] = mapped_column(
        str_enum(OfferStatus), default=OfferStatus.DRAFT, index=True
    )
    reason: Mapped[OfferReason | None] = mapped_column(str_enum(OfferReason))
    reason_comment: Mapped[str] = mapped_column(sa.String(1000), default="")
    # Owner.
    owner_kind: Mapped[OwnerKind] = mapped_column(str_enum(OwnerKind), default=OwnerKind.PERSON)
    company_name: Mapped[str] = mapped_column(sa.String(160), default="")
    contact_phone: Mapped[str] = mapped_column(sa.String(30), default="")
    consent_to_contact: Mapped[bool] = mapped_column(default=False)
    # Unit.
    address: Mapped[str] = mapped_column(sa.String(250), default="")
    commune_id: Mapped[int | None] = mapped_column(sa.ForeignKey("commune.id"), index=True)
    typology: Mapped[Typology | None] = mapped_column(str_enum(Typology))
    surface: Mapped[Decimal | None] = mapped_column(sa.Numeric(7, 2))
    main_room_surface: Mapped[Decimal | None] = mapped_column(sa.Numeric(7, 2))
    ceiling_height: Mapped[Decimal | None] = mapped_column(sa.Numeric(4, 2))
    rooms: Mapped[int | None]
    floor: Mapped[int | None]
    lift: Mapped[bool] = mapped_column(default=False)
    accessible: Mapped[bool] = mapped_column(default=False)
    rent: Mapped[Decimal | None] = mapped_column(Money)
    charges: Mapped[Decimal | None] = mapped_column(Money)
    dpe_class: Mapped[DpeClass | None] = mapped_column(str_enum(DpeClass, length=1))
    dpe_number: Mapped[str] = mapped_column(sa.String(20), default="")
    furnished: Mapped[bool] = mapped_column(default=False)
    available_from: Mapped[date | None]
    vacant_since: Mapped[date | None]
    preferred_scheme: Mapped[PreferredScheme | None] = mapped_column(str_enum(PreferredScheme))
    # Pipeline.
    assigned_to_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("user_account.id", ondelete="SET NULL"), index=True
    )
    visit_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # The unit made usable for a measure once the offer is available.
    unit_id: Mapped[int | None] = mapped_column(sa.ForeignKey("unit.id"), unique=True)
    submitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)
    agreement_signed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    status_changed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now_utc)
    created: Mapped[datetime] = mapped_column(UTCDateTime, default=now_utc)
    updated: Mapped[datetime] = mapped_column(UTCDateTime, default=now_utc, onupdate=now_utc)

    owner: Mapped[User] = relationship(foreign_keys=[owner_id], lazy="joined")
    assigned_to: Mapped[User | None] = relationship(foreign_keys=[assigned_to_id])
    commune: Mapped[Commune | None] = relationship(lazy="joined")
    unit: Mapped[Unit | None] = relationship()
    status_changes: Mapped[list["OfferStatusChange"]] = relationship(
        back_populates="offer", cascade="all, delete-orphan", order_by="OfferStatusChange.id"
    )

    def __str__(self) -> str:
        where = self.commune.name if self.commune else ""
        kind = self.typology.value if self.typology else ""
        return f"Offre n° {self.id} — {kind} {where}".strip()


class OfferStatusChange(db.Model):
    """Each move through the pipeline: counted per stage (durations, reasons) in reports."""

    id: Mapped[int] = mapped_column(primary_key=True)
    offer_id: Mapped[int] = mapped_column(
        sa.ForeignKey("landlord_offer.id", ondelete="CASCADE"), index=True
    )
    from_status: Mapped[OfferStatus | None] = mapped_column(str_enum(OfferStatus))
    to_status: Mapped[OfferStatus] = mapped_column(str_enum(OfferStatus))
    reason: Mapped[OfferReason | None] = mapped_column(str_enum(OfferReason))
    user_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("user_account.id", ondelete="SET NULL")
    )
    comment: Mapped[str] = mapped_column(sa.String(1000), default="")
    created: Mapped[datetime] = mapped_column(UTCDateTime, default=now_utc, index=True)

    offer: Mapped[LandlordOffer] = relationship(back_populates="status_changes")
    user: Mapped[User | None] = relationship()
