"""The IML scheme: programmes with a capacity, units, SIAO candidacies and measures.

A measure is a validated candidacy housed in a unit: the CCAS rents the unit and sublets it
to the household until the lease slides to them (bail glissant).
"""

from datetime import date, datetime
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.extensions import Model, db
from portal.i18n import _l
from portal.models.base import LabelledEnum, UTCDateTime, now_utc, str_enum
from portal.models.cases import Case
from portal.models.households import Accommodation, Household, Typology
from portal.models.meetings import Meeting
from portal.models.organisations import Commune, Organisation, Territory
from portal.models.people import User

Money = sa.Numeric(10, 2)


class DpeClass(LabelledEnum):
    A = "A", _l("A")
    B = "B", _l("B")
    C = "C", _l("C")
    D = "D", _l("D")
    E = "E", _l("E")
    F = "F", _l("F")
    G = "G", _l("G")


class Programme(Model):
    """An approved IML scheme (agrément) and the number of measures it may hold at once."""

    id: Mapped[int] = mapped_column(primary_key=True)
    territory_id: Mapped[int] = mapped_column(sa.ForeignKey("territory.id"), index=True)
    name: Mapped[str] = mapped_column(sa.String(160))
    description: Mapped[str] = mapped_column(sa.String(1000), default="")
    capacity: Mapped[int]
    active: Mapped[bool] = mapped_column(default=True)
    created: Mapped[datetime] = mapped_column(UTCDateTime, default=now_utc)

    # The IML DALO programme is for households recognised by the DALO commission.
    requires_dalo: Mapped[bool] = mapped_column(default=False, server_default=sa.false())

    territory: Mapped[Territory] = relationship(lazy="joined")
    # The situations the programme is for (« sortie de structures »: CHRS, ALT, emergency
    # or women's shelters, pension de famille); none listed: every situation.
    situations: Mapped[list["ProgrammeSituation"]] = relationship(
        cascade="all, delete-orphan", lazy="selectin", order_by="ProgrammeSituation.accommodation"
    )

    __table_args__ = (
        sa.UniqueConstraint("territory_id", "name"),
        sa.CheckConstraint("capacity >= 0", name="capacity_not_negative"),
    )

    def __str__(self) -> str:
        return self.name

    @property
    def situation_values(self) -> list[Accommodation]:
        return [s.accommodation for s in self.situations]

    def is_for(self, accommodation: Accommodation | None) -> bool:
        """Whether a household in this accommodation is among the programme's situations."""
        values = self.situation_values
        return not values or accommodation in values


class ProgrammeSituation(Model):
    """One situation (current accommodation) a programme is for."""

    programme_id: Mapped[int] = mapped_column(
        sa.ForeignKey("programme.id", ondelete="CASCADE"), primary_key=True
    )
    accommodation: Mapped[Accommodation] = mapped_column(str_enum(Accommodation), primary_key=True)


class UnitStatus(LabelledEnum):
    AVAILABLE = "available", _l("Disponible")
    OFFERED = "offered", _l("Proposé à un ménage")
    LET = "let", _l("Occupé (mesure en cours)")
    RETURNED = "returned", _l("Rendu au propriétaire")


class Unit(Model):
    """A flat the CCAS may rent: from a social landlord's convention or a private owner."""

    id: Mapped[int] = mapped_column(primary_key=True)
    commune_id: Mapped[int] = mapped_column(sa.ForeignKey("commune.id"), index=True)
    address: Mapped[str] = mapped_column(sa.String(250))
    typology: Mapped[Typology] = mapped_column(str_enum(Typology))
    surface: Mapped[Decimal] = mapped_column(sa.Numeric(7, 2))
    rooms: Mapped[int] = mapped_column(default=1)
    floor: Mapped[int] = mapped_column(default=0)
    lift: Mapped[bool] = mapped_column(default=False)
    accessible: Mapped[bool] = mapped_column(default=False)  # for a person with reduced mobility
    rent: Mapped[Decimal] = mapped_column(Money)  # monthly, charges excluded
    charges: Mapped[Decimal] = mapped_column(Money, default=Decimal("0"))
    dpe_class: Mapped[DpeClass | None] = mapped_column(str_enum(DpeClass, length=1))
    available_from: Mapped[date | None]
    status: Mapped[UnitStatus] = mapped_column(
        str_enum(UnitStatus), default=UnitStatus.AVAILABLE, index=True
    )
    # Exactly one owner: a social landlord organisation, or a private owner's account.
    social_landlord_id: Mapped[int | None] = mapped_column(
        "landlord_organisation_id", sa.ForeignKey("organisation.id"), index=True
    )
    private_owner_id: Mapped[int | None] = mapped_column(
        "private_landlord_id", sa.ForeignKey("user_account.id"), index=True
    )
    notes: Mapped[str] = mapped_column(sa.String(1000), default="")
    created_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("user_account.id", ondelete="SET NULL")
    )
    created: Mapped[datetime] = mapped_column(UTCDateTime, default=now_utc)
    updated: Mapped[datetime] = mapped_column(UTCDateTime, default=now_utc, onupdate=now_utc)

    commune: Mapped[Commune] = relationship(lazy="joined")
    social_landlord: Mapped[Organisation | None] = relationship(lazy="joined")
    private_owner: Mapped[User | None] = relationship(foreign_keys=[private_owner_id])
    created_by: Mapped[User | None] = relationship(foreign_keys=[created_by_id])

    __table_args__ = (
        sa.CheckConstraint(
            "(landlord_organisation_id IS NULL) <> (private_landlord_id IS NULL)",
            name="one_owner",
        ),
    )

    def __str__(self) -> str:
        return f"{self.typology.value} — {self.address}, {self.commune.name}"

    @property
    def landlord_name(self) -> str:
        if self.social_landlord is not None:
            return self.social_landlord.name
        return self.private_owner.full_name if self.private_owner else ""


