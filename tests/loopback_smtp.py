"""A real SMTP server on loopback (aiosmtpd), started and stopped at will, and the settings
that send an app's e-mails to it. The fixtures that use it are in conftest
(``smtp_server``, ``smtp``, ``mail_app``)."""

import email
import email.policy
import errno
import socket
import threading
import time

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Inbox:
    """aiosmtpd handler that keeps every message it accepts, as parsed and as received, and
    the client of every SMTP session (one EHLO per connection)."""

    def __init__(self):
        self.messages: list[email.message.EmailMessage] = []
        self.raw: list[bytes] = []
        self.recipients: list[list[str]] = []
        self.sessions: list[tuple[str, int]] = []
        self.peers: list[tuple[str, int]] = []  # the session each message came over
        self.unavailable: set[str] = set()  # mailboxes refused until removed from here
        self.stalled_quits = 0  # counted by servers that leave QUIT unanswered

    async def handle_EHLO(self, server, session, envelope, hostname, responses):
        session.host_name = hostname  # what aiosmtpd does when no hook is set
        self.sessions.append(session.peer)
        return responses

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address.startswith("inconnu@") or address in self.unavailable:
            return "550 5.1.1 Mailbox unavailable"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        self.raw.append(envelope.original_content)
        self.messages.append(
            email.message_from_bytes(envelope.content, policy=email.policy.default)
        )
        self.recipients.append(list(envelope.rcpt_tos))
        self.peers.append(session.peer)
        return "250 Message accepted for delivery"


class SmtpController(Controller):
    """aiosmtpd's controller serving a given SMTP class (its ``factory()`` hook)."""

    def __init__(self, handler, smtp_class, **settings):
        super().__init__(handler, **settings)
        self.smtp_class = smtp_class

    def factory(self):
        return self.smtp_class(self.handler, **self.SMTP_kwargs)


class SmtpServer:
    """An SMTP server on a port of its own, started and stopped at will."""

    def __init__(self, smtp_class: type[SMTP] = SMTP, **settings):
        self._port = free_port()
        self.port_given = False  # once someone knows the port, it may not change
        self.inbox = Inbox()
        self.smtp_class = smtp_class
        self.settings = settings
        self.controller: Controller | None = None

    @property
    def port(self) -> int:
        self.port_given = True
        return self._port

    def start(self) -> None:
        # The free port may have been taken meanwhile (another test process's connection):
        # a port nobody was told of yet is chosen again.
        for attempt in range(5):
            self.controller = SmtpController(
                self.inbox,
                self.smtp_class,
                hostname="127.0.0.1",
                port=self._port,
                server_hostname="smtp.test",  # not socket.getfqdn(), which may wait on DNS
                **self.settings,
            )
            try:
                self.controller.start()
                return
            except OSError as error:
                self.controller = None
                if error.errno != errno.EADDRINUSE or self.port_given or attempt == 4:
                    raise
                self._port = free_port()

    def stop(self) -> None:
        if self.controller is not None:
            self.controller.stop()
            self.controller = None

    @property
    def messages(self) -> list[email.message.EmailMessage]:
        return list(self.inbox.messages)

    @property
    def sessions(self) -> int:
        return len(self.inbox.sessions)


class SilentServer:
    """A TCP server that accepts connections and never says a word (a hung mail server)."""

    def __init__(self, port: int):
        self.listener = socket.create_server(("127.0.0.1", port))
        self.listener.settimeout(0.05)
        self.accepted: list[socket.socket] = []
        self.stopped = threading.Event()
        self.thread = threading.Thread(target=self.accept, daemon=True)
        self.thread.start()

    def accept(self) -> None:
        while not self.stopped.is_set():
            try:
                connection, _ = self.listener.accept()
            except TimeoutError:
                continue
            self.accepted.append(connection)

    def connections(self) -> int:
        """Connections accepted so far, told without waiting on a timer: a probe of ours
        is accepted after any connection made before it."""
        with socket.create_connection(self.listener.getsockname()) as probe:
            deadline = time.monotonic() + 5
            while not any(c.getpeername() == probe.getsockname() for c in self.accepted):
                assert time.monotonic() < deadline, "the probe was never accepted"
                time.sleep(0.01)
            return len(self.accepted) - 1

    def close(self) -> None:
        self.stopped.set()
        self.thread.join()
        self.listener.close()
        for connection in self.accepted:
            connection.close()


def mail_settings(smtp_server: SmtpServer, **overrides) -> dict:
    return {"MAIL_SERVER": "127.0.0.1", "MAIL_PORT": smtp_server.port, **overrides}
