"""Sign-in, passwords and invitations. These functions flush; the view commits."""

import sqlalchemy as sa

from portal.audit import record_event
from portal.auth.passwords import hash_password, needs_rehash, verify_password
from portal.auth.sessions import end_all_sessions
from portal.auth.tokens import make_reset_token
from portal.extensions import db
from portal.i18n import _
from portal.models import AuditAction, Invitation, Membership, User, UserKind, now_utc
from portal.models.people import new_session_token
from portal.outbox.services import public_url_for, queue_email


def find_user_by_email(email: str) -> User | None:
    return db.session.scalar(sa.select(User).where(User.email == email.strip().lower()))


def authenticate(email: str, password: str) -> User | None:
    """The user whose password this is, or None. Every attempt is audited."""
    user = find_user_by_email(email)
    password_hash = user.password_hash if user else None
    # Checked without such a user too (against a dummy hash), to take the same time; only a
    # user's own hash verifies, so the other two tests only narrow the types.
    verified = verify_password(password_hash, password)
    if not verified or user is None or password_hash is None:
        record_event(
            AuditAction.LOGIN_FAILED,
            "user",
            user.id if user else None,
            f"Échec de connexion pour {email[:200]}",
            user=user,
        )
        return None
    if needs_rehash(password_hash):
        user.password_hash = hash_password(password)
    return user


def record_login(user: User) -> None:
    """A sign-in also ends every password-reset link still out."""
    user.last_login_at = now_utc()
    user.links_nonce = new_session_token()
    record_event(AuditAction.LOGIN, "user", user.id, "Connexion", user=user)


def set_password(user: User, password: str, *, keep_session: str | None = None) -> None:
    """Change a password: every other session ends, every reset link still out too."""
    user.password_hash = hash_password(password)
    user.links_nonce = new_session_token()
    end_all_sessions(user, keep=keep_session)
    db.session.flush()


def send_password_reset(email: str) -> None:
    """E-mail a reset link if the address belongs to an active account; say nothing either way."""
    user = find_user_by_email(email)
    if user is None or not user.is_active:
        return
    user.links_nonce = new_session_token()  # the links sent before stop working
    link = public_url_for("auth.reset_password", token=make_reset_token(user))
    queue_email(
        user.email,
        "password_reset",
        _("Réinitialisation de votre mot de passe"),
        user=user,
        link=link,
    )


def accept_invitation(invitation: Invitation, full_name: str, password: str) -> User:
    """A new person's account and membership, once. (An address that has an account joins
    through ``join_organisation``: an invitation never sets a password or a name.)"""
    if find_user_by_email(invitation.email) is not None:
        raise ValueError("this address has an account: join_organisation")
    user = User(email=invitation.email, full_name=full_name, kind=UserKind.STAFF)
    db.session.add(user)
    user.email_confirmed_at = now_utc()
    set_password(user, password)
    add_invited_membership(invitation, user)
    return user


def join_organisation(invitation: Invitation, user: User) -> Membership:
    """The signed-in owner of the invited address joins the organisation."""
    return add_invited_membership(invitation, user)


def add_invited_membership(invitation: Invitation, user: User) -> Membership:
    membership = user.membership_of(invitation.organisation_id) if user.id else None
    if membership is None:
        membership = Membership(user=user, organisation_id=invitation.organisation_id)
        db.session.add(membership)
    membership.role = invitation.role
    membership.active = True
    membership.ended_on = None
    invitation.accepted_at = now_utc()
    db.session.flush()
    record_event(
        AuditAction.CREATE,
        "membership",
        membership.id,
        f"Invitation acceptée : {user.email} rejoint {invitation.organisation.name}",
        user=user,
        organisation_id=invitation.organisation_id,
    )
    return membership
