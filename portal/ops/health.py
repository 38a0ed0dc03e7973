"""What /healthz and ``flask health`` check: the database, Redis when the portal uses it,
and the outbox (a message waiting too long means the worker or the mail server is down)."""

from dataclasses import dataclass

import sqlalchemy as sa
from flask import current_app

from portal.extensions import db


@dataclass(frozen=True)
class Check:
    name: str
    ok: bool
    detail: str


def redis_url() -> str | None:
    uri = current_app.config.get("RATELIMIT_STORAGE_URI", "")
    return uri if uri.startswith(("redis://", "rediss://")) else None


def check_database() -> Check:
    try:
        db.session.execute(sa.text("SELECT 1"))
    except sa.exc.SQLAlchemyError as error:
        db.session.rollback()
        return Check("database", False, f"injoignable ({type(error).__name__})")
    return Check("database", True, "répond")


def check_redis() -> Check | None:
    url = redis_url()
    if url is None:
        return None
    import redis

    try:
        client = redis.Redis.from_url(url, socket_timeout=2, socket_connect_timeout=2)
        client.ping()
    except redis.RedisError as error:
        return Check("redis", False, f"injoignable ({type(error).__name__})")
    return Check("redis", True, "répond")


def check_outbox() -> Check:
    from portal.outbox.services import count_undelivered, oldest_pending_age

    try:
        age = oldest_pending_age()
        abandoned = count_undelivered()
    except sa.exc.SQLAlchemyError:
        db.session.rollback()
        return Check("outbox", False, "illisible (base de données)")
    limit = current_app.config["OUTBOX_ALERT_MINUTES"]
    minutes = int(age.total_seconds() // 60) if age is not None else 0
    detail = f"plus ancien message en attente : {minutes} min ; non distribués : {abandoned}"
    if age is not None and minutes >= limit:
        return Check("outbox", False, f"{detail} (seuil : {limit} min ; le worker tourne-t-il ?)")
    return Check("outbox", True, detail)


def run_checks() -> list[Check]:
    checks = [check_database(), check_redis(), check_outbox()]
    return [check for check in checks if check is not None]