class CandidacyStatus(LabelledEnum):
    DRAFT = "draft", _l("Brouillon")
    SUBMITTED = "submitted", _l("Soumise au SIAO")
    MORE_INFO_REQUESTED = "more_info_requested", _l("Compléments demandés")
    VALIDATED = "validated", _l("Validée, en attente de logement")
    REFUSED = "refused", _l("Refusée")
    WITHDRAWN = "withdrawn", _l("Retirée")
    HOUSED = "housed", _l("Mesure ouverte")


class RefusalReason(LabelledEnum):
    NOT_READY = "not_ready", _l("Ménage pas encore prêt à sortir")
    RESOURCES = "resources", _l("Ressources insuffisantes pour le loyer")
    OTHER_ORIENTATION = "other_orientation", _l("Autre orientation plus adaptée")
    NOT_ELIGIBLE = "not_eligible", _l("Hors critères du programme")
    INCOMPLETE = "incomplete", _l("Dossier incomplet")
    OTHER = "other", _l("Autre motif")


candidacy_commune = sa.Table(
    "candidacy_commune",
    db.Model.metadata,
    sa.Column("candidacy_id", sa.ForeignKey("candidacy.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("commune_id", sa.ForeignKey("commune.id", ondelete="CASCADE"), primary_key=True),
)


class Candidacy(Model):
    """A household proposed by the CCAS for a programme; only the SIAO decides."""

    id: Mapped[int] = mapped_column(primary_key=True)
    household_id: Mapped[int] = mapped_column(sa.ForeignKey("household.id"), index=True)
    programme_id: Mapped[int] = mapped_column(sa.ForeignKey("programme.id"), index=True)
    organisation_id: Mapped[int] = mapped_column(sa.ForeignKey("organisation.id"), index=True)
    siao_id: Mapped[int] = mapped_column(sa.ForeignKey("organisation.id"), index=True)
    created_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("user_account.id", ondelete="SET NULL")
    )
    # The case whose history goes with the candidacy (by reference, not copied).
    case_id: Mapped[int | None] = mapped_column(sa.ForeignKey("complex_case.id"), index=True)
    status: Mapped[CandidacyStatus] = mapped_column(
        str_enum(CandidacyStatus, length=40), default=CandidacyStatus.DRAFT, index=True
    )
    siao_number: Mapped[str] = mapped_column(sa.String(40), default="")  # SI-SIAO demand number
    requested_typology: Mapped[Typology] = mapped_column(str_enum(Typology))
    budget_worked: Mapped[bool] = mapped_column(default=False)
    rent_capacity: Mapped[Decimal | None] = mapped_column(Money)  # monthly, what they can pay
    support_in_place: Mapped[str] = mapped_column(sa.String(1000), default="")
    readiness_notes: Mapped[str] = mapped_column(sa.String(2000), default="")
    submitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Validated candidacies wait for a unit in this order.
    validated_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)
    decided_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("user_account.id", ondelete="SET NULL")
    )
    decision_meeting_id: Mapped[int | None] = mapped_column(sa.ForeignKey("meeting.id"))
    refusal_reason: Mapped[RefusalReason | None] = mapped_column(str_enum(RefusalReason))
    decision_comment: Mapped[str] = mapped_column(sa.String(2000), default="")
    # DALO recognition by the commission de médiation (required by a DALO programme).
    dalo_recognised_on: Mapped[date | None]
    dalo_decision_reference: Mapped[str] = mapped_column(
        sa.String(60), default="", server_default=""
    )
    # Why the household is proposed although its situation is not one the programme is for.
    situation_justification: Mapped[str] = mapped_column(
        sa.String(1000), default="", server_default=""
    )
    # Hotel nights: whether the household was sheltered in a hotel, and since when.
    in_hotel: Mapped[bool] = mapped_column(default=False, server_default=sa.false())
    hotel_since: Mapped[date | None]
    created: Mapped[datetime] = mapped_column(UTCDateTime, default=now_utc)
    updated: Mapped[datetime] = mapped_column(UTCDateTime, default=now_utc, onupdate=now_utc)

    household: Mapped[Household] = relationship(lazy="joined")
    programme: Mapped[Programme] = relationship(lazy="joined")
    organisation: Mapped[Organisation] = relationship(foreign_keys=[organisation_id])
    siao: Mapped[Organisation] = relationship(foreign_keys=[siao_id])
    created_by: Mapped[User | None] = relationship(foreign_keys=[created_by_id])
    decided_by: Mapped[User | None] = relationship(foreign_keys=[decided_by_id])
    case: Mapped[Case | None] = relationship()
    decision_meeting: Mapped[Meeting | None] = relationship()
    communes: Mapped[list[Commune]] = relationship(
        secondary=candidacy_commune, order_by=Commune.name
    )
    events: Mapped[list["CandidacyEvent"]] = relationship(
        back_populates="candidacy", cascade="all, delete-orphan", order_by="CandidacyEvent.id"
    )

    def __str__(self) -> str:
        return f"{self.household.reference} — {self.programme.name}"

    @property
    def outside_programme_situations(self) -> bool:
        """The household's situation is not one its programme is for (a justification is
        asked, and the SIAO sees it)."""
        return not self.programme.is_for(self.household.accommodation)

    @property
    def dalo_recognised(self) -> bool:
        return self.dalo_recognised_on is not None and bool(self.dalo_decision_reference)


