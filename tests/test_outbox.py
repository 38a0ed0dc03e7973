"""The outbox over a real SMTP server on loopback (aiosmtpd): requests only queue messages,
the worker delivers them after commit, survives a mail server that is down, retries with
back-off, and never sends a message twice, even with two senders at once."""

import re
from collections import Counter
from datetime import timedelta
from types import SimpleNamespace
from urllib.parse import urlsplit

import pytest
import sqlalchemy as sa

from portal.auth.tokens import load_invitation_token
from portal.extensions import db
from portal.jobs.worker import run_once
from portal.models import (
    EmailStatus,
    Invitation,
    OutgoingEmail,
    OutgoingEmailAttachment,
    Task,
    now_utc,
)
from portal.outbox.services import Attachment, backoff, deliver, queue_email, send_due
from tests.conftest import sign_in
from tests.loopback_smtp import SilentServer, mail_settings
from tests.support import in_two_workers

INVITATION_LINK = re.compile(r"https?://[^/\s\"]+/invitation/[\w.\-]+")
RESET_LINK = re.compile(r"https?://[^/\s\"]+/password/reset/[\w.\-]+")
NEW_PASSWORD = "un tout autre mot de passe pour la suite"


@pytest.fixture
def app(mail_app):
    """The app of this module sends to the loopback SMTP server (the factories of conftest,
    such as ``world``, use it)."""
    return mail_app


# Helpers ----------------------------------------------------------------------------------


def parts(message) -> tuple[str, str]:
    """The text and HTML alternatives of a message."""
    [alternative] = [
        part for part in message.walk() if part.get_content_type() == "multipart/alternative"
    ]
    text, html = alternative.iter_parts()
    assert text.get_content_type() == "text/plain"
    assert html.get_content_type() == "text/html"
    assert text.get_content_charset() == html.get_content_charset() == "utf-8"
    return text.get_content(), html.get_content()


def message_id(message) -> str:
    return message["Message-ID"].strip()


def outbox_rows() -> list[OutgoingEmail]:
    db.session.expire_all()
    return list(db.session.scalars(sa.select(OutgoingEmail).order_by(OutgoingEmail.id)))


def queue_test_email(number: int = 1) -> OutgoingEmail:
    return queue_email(
        f"destinataire{number}@exemple.fr",
        "password_reset",
        f"Message de test {number}",
        user=SimpleNamespace(full_name=f"Destinataire {number}"),
        link=f"http://localhost/lien/{number}",
    )


def invite(client, organisation, email_address="nina.nouvelle@exemple.fr"):
    return client.post(
        f"/organisations/{organisation.id}/invite",
        data={"full_name": "Nina Nouvelle", "email": email_address, "role": "member"},
    )


def worker_round(app) -> dict:
    """One round of the worker, in an application context of its own as in its process."""
    with app.app_context():
        return run_once()


def outbox_send(app):
    result = app.test_cli_runner().invoke(args=["outbox", "send"])
    assert result.exit_code == 0, result.output
    return result.output


# 1. Queued by the request, delivered once by the worker -----------------------------------


def test_invitation_is_queued_by_the_request_and_delivered_once_by_the_worker(
    app, client, world, smtp
):
    sign_in(client, world.partner_admin)

    response = invite(client, world.mission_locale)

    # The request only wrote the message: the SMTP server has not heard from it.
    assert response.status_code == 302
    [row] = outbox_rows()
    assert (row.status, row.attempts, row.template) == (EmailStatus.PENDING, 0, "invitation")
    assert smtp.sessions == 0 and smtp.messages == []

    assert worker_round(app)["sent"] == 1

    assert len(smtp.messages) == 1
    message = smtp.messages[0]
    assert smtp.inbox.recipients == [["nina.nouvelle@exemple.fr"]]
    assert message["To"] == "nina.nouvelle@exemple.fr"
    assert "ne-pas-repondre@portail-partenaires.local" in message["From"]
    assert message["Subject"] == "Invitation à rejoindre Mission Locale sur le Portail partenaires"
    text, html = parts(message)
    assert "Bonjour Nina Nouvelle," in text
    assert "Léa Admin vous invite à rejoindre Mission Locale" in text
    assert "ne sert qu'une fois et expire dans 7 jours" in text
    assert "Bonjour Nina Nouvelle," in html
    assert "<strong>Mission Locale</strong>" in html
    assert "Choisir mon mot de passe et accéder au portail" in html

    # The signed link is in both parts and names the invitation that was committed.
    link = INVITATION_LINK.search(text).group(0)
    assert link.startswith(app.config["PUBLIC_URL"] + "/invitation/")
    assert f'href="{link}"' in html
    invitation = db.session.scalars(sa.select(Invitation)).one()
    assert invitation.email == "nina.nouvelle@exemple.fr"
    token = urlsplit(link).path.rsplit("/", 1)[1]
    assert load_invitation_token(token) == invitation
    assert client.get(urlsplit(link).path).status_code == 200

    [row] = outbox_rows()
    assert row.status == EmailStatus.SENT
    assert row.attempts == 1
    assert row.sent_at is not None
    assert row.last_error is None
    assert row.message_id == message_id(message)

    # The next rounds find nothing left to send.
    assert "0 envoyé(s), 0 en échec" in outbox_send(app)
    assert send_due() == (0, 0)
    assert len(smtp.messages) == 1


