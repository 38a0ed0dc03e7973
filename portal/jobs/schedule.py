"""The scheduled jobs, run by the worker once per period across every worker: a job's run
for a period is a row whose (name, period) is unique, so a second worker finds it taken."""

import socket
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta

import sqlalchemy as sa
from dateutil.relativedelta import relativedelta
from flask import current_app

from portal.extensions import db
from portal.i18n import _
from portal.models import JobRun, now_utc


def send_reminders_and_alerts(now: datetime) -> str:
    """Meeting reminders, overdue actions, IML bilan alerts (each claimed: never twice)."""
    from portal.actions.services import notify_overdue_actions
    from portal.measures.services import notify_bilans
    from portal.meetings.services import send_reminders

    today = now.date() if isinstance(now, datetime) else date.today()
    reminded = send_reminders(now)
    overdue = notify_overdue_actions(today)
    db.session.commit()
    bilans = notify_bilans(today)
    db.session.commit()
    return _(
        "%(reminded)d réunion(s) rappelée(s) (%(days)d jour(s) avant) ; "
        "%(overdue)d action(s) en retard signalée(s) ; %(bilans)d alerte(s) de bilan IML.",
        reminded=reminded,
        days=current_app.config["REMINDER_DAYS_BEFORE"],
        overdue=overdue,
        bilans=bilans,
    )


def anonymise_due_households(months: int, as_of: datetime | None = None, dry_run=False):
    """Households whose cases have all been closed for longer than ``months``: anonymised
    one by one in transactions of their own (or only listed, for a dry run). An anonymised
    household is skipped, so two runs at once never do one twice. Returns their
    references."""
    from portal import storage
    from portal.cases.services import anonymise_household, households_due_for_anonymisation
    from portal.models import Household

    today = as_of.date() if as_of else None
    due = [(h.id, h.reference) for h in households_due_for_anonymisation(months, today)]
    if dry_run:
        return [reference for _id, reference in due]
    done = []
    for household_id, reference in due:
        household = db.session.scalar(
            sa.select(Household)
            .where(Household.id == household_id, Household.anonymised_at.is_(None))
            # OF household: its joined organisation sits on the nullable side of an outer
            # join, which PostgreSQL refuses to lock.
            .with_for_update(skip_locked=True, of=Household)
        )
        if household is None:  # another run got there first
            db.session.rollback()
            continue
        stored_names = anonymise_household(household)
        db.session.commit()
        for stored_name in stored_names:
            storage.delete(stored_name)
        done.append(reference)
    return done


def purge_audit(keep_months: int, now: datetime) -> int:
    """Audit and access-log entries older than ``keep_months`` are deleted, their counts
    kept per month, action and object type (what the reports and audits need)."""
    from portal.models import AuditEvent, AuditMonthlyCount
    from portal.reports.sql import year_month

    cutoff = now - relativedelta(months=keep_months)
    month = year_month(AuditEvent.created)  # the UTC month, whatever the server's time zone
    rows = db.session.execute(
        sa.select(month, AuditEvent.action, AuditEvent.object_type, sa.func.count())
        .where(AuditEvent.created < cutoff)
        .group_by(month, AuditEvent.action, AuditEvent.object_type)
    ).all()
    for period, action, object_type, count in rows:
        action = getattr(action, "value", action)
        kept = db.session.scalar(
            sa.select(AuditMonthlyCount).where(
                AuditMonthlyCount.month == period,
                AuditMonthlyCount.action == action,
                AuditMonthlyCount.object_type == object_type,
            )
        )
        if kept is None:
            kept = AuditMonthlyCount(month=period, action=action, object_type=object_type)
            kept.count = 0
            db.session.add(kept)
        kept.count += count
    # Typed as a Result; an UPDATE's or a DELETE's is a CursorResult, with rowcount.
    return db.session.execute(sa.delete(AuditEvent).where(AuditEvent.created < cutoff)).rowcount  # type: ignore[attr-defined]


