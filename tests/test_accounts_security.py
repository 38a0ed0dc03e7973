"""Accounts and sessions, one test per rule, named after the OWASP ASVS 5.0 requirement each
proves (V6 authentication, V7 sessions, V8 authorisation, V13 configuration)."""

import html
import re
import secrets
import time
from datetime import timedelta

import pyotp
import pytest
import sqlalchemy as sa
from flask import current_app

from config import ProductionConfig
from portal import create_app
from portal.auth.passwords import password_problem
from portal.auth.tokens import make_invitation_token, make_reset_token
from portal.auth.two_factor import DEMO_TOTP_SECRET, STEP_SECONDS
from portal.extensions import db
from portal.models import (
    AuditAction,
    AuditEvent,
    Invitation,
    MembershipRole,
    OrganisationKind,
    RecoveryCode,
    UserSession,
    now_utc,
)
from tests.conftest import (
    PASSWORD,
    TEST_TOTP_SECRET,
    new_territory,
    organisation_factory,
    sign_in,
    user_factory,
)
from tests.support import audit_events, database_rows, flashed, fresh_client, queued_emails


def sign_in_with_form(client, user, password=PASSWORD, remember=False):
    data = {"email": user.email, "password": password}
    if remember:
        data["remember"] = "y"
    return client.post("/login", data=data)


