"""Territories, organisations and committees."""

import enum
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.extensions import db
from portal.models.base import UTCDateTime, now_utc, str_enum


class OrganisationKind(enum.StrEnum):
    CCAS = "ccas"
    BAILLEUR_SOCIAL = "bailleur_social"
    SIAO = "siao"
    MISSION_LOCALE = "mission_locale"
    DEPARTEMENT = "departement"
    ASSOCIATION = "association"
    AGGLOMERATION = "agglomeration"
    ETAT = "etat"

    @property
    def label(self) -> str:
        return ORGANISATION_KIND_LABELS[self]


ORGANISATION_KIND_LABELS = {
    OrganisationKind.CCAS: "CCAS",
    OrganisationKind.BAILLEUR_SOCIAL: "Bailleur social",
    OrganisationKind.SIAO: "SIAO",
    OrganisationKind.MISSION_LOCALE: "Mission Locale",
    OrganisationKind.DEPARTEMENT: "Conseil départemental",
    OrganisationKind.ASSOCIATION: "Association",
    OrganisationKind.AGGLOMERATION: "Agglomération",
    OrganisationKind.ETAT: "Services de l'État",
}


class CommitteeKind(enum.StrEnum):
    COMITE_TECHNIQUE = "comite_technique"
    COMITE_PILOTAGE = "comite_pilotage"
    COMMISSION_SIAO = "commission_siao"

    @property
    def label(self) -> str:
        return COMMITTEE_KIND_LABELS[self]


COMMITTEE_KIND_LABELS = {
    CommitteeKind.COMITE_TECHNIQUE: "Comité technique",
    CommitteeKind.COMITE_PILOTAGE: "Comité de pilotage",
    CommitteeKind.COMMISSION_SIAO: "Commission SIAO",
}


class Territory(db.Model):
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(120), unique=True)
    created: Mapped[datetime] = mapped_column(UTCDateTime, default=now_utc)

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


class Organisation(db.Model):
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

    def __str__(self) -> str:
        return self.name


class Committee(db.Model):
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(160))
    kind: Mapped[CommitteeKind] = mapped_column(str_enum(CommitteeKind))
    territory_id: Mapped[int] = mapped_column(sa.ForeignKey("territory.id"), index=True)
    description: Mapped[str] = mapped_column(sa.Text, default="")
    active: Mapped[bool] = mapped_column(default=True)
    created: Mapped[datetime] = mapped_column(UTCDateTime, default=now_utc)

    territory: Mapped[Territory] = relationship(lazy="joined")
    organisations: Mapped[list[Organisation]] = relationship(
        secondary=committee_organisation, back_populates="committees", order_by=Organisation.name
    )

    __table_args__ = (sa.UniqueConstraint("territory_id", "name"),)

    def __str__(self) -> str:
        return self.name
