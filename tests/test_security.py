"""Protection: sign-in throttling, CSRF, security headers and cookies, the production
settings, error pages and the health check."""

import re
import secrets

import pytest
import sqlalchemy as sa

from config import ProductionConfig, TestingConfig
from portal import create_app
from portal.extensions import db, limiter
from portal.models import AuditAction, AuditEvent, Membership, Organisation, Territory, User
from tests.conftest import PASSWORD, PASSWORD_HASH, sign_in
from tests.support import (
    audit_events,
    csrf_token,
    database_rows,
    form_errors,
    fresh_client,
)

WRONG_CREDENTIALS = "Adresse e-mail ou mot de passe incorrect."
TRACEBACK_MARKERS = ["Traceback", 'File "', "werkzeug", "Werkzeug Debugger"]


@pytest.fixture
def client(app):
    return fresh_client(app)


def sign_in_with_form(client, email, password=PASSWORD, **kwargs):
    return client.post("/login", data={"email": email, "password": password}, **kwargs)


def is_signed_in(client) -> bool:
    return client.get("/account").status_code == 200


def assert_french_error_page(response, code: int, title: str) -> None:
    assert response.status_code == code
    assert '<html lang="fr">' in response.text
    assert f"<h1>{title}</h1>" in response.text
    assert f"Code d'erreur : {code}" in response.text
    for marker in TRACEBACK_MARKERS:
        assert marker not in response.text


# Sign-in throttling ------------------------------------------------------------------------


class TestLoginThrottling:
    """Three failures lock an account for a while; ten lock an address."""

    @pytest.fixture
    def app(self, make_app):
        app = make_app(
            RATELIMIT_ENABLED=True,
            LOGIN_LIMIT_PER_ACCOUNT="3 per 15 minutes",
            LOGIN_LIMIT_PER_IP="10 per 15 minutes",
        )
        limiter.reset()
        with app.app_context():
            yield app
        limiter.reset()

    def test_an_account_is_locked_after_three_failures_without_blocking_the_others(
        self, app, client, world
    ):
        target = world.partner_member.email
        for typed in (target, target.upper(), f"  {target} "):
            failed = sign_in_with_form(client, typed, "mauvais mot de passe")
            assert failed.status_code == 200
            assert WRONG_CREDENTIALS in form_errors(failed.text)

        locked = sign_in_with_form(client, target)

        assert_french_error_page(locked, 429, "Trop de tentatives")
        assert "Patientez quelques minutes" in locked.text
        assert int(locked.headers["Retry-After"]) > 0
        assert not is_signed_in(client)
        assert audit_events(AuditAction.LOGIN) == []
        colleague = fresh_client(app)
        assert sign_in_with_form(colleague, world.partner_admin.email).status_code == 302

    def test_successful_sign_ins_do_not_count(self, app, world):
        target = world.partner_member.email
        for _ in range(5):
            assert sign_in_with_form(fresh_client(app), target).status_code == 302

        client = fresh_client(app)
        for _ in range(3):
            assert sign_in_with_form(client, target, "mauvais mot de passe").status_code == 200
        assert sign_in_with_form(client, target).status_code == 429

    def test_an_address_is_locked_after_ten_failures_on_any_accounts(self, app, client, world):
        attacker = {"environ_base": {"REMOTE_ADDR": "203.0.113.7"}}
        for number in range(10):
            response = sign_in_with_form(
                client, f"inconnu{number}@exemple.fr", "mauvais mot de passe", **attacker
            )
            assert response.status_code == 200

        blocked = sign_in_with_form(client, world.partner_member.email, **attacker)

        assert_french_error_page(blocked, 429, "Trop de tentatives")
        elsewhere = fresh_client(app)
        assert (
            sign_in_with_form(
                elsewhere,
                world.partner_member.email,
                environ_base={"REMOTE_ADDR": "198.51.100.20"},
            ).status_code
            == 302
        )


# CSRF --------------------------------------------------------------------------------------

CSRF_MESSAGE = "Le formulaire a expiré ou ne vient pas de ce site."


