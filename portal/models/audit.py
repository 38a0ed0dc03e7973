"""The audit trail: who did what, for which organisation, on which object."""

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.extensions import Model
from portal.i18n import _l
from portal.models.base import LabelledEnum, UTCDateTime, now_utc, str_enum
from portal.models.organisations import Organisation
from portal.models.people import User


class AuditAction(LabelledEnum):
    LOGIN = "login", _l("Connexion")
    LOGIN_FAILED = "login_failed", _l("Échec de connexion")
    LOGOUT = "logout", _l("Déconnexion")
    VIEW = "view", _l("Consultation")
    CREATE = "create", _l("Création")
    CHANGE = "change", _l("Modification")
    EXPORT = "export", _l("Export")
    DELETE = "delete", _l("Suppression")


class AuditEvent(Model):
    id: Mapped[int] = mapped_column(primary_key=True)
    created: Mapped[datetime] = mapped_column(UTCDateTime, default=now_utc, index=True)
    user_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("user_account.id", ondelete="SET NULL"), index=True
    )
    organisation_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("organisation.id", ondelete="SET NULL")
    )
    action: Mapped[AuditAction] = mapped_column(str_enum(AuditAction))
    object_type: Mapped[str] = mapped_column(sa.String(40))
    object_id: Mapped[int | None]
    summary: Mapped[str] = mapped_column(sa.String(500), default="")
    ip_address: Mapped[str | None] = mapped_column(sa.String(45))

    user: Mapped[User | None] = relationship(lazy="joined")
    organisation: Mapped[Organisation | None] = relationship(lazy="joined")

    __table_args__ = (sa.Index("ix_audit_event_object", "object_type", "object_id"),)