def give_code(client, user, secret=TEST_TOTP_SECRET, step_offset=0):
    step = int(time.time() // STEP_SECONDS) + step_offset
    return client.post(
        "/login/second-factor", data={"code": pyotp.TOTP(secret).at(step * STEP_SECONDS)}
    )


def enrolled(user, secret=TEST_TOTP_SECRET):
    user.totp_secret = secret
    user.totp_enabled_at = now_utc()
    db.session.commit()
    return user


def session_cookie(client) -> str:
    return client.get_cookie("session").value


def age_sessions(user, **delta):
    for record in db.session.scalars(sa.select(UserSession).where(UserSession.user_id == user.id)):
        record.last_seen -= timedelta(**delta)
        record.created -= timedelta(**delta)
    db.session.commit()


# V7 sessions -----------------------------------------------------------------------------------


def test_v7_4_1_sign_out_ends_the_session_and_a_copied_cookie_is_refused(app, client, world):
    sign_in_with_form(client, world.partner_member)
    assert client.get("/account").status_code == 200
    stolen = session_cookie(client)
    client.post("/logout")
    thief = fresh_client(app)
    thief.set_cookie("session", stolen)
    response = thief.get("/account")
    assert response.status_code == 302 and response.location.startswith("/login")
    assert db.session.scalar(sa.select(sa.func.count(UserSession.id))) == 0


def test_v7_5_2_signing_out_of_every_device(app, client, world):
    other_device = fresh_client(app)
    sign_in_with_form(other_device, world.partner_member)
    sign_in_with_form(client, world.partner_member)
    response = client.post("/logout/everywhere")
    assert response.location == "/login"
    for device in (client, other_device):
        assert device.get("/account").location.startswith("/login")
    assert [e.summary for e in audit_events(AuditAction.LOGOUT)] == [
        "Déconnexion de tous les appareils (2)"
    ]


def test_v7_2_4_a_new_session_key_at_sign_in_and_at_the_second_factor(client, world):
    user = enrolled(world.partner_member)
    with client.session_transaction() as session:
        session["_user_id"] = "planted-by-an-attacker"
    sign_in_with_form(client, user)
    first = db.session.scalar(sa.select(UserSession.key).where(UserSession.user_id == user.id))
    assert first != "planted-by-an-attacker"
    assert give_code(client, user).status_code == 302
    keys = db.session.scalars(
        sa.select(UserSession.key).where(UserSession.user_id == user.id)
    ).all()
    assert len(keys) == 1 and keys[0] != first
    assert client.get("/account").status_code == 200


def test_v7_3_1_idle_timeout_is_shorter_for_accounts_that_read_identities(client, world):
    assert current_app.config["SESSION_IDLE_TIMEOUT_IDENTITY"] == timedelta(minutes=30)
    assert current_app.config["SESSION_IDLE_TIMEOUT"] == timedelta(hours=2)
    sign_in(client, world.ccas_worker)
    age_sessions(world.ccas_worker, minutes=31)
    assert client.get("/account").location.startswith("/login")

    sign_in(client, world.partner_member)
    age_sessions(world.partner_member, minutes=31)
    assert client.get("/account").status_code == 200  # and the activity is noted
    age_sessions(world.partner_member, minutes=121)
    assert client.get("/account").location.startswith("/login")


def test_v7_3_2_absolute_lifetime_of_twelve_hours(client, world):
    sign_in(client, world.partner_member)
    record = db.session.scalar(sa.select(UserSession))
    assert record.expires_at - record.created == timedelta(hours=12)
    record.expires_at = now_utc() - timedelta(seconds=1)
    db.session.commit()
    assert client.get("/account").location.startswith("/login")


def test_v7_1_1_remember_me_lasts_a_week_and_never_for_identity_readers(app, client, world):
    response = sign_in_with_form(client, world.partner_member, remember=True)
    assert response.status_code == 302
    assert client.get_cookie("remember_token") is not None
    record = db.session.scalar(sa.select(UserSession).where(UserSession.remember))
    assert record.expires_at - record.created == timedelta(days=7)

    other = fresh_client(app)
    enrolled(world.ccas_worker)
    sign_in_with_form(other, world.ccas_worker, remember=True)
    assert other.get_cookie("remember_token") is None
    assert not db.session.scalar(
        sa.select(UserSession.remember).where(UserSession.user_id == world.ccas_worker.id)
    )


def test_v7_4_2_deactivation_ends_every_session_and_the_calendar_feed(client, world):
    from portal.meetings.services import new_calendar_token

    person = world.partner_member
    token = new_calendar_token(person)
    db.session.commit()
    sign_in(client, person)
    admin = fresh_client(current_app._get_current_object())
    sign_in(admin, world.partner_admin)
    membership = person.membership_of(world.mission_locale.id)
    admin.post(f"/organisations/{world.mission_locale.id}/members/{membership.id}/deactivate")
    assert client.get("/account").location.startswith("/login")
    assert person.calendar_token is None
    assert client.get(f"/meetings/calendar/{token}.ics").status_code == 404


def test_v7_4_3_a_password_change_ends_the_other_sessions(app, client, world):
    other = fresh_client(app)
    sign_in(other, world.partner_member)
    sign_in(client, world.partner_member)
    new = "une autre phrase de passe très longue"
    response = client.post(
        "/account",
        data={
            "password-current_password": PASSWORD,
            "password-password": new,
            "password-confirm": new,
            "password-submit": "1",
        },
    )
    assert response.status_code == 302
    assert client.get("/account").status_code == 200
    assert other.get("/account").location.startswith("/login")


def test_v7_2_4_a_change_of_role_signs_the_person_in_again(app, client, world):
    sign_in(client, world.partner_member)
    admin = fresh_client(app)
    sign_in(admin, world.partner_admin)
    membership = world.partner_member.membership_of(world.mission_locale.id)
    admin.post(
        f"/organisations/{world.mission_locale.id}/members/{membership.id}/role",
        data={"role": "admin"},
    )
    assert client.get("/account").location.startswith("/login")


def test_a_form_sent_after_the_session_expired_is_kept_for_its_author(app, client, world):
    person = world.partner_member
    sign_in(client, person)
    age_sessions(person, hours=3)
    typed = {"profile-full_name": "Paul Membre-Nouveau", "profile-phone": "", "profile-submit": "1"}
    response = client.post("/account", data=typed)
    assert response.location == "/login"
    assert "Ce que vous aviez saisi est conservé" in flashed(client.get("/login").text)[0]
    sign_in_with_form(client, person)
    response = client.get("/")
    page = client.get("/resume").text
    assert "Votre saisie a été conservée" in page and "Paul Membre-Nouveau" in page
    assert 'action="/account"' in page
    # Somebody else signing in on that browser gets nothing of it.
    sign_in(client, person)
    age_sessions(person, hours=3)
    client.post("/account", data=typed)
    sign_in_with_form(client, world.ccas_worker)
    assert "Paul Membre-Nouveau" not in client.get("/resume", follow_redirects=True).text


# V6 authentication -----------------------------------------------------------------------------


def test_v6_3_2_identity_readers_and_admins_enrol_a_second_factor_before_anything(client, world):
    for person in (world.ccas_worker, world.siao_officer, world.partner_admin, world.coordinator):
        client.post("/logout")
        response = sign_in_with_form(client, person)
        assert response.location == "/account/two-factor", person.full_name
        for url in ("/", "/cases/", "/meetings/", "/account"):
            assert client.get(url).location == "/account/two-factor", url
    client.post("/logout")
    assert sign_in_with_form(client, world.partner_member).location == "/"


def test_v6_5_3_enrolment_shows_a_qr_code_drawn_here_and_is_confirmed_by_password(client, world):
    person = world.ccas_worker
    sign_in_with_form(client, person)
    page = client.get("/account/two-factor").text
    assert 'src="data:image/svg+xml' in page  # no third party sees the secret
    secret = re.search(r'class="totp-secret">([A-Z2-7]{32})<', page).group(1)
    code = pyotp.TOTP(secret).now()
    before = database_rows()
    refused = client.post("/account/two-factor", data={"code": code, "password": "pas le bon"})
    assert refused.status_code == 400 and "Le mot de passe est incorrect." in refused.text
    assert database_rows() == before

    done = client.post("/account/two-factor", data={"code": code, "password": PASSWORD})
    assert done.status_code == 200
    codes = re.findall(r"<code>([a-z2-9]{5}-[a-z2-9]{5})</code>", done.text)
    assert len(codes) == 10
    assert person.has_second_factor and person.totp_secret == secret
    stored = db.session.scalars(sa.select(RecoveryCode.code_hash)).all()
    assert len(stored) == 10 and all(h.startswith("$argon2id$") for h in stored)
    assert client.get("/cases/").status_code == 200


def test_v6_5_1_a_code_is_accepted_once_and_a_recovery_code_once(app, client, world):
    from portal.auth.two_factor import new_recovery_codes

    person = enrolled(world.partner_member)
    codes = new_recovery_codes(person)
    db.session.commit()
    # One code, sent twice: the same even if the clock passes a 30-second step between.
    code = pyotp.TOTP(TEST_TOTP_SECRET).now()
    sign_in_with_form(client, person)
    assert client.post("/login/second-factor", data={"code": code}).location == "/"
    replay = fresh_client(app)
    sign_in_with_form(replay, person)
    response = replay.post("/login/second-factor", data={"code": code})
    assert response.status_code == 200
    assert "Ce code n'est pas valide, ou a déjà servi." in html.unescape(response.text)

    recovery = fresh_client(app)
    sign_in_with_form(recovery, person)
    assert recovery.post("/login/second-factor", data={"code": codes[0].upper()}).location == "/"
    again = fresh_client(app)
    sign_in_with_form(again, person)
    assert again.post("/login/second-factor", data={"code": codes[0]}).status_code == 200


def test_v6_3_1_second_factor_codes_are_throttled_like_passwords(make_app):
    app = make_app(RATELIMIT_ENABLED=True, LOGIN_LIMIT_PER_ACCOUNT="3 per 15 minutes")
    with app.app_context():
        place = new_territory()
        person = enrolled(user_factory()(organisation_factory(place)(OrganisationKind.ASSOCIATION)))
        client = app.test_client()
        sign_in_with_form(client, person)
        statuses = [
            client.post("/login/second-factor", data={"code": "000000"}).status_code
            for _ in range(4)
        ]
        assert statuses == [200, 200, 200, 429]
        assert give_code(client, person).status_code == 429  # even the right one, for now


def test_v6_4_4_the_coordinator_resets_a_lost_second_factor_audited_and_told(client, world):
    person = enrolled(world.partner_member)
    membership = person.membership_of(world.mission_locale.id)
    url = f"/organisations/{world.mission_locale.id}/members/{membership.id}/second-factor/reset"
    sign_in(client, world.partner_admin)
    assert client.post(url).status_code == 403
    sign_in(client, world.coordinator)
    assert client.post(url).status_code == 302
    db.session.expire_all()
    assert not person.has_second_factor
    [event] = [e for e in audit_events(AuditAction.CHANGE, "user") if "réinitialisée" in e.summary]
    assert event.user_id == world.coordinator.id
    [email] = queued_emails(person.email)
    assert email.subject == "Votre double authentification a été réinitialisée"


def test_v13_the_demo_second_factor_is_refused_outside_demo_data(world):
    from portal.auth.two_factor import check_totp

    person = enrolled(world.partner_member, DEMO_TOTP_SECRET)
    current_app.config["DEMO_DATA_ALLOWED"] = False
    assert not check_totp(person, pyotp.TOTP(DEMO_TOTP_SECRET).now())
    current_app.config["DEMO_DATA_ALLOWED"] = True
    assert check_totp(person, pyotp.TOTP(DEMO_TOTP_SECRET).now())


def test_v6_2_11_passwords_made_of_the_portals_own_words_are_refused(world):
    for password in (
        "mission locale concarneau",
        "Concarneau Cornouaille Agglomération",
        "claire coord 2026",
    ):
        problem = password_problem(password, [world.coordinator.email, "Claire Coord"])
        assert problem is not None, password
    assert password_problem("chaise verte sous la pluie de novembre", []) is None


def test_v6_4_3_a_new_reset_link_or_a_sign_in_ends_the_older_links(client, world):
    from portal.auth.services import send_password_reset

    person = world.partner_member
    first = make_reset_token(person)
    send_password_reset(person.email)
    db.session.commit()
    assert client.get(f"/password/reset/{first}").status_code == 400
    second = make_reset_token(person)
    assert client.get(f"/password/reset/{second}").status_code == 200
    sign_in_with_form(client, person)
    client.post("/logout")
    assert client.get(f"/password/reset/{second}").status_code == 400


# V8 authorisation: powers that stop at each organisation's door --------------------------------


def test_v8_2_2_the_coordinator_deactivates_in_an_emergency_and_the_admins_are_told(client, world):
    membership = world.partner_member.membership_of(world.mission_locale.id)
    sign_in(client, world.coordinator)
    url = f"/organisations/{world.mission_locale.id}/members/{membership.id}/deactivate"
    assert client.post(url).status_code == 302
    assert not membership.active
    [event] = audit_events(AuditAction.CHANGE, "membership")
    assert event.user_id == world.coordinator.id and "mesure d'urgence" in event.summary
    assert [e.recipient for e in queued_emails()] == [world.partner_admin.email]
    reactivate = f"/organisations/{world.mission_locale.id}/members/{membership.id}/reactivate"
    assert client.post(reactivate).status_code == 403  # that is the admins' to decide


def test_v8_2_2_nobody_deactivates_their_own_organisation_nor_the_last_coordinator(
    client, world, make_user
):
    sign_in(client, world.coordinator)
    before = database_rows()
    response = client.post(
        f"/organisations/{world.ccas.id}/edit",
        data={
            "name": world.ccas.name,
            "kind": "ccas",
            "territory_id": world.ccas.territory_id,
            "contact_email": "",
        },
    )
    assert response.status_code == 200
    assert "Vous ne pouvez pas désactiver votre propre organisation." in response.text
    assert database_rows() == before

    colleague = make_user(world.ccas, MembershipRole.ADMIN, full_name="Autre Admin")
    sign_in(client, colleague)
    membership = world.coordinator.membership_of(world.ccas.id)
    response = client.post(f"/organisations/{world.ccas.id}/members/{membership.id}/deactivate")
    assert "dernier coordinateur actif" in flashed(client.get(response.location).text)[0]
    assert membership.active


def test_v8_2_2_an_invitation_dies_with_its_senders_right(app, client, world):
    invitation = Invitation(
        email="nina@exemple.fr",
        full_name="Nina",
        organisation=world.mission_locale,
        role=MembershipRole.MEMBER,
        invited_by=world.partner_admin,
        expires_at=now_utc() + timedelta(days=7),
    )
    db.session.add(invitation)
    db.session.commit()
    link = f"/invitation/{make_invitation_token(invitation)}"
    assert client.get(link).status_code == 200
    membership = world.partner_admin.membership_of(world.mission_locale.id)
    membership.role = MembershipRole.MEMBER  # demoted
    db.session.commit()
    assert client.get(link).status_code == 400


# V13 configuration: proxies, HTTPS, secrets ----------------------------------------------------


def production_app(monkeypatch, tmp_path, **settings):
    monkeypatch.setenv("SECRET_KEY", secrets.token_urlsafe(48))
    monkeypatch.setenv("WEB_CONCURRENCY", "1")
    config = type(
        "ProductionForTests",
        (ProductionConfig,),
        {
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'production.sqlite3'}",
            "SQLALCHEMY_ENGINE_OPTIONS": {},
            "PUBLIC_URL": "https://portail.exemple.fr",
            **settings,
        },
    )
    app = create_app(config)
    with app.app_context():
        db.create_all()
    return app


