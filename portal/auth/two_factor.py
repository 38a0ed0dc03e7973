"""Two-factor sign-in: TOTP codes (RFC 6238, any authenticator app) and single-use recovery
codes. These functions flush; the view commits.

The QR code is drawn on the server (segno, as SVG): the secret never leaves for a third
party. A code is accepted once (its time step is remembered); recovery codes are random,
stored hashed, and each works once.
"""

import hmac
import secrets
import time
from typing import TypeGuard

import pyotp
import segno
import sqlalchemy as sa
from flask import current_app

from portal.audit import record_event
from portal.auth.passwords import hash_password, verify_password
from portal.extensions import db
from portal.models import AuditAction, RecoveryCode, User, now_utc

ISSUER = "Portail partenaires"
RECOVERY_CODES = 10
# The demo accounts' secret, documented in the README; refused outside demo data.
DEMO_TOTP_SECRET = "PORTAILPARTENAIRESDEMOCONCARNEAU"
STEP_SECONDS = 30


def new_secret() -> str:
    return pyotp.random_base32()


def provisioning_uri(user: User, secret: str) -> str:
    return pyotp.TOTP(secret).provisioning_uri(name=user.email, issuer_name=ISSUER)


def qr_svg(uri: str) -> str:
    """The QR code of the provisioning URI, as an SVG data URI for an <img> (CSP: data:)."""
    return segno.make(uri, error="m").svg_data_uri(scale=4, border=2)


def secret_allowed(secret: str | None) -> TypeGuard[str]:
    return bool(secret) and (
        secret != DEMO_TOTP_SECRET or current_app.config.get("DEMO_DATA_ALLOWED", False)
    )


def accepted_step(secret: str, code: str, last_step: int | None, at: float | None = None):
    """The time step of a valid ``code`` (this step or the one before or after, for clocks
    a little off), or None; a step already used, or older, is refused."""
    code = "".join(code.split())
    if not (code.isascii() and code.isdigit() and len(code) == 6):
        return None
    totp = pyotp.TOTP(secret)
    now = time.time() if at is None else at
    current = int(now // STEP_SECONDS)
    for step in (current - 1, current, current + 1):
        if last_step is not None and step <= last_step:
            continue
        if hmac.compare_digest(totp.at(step * STEP_SECONDS), code):
            return step
    return None


def check_totp(user: User, code: str) -> bool:
    """A valid, unused code of the person's app; it is then spent."""
    if user.totp_enabled_at is None or not secret_allowed(user.totp_secret):
        return False
    step = accepted_step(user.totp_secret, code, user.totp_last_step)
    if step is None:
        return False
    user.totp_last_step = step
    db.session.flush()
    return True


def normalise_code(code: str) -> str:
    return "".join(code.lower().split()).replace("-", "")


def new_recovery_codes(user: User) -> list[str]:
    """Ten new codes (the older ones stop working); shown once, stored hashed with argon2
    and a salt of their own, as passwords are (ASVS 6.5.2: they carry under 112 bits)."""
    db.session.execute(sa.delete(RecoveryCode).where(RecoveryCode.user_id == user.id))
    alphabet = "abcdefghjkmnpqrstuvwxyz23456789"
    codes = []
    for _ in range(RECOVERY_CODES):
        raw = "".join(secrets.choice(alphabet) for _ in range(10))
        codes.append(f"{raw[:5]}-{raw[5:]}")
        db.session.add(RecoveryCode(user_id=user.id, code_hash=hash_password(raw)))
    db.session.flush()
    return codes


def use_recovery_code(user: User, code: str) -> bool:
    """Spend one unused recovery code; a code works once (the conditional UPDATE makes two
    sign-ins with the same code at once spend it once)."""
    code = normalise_code(code or "")
    if not code or len(code) > 40:
        return False
    unused = db.session.scalars(
        sa.select(RecoveryCode).where(
            RecoveryCode.user_id == user.id, RecoveryCode.used_at.is_(None)
        )
    ).all()
    for stored in unused:
        if verify_password(stored.code_hash, code):
            spent = db.session.execute(
                sa.update(RecoveryCode)
                .where(RecoveryCode.id == stored.id, RecoveryCode.used_at.is_(None))
                .values(used_at=now_utc())
                .execution_options(synchronize_session=False)
            )
            # Typed as a Result; an UPDATE's or a DELETE's is a CursorResult, with rowcount.
            return spent.rowcount == 1  # type: ignore[attr-defined]
    return False


def remaining_recovery_codes(user: User) -> int:
    return db.session.execute(
        sa.select(sa.func.count(RecoveryCode.id)).where(
            RecoveryCode.user_id == user.id, RecoveryCode.used_at.is_(None)
        )
    ).scalar_one()


def enable(user: User, secret: str, code: str) -> list[str] | None:
    """Turn the second factor on, once a code of the new secret proves the app has it;
    returns the recovery codes, or None when the code is wrong."""
    step = accepted_step(secret, code, None)
    if step is None or not secret_allowed(secret):
        return None
    user.totp_secret = secret
    user.totp_enabled_at = now_utc()
    user.totp_last_step = step
    codes = new_recovery_codes(user)
    record_event(AuditAction.CHANGE, "user", user.id, "Double authentification activée", user=user)
    return codes


def disable(user: User, actor: User, reason: str) -> None:
    """Turn it off (the person themself, or the coordinator's reset): codes deleted."""
    user.totp_secret = None
    user.totp_enabled_at = None
    user.totp_last_step = None
    db.session.execute(sa.delete(RecoveryCode).where(RecoveryCode.user_id == user.id))
    db.session.flush()
    record_event(AuditAction.CHANGE, "user", user.id, reason, user=actor)
