"""Queue e-mails in the outbox and deliver them over SMTP.

A message is written in the same transaction as the change it reports, so a rolled-back
change sends nothing. Delivery claims each row with a conditional UPDATE before talking
SMTP: two senders running at once can never both send the same message.
"""

import secrets
import smtplib
from dataclasses import dataclass
from datetime import UTC, timedelta
from email.utils import make_msgid

import sqlalchemy as sa
from flask import current_app, has_request_context, render_template, url_for

from portal.extensions import db
from portal.i18n import _l
from portal.models import EmailStatus, OutgoingEmail, OutgoingEmailAttachment, now_utc

MAX_BACKOFF = timedelta(hours=6)

# What each message is, for the list of undelivered ones (its subject may name a household
# or a meeting the coordination has no business reading).
TEMPLATE_LABELS = {
    "action_assigned": _l("Action de suivi confiée"),
    "action_overdue": _l("Action de suivi en retard"),
    "agenda_proposal": _l("Proposition d'inscription à l'ordre du jour"),
    "bilan_due": _l("Bilan IML à faire"),
    "bilan_overdue": _l("Bilan IML en retard"),
    "candidacy_decision": _l("Décision sur une candidature"),
    "candidacy_submitted": _l("Candidature soumise au SIAO"),
    "case_shared": _l("Situation partagée"),
    "decision_recorded": _l("Décision concernant une organisation"),
    "emergency_deactivation": _l("Désactivation d'un accès par la coordination"),
    "invitation": _l("Invitation à rejoindre une organisation"),
    "landlord_confirm": _l("Confirmation de l'adresse d'un propriétaire"),
    "landlord_existing": _l("Lien de connexion d'un propriétaire"),
    "landlord_message": _l("Message au sujet d'un logement proposé"),
    "landlord_new_offer": _l("Nouvelle proposition de logement"),
    "landlord_offer_status": _l("Suivi d'une proposition de logement"),
    "meeting_cancelled": _l("Réunion annulée"),
    "meeting_changed": _l("Réunion modifiée"),
    "meeting_chase": _l("Relance d'une invitation à une réunion"),
    "meeting_invitation": _l("Invitation à une réunion"),
    "meeting_reminder": _l("Rappel de réunion"),
    "minutes_approved": _l("Compte rendu approuvé"),
    "notification_digest": _l("Résumé des notifications"),
    "password_reset": _l("Réinitialisation du mot de passe"),
    "second_factor_reset": _l("Double authentification réinitialisée"),
}


@dataclass(frozen=True)
class Attachment:
    filename: str
    content_type: str
    data: bytes


def queue_email(
    recipient: str,
    template: str,
    subject: str,
    attachments: list[Attachment] | tuple[Attachment, ...] = (),
    **context,
) -> OutgoingEmail:
    """Render ``templates/email/<template>.txt`` and ``.html`` and add the message to the
    outbox, in the caller's transaction: the worker sends it once that has committed (a
    rolled-back change sends nothing, and no request ever waits on SMTP)."""
    context.setdefault("public_url", current_app.config["PUBLIC_URL"].rstrip("/"))
    email = OutgoingEmail(
        recipient=recipient,
        subject=subject,
        template=template,
        text_body=render_template(f"email/{template}.txt", subject=subject, **context),
        html_body=render_template(f"email/{template}.html", subject=subject, **context),
        message_id=make_msgid(domain="portail-partenaires.local"),
        attachments=[
            OutgoingEmailAttachment(filename=a.filename, content_type=a.content_type, data=a.data)
            for a in attachments
        ],
    )
    db.session.add(email)
    db.session.flush()
    return email


def public_url_for(endpoint: str, **values) -> str:
    """An absolute link for an e-mail, on the portal's public address (``PUBLIC_URL``),
    never on the request's Host header, which the client chooses: a forged Host would
    otherwise put a stranger's site in a password-reset link."""
    base = current_app.config["PUBLIC_URL"].rstrip("/")
    if has_request_context():
        return base + url_for(endpoint, **values)
    # Outside a request (cron jobs), build the path from the URL map alone.
    return base + current_app.url_map.bind("localhost").build(endpoint, values)


def backoff(attempts: int) -> timedelta:
    """1, 2, 4, 8… minutes between attempts, at most six hours."""
    # Bound the exponent: 2**16 minutes is far beyond the cap, and timedelta overflows
    # from 2**31 minutes on (OUTBOX_MAX_ATTEMPTS above 32).
    return min(timedelta(minutes=2 ** min(max(attempts - 1, 0), 16)), MAX_BACKOFF)


def claim(email_id: int, token: str) -> bool:
    """Mark one due message as ours; false when another sender got there first."""
    now = now_utc()
    stale = now - current_app.config["OUTBOX_CLAIM_TIMEOUT"]
    result = db.session.execute(
        sa.update(OutgoingEmail)
        .where(
            OutgoingEmail.id == email_id,
            sa.or_(
                sa.and_(
                    OutgoingEmail.status == EmailStatus.PENDING,
                    OutgoingEmail.next_attempt_at <= now,
                ),
                # A sender that died mid-way leaves its claim behind; it expires.
                sa.and_(
                    OutgoingEmail.status == EmailStatus.SENDING,
                    OutgoingEmail.claimed_at < stale,
                ),
            ),
        )
        .values(status=EmailStatus.SENDING, claimed_at=now, claim_token=token)
        .execution_options(synchronize_session=False)
    )
    db.session.commit()
    # Typed as a Result; an UPDATE's or a DELETE's is a CursorResult, with rowcount.
    return result.rowcount == 1  # type: ignore[attr-defined]