# 2. Server down, then back up -------------------------------------------------------------


def test_server_down_then_back_up(app, client, world, smtp_server):
    sign_in(client, world.partner_admin)

    response = invite(client, world.mission_locale)

    # The page works and the change is kept; the request did not try the server.
    assert response.status_code == 302
    assert db.session.scalars(sa.select(Invitation)).one().email == "nina.nouvelle@exemple.fr"
    [row] = outbox_rows()
    assert (row.status, row.attempts, row.last_error) == (EmailStatus.PENDING, 0, None)

    # The worker finds the server down: the message waits, with back-off.
    before = now_utc()
    assert "0 envoyé(s), 1 en échec" in outbox_send(app)
    [row] = outbox_rows()
    assert row.status == EmailStatus.PENDING
    assert row.attempts == 1
    assert row.last_error.startswith("ConnectionRefusedError")
    assert row.sent_at is None
    assert row.next_attempt_at >= before + backoff(1)

    smtp_server.start()

    # Not due yet: the worker leaves it alone.
    assert "0 envoyé(s), 0 en échec" in outbox_send(app)
    assert smtp_server.messages == []
    assert outbox_rows()[0].status == EmailStatus.PENDING

    # Time passes.
    row = outbox_rows()[0]
    row.next_attempt_at = now_utc() - timedelta(seconds=1)
    db.session.commit()

    assert "1 envoyé(s), 0 en échec" in outbox_send(app)
    assert len(smtp_server.messages) == 1
    message = smtp_server.messages[0]
    assert message["To"] == "nina.nouvelle@exemple.fr"
    text, _ = parts(message)
    assert INVITATION_LINK.search(text)
    [row] = outbox_rows()
    assert row.status == EmailStatus.SENT
    assert row.attempts == 2
    assert row.last_error is None
    assert row.message_id == message_id(message)

    # Once sent, never again.
    assert "0 envoyé(s), 0 en échec" in outbox_send(app)
    assert len(smtp_server.messages) == 1


# 3. Rolled back: nothing leaves -----------------------------------------------------------


def test_rolled_back_change_sends_nothing(app, smtp):
    queued = queue_test_email()
    queued_id = queued.id
    db.session.rollback()

    assert deliver([queued_id]) == (0, 0)
    assert send_due() == (0, 0)
    assert smtp.messages == []
    assert outbox_rows() == []


def test_the_worker_sends_only_what_was_committed(app, smtp):
    kept = queue_test_email(1)
    db.session.commit()
    kept_message_id = kept.message_id
    queue_test_email(2)
    db.session.rollback()

    assert send_due() == (1, 0)

    assert [message_id(message) for message in smtp.messages] == [kept_message_id]
    assert [(row.message_id, row.status) for row in outbox_rows()] == [
        (kept_message_id, EmailStatus.SENT)
    ]


# 4. Two senders at once -------------------------------------------------------------------


@pytest.fixture
def file_backed_app(make_app, backend, tmp_path, smtp):
    """SQLite in a file (several connections see the same data), or PostgreSQL."""
    overrides = mail_settings(smtp)
    if backend == "sqlite":
        overrides["SQLALCHEMY_DATABASE_URI"] = f"sqlite:///{tmp_path / 'outbox.sqlite3'}"
    return make_app(**overrides)


def test_two_senders_at_once_never_send_twice(file_backed_app, smtp):
    app = file_backed_app
    count = 25
    with app.app_context():
        message_ids = [queue_test_email(number).message_id for number in range(count)]
        db.session.commit()

    results = in_two_workers(app, send_due)

    received = Counter(message_id(message) for message in smtp.messages)
    assert sorted(received) == sorted(message_ids)
    assert set(received.values()) == {1}
    assert sum(sent for sent, _ in results) == count
    assert sum(failed for _, failed in results) == 0
    with app.app_context():
        rows = outbox_rows()
        assert {row.status for row in rows} == {EmailStatus.SENT}
        assert {row.attempts for row in rows} == {1}