class CandidacyEvent(Model):
    """One step of a candidacy's history: who moved it, from which status to which."""

    id: Mapped[int] = mapped_column(primary_key=True)
    candidacy_id: Mapped[int] = mapped_column(
        sa.ForeignKey("candidacy.id", ondelete="CASCADE"), index=True
    )
    from_status: Mapped[CandidacyStatus | None] = mapped_column(
        str_enum(CandidacyStatus, length=40)
    )
    to_status: Mapped[CandidacyStatus] = mapped_column(str_enum(CandidacyStatus, length=40))
    user_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("user_account.id", ondelete="SET NULL")
    )
    organisation_id: Mapped[int | None] = mapped_column(sa.ForeignKey("organisation.id"))
    comment: Mapped[str] = mapped_column(sa.String(2000), default="")
    created: Mapped[datetime] = mapped_column(UTCDateTime, default=now_utc)

    candidacy: Mapped[Candidacy] = relationship(back_populates="events")
    user: Mapped[User | None] = relationship(lazy="joined")
    organisation: Mapped[Organisation | None] = relationship(lazy="joined")


class MeasureStatus(LabelledEnum):
    ACTIVE = "active", _l("En cours")
    EXTENDED = "extended", _l("Prolongée")
    SLID = "slid", _l("Bail glissé")
    ENDED = "ended", _l("Fin de mesure")


class MeasureEndReason(LabelledEnum):
    REHOUSED_ELSEWHERE = "rehoused_elsewhere", _l("Relogé ailleurs")
    BACK_TO_SHELTER = "back_to_shelter", _l("Retour en structure d'hébergement")
    BREACH = "breach", _l("Manquement aux obligations du sous-locataire")
    DEPARTURE = "departure", _l("Départ du ménage")
    OTHER = "other", _l("Autre motif")