def due_email_ids(limit: int) -> list[int]:
    now = now_utc()
    stale = now - current_app.config["OUTBOX_CLAIM_TIMEOUT"]
    return list(
        db.session.scalars(
            sa.select(OutgoingEmail.id)
            .where(
                sa.or_(
                    sa.and_(
                        OutgoingEmail.status == EmailStatus.PENDING,
                        OutgoingEmail.next_attempt_at <= now,
                    ),
                    sa.and_(
                        OutgoingEmail.status == EmailStatus.SENDING,
                        OutgoingEmail.claimed_at < stale,
                    ),
                )
            )
            .order_by(OutgoingEmail.next_attempt_at, OutgoingEmail.id)
            .limit(limit)
        )
    )


def is_permanent(error: Exception) -> bool:
    """A 5xx answer (unknown recipient, refused message) will not change by retrying."""
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        return all(code >= 500 for code, _ in error.recipients.values())
    return isinstance(error, smtplib.SMTPResponseException) and error.smtp_code >= 500


def record_failure(email: OutgoingEmail, error: Exception) -> None:
    email.attempts += 1
    email.last_error = f"{type(error).__name__}: {error}"[:500]
    email.claim_token = None
    if not isinstance(error, OSError | smtplib.SMTPException):
        current_app.logger.exception("Unexpected error sending e-mail %s", email.id)
    if is_permanent(error) or email.attempts >= current_app.config["OUTBOX_MAX_ATTEMPTS"]:
        email.status = EmailStatus.FAILED
        current_app.logger.error("E-mail %s abandoned: %s", email.id, email.last_error)
    else:
        email.status = EmailStatus.PENDING
        email.next_attempt_at = now_utc() + backoff(email.attempts)


def record_sent(email: OutgoingEmail) -> None:
    email.attempts += 1
    email.status = EmailStatus.SENT
    email.sent_at = now_utc()
    email.last_error = None
    email.claim_token = None


def deliver(email_ids: list[int]) -> tuple[int, int]:
    """Send the given messages if they are due, over one SMTP connection; returns
    (sent, failed) counts.

    Each message is claimed and its outcome recorded in transactions of its own, so that
    one failure never holds back or repeats another. A message the server accepted is
    recorded as sent at once, before anything else can go wrong; a network failure before
    that leaves it to be tried again (on a new connection for the messages after it). A
    server that cannot be reached ends the batch."""
    from portal.outbox.smtp import build_message, close_quietly, open_connection, sender_address

    sent = failed = 0
    token = secrets.token_hex(8)
    connection = None
    sender = sender_address()
    try:
        for email_id in email_ids:
            if not claim(email_id, token):
                continue
            email = db.session.get_one(OutgoingEmail, email_id, populate_existing=True)
            try:
                if connection is None:
                    connection = open_connection()
                connection.send_message(build_message(email, sender))
            except Exception as error:  # whatever happened, the row must not stay claimed
                failed += 1
                record_failure(email, error)
                if connection is None:
                    # The server cannot be reached: the rest of the batch waits for the next
                    # round, rather than each message waiting out a timeout of its own.
                    db.session.commit()
                    break
                # A refusal (smtplib has reset the session) leaves the connection usable.
                refusals = (smtplib.SMTPResponseException, smtplib.SMTPRecipientsRefused)
                if not isinstance(error, refusals):
                    # The connection itself failed: the next message opens a new one.
                    close_quietly(connection)
                    connection = None
            else:
                sent += 1
                record_sent(email)
            db.session.commit()
    finally:
        close_quietly(connection)
    return sent, failed


def send_due(limit: int = 200) -> tuple[int, int]:
    """Send every message that is due (the worker, every few seconds)."""
    return deliver(due_email_ids(limit))


def undelivered(limit: int = 100) -> list[OutgoingEmail]:
    """Messages abandoned after their attempts: for the coordinator to see and retry."""
    return list(
        db.session.scalars(
            sa.select(OutgoingEmail)
            .where(OutgoingEmail.status == EmailStatus.FAILED)
            .order_by(OutgoingEmail.created.desc())
            .limit(limit)
        )
    )


def count_undelivered() -> int:
    return db.session.execute(
        sa.select(sa.func.count(OutgoingEmail.id)).where(OutgoingEmail.status == EmailStatus.FAILED)
    ).scalar_one()


def retry(email: OutgoingEmail) -> None:
    """Give an abandoned message a new round of attempts."""
    email.status = EmailStatus.PENDING
    email.attempts = 0
    email.next_attempt_at = now_utc()
    email.claim_token = None
    db.session.flush()


def oldest_pending_age(now=None):
    """How long the oldest message still to send has waited (None: nothing waits)."""
    oldest = db.session.scalar(
        sa.select(sa.func.min(OutgoingEmail.created)).where(
            OutgoingEmail.status.in_([EmailStatus.PENDING, EmailStatus.SENDING])
        )
    )
    if oldest is None:
        return None
    if oldest.tzinfo is None:  # SQLite gives it back naive
        oldest = oldest.replace(tzinfo=UTC)
    return (now or now_utc()) - oldest


def purge_sent_emails(keep_days: int) -> int:
    """Forget messages sent more than ``keep_days`` ago: their bodies hold names, case
    titles and links that have no reason to outlive delivery."""
    cutoff = now_utc() - timedelta(days=keep_days)
    old = sa.select(OutgoingEmail.id).where(
        OutgoingEmail.status == EmailStatus.SENT, OutgoingEmail.sent_at < cutoff
    )
    db.session.execute(
        sa.delete(OutgoingEmailAttachment).where(OutgoingEmailAttachment.email_id.in_(old))
    )
    # Typed as a Result; an UPDATE's or a DELETE's is a CursorResult, with rowcount.
    return db.session.execute(sa.delete(OutgoingEmail).where(OutgoingEmail.id.in_(old))).rowcount  # type: ignore[attr-defined]
