"""Signed links sent by e-mail: password reset, invitations, and the confirmation of a
private owner's address (they sign up with their first housing offer).

Each link is signed with the secret key and expires. It is single-use because its payload
names something that changes once it has been used (the password hash, the invitation's
acceptance).
"""

from flask import current_app
from itsdangerous import BadSignature, URLSafeTimedSerializer

from portal.extensions import db
from portal.models import Invitation, User, UserKind


def serializer(purpose: str) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=f"portal.{purpose}")


def password_fingerprint(user: User) -> str:
    """Changes with the password, and whenever a new link is sent or the person signs in."""
    return (user.password_hash or "unset")[-16:] + user.links_nonce


def make_reset_token(user: User) -> str:
    return serializer("password-reset").dumps({"u": user.id, "p": password_fingerprint(user)})


def load_reset_token(token: str) -> User | None:
    max_age = current_app.config["PASSWORD_RESET_MAX_AGE"].total_seconds()
    try:
        data = serializer("password-reset").loads(token, max_age=max_age)
    except BadSignature:  # also raised for expired links
        return None
    user = db.session.get(User, data.get("u"))
    if user is None or not user.active or password_fingerprint(user) != data.get("p"):
        return None
    return user


def make_owner_confirmation_token(user: User) -> str:
    """The link with which a private owner confirms their address and sets their password
    (the salt keeps its first name: links already sent still work)."""
    return serializer("landlord-confirm").dumps({"u": user.id, "p": password_fingerprint(user)})


def load_owner_confirmation_token(token: str) -> User | None:
    max_age = current_app.config["INVITATION_MAX_AGE"].total_seconds()
    try:
        data = serializer("landlord-confirm").loads(token, max_age=max_age)
    except BadSignature:
        return None
    user = db.session.get(User, data.get("u")) if isinstance(data, dict) else None
    if user is None or user.kind != UserKind.PRIVATE_OWNER or not user.active:
        return None
    if password_fingerprint(user) != data.get("p"):
        return None  # already used: the password is set
    return user


def make_invitation_token(invitation: Invitation) -> str:
    return serializer("invitation").dumps({"i": invitation.id, "n": invitation.nonce})


def load_invitation_token(token: str) -> Invitation | None:
    max_age = current_app.config["INVITATION_MAX_AGE"].total_seconds()
    try:
        data = serializer("invitation").loads(token, max_age=max_age)
    except BadSignature:
        return None
    invitation = db.session.get(Invitation, data.get("i"))
    if invitation is None or invitation.nonce != data.get("n") or not invitation.is_pending:
        return None
    if not sender_may_still_invite(invitation):
        return None
    return invitation


def sender_may_still_invite(invitation: Invitation) -> bool:
    """An invitation lives only while its sender may still send it: a deactivated or
    demoted admin's pending invitations die with that right."""
    from portal import permissions

    sender = invitation.invited_by
    return (
        sender is not None
        and sender.active
        and permissions.can_manage_members(sender, invitation.organisation)
    )
