"""Signed-in sessions, kept on the server (``UserSession``).

The cookie carries only the session's random key. Signing out deletes the session, so a
cookie copied before is refused afterwards; « Me déconnecter de tous les appareils », a
password change, a role change and a deactivation delete them all. A session ends after an
idle delay (shorter for accounts that read households' identities) and at an absolute expiry;
« Se souvenir de moi » keeps it at most a week, and never for those accounts.

A session starts at sign-in and is replaced by a new one when the second factor is given:
its identifier changes at each change of privilege.
"""

import secrets
from datetime import datetime, timedelta

import sqlalchemy as sa
from flask import current_app, g, has_request_context, request

from portal.extensions import db
from portal.models import OrganisationKind, StashedSubmission, User, UserSession, now_utc

# ``last_seen`` is written at most once a minute: not a write on every request.
TOUCH_EVERY = timedelta(minutes=1)


def reads_identities(user: User) -> bool:
    """CCAS staff and SIAO officers read households' identities (DESIGN §1)."""
    return any(
        m.organisation.kind in (OrganisationKind.CCAS, OrganisationKind.SIAO)
        for m in user.active_memberships
    )


def second_factor_required(user: User) -> bool:
    """Accounts that read identities, organisation admins and the coordinator."""
    return not user.is_private_owner and (
        reads_identities(user) or bool(user.admin_organisation_ids) or user.is_coordinator
    )


def idle_timeout(user: User, remember: bool) -> timedelta:
    config = current_app.config
    if remember:
        return config["REMEMBER_ME_LIFETIME"]
    if reads_identities(user):
        return config["SESSION_IDLE_TIMEOUT_IDENTITY"]
    return config["SESSION_IDLE_TIMEOUT"]


def may_be_remembered(user: User) -> bool:
    return not reads_identities(user)


def start_session(user: User, *, remember: bool = False, second_factor: bool = False) -> str:
    """A new session for ``user``; returns its key (also set on ``user.session_key``)."""
    now = now_utc()
    remember = remember and may_be_remembered(user)
    config = current_app.config
    lifetime = config["REMEMBER_ME_LIFETIME"] if remember else config["SESSION_ABSOLUTE_LIFETIME"]
    record = UserSession(
        key=secrets.token_urlsafe(32),
        user=user,
        created=now,
        last_seen=now,
        expires_at=now + lifetime,
        remember=remember,
        second_factor_at=now if second_factor else None,
        ip_address=request.remote_addr if has_request_context() else None,
        user_agent=(request.user_agent.string[:200] if has_request_context() else ""),
    )
    db.session.add(record)
    db.session.flush()
    user.session_key = record.key
    if has_request_context():
        g.user_session = record  # the rest of the request sees the new session
    return record.key


def find_session(key: str) -> UserSession | None:
    """The live session of this key, with its person and their memberships (one query);
    None when it does not exist, has expired or has been idle too long."""
    if not key or len(key) > 64:
        return None
    record = (
        db.session.scalars(
            sa.select(UserSession)
            .where(UserSession.key == key)
            .options(sa.orm.joinedload(UserSession.user).joinedload(User.memberships))
        )
        .unique()
        .first()
    )
    if record is None:
        return None
    now = now_utc()
    if (
        record.expires_at <= now
        or record.last_seen + idle_timeout(record.user, record.remember) <= now
    ):
        return None
    return record


def touch(record: UserSession, now: datetime | None = None) -> bool:
    """Note the session's activity (at most once a minute); True when it was written."""
    now = now or now_utc()
    if now - record.last_seen < TOUCH_EVERY:
        return False
    record.last_seen = now
    return True


def end_session(key: str | None) -> None:
    if key:
        db.session.execute(sa.delete(UserSession).where(UserSession.key == key))


def end_all_sessions(user: User, *, keep: str | None = None) -> int:
    """Sign the person out everywhere (but, if given, of the session ``keep``)."""
    query = sa.delete(UserSession).where(UserSession.user_id == user.id)
    if keep:
        query = query.where(UserSession.key != keep)
    # Typed as a Result; an UPDATE's or a DELETE's is a CursorResult, with rowcount.
    return db.session.execute(query).rowcount  # type: ignore[attr-defined]


def purge_expired(now: datetime | None = None) -> int:
    """Delete sessions past their absolute expiry (the retention job)."""
    now = now or now_utc()
    # Typed as a Result; an UPDATE's or a DELETE's is a CursorResult, with rowcount.
    return db.session.execute(sa.delete(UserSession).where(UserSession.expires_at <= now)).rowcount  # type: ignore[attr-defined]


# Submissions sent after the session expired --------------------------------------------------

STASH_LIFETIME = timedelta(hours=1)
STASH_MAX_BYTES = 200_000


def session_owner(key: str | None) -> int | None:
    """Whose session a cookie named, even expired (not once signed out: it is deleted)."""
    if not key or len(key) > 64:
        return None
    return db.session.scalar(sa.select(UserSession.user_id).where(UserSession.key == key))


def stash_submission(user_id: int, path: str, fields: list[tuple[str, str]]) -> str | None:
    """Keep what was typed (no files, no CSRF token); returns the stash's key."""
    import json

    data = json.dumps(
        [[k, v] for k, v in fields if k != "csrf_token" and not k.endswith("-csrf_token")]
    )
    if len(data.encode()) > STASH_MAX_BYTES:
        return None
    key = secrets.token_urlsafe(32)
    db.session.add(StashedSubmission(key=key, user_id=user_id, path=path[:500], fields=data))
    db.session.flush()
    return key


def take_stash(key: str | None, user: User) -> StashedSubmission | None:
    """The stash, if it is this person's and recent; it is deleted as it is given back."""
    if not key:
        return None
    stash = db.session.scalar(sa.select(StashedSubmission).where(StashedSubmission.key == key))
    if stash is None:
        return None
    db.session.delete(stash)
    if stash.user_id != user.id or stash.created + STASH_LIFETIME <= now_utc():
        return None
    return stash
