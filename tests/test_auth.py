"""Signing in and out, open sessions, passwords and their reset: what a partner sees."""

from datetime import timedelta

import pytest
from argon2 import PasswordHasher, extract_parameters

from portal.auth.passwords import hasher, verify_password
from portal.auth.tokens import make_invitation_token, make_reset_token
from portal.extensions import db
from portal.jobs.tasks import run_tasks
from portal.models import (
    AuditAction,
    Invitation,
    Membership,
    MembershipRole,
    User,
    now_utc,
)
from tests.conftest import PASSWORD, PASSWORD_HASH, sign_in
from tests.support import (
    audit_events,
    database_rows,
    emailed_path,
    flashed,
    form_errors,
    fresh_client,
    queued_emails,
    shows_typed_value,
    signing_clock,
)

WRONG_CREDENTIALS = "Adresse e-mail ou mot de passe incorrect."
NEW_PASSWORD = "cheval agrafe batterie correcte"
LINK_INVALID = "Ce lien n'est plus valable"


@pytest.fixture
def client(app):
    return fresh_client(app)


def sign_in_with_form(client, user, password=PASSWORD, next_url=None):
    url = f"/login?next={next_url}" if next_url is not None else "/login"
    return client.post(url, data={"email": user.email, "password": password})


def is_signed_in(client) -> bool:
    return client.get("/account").status_code == 200


def redirects_to_login(response) -> bool:
    return response.status_code == 302 and response.location.startswith("/login")


# Signing in --------------------------------------------------------------------------------


def test_signing_in_opens_the_dashboard_and_is_recorded(client, world):
    response = sign_in_with_form(client, world.partner_member)

    assert response.status_code == 302
    assert response.location == "/"
    assert "Bonjour Paul Membre" in client.get("/").text
    [event] = audit_events(AuditAction.LOGIN)
    assert event.user_id == world.partner_member.id
    assert event.organisation_id == world.mission_locale.id
    assert event.ip_address == "127.0.0.1"
    assert world.partner_member.last_login_at is not None


def test_a_password_hashed_with_older_settings_is_upgraded_at_sign_in(client, world):
    # Hashes made with the library's default (64 MiB) before the portal chose OWASP's 19 MiB.
    old_hash = PasswordHasher().hash(PASSWORD)
    world.partner_member.password_hash = old_hash
    db.session.commit()

    assert sign_in_with_form(client, world.partner_member).status_code == 302

    db.session.refresh(world.partner_member)
    new_hash = world.partner_member.password_hash
    assert new_hash != old_hash
    parameters = extract_parameters(new_hash)
    assert (parameters.memory_cost, parameters.time_cost, parameters.parallelism) == (
        hasher.memory_cost,
        hasher.time_cost,
        hasher.parallelism,
    )
    assert parameters.memory_cost < PasswordHasher().memory_cost
    assert verify_password(new_hash, PASSWORD)


def test_email_is_recognised_whatever_its_case_and_surrounding_spaces(client, world):
    response = client.post(
        "/login", data={"email": f"  {world.partner_member.email.upper()} ", "password": PASSWORD}
    )

    assert response.status_code == 302
    assert is_signed_in(client)


def test_wrong_password_is_refused_in_french_keeps_the_email_and_is_recorded(client, world):
    response = sign_in_with_form(client, world.partner_member, password="pas le bon mot de passe")

    assert response.status_code == 200
    assert WRONG_CREDENTIALS in form_errors(response.text)
    assert shows_typed_value(response.text, world.partner_member.email)
    assert "pas le bon mot de passe" not in response.text
    assert not is_signed_in(client)
    [event] = audit_events(AuditAction.LOGIN_FAILED)
    assert event.user_id == world.partner_member.id
    assert audit_events(AuditAction.LOGIN) == []


