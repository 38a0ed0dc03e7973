"""Households (ménages): a pseudonymous situation, and an identity stored apart.

The situation is what partners discuss; the identity (names, birth dates, contact) stays
with the owning organisation. Free text is kept short and must hold no health or judicial
detail.
"""

from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.extensions import Model, db
from portal.i18n import _l
from portal.models.base import LabelledEnum, UTCDateTime, now_utc, str_enum
from portal.models.organisations import Commune, Organisation
from portal.models.people import User


class HouseholdPublic(LabelledEnum):
    JEUNE_18_25 = "jeune_18_25", _l("Jeune de 18 à 25 ans")
    HOMME_SEUL = "homme_seul", _l("Homme seul")
    FEMME_SEULE = "femme_seule", _l("Femme seule")
    FAMILLE_MONOPARENTALE = "famille_monoparentale", _l("Famille monoparentale")
    COUPLE = "couple", _l("Couple sans enfant")
    FAMILLE = "famille", _l("Famille")


class Accommodation(LabelledEnum):
    CHRS_URGENCE = "chrs_urgence", _l("CHRS urgence")
    ALT = "alt", _l("Logement temporaire (ALT)")
    PENSION_DE_FAMILLE = "pension_de_famille", _l("Pension de famille / maison relais")
    URGENCE_FEMMES = "urgence_femmes", _l("Logement d'urgence femmes victimes de violences")
    HOTEL = "hotel", _l("Hôtel")
    SANS_SOLUTION = "sans_solution", _l("Sans solution")
    AUTRE = "autre", _l("Autre")


class ResourceType(LabelledEnum):
    SALAIRE = "salaire", _l("Salaire")
    CHOMAGE = "chomage", _l("Allocations chômage")
    RSA = "rsa", _l("RSA")
    AAH = "aah", _l("AAH")
    CEJ = "cej", _l("Contrat d'engagement jeune")
    RETRAITE = "retraite", _l("Retraite")
    PRESTATIONS_FAMILIALES = "prestations_familiales", _l("Prestations familiales")
    SANS_RESSOURCES = "sans_ressources", _l("Sans ressources")
    AUTRE = "autre", _l("Autre")


class ResourceBracket(LabelledEnum):
    LT_500 = "lt_500", _l("Moins de 500 €")
    FROM_500 = "500_800", _l("De 500 à 800 €")
    FROM_800 = "800_1100", _l("De 800 à 1 100 €")
    FROM_1100 = "1100_1500", _l("De 1 100 à 1 500 €")
    GTE_1500 = "gte_1500", _l("1 500 € ou plus")


class Typology(LabelledEnum):
    T1 = "T1", _l("T1 / studio")
    T2 = "T2", _l("T2")
    T3 = "T3", _l("T3")
    T4 = "T4", _l("T4")
    T5 = "T5", _l("T5 et plus")


class Obstacle(LabelledEnum):
    DETTES = "dettes", _l("Dettes, impayés")
    BUDGET = "budget", _l("Gestion du budget")
    SANTE = "sante", _l("Santé")
    MOBILITE = "mobilite", _l("Mobilité")
    DEMARCHES = "demarches", _l("Démarches administratives")
    EMPLOI = "emploi", _l("Emploi, formation")
    ISOLEMENT = "isolement", _l("Isolement")
    SAVOIR_HABITER = "savoir_habiter", _l("Savoir-habiter")
    AUTRE = "autre", _l("Autre")


class PersonRole(LabelledEnum):
    DEMANDEUR = "demandeur", _l("Demandeur principal")
    CONJOINT = "conjoint", _l("Conjoint(e)")
    ENFANT = "enfant", _l("Enfant")
    AUTRE = "autre", _l("Autre membre")