class TestCsrfProtection:
    @pytest.fixture
    def app(self, make_app):
        app = make_app(WTF_CSRF_ENABLED=True)
        with app.app_context():
            yield app

    def test_signing_in_without_the_forms_token_is_refused(self, client, world):
        response = sign_in_with_form(client, world.partner_member.email)

        assert_french_error_page(response, 400, "Requête incorrecte")
        assert CSRF_MESSAGE in response.text
        assert not is_signed_in(client)
        assert audit_events() == []

    def test_signing_in_with_the_forms_token_works(self, client, world):
        token = csrf_token(client.get("/login").text)

        response = client.post(
            "/login",
            data={"email": world.partner_member.email, "password": PASSWORD, "csrf_token": token},
        )

        assert response.status_code == 302
        assert is_signed_in(client)

    def test_a_token_from_another_browser_is_refused(self, app, client, world):
        foreign_token = csrf_token(fresh_client(app).get("/login").text)
        client.get("/login")

        response = client.post(
            "/login",
            data={
                "email": world.partner_member.email,
                "password": PASSWORD,
                "csrf_token": foreign_token,
            },
        )

        assert response.status_code == 400
        assert not is_signed_in(client)

    def test_an_admin_action_needs_the_token_of_the_page(self, client, world):
        membership = world.partner_member.membership_of(world.mission_locale.id)
        url = f"/organisations/{world.mission_locale.id}/members/{membership.id}/deactivate"
        sign_in(client, world.partner_admin)
        before = database_rows()

        forged = client.post(url)

        assert_french_error_page(forged, 400, "Requête incorrecte")
        assert database_rows() == before
        page = client.get(f"/organisations/{world.mission_locale.id}").text
        assert client.post(url, data={"csrf_token": csrf_token(page)}).status_code == 302
        assert not membership.active

    def test_prefixed_account_forms_carry_their_token(self, client, world):
        sign_in(client, world.partner_member)
        data = {"profile-full_name": "Paul Membre-Durand", "profile-submit": "Enregistrer"}

        assert client.post("/account", data=data).status_code == 400
        assert world.partner_member.full_name == "Paul Membre"
        token = csrf_token(client.get("/account").text, "profile")
        assert (
            client.post("/account", data={**data, "profile-csrf_token": token}).status_code == 302
        )
        assert world.partner_member.full_name == "Paul Membre-Durand"

    def test_signing_out_needs_the_token(self, client, world):
        sign_in(client, world.partner_member)

        assert client.post("/logout").status_code == 400
        assert is_signed_in(client)
        token = csrf_token(client.get("/").text)
        assert client.post("/logout", data={"csrf_token": token}).status_code == 302
        assert not is_signed_in(client)


# Security headers and cookies --------------------------------------------------------------


def content_security_policy(response) -> dict[str, str]:
    header = response.headers["Content-Security-Policy"]
    return dict(
        (part.strip().split(" ", 1) + [""])[:2] for part in header.split(";") if part.strip()
    )


@pytest.mark.parametrize(
    "path, signed_in",
    [
        ("/", False),
        ("/", True),
        ("/login", False),
        ("/account", True),
        ("/organisations/", False),
        ("/organisations/", True),
        ("/healthz", False),
        ("/static/css/portal.css", False),
        ("/page-inexistante", False),
        ("/organisations/new", True),
    ],
)
def test_every_response_carries_the_security_headers(client, world, path, signed_in):
    if signed_in:
        sign_in(client, world.partner_member)

    response = client.get(path)

    policy = content_security_policy(response)
    assert "unsafe-inline" not in response.headers["Content-Security-Policy"]
    assert "unsafe-eval" not in response.headers["Content-Security-Policy"]
    assert policy["default-src"] == "'self'"
    assert policy["script-src"] == "'self'"
    assert policy["style-src"] == "'self'"
    assert policy["frame-ancestors"] == "'none'"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "strict-origin-when-cross-origin"
    assert response.headers["X-Frame-Options"] == "DENY"
    assert "Strict-Transport-Security" not in response.headers, "HSTS only in production"
    response.close()


@pytest.mark.parametrize(
    "path", ["/", "/account", "/organisations/", "/committees/", "/page-inexistante"]
)
def test_signed_in_pages_are_never_cached(client, world, path):
    sign_in(client, world.partner_member)

    response = client.get(path)

    assert "no-store" in response.headers["Cache-Control"]


def pages_of_the_portal(world) -> list[str]:
    return [
        "/",
        "/account",
        "/organisations/",
        f"/organisations/{world.ccas.id}",
        "/organisations/new",
        f"/organisations/{world.ccas.id}/edit",
        f"/organisations/{world.ccas.id}/invite",
        "/organisations/territories/new",
        "/committees/",
        f"/committees/{world.committee.id}",
        "/committees/new",
        f"/committees/{world.committee.id}/edit",
        "/page-inexistante",
    ]


INLINE_CODE = {
    "inline script": re.compile(r"<script(?![^>]*\bsrc=)[^>]*>"),
    "style element": re.compile(r"<style\b"),
    "style attribute": re.compile(r"\sstyle="),
    "event handler": re.compile(r"\son[a-z]+=", re.IGNORECASE),
    "javascript: link": re.compile(r"javascript:", re.IGNORECASE),
}