def test_unknown_email_gets_the_same_answer_as_a_wrong_password(client, world):
    response = client.post(
        "/login", data={"email": "inconnu@exemple.fr", "password": "pas le bon mot de passe"}
    )

    assert response.status_code == 200
    assert form_errors(response.text) == [WRONG_CREDENTIALS]
    assert shows_typed_value(response.text, "inconnu@exemple.fr")
    [event] = audit_events(AuditAction.LOGIN_FAILED)
    assert event.user_id is None
    assert "inconnu@exemple.fr" in event.summary


def test_a_person_without_an_active_membership_cannot_sign_in(client, world, make_user):
    former = make_user(world.mission_locale, active=False)

    response = sign_in_with_form(client, former)

    assert response.status_code == 200
    assert any("Ce compte est désactivé" in error for error in form_errors(response.text))
    assert not is_signed_in(client)


def test_a_protected_page_asks_to_sign_in_then_leads_back_to_it(client, world):
    response = client.get("/organisations/")

    assert redirects_to_login(response)
    assert "Connectez-vous pour accéder à cette page." in flashed(
        client.get(response.location).text
    )
    assert sign_in_with_form(client, world.partner_member, next_url="/organisations/").location == (
        "/organisations/"
    )


@pytest.mark.parametrize("target", ["/organisations/", "/committees/?tri=nom", "/account#profil"])
def test_next_parameter_leads_to_a_page_of_this_site(client, world, target):
    response = client.post(
        "/login",
        query_string={"next": target},
        data={"email": world.partner_member.email, "password": PASSWORD},
    )

    assert response.location == target


@pytest.mark.parametrize(
    "target",
    [
        "//evil.example",
        "///evil.example",
        "////evil.example/login",
        "https://evil.example",
        "http:evil.example",
        "/\\evil.example",
        "/\t/evil.example",
        "/\t//evil.example",
        "/\n//evil.example",
        "javascript:alert(1)",
        "evil.example",
    ],
)
def test_next_parameter_never_leads_to_another_site(client, world, target):
    response = client.post(
        "/login",
        query_string={"next": target},
        data={"email": world.partner_member.email, "password": PASSWORD},
    )

    assert response.status_code == 302
    assert response.location == "/"


def test_signing_out_is_a_post_and_is_recorded(client, world):
    sign_in_with_form(client, world.partner_member)

    refused = client.get("/logout")
    assert refused.status_code == 405
    assert "Action non autorisée" in refused.text
    assert is_signed_in(client)

    response = client.post("/logout")
    assert redirects_to_login(response)
    assert "Vous êtes déconnecté. À bientôt !" in flashed(client.get(response.location).text)
    assert not is_signed_in(client)
    [event] = audit_events(AuditAction.LOGOUT)
    assert event.user_id == world.partner_member.id


# Open sessions -----------------------------------------------------------------------------


def test_a_deactivated_person_is_signed_out_at_once(app, client, world):
    sign_in_with_form(client, world.partner_member)
    assert client.get("/organisations/").status_code == 200
    admin = fresh_client(app)
    sign_in(admin, world.partner_admin)
    membership = world.partner_member.membership_of(world.mission_locale.id)

    response = admin.post(
        f"/organisations/{world.mission_locale.id}/members/{membership.id}/deactivate"
    )

    assert response.status_code == 302
    assert redirects_to_login(client.get("/organisations/"))
    assert "Bonjour" not in client.get("/").text
    assert redirects_to_login(client.get("/account"))


def test_reactivation_does_not_bring_an_old_session_back(app, client, world):
    """Once signed out by a deactivation, the person signs in again after reactivation:
    the cookie they had before stays dead."""
    sign_in_with_form(client, world.partner_member)
    admin = fresh_client(app)
    sign_in(admin, world.partner_admin)
    membership = world.partner_member.membership_of(world.mission_locale.id)
    members = f"/organisations/{world.mission_locale.id}/members/{membership.id}"

    admin.post(f"{members}/deactivate")
    admin.post(f"{members}/reactivate")

    assert membership.active
    assert redirects_to_login(client.get("/organisations/"))
    sign_in_with_form(client, world.partner_member)
    assert client.get("/organisations/").status_code == 200


