"""The worker, with real parts only: aiosmtpd on loopback, real sockets, a database shared by
several connections. Requests never talk SMTP, whatever state the mail server is in; the
worker delivers what they queued, in batches, to strict servers, once, even when two
workers run at once; scheduled jobs run once per period; `flask health` and /healthz watch
the outbox; the coordination sees and retries what could not be delivered."""

import asyncio
import html
import json
import re
import smtplib
from collections import Counter
from datetime import timedelta
from types import SimpleNamespace

import pytest
import sqlalchemy as sa
from aiosmtpd.smtp import SMTP
from markupsafe import escape

from portal.extensions import db
from portal.jobs.schedule import period_of, run_due_jobs
from portal.jobs.tasks import run_tasks
from portal.jobs.worker import run_once
from portal.meetings.services import schedule_meeting
from portal.models import (
    EmailStatus,
    JobRun,
    MeetingKind,
    MembershipRole,
    Task,
    now_utc,
)
from portal.organisations.services import invite_member
from portal.outbox.services import TEMPLATE_LABELS, queue_email, send_due
from tests.conftest import (
    build_world,
    committee_factory,
    new_territory,
    organisation_factory,
    sign_in,
    user_factory,
)
from tests.loopback_smtp import SilentServer, mail_settings
from tests.support import flashed, fresh_client, in_two_workers, queued_emails
from tests.test_outbox import (
    invite,
    message_id,
    outbox_rows,
    parts,
    queue_test_email,
    worker_round,
)


@pytest.fixture
def app(mail_app):
    """An app of the test's own with real commits, sending to the loopback server."""
    return mail_app


@pytest.fixture
def file_backed_app(make_app, backend, tmp_path, smtp_server):
    """For two workers at once: a database that several connections share (SQLite in a
    file, or PostgreSQL)."""
    overrides = mail_settings(smtp_server)
    if backend == "sqlite":
        overrides["SQLALCHEMY_DATABASE_URI"] = f"sqlite:///{tmp_path / 'portal.sqlite3'}"
    app = make_app(**overrides)
    with app.app_context():
        yield app


def plan_meeting(world, starts_at):
    """A meeting of the comité technique, its invitees told nothing yet."""
    meeting = schedule_meeting(
        world.committee,
        world.coordinator,
        {
            "kind": MeetingKind.COMITE_TECHNIQUE,
            "title": "Comité technique",
            "starts_at": starts_at.replace(second=0, microsecond=0),
            "duration_minutes": 120,
            "location": "Salle du conseil",
            "video_link": "",
            "organisation_ids": [world.ccas.id, world.mission_locale.id],
            "user_ids": [],
        },
        notify=False,
    )
    db.session.commit()
    return meeting


# a. Requests never talk SMTP ---------------------------------------------------------------


@pytest.mark.parametrize("mail_server", ["up", "down", "hung"])
def test_a_request_answers_the_same_whatever_the_mail_server(
    mail_server, app, client, world, smtp_server
):
    """Inviting a member answers the same with the server up, down (nothing listens) or
    hung (accepts, never answers): the request opens no connection at all."""
    silent = SilentServer(smtp_server.port) if mail_server == "hung" else None
    if mail_server == "up":
        smtp_server.start()
    sign_in(client, world.partner_admin)
    try:
        response = invite(client, world.mission_locale)

        assert response.status_code == 302
        assert response.location == f"/organisations/{world.mission_locale.id}"
        page = client.get(response.location).text
        assert "Une invitation a été envoyée à nina.nouvelle@exemple.fr." in flashed(page)
        assert smtp_server.sessions == 0
        if silent is not None:
            assert silent.connections() == 0
        # Not even tried: an attempt would have counted, with its error.
        [row] = outbox_rows()
        assert (row.status, row.attempts, row.last_error) == (EmailStatus.PENDING, 0, None)
    finally:
        if silent is not None:
            silent.close()

    if mail_server != "up":
        smtp_server.start()
    assert worker_round(app)["sent"] == 1
    assert smtp_server.inbox.recipients == [["nina.nouvelle@exemple.fr"]]
    assert [row.status for row in outbox_rows()] == [EmailStatus.SENT]


# b. Strict servers, long lines, line breaks typed in fields ------------------------------


class StrictSMTP(SMTP):
    """RFC 5321 §4.5.3.1.6: 998 octets a line, plus CRLF (aiosmtpd allows one more)."""

    line_length_limit = 1000


