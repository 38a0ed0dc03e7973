"""The worker: one loop that delivers the outbox, runs the tasks requests hand it and the
scheduled jobs. Several can run on several machines: every piece of work is claimed first.

A plain loop supervised by systemd (or ``make run``) rather than a queue library: the work
already lives in the database with its claims (the outbox, the tasks, the job periods), so a
broker would add a service without adding a guarantee, and SQLite keeps working."""

import signal
import threading
from typing import TypedDict

from flask import current_app

from portal.extensions import db


class Round(TypedDict):
    tasks: int
    jobs: list[tuple[str, str]]  # (name, summary) of the scheduled jobs run
    sent: int
    failed: int


def run_once() -> Round:
    """One round: what each part did (for the log and ``flask worker run --once``)."""
    from portal.jobs.schedule import run_due_jobs
    from portal.jobs.tasks import run_tasks
    from portal.outbox.services import send_due

    config = current_app.config
    tasks = run_tasks()
    jobs = run_due_jobs()
    sent, failed = send_due(config["OUTBOX_BATCH"])
    db.session.remove()  # nothing held between rounds (a long-lived session grows stale)
    return {"tasks": tasks, "jobs": jobs, "sent": sent, "failed": failed}


def run_forever(stop: threading.Event | None = None) -> None:
    """Rounds every WORKER_INTERVAL_SECONDS until SIGTERM/SIGINT (the round under way ends
    first: a message is never left half-recorded)."""
    stop = stop or threading.Event()
    if threading.current_thread() is threading.main_thread():
        for signum in (signal.SIGTERM, signal.SIGINT):
            signal.signal(signum, lambda *_: stop.set())
    interval = current_app.config["WORKER_INTERVAL_SECONDS"]
    logger = current_app.logger
    logger.info("Worker started (every %s s)", interval)
    while not stop.is_set():
        try:
            done = run_once()
        except Exception:  # a database that is away: log, wait, try again
            db.session.rollback()
            db.session.remove()
            logger.exception("Worker round failed")
        else:
            if done["tasks"] or done["jobs"] or done["sent"] or done["failed"]:
                logger.info(
                    "Worker round: %s task(s), jobs %s, %s sent, %s failed",
                    done["tasks"],
                    [name for name, _ in done["jobs"]],
                    done["sent"],
                    done["failed"],
                )
        stop.wait(interval)
    logger.info("Worker stopped")