def test_someone_with_two_memberships_who_loses_one_keeps_access(app, client, world):
    person = world.partner_member
    db.session.add(Membership(user=person, organisation=world.siao, role=MembershipRole.MEMBER))
    db.session.commit()
    sign_in_with_form(client, person)
    siao_admin = fresh_client(app)
    sign_in(siao_admin, world.siao_officer)

    siao_admin.post(
        f"/organisations/{world.siao.id}/members/{person.membership_of(world.siao.id).id}/deactivate"
    )

    assert not person.membership_of(world.siao.id).active
    # A change of privilege: the person signs in again, and keeps the other organisation.
    assert redirects_to_login(client.get("/organisations/"))
    sign_in_with_form(client, person)
    dashboard = client.get("/")
    assert "Bonjour Paul Membre" in dashboard.text
    assert client.get("/organisations/").status_code == 200
    assert person.organisation_ids == {world.mission_locale.id}


def test_changing_the_password_closes_the_other_sessions_but_keeps_this_one(app, client, world):
    person = world.partner_member
    elsewhere = fresh_client(app)
    sign_in_with_form(elsewhere, person)
    sign_in_with_form(client, person)
    assert is_signed_in(elsewhere)

    response = client.post(
        "/account",
        data={
            "password-current_password": PASSWORD,
            "password-password": NEW_PASSWORD,
            "password-confirm": NEW_PASSWORD,
            "password-submit": "Changer le mot de passe",
        },
    )

    assert response.status_code == 302
    assert "Vos autres sessions sont fermées." in flashed(client.get("/account").text)[0]
    assert is_signed_in(client)
    assert redirects_to_login(elsewhere.get("/account"))
    client.post("/logout")
    assert sign_in_with_form(client, person).status_code == 200
    assert sign_in_with_form(client, person, NEW_PASSWORD).status_code == 302
    assert [e.summary for e in audit_events(AuditAction.CHANGE)] == ["Mot de passe modifié"]


def test_changing_the_password_needs_the_current_one(client, world):
    person = world.partner_member
    sign_in(client, person)
    before = database_rows()

    response = client.post(
        "/account",
        data={
            "password-current_password": "ce n'est pas lui",
            "password-password": NEW_PASSWORD,
            "password-confirm": NEW_PASSWORD,
            "password-submit": "Changer le mot de passe",
        },
    )

    assert response.status_code == 200
    assert "Le mot de passe actuel est incorrect." in form_errors(response.text)
    assert database_rows() == before


def test_the_profile_can_be_updated(client, world):
    sign_in(client, world.partner_member)

    response = client.post(
        "/account",
        data={
            "profile-full_name": "Paul Membre-Durand",
            "profile-phone": "02 98 00 00 00",
            "profile-submit": "Enregistrer",
        },
    )

    assert response.status_code == 302
    assert world.partner_member.full_name == "Paul Membre-Durand"
    assert world.partner_member.phone == "02 98 00 00 00"
    assert [e.summary for e in audit_events(AuditAction.CHANGE)] == ["Profil modifié"]


# Password policy ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "password, message",
    [
        ("court-123", "Le mot de passe doit contenir au moins 12 caractères."),
        ("password1234", "Ce mot de passe fait partie des mots de passe les plus courants"),
        ("azertyuiop123", "Ce mot de passe est trop facile à deviner"),
        ("123456789012", "Ce mot de passe est trop facile à deviner"),
        ("Concarneau29!", "Ce mot de passe est fait de votre nom, de votre adresse ou de mots"),
        ("Paul Membre 2026", "Ce mot de passe est fait de votre nom, de votre adresse ou de mots"),
        ("x" * 129, "Le mot de passe doit contenir au plus 128 caractères."),
    ],
    ids=["too-short", "common", "keyboard-walk", "digits", "local-words", "own-name", "too-long"],
)
def test_a_new_password_must_be_long_and_hard_to_guess(client, world, password, message):
    person = world.partner_member
    sign_in(client, person)
    hash_before = person.password_hash

    response = client.post(
        "/account",
        data={
            "password-current_password": PASSWORD,
            "password-password": password,
            "password-confirm": password,
            "password-submit": "Changer le mot de passe",
        },
    )

    assert response.status_code == 200
    assert any(error.startswith(message) for error in form_errors(response.text))
    assert person.password_hash == hash_before