def test_pages_have_no_inline_script_or_style_that_the_policy_would_block(app, client, world):
    pages = {}
    anonymous = fresh_client(app)
    for path in ["/", "/login", "/password/forgot", "/page-inexistante"]:
        pages[f"anonymous {path}"] = anonymous.get(path).text
    sign_in(client, world.coordinator)
    for path in pages_of_the_portal(world):
        response = client.get(path)
        assert response.status_code in (200, 404), path
        pages[path] = response.text

    for name, page in pages.items():
        for what, pattern in INLINE_CODE.items():
            assert not pattern.search(page), f"{what} on {name}"


def set_cookie(response, name: str) -> str:
    cookies = [c for c in response.headers.getlist("Set-Cookie") if c.startswith(f"{name}=")]
    assert cookies, f"no {name} cookie set"
    return cookies[-1]


def test_session_cookies_are_http_only_and_same_site_lax(client, world):
    response = client.post(
        "/login",
        data={"email": world.partner_member.email, "password": PASSWORD, "remember": "y"},
    )

    for name in ("session", "remember_token"):
        cookie = set_cookie(response, name)
        assert "HttpOnly" in cookie
        assert "SameSite=Lax" in cookie
        assert "Secure" not in cookie, "plain http during development"


# Production settings -----------------------------------------------------------------------


def production_config(tmp_path) -> type[ProductionConfig]:
    """The production settings, on a SQLite file of the test's own."""
    return type(
        "ProductionForTests",
        (ProductionConfig,),
        {
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'production.sqlite3'}",
            "SQLALCHEMY_ENGINE_OPTIONS": {},
            "PUBLIC_URL": "https://localhost",
        },
    )


@pytest.fixture
def production_app(monkeypatch, tmp_path):
    monkeypatch.setenv("SECRET_KEY", secrets.token_urlsafe(40))
    monkeypatch.setenv("WEB_CONCURRENCY", "1")  # one worker: in-memory rate limits are shared
    app = create_app(production_config(tmp_path))
    with app.app_context():
        db.create_all()
    yield app
    with app.app_context():
        db.engine.dispose()


HTTPS = {"base_url": "https://localhost"}


def test_production_sends_plain_http_to_https(production_app):
    response = production_app.test_client().get("/login")

    assert response.status_code in (301, 302)
    assert response.location.startswith("https://localhost/login")


def test_production_cookies_are_secure_and_hsts_is_on(production_app):
    response = production_app.test_client().get("/login", **HTTPS)

    assert response.status_code == 200
    hsts = response.headers["Strict-Transport-Security"]
    assert "max-age=31536000" in hsts
    cookie = set_cookie(response, "session")
    assert "Secure" in cookie
    assert "HttpOnly" in cookie
    assert "SameSite=Lax" in cookie
    assert production_app.debug is False


def test_production_trusts_the_https_of_its_reverse_proxy(production_app):
    response = production_app.test_client().get(
        "/login", headers={"X-Forwarded-Proto": "https", "X-Forwarded-For": "198.51.100.20"}
    )

    assert response.status_code == 200
    assert "Strict-Transport-Security" in response.headers


def test_a_partner_signs_in_in_production(production_app):
    with production_app.app_context():
        territory = Territory(name="Concarneau Cornouaille Agglomération")
        organisation = Organisation(
            name="Mission Locale", kind="mission_locale", territory=territory
        )
        person = User(email="lea@exemple.fr", full_name="Léa", password_hash=PASSWORD_HASH)
        db.session.add(Membership(user=person, organisation=organisation))
        db.session.commit()
    client = production_app.test_client()
    page = client.get("/login", **HTTPS)
    headers = {"Referer": "https://localhost/login"}

    response = client.post(
        "/login",
        data={
            "email": "lea@exemple.fr",
            "password": PASSWORD,
            "remember": "y",
            "csrf_token": csrf_token(page.text),
        },
        headers=headers,
        **HTTPS,
    )

    assert response.status_code == 302
    assert "Secure" in set_cookie(response, "remember_token")
    dashboard = client.get("/", **HTTPS)
    assert "Bonjour Léa" in dashboard.text
    assert "no-store" in dashboard.headers["Cache-Control"]


@pytest.mark.parametrize(
    "secret_key",
    [None, "", "changeme", "dev", "development-only-secret-key", "trop-court-1234"],
    ids=["unset", "empty", "changeme", "dev", "default", "short"],
)
def test_production_refuses_to_start_without_a_real_secret_key(monkeypatch, tmp_path, secret_key):
    if secret_key is None:
        monkeypatch.delenv("SECRET_KEY", raising=False)
    else:
        monkeypatch.setenv("SECRET_KEY", secret_key)

    with pytest.raises(RuntimeError, match="SECRET_KEY"):
        create_app(production_config(tmp_path))


