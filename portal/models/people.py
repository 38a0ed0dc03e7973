"""People: user accounts, their memberships of organisations, and invitations."""

import secrets
from datetime import date, datetime
from typing import cast

import sqlalchemy as sa
from flask_login import UserMixin
from sqlalchemy.orm import Mapped, mapped_column, relationship
from sqlalchemy.orm.attributes import set_committed_value

from portal.extensions import Model, db
from portal.i18n import _l
from portal.models.base import LabelledEnum, UTCDateTime, now_utc, str_enum
from portal.models.organisations import Organisation, OrganisationKind


class UserKind(LabelledEnum):
    STAFF = "staff", _l("Partenaire")  # works for a partner organisation
    PRIVATE_OWNER = "landlord", _l("Propriétaire")  # private owner, belongs to no organisation


class MembershipRole(LabelledEnum):
    ADMIN = "admin", _l("Administrateur")
    MEMBER = "member", _l("Membre")


def new_session_token() -> str:
    return secrets.token_urlsafe(16)


class User(UserMixin, Model):
    __tablename__ = "user_account"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(sa.String(254), unique=True)
    full_name: Mapped[str] = mapped_column(sa.String(120))
    phone: Mapped[str | None] = mapped_column(sa.String(30))
    kind: Mapped[UserKind] = mapped_column(str_enum(UserKind), default=UserKind.STAFF)
    password_hash: Mapped[str | None] = mapped_column(sa.String(255))
    # Held by CCAS staff only: manages organisations, committees and parameters.
    is_coordinator: Mapped[bool] = mapped_column(default=False)
    active: Mapped[bool] = mapped_column(default=True)
    # Secret of the personal calendar feed URL; revoked by replacing it.
    calendar_token: Mapped[str | None] = mapped_column(sa.String(64), unique=True)
    email_confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_login_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Carried in password-reset links: replaced when a new link is sent, at each sign-in and
    # at each password change, so that every older link stops working.
    links_nonce: Mapped[str] = mapped_column(sa.String(32), default=new_session_token)
    # Second factor (TOTP, RFC 6238): the secret, when it was confirmed, and the last time
    # step accepted (a code is never accepted twice).
    totp_secret: Mapped[str | None] = mapped_column(sa.String(64))
    totp_enabled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    totp_last_step: Mapped[int | None] = mapped_column(sa.BigInteger)
    created: Mapped[datetime] = mapped_column(UTCDateTime, default=now_utc)

    # Loaded on demand: only the signed-in person needs them on every request, and the
    # user loader loads them with the person (portal.load_user). Lists of people that show
    # their organisations load them with selectinload.
    memberships: Mapped[list["Membership"]] = relationship(
        back_populates="user",
        foreign_keys="Membership.user_id",
        order_by="Membership.id",
    )

    def __str__(self) -> str:
        return self.full_name

    # The key of the session this person object was loaded for (``portal.auth.sessions``):
    # what Flask-Login keeps in the session cookie and the remember-me cookie. Typed by a cast:
    # SQLAlchemy would take an annotation for a column.
    session_key = cast(str | None, None)

    def get_id(self) -> str:
        return self.session_key or ""

    @property
    def has_second_factor(self) -> bool:
        return self.totp_enabled_at is not None

    @property
    def is_active(self) -> bool:
        """Signed-in access needs an active account and, for staff, an active membership."""
        if not self.active:
            return False
        return self.kind == UserKind.PRIVATE_OWNER or bool(self.active_memberships)

    @property
    def is_private_owner(self) -> bool:
        return self.kind == UserKind.PRIVATE_OWNER

    @property
    def active_memberships(self) -> list["Membership"]:
        return [m for m in self.memberships if m.is_current]

    @property
    def organisations(self) -> list[Organisation]:
        return [m.organisation for m in self.active_memberships]

    @property
    def organisation_ids(self) -> set[int]:
        return {m.organisation_id for m in self.active_memberships}

    @property
    def admin_organisation_ids(self) -> set[int]:
        return {
            m.organisation_id for m in self.active_memberships if m.role == MembershipRole.ADMIN
        }

    def membership_of(self, organisation_id: int) -> "Membership | None":
        return next((m for m in self.memberships if m.organisation_id == organisation_id), None)

    def belongs_to_kind(self, kind: OrganisationKind) -> bool:
        return any(m.organisation.kind == kind for m in self.active_memberships)


