"""Territories, organisations and committees."""

from datetime import datetime
from typing import TYPE_CHECKING

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.extensions import Model, db
from portal.i18n import _l
from portal.models.base import LabelledEnum, UTCDateTime, now_utc, str_enum

if TYPE_CHECKING:
    from portal.models.people import Membership


class OrganisationKind(LabelledEnum):
    CCAS = "ccas", _l("CCAS")
    BAILLEUR_SOCIAL = "bailleur_social", _l("Bailleur social")
    SIAO = "siao", _l("SIAO")
    MISSION_LOCALE = "mission_locale", _l("Mission Locale")
    DEPARTEMENT = "departement", _l("Conseil départemental")
    ASSOCIATION = "association", _l("Association")
    AGGLOMERATION = "agglomeration", _l("Agglomération")
    ETAT = "etat", _l("Services de l'État")


class CommitteeKind(LabelledEnum):
    COMITE_TECHNIQUE = "comite_technique", _l("Comité technique")
    COMITE_PILOTAGE = "comite_pilotage", _l("Comité de pilotage")
    COMMISSION_SIAO = "commission_siao", _l("Commission SIAO")


class Territory(Model):
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(120), unique=True)
    created: Mapped[datetime] = mapped_column(UTCDateTime, default=now_utc)

    communes: Mapped[list["Commune"]] = relationship(
        back_populates="territory", order_by="Commune.name"
    )

    def __str__(self) -> str:
        return self.name


class Commune(Model):
    """A commune of a territory, where households look for housing."""

    id: Mapped[int] = mapped_column(primary_key=True)
    territory_id: Mapped[int] = mapped_column(sa.ForeignKey("territory.id"), index=True)
    name: Mapped[str] = mapped_column(sa.String(120))

    territory: Mapped[Territory] = relationship(back_populates="communes")

    __table_args__ = (sa.UniqueConstraint("territory_id", "name"),)

    def __str__(self) -> str:
        return self.name


committee_organisation = sa.Table(
    "committee_organisation",
    db.Model.metadata,
    sa.Column("committee_id", sa.ForeignKey("committee.id", ondelete="CASCADE"), primary_key=True),
    sa.Column(
        "organisation_id", sa.ForeignKey("organisation.id", ondelete="CASCADE"), primary_key=True
    ),
)


class Organisation(Model):
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(160), unique=True)
    kind: Mapped[OrganisationKind] = mapped_column(str_enum(OrganisationKind))
    territory_id: Mapped[int] = mapped_column(sa.ForeignKey("territory.id"), index=True)
    contact_email: Mapped[str | None] = mapped_column(sa.String(254))
    active: Mapped[bool] = mapped_column(default=True)
    created: Mapped[datetime] = mapped_column(UTCDateTime, default=now_utc)

    territory: Mapped[Territory] = relationship(lazy="joined")
    committees: Mapped[list["Committee"]] = relationship(
        secondary=committee_organisation, back_populates="organisations", order_by="Committee.name"
    )
    memberships: Mapped[list["Membership"]] = relationship(viewonly=True, order_by="Membership.id")

    def __str__(self) -> str:
        return self.name

    @property
    def has_active_admin(self) -> bool:
        """Someone manages its people: after that, only its admins add or promote anyone."""
        return any(m.active and m.role.value == "admin" and m.user.active for m in self.memberships)


class Committee(Model):
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(160))
    kind: Mapped[CommitteeKind] = mapped_column(str_enum(CommitteeKind))
    territory_id: Mapped[int] = mapped_column(sa.ForeignKey("territory.id"), index=True)
    description: Mapped[str] = mapped_column(sa.Text, default="")
    active: Mapped[bool] = mapped_column(default=True)
    # The organisation that runs the committee's meetings (the CCAS for the comité technique,
    # the SIAO for its commission): its admins organise every meeting of the committee.
    secretariat_id: Mapped[int | None] = mapped_column(sa.ForeignKey("organisation.id"))
    created: Mapped[datetime] = mapped_column(UTCDateTime, default=now_utc)

    territory: Mapped[Territory] = relationship(lazy="joined")
    organisations: Mapped[list[Organisation]] = relationship(
        secondary=committee_organisation, back_populates="committees", order_by=Organisation.name
    )
    secretariat: Mapped[Organisation | None] = relationship(lazy="joined")

    __table_args__ = (sa.UniqueConstraint("territory_id", "name"),)

    def __str__(self) -> str:
        return self.name