def purge_unconfirmed_owners(days: int, now: datetime) -> int:
    """Owner accounts never confirmed after ``days``, with the drafts started under them."""
    from portal import storage
    from portal.models import (
        AuditEvent,
        OfferDocument,
        OfferStatus,
        OwnerOffer,
        User,
        UserKind,
    )

    cutoff = now - timedelta(days=days)
    users = db.session.scalars(
        sa.select(User).where(
            User.kind == UserKind.PRIVATE_OWNER,
            User.password_hash.is_(None),
            User.email_confirmed_at.is_(None),
            User.created < cutoff,
        )
    ).all()
    purged = 0
    for user in users:
        offers = db.session.scalars(
            sa.select(OwnerOffer).where(OwnerOffer.owner_id == user.id)
        ).all()
        if any(o.status != OfferStatus.DRAFT for o in offers):
            continue  # the CCAS is working on it: kept
        for offer in offers:
            for document in db.session.scalars(
                sa.select(OfferDocument).where(OfferDocument.offer_id == offer.id)
            ):
                storage.delete(document.stored_name)
                db.session.delete(document)
            db.session.delete(offer)
        # SQLite applies no ON DELETE SET NULL: the audit trail lets go of the account here,
        # or the next account, given the same id, would inherit its entries.
        db.session.execute(
            sa.update(AuditEvent).where(AuditEvent.user_id == user.id).values(user_id=None)
        )
        db.session.delete(user)
        purged += 1
    return purged


@dataclass
class RetentionReport:
    months: int
    households: list[str]  # references
    emails: int = 0
    sessions: int = 0
    audit: int = 0
    owners: int = 0
    files: int = 0

    def lines(self, dry_run: bool = False) -> list[str]:
        if dry_run:
            return [
                _(
                    "%(count)d dossier(s) seraient anonymisé(s) (conservation : %(months)d mois "
                    "après clôture) ; rien n'a été modifié.",
                    count=len(self.households),
                    months=self.months,
                ),
                *(f"- {reference}" for reference in self.households),
            ]
        lines = [
            _(
                "%(count)d dossier(s) anonymisé(s) (conservation : %(months)d mois après clôture).",
                count=len(self.households),
                months=self.months,
            )
        ]
        purged = {
            _("e-mail(s) envoyé(s)"): self.emails,
            _("session(s) terminée(s)"): self.sessions,
            _("entrée(s) du journal d'audit"): self.audit,
            _("compte(s) propriétaire jamais confirmé(s)"): self.owners,
            _("fichier(s) orphelin(s)"): self.files,
        }
        if any(purged.values()):
            lines.append(
                _("Supprimés : ")
                + ", ".join(f"{count} {what}" for what, count in purged.items() if count)
                + "."
            )
        return lines


def retention(
    now: datetime,
    months: int | None = None,
    as_of: datetime | None = None,
    dry_run: bool = False,
) -> RetentionReport:
    """The daily clean-up: households past their retention, sent e-mails, ended sessions,
    old audit entries, unconfirmed owner accounts, finished tasks, orphan files. A dry run
    only lists the households that would be anonymised."""
    from portal import storage
    from portal.auth.sessions import STASH_LIFETIME, purge_expired
    from portal.models import (
        OutgoingEmail,
        PendingNotification,
        StashedSubmission,
        SubmissionKey,
        Task,
        household_email,
    )
    from portal.outbox.services import purge_sent_emails

    config = current_app.config
    months = config["RETENTION_MONTHS"] if months is None else months
    report = RetentionReport(
        months=months, households=anonymise_due_households(months, as_of, dry_run)
    )
    if dry_run:
        return report
    report.emails = purge_sent_emails(config["OUTBOX_KEEP_DAYS"])
    # SQLite does not cascade: the purged e-mails' links to their households go here.
    db.session.execute(
        sa.delete(household_email).where(
            household_email.c.email_id.not_in(sa.select(OutgoingEmail.id))
        )
    )
    report.sessions = purge_expired(now)
    db.session.execute(
        sa.delete(StashedSubmission).where(StashedSubmission.created < now - STASH_LIFETIME)
    )
    # A double click or a retry comes within seconds: a day of submission keys is plenty.
    db.session.execute(
        sa.delete(SubmissionKey).where(SubmissionKey.created < now - timedelta(days=1))
    )
    db.session.execute(
        sa.delete(Task).where(Task.done_at.is_not(None), Task.done_at < now - timedelta(days=7))
    )
    # Events already in a digest: kept as long as the e-mails themselves, then forgotten.
    db.session.execute(
        sa.delete(PendingNotification).where(
            PendingNotification.digested_at < now - timedelta(days=config["OUTBOX_KEEP_DAYS"])
        )
    )
    report.audit = purge_audit(config["AUDIT_KEEP_MONTHS"], now)
    report.owners = purge_unconfirmed_owners(config["UNCONFIRMED_LANDLORD_DAYS"], now)
    db.session.commit()
    report.files = storage.remove_orphan_files()
    return report