class Measure(Model):
    """A household sublet a unit by the CCAS, from the start of the sublease to its end."""

    id: Mapped[int] = mapped_column(primary_key=True)
    candidacy_id: Mapped[int] = mapped_column(sa.ForeignKey("candidacy.id"), unique=True)
    programme_id: Mapped[int] = mapped_column(sa.ForeignKey("programme.id"), index=True)
    unit_id: Mapped[int] = mapped_column(sa.ForeignKey("unit.id"), index=True)
    household_id: Mapped[int] = mapped_column(sa.ForeignKey("household.id"), index=True)
    organisation_id: Mapped[int] = mapped_column(sa.ForeignKey("organisation.id"), index=True)
    referent_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("user_account.id", ondelete="SET NULL")
    )
    start_date: Mapped[date] = mapped_column(index=True)
    rent: Mapped[Decimal] = mapped_column(Money)
    charges: Mapped[Decimal] = mapped_column(Money, default=Decimal("0"))
    household_share: Mapped[Decimal] = mapped_column(Money)  # what the household pays monthly
    status: Mapped[MeasureStatus] = mapped_column(
        str_enum(MeasureStatus), default=MeasureStatus.ACTIVE, index=True
    )
    # After a prolongation at 12 months, the new date of decision.
    extended_until: Mapped[date | None]
    end_date: Mapped[date | None]
    end_reason: Mapped[MeasureEndReason | None] = mapped_column(str_enum(MeasureEndReason))
    created_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("user_account.id", ondelete="SET NULL")
    )
    created: Mapped[datetime] = mapped_column(UTCDateTime, default=now_utc)
    updated: Mapped[datetime] = mapped_column(UTCDateTime, default=now_utc, onupdate=now_utc)

    candidacy: Mapped[Candidacy] = relationship(lazy="joined")
    programme: Mapped[Programme] = relationship(lazy="joined")
    unit: Mapped[Unit] = relationship(lazy="joined")
    household: Mapped[Household] = relationship(lazy="joined")
    organisation: Mapped[Organisation] = relationship()
    referent: Mapped[User | None] = relationship(foreign_keys=[referent_id])
    bilans: Mapped[list["Bilan"]] = relationship(
        back_populates="measure", cascade="all, delete-orphan", order_by="Bilan.due_date"
    )
    rent_records: Mapped[list["RentRecord"]] = relationship(
        back_populates="measure", cascade="all, delete-orphan", order_by="RentRecord.month"
    )

    def __str__(self) -> str:
        return f"{self.household.reference} — {self.unit.commune.name}"

    @property
    def is_open(self) -> bool:
        return self.status in (MeasureStatus.ACTIVE, MeasureStatus.EXTENDED)

    @property
    def slid_early(self) -> bool:
        """The lease slid before 6 months of sublease (justified on the bilan)."""
        return any(b.early_slide for b in self.bilans)


class BilanKind(LabelledEnum):
    SIX_MONTHS = "six_months", _l("Bilan à 6 mois")
    TEN_MONTHS = "ten_months", _l("Bilan à 10 mois")
    TWELVE_MONTHS = "twelve_months", _l("Décision à 12 mois")
    EXTENSION = "extension", _l("Décision en fin de prolongation")


class BilanOutcome(LabelledEnum):
    GLISSEMENT = "glissement", _l("Glissement du bail")
    POURSUITE = "poursuite", _l("Poursuite de la mesure")
    PROLONGATION = "prolongation", _l("Prolongation")
    FIN_DE_MESURE = "fin_de_mesure", _l("Fin de mesure")


class BudgetAssessment(LabelledEnum):
    MASTERED = "maitrise", _l("Budget maîtrisé : loyer et charges couverts")
    IMPROVING = "en_progres", _l("Budget en voie de maîtrise : plan d'apurement ou délais tenus")
    FRAGILE = "fragile", _l("Budget fragile : dépenses non couvertes ou nouvelles dettes")


class SupportAssessment(LabelledEnum):
    IN_PLACE = "en_place", _l("Relais en place (CDAS, ASLL, Mission Locale…)")
    NOT_NEEDED = "non_necessaire", _l("Plus d'accompagnement nécessaire")
    TO_ORGANISE = "a_organiser", _l("Accompagnement encore à organiser")


class HouseholdWish(LabelledEnum):
    WANTS_LEASE = "souhaite_le_bail", _l("Le ménage souhaite devenir locataire en titre")
    NOT_READY = "pas_pret", _l("Le ménage ne se sent pas prêt")
    WANTS_OTHER = "autre_logement", _l("Le ménage souhaite un autre logement")


STABLE_BUDGETS = (BudgetAssessment.MASTERED, BudgetAssessment.IMPROVING)
STABLE_SUPPORTS = (SupportAssessment.IN_PLACE, SupportAssessment.NOT_NEEDED)


def stabilisation_from(
    budget: BudgetAssessment | None,
    support: SupportAssessment | None,
    wish: HouseholdWish | None,
) -> bool | None:
    """The situation is stabilised when the budget holds, the support after the measure is
    settled and the household wants the lease; unknown until the three are assessed."""
    if (
        (budget is not None and budget not in STABLE_BUDGETS)
        or (support is not None and support not in STABLE_SUPPORTS)
        or (wish is not None and wish != HouseholdWish.WANTS_LEASE)
    ):
        return False
    if budget is None or support is None or wish is None:
        return None
    return True