@pytest.fixture
def strict_smtp(smtp_server):
    smtp_server.smtp_class = StrictSMTP
    smtp_server.settings = {"enable_SMTPUTF8": False}  # non-ASCII headers must be encoded
    smtp_server.start()
    return smtp_server


def test_the_strict_server_refuses_a_line_over_998_octets(strict_smtp):
    """The control for the next test: this server does refuse what a lax client sends."""
    with smtplib.SMTP("127.0.0.1", strict_smtp.port, timeout=5) as client:
        client.sendmail("a@exemple.fr", ["b@exemple.fr"], b"Subject: ok\r\n\r\n" + b"x" * 998)
        with pytest.raises(smtplib.SMTPDataError) as refused:
            client.sendmail("a@exemple.fr", ["b@exemple.fr"], b"Subject: long\r\n\r\n" + b"x" * 999)
    assert refused.value.smtp_code == 500
    assert len(strict_smtp.messages) == 1


PARAGRAPH = (
    "Le T3 de la rue de l'Œuvre, à Concarneau, est libre dès juin ; la cœliaque du rez-de-"
    "chaussée s'en réjouit 🏠, et le bailleur accepte un bail glissant. "
) * 40
PARAGRAPH = PARAGRAPH[:5000]


def test_a_long_paragraph_with_accents_and_emoji_arrives_intact(app, strict_smtp):
    assert len(PARAGRAPH) == 5000 and "\n" not in PARAGRAPH
    subject = "Message du propriétaire — offre n° 42 🏠"
    queue_email(
        "ccas@exemple.fr",
        "landlord_message",
        subject,
        offer=SimpleNamespace(id=42),
        body=PARAGRAPH,
        author="Jean Propriétaire",
        link="http://localhost/offres/42",
    )
    db.session.commit()

    assert worker_round(app)["sent"] == 1

    [raw] = strict_smtp.inbox.raw
    assert raw.isascii()  # 7-bit: no server needs 8BITMIME or SMTPUTF8 for it
    assert max(len(line) for line in raw.split(b"\r\n")) <= 998
    [message] = strict_smtp.messages
    assert message["Subject"] == subject
    text, html_part = parts(message)
    assert PARAGRAPH in text.splitlines()  # one line, not one character changed
    assert str(escape(PARAGRAPH)) in html_part


def test_a_line_break_typed_in_a_field_never_adds_a_header(app, world, make_org, smtp):
    injected = "\r\nBcc: victime@exemple.fr"
    organisation = make_org(name="Association" + injected)
    invite_member(
        organisation, "nina@exemple.fr", "Nina" + injected, MembershipRole.MEMBER, world.coordinator
    )
    queue_email(
        "lea@exemple.fr" + injected,
        "password_reset",
        "Votre lien" + injected,
        user=SimpleNamespace(full_name="Léa" + injected),
        link="http://localhost/lien",
    )
    db.session.commit()

    assert worker_round(app)["sent"] == 2

    assert smtp.inbox.recipients == [["nina@exemple.fr"], ["lea@exemple.fr"]]
    for raw in smtp.inbox.raw:
        headers = raw.split(b"\r\n\r\n", 1)[0]
        assert not re.search(rb"^bcc:", headers, re.IGNORECASE | re.MULTILINE)
    invitation, reset = smtp.messages
    assert invitation["Bcc"] is None and reset["Bcc"] is None
    assert invitation["Subject"] == (
        "Invitation à rejoindre Association Bcc: victime@exemple.fr sur le Portail partenaires"
    )
    assert reset["Subject"] == "Votre lien Bcc: victime@exemple.fr"


# c. A server that does not answer QUIT ----------------------------------------------------


class LateQuit(SMTP):
    """Answers QUIT long after the client has given up."""

    async def smtp_QUIT(self, arg):
        self.event_handler.stalled_quits += 1
        await asyncio.sleep(2)
        await super().smtp_QUIT(arg)


class NoQuit(SMTP):
    """Takes QUIT and never answers it."""

    async def smtp_QUIT(self, arg):
        self.event_handler.stalled_quits += 1
        await asyncio.Event().wait()