def daily_retention(now: datetime) -> str:
    return " ".join(retention(now).lines())


def daily_digests(now: datetime) -> str:
    from portal.models import NotificationFrequency
    from portal.notifications.services import send_digests

    sent = send_digests(NotificationFrequency.DAILY, now)
    return _("%(count)d résumé(s) quotidien(s) de notifications.", count=sent)


def weekly_digests(now: datetime) -> str:
    from portal.models import NotificationFrequency
    from portal.notifications.services import send_digests

    sent = send_digests(NotificationFrequency.WEEKLY, now)
    return _("%(count)d résumé(s) hebdomadaire(s) de notifications.", count=sent)


@dataclass(frozen=True)
class Job:
    name: str
    every: str  # "hour", "day" or "week"
    run: Callable[[datetime], str]
    # Not before this hour, Paris time (a digest is read in the morning, not at 1 a.m.).
    from_hour: int = 0

    def is_due(self, now: datetime) -> bool:
        from portal.local_time import PARIS

        return now.astimezone(PARIS).hour >= self.from_hour


JOBS = (
    Job("reminders", "hour", send_reminders_and_alerts),
    Job("retention", "day", daily_retention),
    Job("daily_digest", "day", daily_digests, from_hour=7),
    # From Monday 7:00 (the ISO week begins on Monday): once a week, whatever day the worker
    # first runs in it.
    Job("weekly_digest", "week", weekly_digests, from_hour=7),
)


def period_of(every: str, now: datetime) -> str:
    if every == "week":
        return now.strftime("%G-W%V")
    return now.strftime("%Y-%m-%dT%H" if every == "hour" else "%Y-%m-%d")


def worker_name() -> str:
    import os

    return f"{socket.gethostname()}:{os.getpid()}"[:120]


def claim_period(job: Job, now: datetime) -> JobRun | None:
    """This period's run of the job, if no other worker has it."""
    run = JobRun(name=job.name, period=period_of(job.every, now), worker=worker_name())
    try:
        with db.session.begin_nested():
            db.session.add(run)
            db.session.flush()
    except sa.exc.IntegrityError:
        db.session.rollback()
        return None
    db.session.commit()  # the claim is seen by the other workers at once
    return run


def run_due_jobs(now: datetime | None = None, only: str | None = None) -> list[tuple[str, str]]:
    """Run each job whose period has no run yet; returns (name, summary) of those run."""
    now = now or now_utc()
    done = []
    for job in JOBS:
        if (only and job.name != only) or not job.is_due(now):
            continue
        run = claim_period(job, now)
        if run is None:
            continue
        try:
            result = job.run(now)
        except Exception:
            db.session.rollback()
            current_app.logger.exception("Scheduled job %s failed", job.name)
            result = "échec (voir le journal)"
        run = db.session.get_one(JobRun, run.id)
        run.finished_at = now_utc()
        run.result = result[:500]
        db.session.commit()
        done.append((job.name, result))
    return done
