"""Operating the portal: one log line per request (JSON in production, ids only), errors to
Sentry with personal data scrubbed, and ``flask doctor`` naming what to fix."""

import json
import secrets
import socket
import threading
import zlib
from http.server import BaseHTTPRequestHandler, HTTPServer

import flask_migrate
import pytest
import sentry_sdk
from aiosmtpd.controller import Controller

from portal import create_app
from portal.extensions import db
from tests.conftest import config_for, sign_in

HOUSEHOLD_NAME = "Zéphyrine Canardeau"


@pytest.fixture
def logging_app(app):
    app.config.update(LOG_REQUESTS=True)
    return app


def request_lines(captured: str) -> list[dict]:
    lines = [json.loads(line) for line in captured.splitlines() if line.startswith("{")]
    return [line for line in lines if line.get("logger") == "portal.requests"]


@pytest.fixture
def json_logs(logging_app):
    """The portal's handler writes JSON for this test, as in production."""
    import logging

    from portal.ops.logs import StderrHandler, formatter

    # pytest's own capture handlers may sit beside it.
    [handler] = [h for h in logging.getLogger("portal").handlers if isinstance(h, StderrHandler)]
    text_formatter = handler.formatter
    handler.setFormatter(formatter("json"))
    yield
    handler.setFormatter(text_formatter)


def test_each_request_is_one_json_line_with_ids_and_no_personal_data(
    client, world, json_logs, capsys
):
    sign_in(client, world.partner_member)
    capsys.readouterr()

    response = client.get(f"/cases/?q={HOUSEHOLD_NAME}", headers={"X-Request-ID": "abc12345-xyz"})
    client.get("/password/reset/un-jeton-secret-de-lien")
    client.get("/healthz", headers={"X-Request-ID": "pas un identifiant ; X-Faux"})

    captured = capsys.readouterr().err
    search, reset, health = request_lines(captured)
    assert response.headers["X-Request-ID"] == "abc12345-xyz"
    assert search["request_id"] == "abc12345-xyz"  # the proxy's id, when sane
    assert (search["method"], search["path"], search["status"]) == ("GET", "/cases/", 200)
    assert search["user_id"] == world.partner_member.id
    assert search["organisation_id"] == world.mission_locale.id
    assert search["level"] == "INFO" and search["duration_ms"] >= 0
    assert reset["path"] == "/password/reset/<token>"  # a link's secret is never logged
    assert len(health["request_id"]) == 32 and "Faux" not in health["request_id"]
    assert "Canardeau" not in captured and "un-jeton-secret" not in captured


# Sentry ------------------------------------------------------------------------------------


class SentryReceiver(BaseHTTPRequestHandler):
    """What a Sentry server receives: the envelopes, decompressed."""

    received: list[bytes] = []

    def do_POST(self):  # noqa: N802 (the standard library's name)
        body = self.rfile.read(int(self.headers["Content-Length"]))
        encoding = self.headers.get("Content-Encoding")
        if encoding == "br":  # the SDK's choice when brotli is installed
            import brotli

            body = brotli.decompress(body)
        elif encoding in ("gzip", "deflate"):
            body = zlib.decompress(body, wbits=47)
        self.received.append(body)
        self.send_response(200)
        self.end_headers()
        self.wfile.write(b"{}")

    def log_message(self, *args):
        pass


@pytest.fixture
def sentry_server():
    SentryReceiver.received = []
    server = HTTPServer(("127.0.0.1", 0), SentryReceiver)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    sentry_sdk.get_client().close()
    sentry_sdk.init()  # no DSN: nothing is sent any more
    server.shutdown()
    server.server_close()


def test_an_error_reaches_sentry_without_personal_data(backend, tmp_path, sentry_server):
    if backend != "sqlite":
        pytest.skip("one backend is enough: nothing here touches the database")
    port = sentry_server.server_address[1]
    app = create_app(
        config_for(
            "sqlite",
            SENTRY_DSN=f"http://cle@127.0.0.1:{port}/1",
            PROPAGATE_EXCEPTIONS=False,  # answered with the error page, as in production
            UPLOAD_FOLDER=str(tmp_path),
        )
    )

    @app.route("/essai-erreur", methods=["POST"])
    def failing_view():
        household = HOUSEHOLD_NAME  # a local variable Sentry would otherwise send
        raise ValueError(f"panne pendant le traitement ({len(household)})")

    # Secrets made here, not written in the source: Sentry sends the lines of code around
    # each frame (code, not data), and these would be among them.
    cookie, password = secrets.token_hex(12), secrets.token_hex(12)
    client = app.test_client()
    client.set_cookie("session", cookie)
    response = client.post(
        f"/essai-erreur?nom={HOUSEHOLD_NAME}",
        data={"nom": HOUSEHOLD_NAME},
        headers={"X-Request-ID": "req-sentry-1234", "Authorization": f"Basic {password}"},
    )
    assert response.status_code == 500
    sentry_sdk.flush(timeout=5)

    sent = b"".join(SentryReceiver.received).decode()
    assert "panne pendant le traitement" in sent and "ValueError" in sent
    assert "req-sentry-1234" in sent  # the request id, to find the log lines
    for secret in ("Canardeau", "Zéphyrine", "Zephyrine", cookie, password):
        assert secret not in sent, secret
    assert "Z\\u00e9phyrine" not in sent