# 5. Back-off, giving up, stale claims -----------------------------------------------------


def test_backoff_doubles_up_to_six_hours():
    assert [backoff(n) for n in range(1, 6)] == [timedelta(minutes=m) for m in (1, 2, 4, 8, 16)]
    assert backoff(9) == timedelta(minutes=256)
    assert backoff(10) == timedelta(hours=6)
    assert backoff(50) == timedelta(hours=6)


def test_retries_with_growing_backoff_then_gives_up(make_app, smtp_server):
    app = make_app(**mail_settings(smtp_server, OUTBOX_MAX_ATTEMPTS=4))
    with app.app_context():
        queued = queue_test_email()
        db.session.commit()
        delays = []

        for attempt in range(1, 5):
            before = now_utc()
            assert send_due() == (0, 1)
            after = now_utc()
            [row] = outbox_rows()
            assert row.attempts == attempt
            assert row.last_error.startswith("ConnectionRefusedError")
            if attempt < 4:
                assert row.status == EmailStatus.PENDING
                assert before + backoff(attempt) <= row.next_attempt_at <= after + backoff(attempt)
                delays.append(row.next_attempt_at - after)
                assert send_due() == (0, 0)  # not due before its time
                row.next_attempt_at = now_utc() - timedelta(seconds=1)
                db.session.commit()

        assert delays == sorted(delays) and len(set(delays)) == 3
        [row] = outbox_rows()
        assert row.status == EmailStatus.FAILED
        assert row.attempts == 4

        # Given up for good: even with the server back and the time past, it stays.
        smtp_server.start()
        row.next_attempt_at = now_utc() - timedelta(hours=1)
        db.session.commit()
        assert send_due() == (0, 0)
        assert deliver([queued.id]) == (0, 0)
        assert smtp_server.messages == []
        assert outbox_rows()[0].status == EmailStatus.FAILED


def test_stale_claim_is_taken_over_but_not_a_fresh_one(app, smtp):
    timeout = app.config["OUTBOX_CLAIM_TIMEOUT"]
    stale, fresh = queue_test_email(1), queue_test_email(2)
    db.session.commit()
    stale_id, fresh_id = stale.id, fresh.id
    now = now_utc()
    stale.status = fresh.status = EmailStatus.SENDING
    stale.claimed_at, stale.claim_token = now - timeout - timedelta(minutes=1), "sender-died"
    fresh.claimed_at, fresh.claim_token = now - timeout + timedelta(minutes=1), "still-working"
    db.session.commit()

    assert send_due() == (1, 0)
    assert deliver([fresh_id]) == (0, 0)  # even when asked for by its id

    assert [message_id(message) for message in smtp.messages] == [stale.message_id]
    rows = {row.id: row for row in outbox_rows()}
    assert rows[stale_id].status == EmailStatus.SENT
    assert rows[fresh_id].status == EmailStatus.SENDING
    assert rows[fresh_id].claim_token == "still-working"
    assert rows[fresh_id].attempts == 0


# 6. Password reset ------------------------------------------------------------------------


def ask_for_reset(client, smtp, email_address, **request):
    """The request hands the worker a task and answers: no e-mail yet, no SMTP."""
    response = client.post("/password/forgot", data={"email": email_address}, **request)
    assert response.status_code == 302
    assert db.session.scalar(sa.select(sa.func.count(Task.id))) == 1
    assert outbox_rows() == []
    assert smtp.sessions == 0
    return response


def test_password_reset_link_works_once(app, client, make_org, make_user, login, smtp):
    user = make_user(make_org(), full_name="Anne Oubli", email="anne.oubli@exemple.fr")
    ask_for_reset(client, smtp, "Anne.Oubli@exemple.fr")

    done = worker_round(app)

    assert (done["tasks"], done["sent"]) == (1, 1)
    assert len(smtp.messages) == 1
    message = smtp.messages[0]
    assert message["To"] == user.email
    assert message["Subject"] == "Réinitialisation de votre mot de passe"
    text, html = parts(message)
    assert "Bonjour Anne Oubli," in text
    assert "utilisable une seule fois" in text
    assert "Choisir un nouveau mot de passe" in html
    link = RESET_LINK.search(text).group(0)
    assert link.startswith(app.config["PUBLIC_URL"] + "/password/reset/")
    assert f'href="{link}"' in html
    path = urlsplit(link).path

    assert client.get(path).status_code == 200
    response = client.post(path, data={"password": NEW_PASSWORD, "confirm": NEW_PASSWORD})
    assert response.status_code == 302
    assert urlsplit(response.headers["Location"]).path == "/login"

    # Used once: the same link is refused now.
    assert client.get(path).status_code == 400
    again = client.post(path, data={"password": NEW_PASSWORD + " bis", "confirm": "x"})
    assert again.status_code == 400
    assert login(user, NEW_PASSWORD).status_code == 302
    assert [row.status for row in outbox_rows()] == [EmailStatus.SENT]