@pytest.mark.parametrize("smtp_class", [LateQuit, NoQuit], ids=["late", "never"])
def test_messages_accepted_before_a_stalled_quit_are_sent_once(smtp_class, app, smtp_server):
    """What the server accepted (250 after DATA) is sent: the QUIT that times out after it
    neither fails the batch nor has the next rounds send it again."""
    smtp_server.smtp_class = smtp_class
    smtp_server.start()
    app.config["MAIL_TIMEOUT_SECONDS"] = 0.3
    sent_ids = [queue_test_email(number).message_id for number in range(3)]
    db.session.commit()

    assert worker_round(app)["sent"] == 3

    assert smtp_server.inbox.stalled_quits == 1
    rows = outbox_rows()
    assert [(row.status, row.attempts) for row in rows] == [(EmailStatus.SENT, 1)] * 3
    for _ in range(2):
        assert worker_round(app)["sent"] == 0
    assert Counter(message_id(m) for m in smtp_server.messages) == Counter(sent_ids)
    assert smtp_server.sessions == 1


# d. One connection per batch --------------------------------------------------------------


def test_a_cancelled_meeting_s_messages_leave_over_one_connection(app, client, world, smtp):
    meeting = plan_meeting(world, now_utc() + timedelta(days=10))
    invitees = sorted(invitee.user.email for invitee in meeting.invitees)
    assert len(invitees) == 4
    sign_in(client, world.coordinator)

    response = client.post(f"/meetings/{meeting.id}/cancel")

    assert response.status_code == 302
    assert len(outbox_rows()) == 4
    assert smtp.sessions == 0

    assert worker_round(app)["sent"] == 4

    assert sorted(r for [r] in smtp.inbox.recipients) == invitees
    assert all(m["Subject"].startswith("Annulation") for m in smtp.messages)
    assert smtp.sessions == 1
    assert len(set(smtp.inbox.peers)) == 1  # every message came from the same client socket


def test_a_refused_recipient_does_not_cost_the_batch_its_connection(app, smtp):
    """A 550 for one recipient says nothing about the connection: the batch goes on over
    it."""
    for number in range(4):
        queue_test_email(number)
    smtp.inbox.unavailable.add("destinataire1@exemple.fr")
    db.session.commit()

    assert send_due() == (3, 1)

    assert [r for [r] in smtp.inbox.recipients] == [
        "destinataire0@exemple.fr",
        "destinataire2@exemple.fr",
        "destinataire3@exemple.fr",
    ]
    assert smtp.sessions == 1


# e. Two workers at once -------------------------------------------------------------------


def test_two_workers_deliver_every_message_exactly_once(file_backed_app, smtp):
    app = file_backed_app
    count = 30
    sent_ids = [queue_test_email(number).message_id for number in range(count)]
    db.session.commit()

    rounds = in_two_workers(app, run_once)

    received = Counter(message_id(message) for message in smtp.messages)
    assert sorted(received) == sorted(sent_ids)
    assert set(received.values()) == {1}
    assert sum(done["sent"] for done in rounds) == count
    assert {row.status for row in outbox_rows()} == {EmailStatus.SENT}


def test_two_workers_run_each_job_once_per_period(file_backed_app):
    app = file_backed_app
    territory = new_territory()
    world = build_world(
        organisation_factory(territory), user_factory(), committee_factory(territory)
    )
    now = now_utc()
    meeting = plan_meeting(world, now + timedelta(days=1))
    reminded = sorted(invitee.user.email for invitee in meeting.invitees)
    db.session.commit()  # nothing held open while the workers write

    results = in_two_workers(app, lambda: run_due_jobs(now))

    # (The digests run too from 7:00 in Paris, once each: tested in test_notifications.)
    ran = sorted(name for result in results for name, _ in result if "digest" not in name)
    assert ran == ["reminders", "retention"]
    runs = db.session.execute(
        sa.select(JobRun.name, JobRun.period).where(JobRun.name.not_like("%digest"))
    ).all()
    assert sorted(runs) == [
        ("reminders", period_of("hour", now)),
        ("retention", period_of("day", now)),
    ]
    reminders = [e for e in queued_emails() if e.template == "meeting_reminder"]
    assert sorted(e.recipient for e in reminders) == reminded

    # The next hour: the hourly job runs again, and finds the reminder already sent.
    later = now + timedelta(hours=1)
    assert "reminders" in [name for name, _ in run_due_jobs(later)]
    assert run_due_jobs(later) == []
    assert len([e for e in queued_emails() if e.template == "meeting_reminder"]) == len(reminded)


# f. Health ---------------------------------------------------------------------------------


def outbox_line(output: str) -> str:
    [line] = [line for line in output.splitlines() if " outbox : " in line]
    return line