household_commune = sa.Table(
    "household_commune",
    db.Model.metadata,
    sa.Column("household_id", sa.ForeignKey("household.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("commune_id", sa.ForeignKey("commune.id", ondelete="CASCADE"), primary_key=True),
)


# The e-mails queued about a household (a meeting's invitation, with its agenda, is about
# each household on it): the retention job erases them with the household's other data,
# and its right-of-access export lists them. Set where the e-mail is queued.
household_email = sa.Table(
    "household_email",
    db.Model.metadata,
    sa.Column("household_id", sa.ForeignKey("household.id", ondelete="CASCADE"), primary_key=True),
    sa.Column(
        "email_id",
        sa.ForeignKey("outgoing_email.id", ondelete="CASCADE"),
        primary_key=True,
        index=True,
    ),
)


class Household(Model):
    """The situation part: pseudonymous, shareable once the household is informed."""

    id: Mapped[int] = mapped_column(primary_key=True)
    reference: Mapped[str] = mapped_column(sa.String(30), unique=True)
    organisation_id: Mapped[int] = mapped_column(sa.ForeignKey("organisation.id"), index=True)
    created_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("user_account.id", ondelete="SET NULL")
    )
    adults: Mapped[int] = mapped_column(default=1)
    children: Mapped[int] = mapped_column(default=0)
    children_ages: Mapped[str] = mapped_column(sa.String(60), default="")
    public: Mapped[HouseholdPublic] = mapped_column(str_enum(HouseholdPublic))
    victim_of_violence: Mapped[bool] = mapped_column(default=False)
    accommodation: Mapped[Accommodation] = mapped_column(str_enum(Accommodation))
    accommodation_since: Mapped[date | None]
    resource_type: Mapped[ResourceType | None] = mapped_column(str_enum(ResourceType))
    resource_bracket: Mapped[ResourceBracket | None] = mapped_column(str_enum(ResourceBracket))
    typology: Mapped[Typology | None] = mapped_column(str_enum(Typology))
    situation_notes: Mapped[str] = mapped_column(sa.String(500), default="")
    created: Mapped[datetime] = mapped_column(UTCDateTime, default=now_utc)
    updated: Mapped[datetime] = mapped_column(UTCDateTime, default=now_utc, onupdate=now_utc)
    # Set by the retention job: identity, free text and files are gone, statistics stay.
    anonymised_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    organisation: Mapped[Organisation] = relationship(lazy="joined")
    created_by: Mapped[User | None] = relationship()
    communes: Mapped[list[Commune]] = relationship(
        secondary=household_commune, order_by=Commune.name
    )
    # Shown on the household's and the case's pages only (which load them): not loaded with
    # every household of every list.
    obstacles: Mapped[list["HouseholdObstacle"]] = relationship(
        cascade="all, delete-orphan", order_by="HouseholdObstacle.obstacle"
    )
    identity: Mapped["HouseholdIdentity | None"] = relationship(
        back_populates="household", cascade="all, delete-orphan", uselist=False
    )
    persons: Mapped[list["HouseholdPerson"]] = relationship(
        back_populates="household", cascade="all, delete-orphan", order_by="HouseholdPerson.id"
    )
    information_records: Mapped[list["InformationRecord"]] = relationship(
        back_populates="household",
        cascade="all, delete-orphan",
        order_by="InformationRecord.informed_on.desc()",
    )

    def __str__(self) -> str:
        return self.reference

    @property
    def obstacle_values(self) -> list["Obstacle"]:
        return [o.obstacle for o in self.obstacles]

    def length_of_stay_days(self, today: date | None = None) -> int | None:
        """Days spent in the current accommodation, derived from its entry date."""
        if self.accommodation_since is None:
            return None
        return ((today or date.today()) - self.accommodation_since).days

    @property
    def is_informed(self) -> bool:
        return bool(self.information_records)

    @property
    def current_information(self) -> "InformationRecord | None":
        """The latest information record: what the household agreed to, as of now."""
        return max(self.information_records, key=lambda r: (r.informed_on, r.id or 0), default=None)

    @property
    def allows_identity_sharing(self) -> bool:
        """Its identity may leave the owning organisation (a partner with full access, the
        SIAO of a candidacy) only when its latest information record says so."""
        current = self.current_information
        return current is not None and current.allows_identity


class HouseholdObstacle(Model):
    household_id: Mapped[int] = mapped_column(
        sa.ForeignKey("household.id", ondelete="CASCADE"), primary_key=True
    )
    obstacle: Mapped[Obstacle] = mapped_column(str_enum(Obstacle), primary_key=True)


class HouseholdIdentity(Model):
    """Contact details, stored apart from the situation and seen by the owner only."""

    household_id: Mapped[int] = mapped_column(
        sa.ForeignKey("household.id", ondelete="CASCADE"), primary_key=True
    )
    phone: Mapped[str] = mapped_column(sa.String(30), default="")
    email: Mapped[str] = mapped_column(sa.String(254), default="")
    address: Mapped[str] = mapped_column(sa.String(250), default="")

    household: Mapped[Household] = relationship(back_populates="identity")


class HouseholdPerson(Model):
    """A named member of the household (identity part)."""

    id: Mapped[int] = mapped_column(primary_key=True)
    household_id: Mapped[int] = mapped_column(
        sa.ForeignKey("household.id", ondelete="CASCADE"), index=True
    )
    role: Mapped[PersonRole] = mapped_column(str_enum(PersonRole), default=PersonRole.DEMANDEUR)
    first_name: Mapped[str] = mapped_column(sa.String(80))
    last_name: Mapped[str] = mapped_column(sa.String(80))
    birth_date: Mapped[date | None]

    household: Mapped[Household] = relationship(back_populates="persons")

    @property
    def full_name(self) -> str:
        return f"{self.first_name} {self.last_name}"


class InformationRecord(Model):
    """The household was told what is shared and with whom (required before any sharing)."""

    id: Mapped[int] = mapped_column(primary_key=True)
    household_id: Mapped[int] = mapped_column(
        sa.ForeignKey("household.id", ondelete="CASCADE"), index=True
    )
    informed_on: Mapped[date]
    informed_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("user_account.id", ondelete="SET NULL")
    )
    what_is_shared: Mapped[str] = mapped_column(sa.String(300))
    shared_with: Mapped[str] = mapped_column(sa.String(300))
    # The household agreed that its identity (names, birth dates, contact) be passed on.
    allows_identity: Mapped[bool] = mapped_column(default=False, server_default=sa.false())
    created: Mapped[datetime] = mapped_column(UTCDateTime, default=now_utc)

    household: Mapped[Household] = relationship(back_populates="information_records")
    informed_by: Mapped[User | None] = relationship()