class Membership(Model):
    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(
        sa.ForeignKey("user_account.id", ondelete="CASCADE"), index=True
    )
    organisation_id: Mapped[int] = mapped_column(sa.ForeignKey("organisation.id"), index=True)
    role: Mapped[MembershipRole] = mapped_column(
        str_enum(MembershipRole), default=MembershipRole.MEMBER
    )
    active: Mapped[bool] = mapped_column(default=True)
    started_on: Mapped[date] = mapped_column(default=date.today)
    ended_on: Mapped[date | None]
    created: Mapped[datetime] = mapped_column(UTCDateTime, default=now_utc)

    user: Mapped[User] = relationship(back_populates="memberships", foreign_keys=[user_id])
    organisation: Mapped[Organisation] = relationship(lazy="joined")

    __table_args__ = (sa.UniqueConstraint("user_id", "organisation_id"),)

    @property
    def is_current(self) -> bool:
        return self.active and self.organisation.active


def load_memberships(users) -> None:
    """The memberships of several people in one query, for loops that check each person's
    permissions (e-mails to every invitee of a meeting); otherwise each person's memberships
    load with their own query on first use."""
    pending = {user.id: user for user in users if "memberships" in sa.inspect(user).unloaded}
    if not pending:
        return
    found: dict[int, list[Membership]] = {user_id: [] for user_id in pending}
    for membership in db.session.scalars(
        sa.select(Membership).where(Membership.user_id.in_(list(pending))).order_by(Membership.id)
    ):
        found[membership.user_id].append(membership)
    for user_id, memberships in found.items():
        set_committed_value(pending[user_id], "memberships", memberships)


class Invitation(Model):
    """An invitation to join an organisation, accepted once through a signed link."""

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(sa.String(254), index=True)
    full_name: Mapped[str] = mapped_column(sa.String(120))
    organisation_id: Mapped[int] = mapped_column(sa.ForeignKey("organisation.id"), index=True)
    role: Mapped[MembershipRole] = mapped_column(str_enum(MembershipRole))
    invited_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("user_account.id", ondelete="SET NULL")
    )
    # Random value carried in the signed link, so that a link cannot be guessed from an id.
    nonce: Mapped[str] = mapped_column(sa.String(32), default=new_session_token)
    created: Mapped[datetime] = mapped_column(UTCDateTime, default=now_utc)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    accepted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    organisation: Mapped[Organisation] = relationship(lazy="joined")
    invited_by: Mapped[User | None] = relationship()

    @property
    def is_pending(self) -> bool:
        return self.accepted_at is None and self.revoked_at is None and self.expires_at > now_utc()


class UserSession(Model):
    """A signed-in session, kept on the server: signing out deletes it, so a copied cookie
    opens nothing afterwards. It ends after an idle delay and at its absolute expiry."""

    __tablename__ = "user_session"

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(sa.String(64), unique=True)
    user_id: Mapped[int] = mapped_column(
        sa.ForeignKey("user_account.id", ondelete="CASCADE"), index=True
    )
    created: Mapped[datetime] = mapped_column(UTCDateTime, default=now_utc)
    last_seen: Mapped[datetime] = mapped_column(UTCDateTime, default=now_utc)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    remember: Mapped[bool] = mapped_column(default=False)
    # When the second factor was given in this session (None: not yet, or not needed).
    second_factor_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    ip_address: Mapped[str | None] = mapped_column(sa.String(45))
    user_agent: Mapped[str] = mapped_column(sa.String(200), default="")

    user: Mapped[User] = relationship()


class RecoveryCode(Model):
    """A single-use code to sign in without the authenticator app, stored hashed."""

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(
        sa.ForeignKey("user_account.id", ondelete="CASCADE"), index=True
    )
    code_hash: Mapped[str] = mapped_column(sa.String(128))
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class StashedSubmission(Model):
    """A form sent after the session had expired: kept (an hour at most) so that, once
    signed in again, its author can send it again without typing it anew. Only the person
    whose session it was gets it back."""

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(sa.String(64), unique=True)
    user_id: Mapped[int] = mapped_column(
        sa.ForeignKey("user_account.id", ondelete="CASCADE"), index=True
    )
    path: Mapped[str] = mapped_column(sa.String(500))
    fields: Mapped[str] = mapped_column(sa.Text)  # JSON list of [name, value]
    created: Mapped[datetime] = mapped_column(UTCDateTime, default=now_utc)


class SubmissionKey(Model):
    """A form submission already handled (``portal.submissions``): the same one received
    again lands on the first one's result. Purged after a day."""

    __tablename__ = "submission_key"

    key: Mapped[str] = mapped_column(sa.String(64), primary_key=True)
    user_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("user_account.id", ondelete="CASCADE"), index=True
    )
    path: Mapped[str] = mapped_column(sa.String(500))
    location: Mapped[str | None] = mapped_column(sa.String(500))
    created: Mapped[datetime] = mapped_column(UTCDateTime, default=now_utc, index=True)