def test_production_refuses_to_load_the_demo_data(production_app):
    result = production_app.test_cli_runner().invoke(args=["demo", "load"])

    assert result.exit_code != 0
    assert "interdites en production" in result.output
    with production_app.app_context():
        assert db.session.scalar(sa.select(sa.func.count(User.id))) == 0


def test_the_demo_data_loads_outside_production(app):
    result = app.test_cli_runner().invoke(args=["demo", "load"])

    assert result.exit_code == 0, result.output
    assert db.session.scalar(
        sa.select(User.id).where(User.email == "coordination@ccas-concarneau.demo")
    )


# Error pages -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "method, path, code, title",
    [
        ("get", "/organisations/new", 403, "Accès refusé"),
        ("get", "/page-inexistante", 404, "Page introuvable"),
        ("get", "/organisations/999999", 404, "Page introuvable"),
        ("get", "/logout", 405, "Action non autorisée"),
        ("put", "/account", 405, "Action non autorisée"),
    ],
)
def test_error_pages_are_in_french(client, world, method, path, code, title):
    sign_in(client, world.partner_member)

    response = getattr(client, method)(path)

    assert_french_error_page(response, code, title)


def test_a_crash_shows_a_french_page_without_details_and_keeps_nothing(make_app):
    app = make_app(PROPAGATE_EXCEPTIONS=False)

    @app.route("/test-only/crash")
    def crash():
        db.session.add(Territory(name="Territoire à moitié enregistré"))
        db.session.flush()
        raise RuntimeError("détail interne : mot de passe hunter2")

    client = app.test_client()
    response = client.get("/test-only/crash")

    assert_french_error_page(response, 500, "Erreur du serveur")
    assert "RuntimeError" not in response.text
    assert "hunter2" not in response.text
    as_json = client.get("/test-only/crash", headers={"Accept": "application/json"})
    assert as_json.status_code == 500
    assert as_json.json == {"error": "Erreur du serveur"}
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count(Territory.id))) == 0


@pytest.mark.parametrize(
    "path, method",
    [
        ("/organisations/99999999999999999999", "get"),
        ("/organisations/2147483648/edit", "get"),
        ("/committees/99999999999999999999", "get"),
        ("/organisations/1/members/99999999999999999999/deactivate", "post"),
        ("/organisations/1/invitations/99999999999999999999/revoke", "post"),
    ],
)
def test_an_id_too_large_for_the_database_is_simply_not_found(client, world, path, method):
    sign_in(client, world.coordinator)

    response = getattr(client, method)(path)

    assert_french_error_page(response, 404, "Page introuvable")


# Health check ------------------------------------------------------------------------------


@pytest.mark.parametrize("where", ["postgresql", "sqlite"])
def test_the_health_check_answers_503_when_the_database_is_unreachable(tmp_path, where):
    unreachable = {
        "postgresql": "postgresql+psycopg://postgres@127.0.0.1:1/portal",
        "sqlite": f"sqlite:///{tmp_path / 'absent' / 'portal.sqlite3'}",
    }[where]
    app = create_app(
        type("Unreachable", (TestingConfig,), {"SQLALCHEMY_DATABASE_URI": unreachable})
    )

    response = app.test_client().get("/healthz")

    assert response.status_code == 503
    assert response.json["status"] == "error"
    assert response.json["database"].startswith("injoignable")
    with app.app_context():
        db.engine.dispose()


def test_the_health_check_answers_ok_when_the_database_answers(client):
    response = client.get("/healthz")

    assert response.status_code == 200
    assert response.json == {"status": "ok", "database": "ok", "outbox": "ok"}


def test_behind_the_proxy_the_audit_records_the_clients_address(production_app):
    client = production_app.test_client()
    proxied = {"X-Forwarded-Proto": "https", "X-Forwarded-For": "198.51.100.20"}
    page = client.get("/login", headers=proxied)

    response = client.post(
        "/login",
        data={"email": "inconnu@exemple.fr", "password": "x", "csrf_token": csrf_token(page.text)},
        headers={**proxied, "Referer": "https://localhost/login"},
    )

    assert response.status_code == 200
    with production_app.app_context():
        [event] = db.session.scalars(sa.select(AuditEvent)).all()
        assert event.action == AuditAction.LOGIN_FAILED
        assert event.ip_address == "198.51.100.20"
