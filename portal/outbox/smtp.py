"""Talking SMTP, for the worker only (a web request never does).

Messages are built with the standard ``email`` package: bodies in quoted-printable, so that
any length of line and any character survive strict servers (RFC 5322: 998 octets a line
at most); header values never carry a CR or an LF, whatever a form field held. A batch is
sent over one connection. A message the server accepted (250 after DATA) is sent, whatever
happens next: a QUIT that times out changes nothing.
"""

import smtplib
from email.message import EmailMessage
from email.policy import SMTP
from email.utils import formatdate

from flask import current_app

from portal.models import OutgoingEmail


def header_value(value: str) -> str:
    """One line: a CR or an LF typed in a field could otherwise add a header."""
    return " ".join(str(value).replace("\r", " ").replace("\n", " ").split())


def build_message(email: OutgoingEmail, sender: str) -> EmailMessage:
    message = EmailMessage(policy=SMTP)
    message["From"] = header_value(sender)
    message["To"] = header_value(email.recipient)
    message["Subject"] = header_value(email.subject)
    message["Message-ID"] = header_value(email.message_id)
    message["Date"] = formatdate(email.created.timestamp(), localtime=False)
    message.set_content(email.text_body, subtype="plain", cte="quoted-printable")
    message.add_alternative(email.html_body, subtype="html", cte="quoted-printable")
    for attachment in email.attachments:
        kind, _, rest = attachment.content_type.partition(";")
        maintype, _, subtype = kind.strip().partition("/")
        params = dict(part.strip().split("=", 1) for part in rest.split(";") if "=" in part)
        params.pop("charset", None)  # add_attachment sets it for bytes as needed
        message.add_attachment(
            attachment.data,
            maintype=maintype or "application",
            subtype=subtype or "octet-stream",
            filename=header_value(attachment.filename),
            params=params,
        )
    return message


def open_connection() -> smtplib.SMTP:
    """A connection to the configured server, with a timeout on every exchange."""
    mail = current_app.extensions["mail"]
    timeout = current_app.config["MAIL_TIMEOUT_SECONDS"]
    smtp_class = smtplib.SMTP_SSL if mail.use_ssl else smtplib.SMTP
    connection = smtp_class(mail.server, mail.port, timeout=timeout)
    if mail.use_tls:
        connection.starttls()
    if mail.username and mail.password:
        connection.login(mail.username, mail.password)
    return connection


def close_quietly(connection: smtplib.SMTP | None) -> None:
    """QUIT, and nothing more if the server does not answer: what it accepted is sent."""
    if connection is None:
        return
    try:
        connection.quit()
    except (OSError, smtplib.SMTPException):
        connection.close()


def sender_address() -> str:
    sender = current_app.extensions["mail"].default_sender
    if isinstance(sender, tuple):
        return f"{sender[0]} <{sender[1]}>"
    return sender or current_app.config["MAIL_DEFAULT_SENDER"]