class Bilan(Model):
    """A review of the measure at its due date, and what was decided."""

    id: Mapped[int] = mapped_column(primary_key=True)
    measure_id: Mapped[int] = mapped_column(
        sa.ForeignKey("measure.id", ondelete="CASCADE"), index=True
    )
    kind: Mapped[BilanKind] = mapped_column(str_enum(BilanKind))
    due_date: Mapped[date] = mapped_column(index=True)
    held_on: Mapped[date | None]
    outcome: Mapped[BilanOutcome | None] = mapped_column(str_enum(BilanOutcome))
    # What the worker states; the rent record is the evidence (see measures.services): a
    # « yes » the record does not bear out carries a written justification.
    rent_paid_regularly: Mapped[bool | None]
    rent_regularity_justification: Mapped[str] = mapped_column(
        sa.String(1000), default="", server_default=""
    )
    # Derived from the structured assessment below (stabilisation_from).
    situation_stabilised: Mapped[bool | None]
    budget_assessment: Mapped[BudgetAssessment | None] = mapped_column(str_enum(BudgetAssessment))
    support_assessment: Mapped[SupportAssessment | None] = mapped_column(
        str_enum(SupportAssessment)
    )
    household_wish: Mapped[HouseholdWish | None] = mapped_column(str_enum(HouseholdWish))
    stabilisation_notes: Mapped[str] = mapped_column(sa.String(1000), default="", server_default="")
    # A lease slide before 6 months of sublease: justified, and flagged for the reports.
    early_slide: Mapped[bool] = mapped_column(default=False, server_default=sa.false())
    early_slide_justification: Mapped[str] = mapped_column(
        sa.String(1000), default="", server_default=""
    )
    landlord_present: Mapped[bool] = mapped_column(default=False)
    household_present: Mapped[bool] = mapped_column(default=False)
    # Pseudonymised summary that goes on the fiche-bilan: no names, no health details.
    summary: Mapped[str] = mapped_column(sa.String(3000), default="")
    next_date: Mapped[date | None]  # the new date of decision after a prolongation
    end_reason: Mapped[MeasureEndReason | None] = mapped_column(str_enum(MeasureEndReason))
    meeting_id: Mapped[int | None] = mapped_column(sa.ForeignKey("meeting.id"))
    recorded_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("user_account.id", ondelete="SET NULL")
    )
    alert_sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    overdue_alert_sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created: Mapped[datetime] = mapped_column(UTCDateTime, default=now_utc)

    measure: Mapped[Measure] = relationship(back_populates="bilans")
    meeting: Mapped[Meeting | None] = relationship()
    recorded_by: Mapped[User | None] = relationship()

    __table_args__ = (sa.UniqueConstraint("measure_id", "kind", "due_date"),)

    @property
    def is_done(self) -> bool:
        return self.held_on is not None


class RentStatus(LabelledEnum):
    PAID = "paid", _l("Payé")
    LATE = "late", _l("Payé en retard")
    UNPAID = "unpaid", _l("Impayé")


class RentRecord(Model):
    """The household's rent for one month: paid, late or unpaid, and how much was paid."""

    id: Mapped[int] = mapped_column(primary_key=True)
    measure_id: Mapped[int] = mapped_column(
        sa.ForeignKey("measure.id", ondelete="CASCADE"), index=True
    )
    month: Mapped[date]  # first day of the month
    status: Mapped[RentStatus] = mapped_column(str_enum(RentStatus))
    amount_due: Mapped[Decimal] = mapped_column(Money)
    amount_paid: Mapped[Decimal] = mapped_column(Money, default=Decimal("0"))
    recorded_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("user_account.id", ondelete="SET NULL")
    )
    organisation_id: Mapped[int | None] = mapped_column(sa.ForeignKey("organisation.id"))
    created: Mapped[datetime] = mapped_column(UTCDateTime, default=now_utc)
    updated: Mapped[datetime] = mapped_column(UTCDateTime, default=now_utc, onupdate=now_utc)

    measure: Mapped[Measure] = relationship(back_populates="rent_records")
    recorded_by: Mapped[User | None] = relationship(lazy="joined")
    organisation: Mapped[Organisation | None] = relationship(lazy="joined")

    __table_args__ = (sa.UniqueConstraint("measure_id", "month"),)