def test_password_reset_for_unknown_address_sends_nothing(app, client, smtp):
    ask_for_reset(client, smtp, "personne@inconnu.fr")

    assert worker_round(app)["tasks"] == 1

    assert smtp.messages == []
    assert outbox_rows() == []


def test_reset_link_points_to_the_portal_whatever_the_host_header(
    app, client, make_org, make_user, smtp
):
    """A forged Host header must not put the attacker's site in the reset link."""
    user = make_user(make_org())
    ask_for_reset(client, smtp, user.email, base_url="http://attaquant.example")

    worker_round(app)

    text, html = parts(smtp.messages[0])
    link = RESET_LINK.search(text).group(0)
    assert link.startswith(app.config["PUBLIC_URL"] + "/password/reset/")
    assert "attaquant.example" not in text + html


# 7. Refusals, silence, purge --------------------------------------------------------------


def test_a_permanent_refusal_is_not_retried(app, smtp):
    """A 5xx answer (unknown mailbox) will not change: the message fails at once, and the
    next message is still sent."""
    refused = queue_email("inconnu@exemple.fr", "password_reset", "Test", user=None, link="x")
    accepted = queue_email("connu@exemple.fr", "password_reset", "Test", user=None, link="x")
    db.session.commit()

    assert deliver([refused.id, accepted.id]) == (1, 1)

    db.session.expire_all()
    assert refused.status == EmailStatus.FAILED
    assert refused.attempts == 1
    assert "550" in refused.last_error
    assert accepted.status == EmailStatus.SENT
    assert [m["To"] for m in smtp.messages] == ["connu@exemple.fr"]


def test_a_silent_server_does_not_hang_the_sender(make_app, smtp_server):
    """A server that accepts the connection but never answers: one attempt times out, and
    the messages stay pending for the next round (the batch does not wait on it once per
    message)."""
    silent = SilentServer(smtp_server.port)
    try:
        app = make_app(**mail_settings(smtp_server, MAIL_TIMEOUT_SECONDS=0.3))
        with app.app_context():
            for number in range(3):
                queue_test_email(number)
            db.session.commit()

            assert send_due() == (0, 1)

            assert silent.connections() == 1
            rows = outbox_rows()
            assert [row.status for row in rows] == [EmailStatus.PENDING] * 3
            assert "timed out" in rows[0].last_error.lower()
            assert [row.attempts for row in rows] == [1, 0, 0]
    finally:
        silent.close()


def test_sent_messages_are_purged_after_the_keeping_period(app, smtp):
    """Sent messages hold names and links: `flask retention run` deletes them after
    OUTBOX_KEEP_DAYS; pending ones, and recent ones, stay."""
    old = queue_email(
        "a@exemple.fr",
        "password_reset",
        "Ancien",
        attachments=[Attachment("x.ics", "text/calendar", b"BEGIN:VCALENDAR")],
        user=None,
        link="x",
    )
    recent = queue_email("b@exemple.fr", "password_reset", "Récent", user=None, link="x")
    db.session.commit()
    deliver([old.id, recent.id])
    pending = queue_email("c@exemple.fr", "password_reset", "En attente", user=None, link="x")
    db.session.commit()
    old.sent_at = now_utc() - timedelta(days=31)
    db.session.commit()

    result = app.test_cli_runner().invoke(args=["retention", "run"])

    assert result.exit_code == 0, result.output
    assert "Supprimés : 1 e-mail(s) envoyé(s)." in result.output
    remaining = db.session.scalars(sa.select(OutgoingEmail.subject)).all()
    assert sorted(remaining) == ["En attente", "Récent"]
    assert db.session.scalar(sa.select(sa.func.count(OutgoingEmailAttachment.id))) == 0
    assert pending.status == EmailStatus.PENDING