def test_v13_the_https_redirect_goes_to_the_public_host_not_a_forged_one(monkeypatch, tmp_path):
    app = production_app(monkeypatch, tmp_path)
    client = app.test_client()
    response = client.get(
        "/login?next=/cases/", headers={"Host": "pirate.exemple", "X-Forwarded-Host": "pirate"}
    )
    assert response.status_code == 301
    assert response.location == "https://portail.exemple.fr/login?next=/cases/"
    health = client.get("/healthz")  # probed in plain HTTP behind the proxy
    assert health.status_code == 200


def test_v13_only_the_configured_proxies_headers_are_believed(monkeypatch, tmp_path):
    app = production_app(monkeypatch, tmp_path)
    client = app.test_client()
    headers = {
        "X-Forwarded-Proto": "https",
        "X-Forwarded-For": "203.0.113.9, 198.51.100.20",  # a client-supplied first value
        "X-Forwarded-Host": "pirate.exemple",
    }
    page = client.get("/login", headers=headers)
    assert page.status_code == 200
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page.text).group(1)
    client.post(
        "/login",
        data={"email": "x@exemple.fr", "password": "x", "csrf_token": token},
        headers={**headers, "Referer": "https://localhost/login"},
    )
    with app.app_context():
        addresses = db.session.scalars(sa.select(AuditEvent.ip_address)).all()
    assert addresses == ["198.51.100.20"]  # the one the proxy saw, one hop


def test_v13_production_refuses_a_low_entropy_key_and_per_worker_rate_limits(monkeypatch, tmp_path):
    config = type("P", (ProductionConfig,), {"SQLALCHEMY_DATABASE_URI": "sqlite://"})
    monkeypatch.setenv("WEB_CONCURRENCY", "1")
    for weak in ("a" * 64, "azerty" * 8, "0123456789" * 4):
        monkeypatch.setenv("SECRET_KEY", weak)
        with pytest.raises(RuntimeError, match="SECRET_KEY"):
            create_app(config)
    monkeypatch.setenv("SECRET_KEY", secrets.token_urlsafe(48))
    monkeypatch.delenv("WEB_CONCURRENCY")
    monkeypatch.setenv("RATELIMIT_STORAGE_URI", "memory://")
    with pytest.raises(RuntimeError, match="RATELIMIT_STORAGE_URI"):
        create_app(config)
    monkeypatch.setenv("RATELIMIT_STORAGE_URI", "redis://127.0.0.1:6379/0")
    assert create_app(config).config["TRUSTED_PROXIES"] == 1
