"""Private owners' offers of a unit, tracked by the CCAS to a signed agreement."""

from datetime import date, datetime
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.extensions import Model
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


class OwnerOffer(Model):
    """A unit a private owner offers, with the owner's details, as the form collects it."""

    __tablename__ = "landlord_offer"

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
    # What an agency would charge to let it alone: the scheme needs none (compared, not owed).
    agency_fees: Mapped[Decimal | None] = mapped_column(Money)
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
    documents: Mapped[list["OfferDocument"]] = relationship(
        back_populates="offer", cascade="all, delete-orphan", order_by="OfferDocument.id"
    )
    messages: Mapped[list["OfferMessage"]] = relationship(
        back_populates="offer", cascade="all, delete-orphan", order_by="OfferMessage.id"
    )
    checklist: Mapped["VisitChecklist | None"] = relationship(cascade="all, delete-orphan")

    def __str__(self) -> str:
        where = self.commune.name if self.commune else ""
        kind = self.typology.value if self.typology else ""
        return f"Offre n° {self.id} — {kind} {where}".strip()


class OfferStatusChange(Model):
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

    offer: Mapped[OwnerOffer] = relationship(back_populates="status_changes")
    user: Mapped[User | None] = relationship()


class OfferDocumentKind(LabelledEnum):
    """Only what the law allows to ask of an owner, plus the agreement the CCAS signs."""

    DPE = "dpe", _l("Diagnostic de performance énergétique (DPE)")
    OWNERSHIP = "ownership", _l("Justificatif de propriété (taxe foncière ou acte)")
    INSURANCE = "insurance", _l("Attestation d'assurance propriétaire")
    AGREEMENT = "agreement", _l("Convention signée")


class OfferDocument(Model):
    """A file attached to an offer: checked from its bytes, stored under a random name."""

    id: Mapped[int] = mapped_column(primary_key=True)
    offer_id: Mapped[int] = mapped_column(
        sa.ForeignKey("landlord_offer.id", ondelete="CASCADE"), index=True
    )
    kind: Mapped[OfferDocumentKind] = mapped_column(str_enum(OfferDocumentKind))
    uploaded_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("user_account.id", ondelete="SET NULL")
    )
    filename: Mapped[str] = mapped_column(sa.String(200))
    stored_name: Mapped[str] = mapped_column(sa.String(64), unique=True)
    content_type: Mapped[str] = mapped_column(sa.String(120))
    size: Mapped[int]
    sha256: Mapped[str] = mapped_column(sa.String(64))
    created: Mapped[datetime] = mapped_column(UTCDateTime, default=now_utc)

    offer: Mapped[OwnerOffer] = relationship(back_populates="documents")
    uploaded_by: Mapped[User | None] = relationship()


class OfferMessage(Model):
    """A message between the owner and the CCAS, or a staff note the owner never sees."""

    id: Mapped[int] = mapped_column(primary_key=True)
    offer_id: Mapped[int] = mapped_column(
        sa.ForeignKey("landlord_offer.id", ondelete="CASCADE"), index=True
    )
    author_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("user_account.id", ondelete="SET NULL")
    )
    internal: Mapped[bool] = mapped_column(default=False)  # a staff note
    body: Mapped[str] = mapped_column(sa.String(4000))
    created: Mapped[datetime] = mapped_column(UTCDateTime, default=now_utc)

    offer: Mapped[OwnerOffer] = relationship(back_populates="messages")
    author: Mapped[User | None] = relationship(lazy="joined")


class VisitResult(LabelledEnum):
    DECENT = "decent", _l("Logement décent")
    MINOR_WORKS = "minor_works", _l("Décent après petits travaux")
    NOT_DECENT = "not_decent", _l("Non décent en l'état")


class VisitChecklist(Model):
    """The decency checklist filled at the visit (décret n° 2002-120), one per offer."""

    ITEMS = (
        ("main_room", _l("Pièce principale d'au moins 9 m² sous 2,20 m (ou 20 m³)")),
        ("heating", _l("Chauffage adapté et en état de marche")),
        ("water", _l("Eau potable, eau chaude, évacuation des eaux usées")),
        ("electricity_gas", _l("Installations électriques et de gaz sans danger")),
        ("ventilation", _l("Aération suffisante, sans humidité anormale")),
        ("light", _l("Éclairement naturel suffisant des pièces principales")),
        ("kitchen", _l("Coin cuisine avec évier et possibilité de cuisson")),
        ("bathroom", _l("Installation sanitaire intérieure (WC, douche ou baignoire)")),
        ("weather_tight", _l("Clos et couvert : toiture, murs, menuiseries étanches")),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    offer_id: Mapped[int] = mapped_column(
        sa.ForeignKey("landlord_offer.id", ondelete="CASCADE"), unique=True
    )
    main_room: Mapped[bool] = mapped_column(default=False)
    heating: Mapped[bool] = mapped_column(default=False)
    water: Mapped[bool] = mapped_column(default=False)
    electricity_gas: Mapped[bool] = mapped_column(default=False)
    ventilation: Mapped[bool] = mapped_column(default=False)
    light: Mapped[bool] = mapped_column(default=False)
    kitchen: Mapped[bool] = mapped_column(default=False)
    bathroom: Mapped[bool] = mapped_column(default=False)
    weather_tight: Mapped[bool] = mapped_column(default=False)
    result: Mapped[VisitResult] = mapped_column(str_enum(VisitResult))
    comment: Mapped[str] = mapped_column(sa.String(2000), default="")
    checked_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("user_account.id", ondelete="SET NULL")
    )
    updated: Mapped[datetime] = mapped_column(UTCDateTime, default=now_utc, onupdate=now_utc)

    checked_by: Mapped[User | None] = relationship()


class RuleParameter(Model):
    """One value of a rule (a date or a number), with its source and date of effect.

    A new value is a new row: the one in effect on a date is the latest that started then.
    Absent rows fall back to the defaults of ``portal/owners/rules.py``.
    """

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(sa.String(40), index=True)
    value: Mapped[str] = mapped_column(sa.String(40))  # ISO date or decimal, by the key
    source: Mapped[str] = mapped_column(sa.String(500))
    effective_from: Mapped[date]
    updated_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("user_account.id", ondelete="SET NULL")
    )
    created: Mapped[datetime] = mapped_column(UTCDateTime, default=now_utc)

    __table_args__ = (sa.UniqueConstraint("key", "effective_from"),)


class CommuneCeiling(Model):
    """Loc'Avantages rent ceiling of a commune for one level (€/m², monthly), yearly."""

    id: Mapped[int] = mapped_column(primary_key=True)
    commune_id: Mapped[int] = mapped_column(
        sa.ForeignKey("commune.id", ondelete="CASCADE"), index=True
    )
    level: Mapped[int]  # 1, 2 or 3 (Loc1, Loc2, Loc3)
    eur_per_m2: Mapped[Decimal] = mapped_column(sa.Numeric(6, 2))
    source: Mapped[str] = mapped_column(sa.String(500))
    effective_from: Mapped[date]
    is_example: Mapped[bool] = mapped_column(default=False)  # not an official figure
    updated_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("user_account.id", ondelete="SET NULL")
    )
    created: Mapped[datetime] = mapped_column(UTCDateTime, default=now_utc)

    commune: Mapped[Commune] = relationship(lazy="joined")

    __table_args__ = (sa.UniqueConstraint("commune_id", "level", "effective_from"),)
