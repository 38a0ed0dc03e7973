"""Tasks a request hands the worker. A request writes one row and answers; the worker claims
it (a conditional UPDATE: two workers never run one twice) and does the work."""

import json
import secrets
from collections.abc import Callable
from datetime import timedelta

import sqlalchemy as sa
from flask import current_app

from portal.extensions import db
from portal.models import Task, now_utc

HANDLERS: dict[str, Callable[..., None]] = {}
MAX_ATTEMPTS = 5


def handler(kind: str):
    def register(function):
        HANDLERS[kind] = function
        return function

    return register


def enqueue(kind: str, **payload) -> Task:
    """Add a task in the caller's transaction (flushes only)."""
    task = Task(kind=kind, payload=json.dumps(payload))
    db.session.add(task)
    db.session.flush()
    return task


CLAIM_TIMEOUT = timedelta(minutes=15)


def claimable(now):
    """Waiting, or claimed by a worker that died on it (its claim expires)."""
    return sa.and_(
        Task.done_at.is_(None),
        Task.attempts < MAX_ATTEMPTS,
        sa.or_(Task.claim_token.is_(None), Task.claimed_at < now - CLAIM_TIMEOUT),
    )


def claim(task_id: int, token: str) -> bool:
    result = db.session.execute(
        sa.update(Task)
        .where(Task.id == task_id, claimable(now_utc()))
        .values(claim_token=token, claimed_at=now_utc())
        .execution_options(synchronize_session=False)
    )
    db.session.commit()
    # Typed as a Result; an UPDATE's or a DELETE's is a CursorResult, with rowcount.
    return result.rowcount == 1  # type: ignore[attr-defined]


def run_tasks(limit: int = 100) -> int:
    """Run the tasks waiting; returns how many were done."""
    import portal.jobs.handlers  # noqa: F401 (registers the handlers)

    token = secrets.token_hex(8)
    waiting = db.session.scalars(
        sa.select(Task.id).where(claimable(now_utc())).order_by(Task.id).limit(limit)
    ).all()
    done = 0
    for task_id in waiting:
        if not claim(task_id, token):
            continue
        task = db.session.get_one(Task, task_id, populate_existing=True)
        try:
            HANDLERS[task.kind](**json.loads(task.payload))
        except Exception as error:
            db.session.rollback()
            task = db.session.get_one(Task, task_id, populate_existing=True)
            task.attempts += 1
            task.claim_token = None
            task.last_error = f"{type(error).__name__}: {error}"[:500]
            current_app.logger.exception("Task %s (%s) failed", task_id, task.kind)
        else:
            task.done_at = now_utc()
            task.payload = "{}"  # what it carried (an address typed by anyone) is not kept
            done += 1
        db.session.commit()
    return done