# flask doctor -------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Accept:
    async def handle_DATA(self, server, session, envelope):
        return "250 OK"


def doctor(app) -> tuple[int, str]:
    result = app.test_cli_runner().invoke(args=["doctor"])
    if result.exception and not isinstance(result.exception, SystemExit):
        raise result.exception
    return result.exit_code, result.output


def test_doctor_names_each_problem_of_a_broken_installation(backend, tmp_path):
    if backend != "sqlite":
        pytest.skip("the broken database is a file path that cannot exist")
    not_a_folder = tmp_path / "fichier"
    not_a_folder.write_text("")
    app = create_app(
        config_for(
            "sqlite",
            SQLALCHEMY_DATABASE_URI=f"sqlite:///{tmp_path / 'absent' / 'portal.sqlite3'}",
            UPLOAD_FOLDER=str(not_a_folder),
            MAIL_PORT=free_port(),
            DEMO_DATA_ALLOWED=False,  # as in production
            SECRET_KEY="changeme",
            PUBLIC_URL="http://portail.example.fr",
            MAIL_DEFAULT_SENDER="pas une adresse",
            RATELIMIT_STORAGE_URI="memory://",
        )
    )

    code, output = doctor(app)

    assert code == 1
    problems = [line for line in output.splitlines() if line.startswith("À CORRIGER")]
    for expected in (
        "configuration : SECRET_KEY est trop faible",
        "configuration : PUBLIC_URL doit commencer par https://",
        "configuration : MAIL_DEFAULT_SENDER doit être une adresse",
        "configuration : RATELIMIT_STORAGE_URI",
        "base de données : injoignable ou non initialisée",
        "pièces jointes : " + str(not_a_folder) + " n'est pas un dossier",
        "messagerie : serveur 127.0.0.1:",
    ):
        assert any(expected in line for line in problems), (expected, output)
    assert len(problems) == 7
    assert "7 point(s) à corriger." in output
    assert "OK         PDF" in output


def test_doctor_is_content_with_a_ready_installation(backend, tmp_path):
    if backend != "sqlite":
        pytest.skip("a file-backed SQLite database is enough")
    port = free_port()
    controller = Controller(Accept(), hostname="127.0.0.1", port=port)
    controller.start()
    try:
        app = create_app(
            config_for(
                "sqlite",
                SQLALCHEMY_DATABASE_URI=f"sqlite:///{tmp_path / 'portal.sqlite3'}",
                UPLOAD_FOLDER=str(tmp_path / "uploads"),
                MAIL_PORT=port,
            )
        )
        with app.app_context():
            db.create_all()
            code, output = doctor(app)
            assert code == 1 and "lancez « flask db upgrade »" in output  # not stamped
            flask_migrate.stamp()
            db.engine.dispose()
        code, output = doctor(app)
    finally:
        controller.stop()

    assert code == 0, output
    assert "À CORRIGER" not in output
    assert output.strip().endswith("Tout est en ordre.")
    assert f"messagerie : serveur 127.0.0.1:{port} joignable" in output


# Health ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("storage", "healthy"),
    [("redis://127.0.0.1:6379/15", True), (f"redis://127.0.0.1:{free_port()}/0", False)],
    ids=["redis-up", "redis-down"],  # the same names on every test worker
)
def test_the_health_check_names_redis_when_the_portal_uses_it(app, client, storage, healthy):
    app.config["RATELIMIT_STORAGE_URI"] = storage

    response = client.get("/healthz")

    assert response.status_code == (200 if healthy else 503)
    assert response.json["database"] == "ok"
    if healthy:
        assert response.json["redis"] == "ok"
    else:
        assert response.json["redis"].startswith("injoignable")
        assert response.json["status"] == "error"


def test_the_health_check_leaves_redis_out_when_the_portal_does_not_use_it(client):
    assert "redis" not in client.get("/healthz").json
