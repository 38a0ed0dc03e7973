"""Queue e-mails in the outbox and deliver them over SMTP.

A message is written in the same transaction as the change it reports, so a rolled-back
change sends nothing. Delivery claims each row with a conditional UPDATE before talking
SMTP: two senders running at once can never both send the same message.
"""

import secrets
import smtplib
from dataclasses import dataclass
from datetime import timedelta
from email.utils import make_msgid

import sqlalchemy as sa
from flask import current_app, g, has_request_context, render_template, url_for
from flask_mail import Connection, Message

from portal.extensions import db
from portal.models import EmailStatus, OutgoingEmail, OutgoingEmailAttachment, now_utc

MAX_BACKOFF = timedelta(hours=6)


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
    outbox. It leaves when the caller's transaction has committed."""
    context.setdefault("public_url", current_app.config["PUBLIC_URL"].rstrip("/"))
    email = OutgoingEmail(
        recipient=recipient,
        subject=subject,
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
    g.setdefault("queued_email_ids", []).append(email.id)
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
    return result.rowcount == 1


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


class BoundedConnection(Connection):
    """Flask-Mail's SMTP connection with a timeout on its socket (Flask-Mail sets none), so
    that a silent server cannot hang a worker."""

    def configure_host(self) -> smtplib.SMTP:
        smtp_class = smtplib.SMTP_SSL if self.mail.use_ssl else smtplib.SMTP
        host = smtp_class(
            self.mail.server, self.mail.port, timeout=current_app.config["MAIL_TIMEOUT_SECONDS"]
        )
        if self.mail.use_tls:
            host.starttls()
        if self.mail.username and self.mail.password:
            host.login(self.mail.username, self.mail.password)
        return host


def is_permanent(error: Exception) -> bool:
    """A 5xx answer (unknown recipient, refused message) will not change by retrying."""
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        return all(code >= 500 for code, _ in error.recipients.values())
    return isinstance(error, smtplib.SMTPResponseException) and error.smtp_code >= 500


def to_message(email: OutgoingEmail) -> Message:
    message = Message(
        subject=email.subject,
        recipients=[email.recipient],
        body=email.text_body,
        html=email.html_body,
    )
    message.msgId = email.message_id
    for attachment in email.attachments:
        message.attach(attachment.filename, attachment.content_type, attachment.data)
    return message


def deliver(email_ids: list[int]) -> tuple[int, int]:
    """Send the given messages if they are due; returns (sent, failed) counts.

    Each message is claimed, sent and recorded in transactions of its own, so that one
    failure never holds back or repeats another message.
    """
    sent = failed = 0
    token = secrets.token_hex(8)
    for email_id in email_ids:
        if not claim(email_id, token):
            continue
        email = db.session.get(OutgoingEmail, email_id, populate_existing=True)
        try:
            with BoundedConnection(current_app.extensions["mail"]) as connection:
                to_message(email).send(connection)
        except Exception as error:  # whatever happened, the row must not stay claimed
            failed += 1
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
        else:
            sent += 1
            email.attempts += 1
            email.status = EmailStatus.SENT
            email.sent_at = now_utc()
            email.last_error = None
        db.session.commit()
    return sent, failed


def send_due(limit: int = 200) -> tuple[int, int]:
    """Send every message that is due (the cron job)."""
    return deliver(due_email_ids(limit))


def send_queued_after_request() -> None:
    """Send what this request queued, now that its transaction has committed.

    Rows of a rolled-back transaction no longer exist and are skipped by the claim; what
    fails here stays pending for ``flask outbox send``.
    """
    email_ids = g.pop("queued_email_ids", None)
    if not email_ids or not current_app.config["OUTBOX_SEND_AFTER_REQUEST"]:
        return
    # Whatever the request left uncommitted was not meant to be kept: drop it before the
    # claims below commit.
    db.session.rollback()
    try:
        deliver(email_ids)
    except Exception:  # the page must not fail because of the mail server
        db.session.rollback()
        current_app.logger.exception("Sending queued e-mail failed; the cron job will retry")


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
    return db.session.execute(sa.delete(OutgoingEmail).where(OutgoingEmail.id.in_(old))).rowcount