def test_a_long_passphrase_is_accepted(client, world):
    person = world.partner_member
    sign_in(client, person)

    response = client.post(
        "/account",
        data={
            "password-current_password": PASSWORD,
            "password-password": NEW_PASSWORD,
            "password-confirm": NEW_PASSWORD,
            "password-submit": "Changer le mot de passe",
        },
    )

    assert response.status_code == 302
    assert verify_password(person.password_hash, NEW_PASSWORD)
    assert person.password_hash.startswith("$argon2id$")


# Password reset ----------------------------------------------------------------------------

RESET_SENT = "Si un compte existe pour cette adresse, un lien de réinitialisation vient d'y être"


def ask_for_reset(client, email):
    """Ask for a link; the request only hands the worker a task, which it then runs."""
    sent_before = len(queued_emails())
    response = client.post("/password/forgot", data={"email": email})
    assert response.status_code == 302
    assert response.location == "/login"
    assert len(queued_emails()) == sent_before, "the request itself writes no e-mail"
    run_tasks()
    return client.get(response.location)


def test_the_reset_link_sets_a_new_password_once(app, client, world):
    person = world.partner_member
    elsewhere = fresh_client(app)
    sign_in_with_form(elsewhere, person)

    page = ask_for_reset(client, person.email)
    assert any(message.startswith(RESET_SENT) for message in flashed(page.text))
    [email] = queued_emails(person.email)
    assert email.subject == "Réinitialisation de votre mot de passe"
    link = emailed_path(person.email)

    form = client.get(link)
    assert form.status_code == 200
    assert person.email in form.text
    response = client.post(link, data={"password": NEW_PASSWORD, "confirm": NEW_PASSWORD})
    assert response.status_code == 302
    assert response.location == "/login"

    assert sign_in_with_form(client, person, NEW_PASSWORD).status_code == 302
    assert redirects_to_login(elsewhere.get("/account")), "a reset closes the open sessions"
    [event] = audit_events(AuditAction.CHANGE)
    assert event.summary == "Mot de passe réinitialisé"

    client.post("/logout")
    hash_after_reset = person.password_hash
    another = "autre phrase de passe tres longue"
    for reuse in (
        client.get(link),
        client.post(link, data={"password": another, "confirm": another}),
    ):
        assert reuse.status_code == 400
        assert LINK_INVALID in reuse.text
    assert person.password_hash == hash_after_reset


def test_the_reset_link_expires_after_two_hours(client, world):
    person = world.partner_member
    with signing_clock(now_utc() - timedelta(hours=2, minutes=1)):
        stale = make_reset_token(person)
    with signing_clock(now_utc() - timedelta(hours=1, minutes=55)):
        recent = make_reset_token(person)
    hash_before = person.password_hash

    response = client.post(
        f"/password/reset/{stale}", data={"password": NEW_PASSWORD, "confirm": NEW_PASSWORD}
    )

    assert response.status_code == 400
    assert LINK_INVALID in response.text
    assert person.password_hash == hash_before
    assert client.get(f"/password/reset/{recent}").status_code == 200


def test_the_reset_link_lifetime_is_a_setting(make_app):
    app = make_app(PASSWORD_RESET_MAX_AGE=timedelta(minutes=30))
    with app.app_context():
        person = User(email="lea@exemple.fr", full_name="Léa", password_hash=PASSWORD_HASH)
        db.session.add(person)
        db.session.commit()
        with signing_clock(now_utc() - timedelta(minutes=31)):
            stale = make_reset_token(person)
        with signing_clock(now_utc() - timedelta(minutes=28)):
            recent = make_reset_token(person)
        client = fresh_client(app)

        assert client.get(f"/password/reset/{stale}").status_code == 400
        assert client.get(f"/password/reset/{recent}").status_code == 200