def test_health_fails_when_a_message_waits_too_long(app, client):
    runner = app.test_cli_runner()
    result = runner.invoke(args=["health"])
    assert result.exit_code == 0, result.output
    assert outbox_line(result.output).startswith("OK")
    assert client.get("/healthz").status_code == 200

    waiting = queue_test_email()
    db.session.commit()
    assert runner.invoke(args=["health"]).exit_code == 0  # just queued: nothing wrong

    limit = app.config["OUTBOX_ALERT_MINUTES"]
    waiting.created = now_utc() - timedelta(minutes=limit + 1)
    db.session.commit()

    result = runner.invoke(args=["health"])
    assert result.exit_code == 1
    assert outbox_line(result.output).startswith("KO")
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json["status"] == "error"
    assert response.json["database"] == "ok"
    assert "le worker tourne-t-il" in response.json["outbox"]


# g. « E-mails non distribués » -------------------------------------------------------------


def undelivered_rows(page: str) -> list[list[str]]:
    body = page.split("<tbody>", 1)[1].split("</tbody>", 1)[0] if "<tbody>" in page else ""
    return [
        [html.unescape(re.sub(r"<[^>]+>", "", cell)).strip() for cell in cells]
        for cells in (
            re.findall(r"<td>(.*?)</td>", row, re.DOTALL)
            for row in re.findall(r"<tr>(.*?)</tr>", body, re.DOTALL)
        )
    ]


UNDELIVERED_LINE = "1 e-mail non distribué"


def test_the_coordination_sees_and_retries_an_undelivered_message(app, client, world, smtp):
    smtp.inbox.unavailable.add("nina.nouvelle@exemple.fr")
    coordinator = fresh_client(app)
    sign_in(coordinator, world.coordinator)
    sign_in(client, world.partner_admin)
    invite(client, world.mission_locale)
    assert UNDELIVERED_LINE not in coordinator.get("/").text  # pending is not undelivered

    assert worker_round(app)["failed"] == 1

    [row] = outbox_rows()
    assert row.status == EmailStatus.FAILED  # a 550 is not retried on its own
    # Not for a partner's admin, even the one who sent the invitation.
    assert client.get("/admin/emails/").status_code == 403
    assert client.post(f"/admin/emails/{row.id}/retry").status_code == 403
    assert UNDELIVERED_LINE not in client.get("/").text
    assert outbox_rows()[0].status == EmailStatus.FAILED

    assert UNDELIVERED_LINE in coordinator.get("/").text
    page = coordinator.get("/admin/emails/").text
    [[recipient, label, _created, attempts, error, _button]] = undelivered_rows(page)
    assert recipient == "nina.nouvelle@exemple.fr"
    assert label == str(TEMPLATE_LABELS["invitation"])
    assert attempts == "1"
    assert "550" in error and "Mailbox unavailable" in error
    assert row.subject not in html.unescape(page)  # a subject may name a household

    # The mailbox exists now: sent again on the coordinator's word, by the next round.
    smtp.inbox.unavailable.clear()
    response = coordinator.post(f"/admin/emails/{row.id}/retry")
    assert response.status_code == 302
    [row] = outbox_rows()
    assert (row.status, row.attempts) == (EmailStatus.PENDING, 0)

    assert worker_round(app)["sent"] == 1

    assert smtp.inbox.recipients == [["nina.nouvelle@exemple.fr"]]
    assert outbox_rows()[0].status == EmailStatus.SENT
    assert undelivered_rows(coordinator.get("/admin/emails/").text) == []
    assert UNDELIVERED_LINE not in coordinator.get("/").text


# h. Forgot password: a task, then the worker -----------------------------------------------


def test_forgot_password_hands_the_worker_a_task(app, client, make_org, make_user):
    organisation = make_org()
    make_user(organisation, email="anne@exemple.fr")
    make_user(organisation, email="partie@exemple.fr", active=False)  # membership ended
    addresses = ["anne@exemple.fr", "inconnue@exemple.fr", "partie@exemple.fr"]

    answers = [client.post("/password/forgot", data={"email": a}) for a in addresses]

    assert {(r.status_code, r.location) for r in answers} == {(302, "/login")}
    tasks = list(db.session.scalars(sa.select(Task).order_by(Task.id)))
    assert [(t.kind, json.loads(t.payload)) for t in tasks] == [
        ("password_reset", {"email": address}) for address in addresses
    ]
    assert queued_emails() == []

    assert run_tasks() == 3

    assert [(e.recipient, e.template) for e in queued_emails()] == [
        ("anne@exemple.fr", "password_reset")
    ]
    db.session.expire_all()
    tasks = list(db.session.scalars(sa.select(Task)))
    assert all(t.done_at is not None and t.payload == "{}" for t in tasks)
    assert run_tasks() == 0
    assert len(queued_emails()) == 1