def test_a_tampered_reset_link_is_refused(client, world):
    token = make_reset_token(world.partner_member)
    tampered = token[:-2] + ("AA" if not token.endswith("AA") else "BB")

    response = client.get(f"/password/reset/{tampered}")

    assert response.status_code == 400
    assert LINK_INVALID in response.text


@pytest.mark.parametrize("who", ["unknown", "deactivated"])
def test_reset_for_an_unknown_or_closed_address_says_the_same_and_sends_nothing(
    client, world, make_user, who
):
    known = ask_for_reset(client, world.partner_member.email)
    email = (
        "personne-inconnue@exemple.fr"
        if who == "unknown"
        else make_user(world.mission_locale, active=False).email
    )

    page = ask_for_reset(client, email)

    assert flashed(page.text) == flashed(known.text)
    assert queued_emails(email) == []
    assert len(queued_emails()) == 1


# Bad input on the sign-in and account forms ------------------------------------------------

LONG_EMAIL = "a" * 245 + "@exemple.fr"
SUBMIT_PROFILE = {"profile-submit": "Enregistrer"}
SUBMIT_PASSWORD = {"password-submit": "Changer le mot de passe"}

BAD_INPUT = {
    "login: empty e-mail": (
        "/login",
        None,
        {"email": "", "password": PASSWORD},
        "Indiquez une adresse e-mail.",
        (),
    ),
    "login: malformed e-mail": (
        "/login",
        None,
        {"email": "pas-une-adresse", "password": PASSWORD},
        "Cette adresse e-mail n'est pas valide.",
        ("pas-une-adresse",),
    ),
    "login: oversized e-mail": (
        "/login",
        None,
        {"email": LONG_EMAIL, "password": PASSWORD},
        "254 caractères au plus.",
        (LONG_EMAIL,),
    ),
    "login: empty password": (
        "/login",
        None,
        {"email": "lea@exemple.fr", "password": ""},
        "Indiquez votre mot de passe.",
        ("lea@exemple.fr",),
    ),
    "login: oversized password": (
        "/login",
        None,
        {"email": "lea@exemple.fr", "password": "x" * 129},
        "128 caractères au plus.",
        ("lea@exemple.fr",),
    ),
    "forgot: empty e-mail": (
        "/password/forgot",
        None,
        {"email": ""},
        "Indiquez une adresse e-mail.",
        (),
    ),
    "forgot: malformed e-mail": (
        "/password/forgot",
        None,
        {"email": "lea@"},
        "Cette adresse e-mail n'est pas valide.",
        ("lea@",),
    ),
    "forgot: oversized e-mail": (
        "/password/forgot",
        None,
        {"email": LONG_EMAIL},
        "254 caractères au plus.",
        (LONG_EMAIL,),
    ),
    "reset: empty password": (
        "reset",
        None,
        {"password": "", "confirm": ""},
        "Choisissez un mot de passe.",
        (),
    ),
    "reset: different confirmation": (
        "reset",
        None,
        {"password": NEW_PASSWORD, "confirm": NEW_PASSWORD + "!"},
        "Les deux mots de passe ne sont pas identiques.",
        (),
    ),
    "reset: oversized password": (
        "reset",
        None,
        {"password": "x" * 129, "confirm": "x" * 129},
        "Le mot de passe doit contenir au plus 128 caractères.",
        (),
    ),
    "invitation: empty name": (
        "invitation",
        None,
        {"full_name": "", "password": NEW_PASSWORD, "confirm": NEW_PASSWORD},
        "Ce champ est obligatoire.",
        (),
    ),
    "invitation: oversized name": (
        "invitation",
        None,
        {"full_name": "N" * 121, "password": NEW_PASSWORD, "confirm": NEW_PASSWORD},
        "120 caractères au plus.",
        ("N" * 121,),
    ),
    "invitation: short password": (
        "invitation",
        None,
        {"full_name": "Nina Nouvelle", "password": "court", "confirm": "court"},
        "Le mot de passe doit contenir au moins 12 caractères.",
        ("Nina Nouvelle",),
    ),
    "invitation: different confirmation": (
        "invitation",
        None,
        {"full_name": "Nina Nouvelle", "password": NEW_PASSWORD, "confirm": "autre chose"},
        "Les deux mots de passe ne sont pas identiques.",
        ("Nina Nouvelle",),
    ),
    "profile: empty name": (
        "/account",
        "partner_member",
        {"profile-full_name": "", "profile-phone": "02 98 00 00 00", **SUBMIT_PROFILE},
        "Ce champ est obligatoire.",
        ("02 98 00 00 00",),
    ),
    "profile: oversized name": (
        "/account",
        "partner_member",
        {"profile-full_name": "P" * 121, **SUBMIT_PROFILE},
        "120 caractères au plus.",
        ("P" * 121,),
    ),
    "profile: oversized phone": (
        "/account",
        "partner_member",
        {"profile-full_name": "Paul Membre", "profile-phone": "0" * 31, **SUBMIT_PROFILE},
        "30 caractères au plus.",
        ("0" * 31,),
    ),
    "password: empty current password": (
        "/account",
        "partner_member",
        {
            "password-current_password": "",
            "password-password": NEW_PASSWORD,
            "password-confirm": NEW_PASSWORD,
            **SUBMIT_PASSWORD,
        },
        "Indiquez votre mot de passe actuel.",
        (),
    ),
    "password: oversized current password": (
        "/account",
        "partner_member",
        {
            "password-current_password": "x" * 129,
            "password-password": NEW_PASSWORD,
            "password-confirm": NEW_PASSWORD,
            **SUBMIT_PASSWORD,
        },
        "Le champ ne peut pas contenir plus de 128 caractères.",
        (),
    ),
    "password: empty new password": (
        "/account",
        "partner_member",
        {
            "password-current_password": PASSWORD,
            "password-password": "",
            "password-confirm": "",
            **SUBMIT_PASSWORD,
        },
        "Choisissez un mot de passe.",
        (),
    ),
    "password: different confirmation": (
        "/account",
        "partner_member",
        {
            "password-current_password": PASSWORD,
            "password-password": NEW_PASSWORD,
            "password-confirm": "autre chose",
            **SUBMIT_PASSWORD,
        },
        "Les deux mots de passe ne sont pas identiques.",
        (),
    ),
}


@pytest.fixture
def invitation(world):
    invitation = Invitation(
        email="nina@exemple.fr",
        full_name="Nina Nouvelle",
        organisation=world.mission_locale,
        role=MembershipRole.MEMBER,
        invited_by=world.partner_admin,
        expires_at=now_utc() + timedelta(days=7),
    )
    db.session.add(invitation)
    db.session.commit()
    return invitation


@pytest.mark.parametrize(
    "url, signed_in_as, data, message, kept", BAD_INPUT.values(), ids=BAD_INPUT.keys()
)
def test_sign_in_and_account_forms_refuse_bad_input(
    client, world, invitation, url, signed_in_as, data, message, kept
):
    if url == "reset":
        url = f"/password/reset/{make_reset_token(world.partner_member)}"
    elif url == "invitation":
        url = f"/invitation/{make_invitation_token(invitation)}"
    if signed_in_as:
        sign_in(client, getattr(world, signed_in_as))
    before = database_rows()

    response = client.post(url, data=data)

    assert response.status_code == 200
    errors = form_errors(response.text)
    assert any(message in error for error in errors), errors
    assert "Le formulaire contient" in response.text
    for value in kept:
        assert shows_typed_value(response.text, value), value
    assert database_rows() == before


def test_a_nul_character_in_a_name_is_dropped_rather_than_breaking_the_database(client, world):
    sign_in(client, world.partner_member)

    response = client.post(
        "/account", data={"profile-full_name": "Paul\x00 Membre", **SUBMIT_PROFILE}
    )

    assert response.status_code == 302
    assert world.partner_member.full_name == "Paul Membre"
