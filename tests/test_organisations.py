"""Organisations, their members and committees: what org admins and the coordinator do."""

import html
import re
from datetime import date, timedelta

import pytest
import sqlalchemy as sa

from portal.auth.tokens import make_invitation_token
from portal.extensions import db
from portal.models import (
    AuditAction,
    Committee,
    Invitation,
    Membership,
    MembershipRole,
    Organisation,
    OrganisationKind,
    Territory,
    User,
    now_utc,
)
from tests.conftest import PASSWORD, sign_in
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

NEW_PASSWORD = "cheval agrafe batterie correcte"
LINK_INVALID = "Ce lien n'est plus valable"


@pytest.fixture
def client(app):
    return fresh_client(app)


def redirects_to_login(response) -> bool:
    return response.status_code == 302 and response.location.startswith("/login")


def invite(client, organisation, email="nina@exemple.fr", role="member", full_name="Nina Nouvelle"):
    return client.post(
        f"/organisations/{organisation.id}/invite",
        data={"full_name": full_name, "email": email, "role": role},
    )


def accept(client, path, full_name="Nina Nouvelle", password=NEW_PASSWORD):
    return client.post(
        path, data={"full_name": full_name, "password": password, "confirm": password}
    )


def membership_path(membership: Membership, action: str) -> str:
    return f"/organisations/{membership.organisation_id}/members/{membership.id}/{action}"


def find_user(email: str) -> User | None:
    return db.session.scalar(sa.select(User).where(User.email == email))


def count(model) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(model))


# Invitations -------------------------------------------------------------------------------


def test_an_org_admin_invites_and_the_link_creates_the_account_with_its_role(app, client, world):
    sign_in(client, world.partner_admin)

    response = invite(client, world.mission_locale, role="admin")

    assert response.status_code == 302
    assert response.location == f"/organisations/{world.mission_locale.id}"
    assert "Une invitation a été envoyée à nina@exemple.fr." in flashed(
        client.get(response.location).text
    )
    [invitation] = db.session.scalars(sa.select(Invitation)).all()
    assert invitation.invited_by_id == world.partner_admin.id
    [email] = queued_emails("nina@exemple.fr")
    assert email.subject == "Invitation à rejoindre Mission Locale sur le Portail partenaires"
    [event] = audit_events(AuditAction.CREATE, "invitation")
    assert event.user_id == world.partner_admin.id

    invitee = fresh_client(app)
    link = emailed_path("nina@exemple.fr")
    page = invitee.get(link)
    assert page.status_code == 200
    assert "Rejoindre Mission Locale" in page.text
    assert shows_typed_value(page.text, "Nina Nouvelle")

    response = accept(invitee, link)

    # An admin signs in with a second factor: set up before anything else.
    assert response.status_code == 302
    assert response.location == "/account/two-factor"
    assert invitee.get("/").location == "/account/two-factor"
    person = find_user("nina@exemple.fr")
    [membership] = person.memberships
    assert membership.organisation_id == world.mission_locale.id
    assert membership.role == MembershipRole.ADMIN
    assert membership.active
    assert invitation.accepted_at is not None
    assert [e.summary for e in audit_events(AuditAction.CREATE, "membership")] == [
        "Invitation acceptée : nina@exemple.fr rejoint Mission Locale"
    ]
    invitee.post("/logout")
    signed_in = invitee.post("/login", data={"email": "nina@exemple.fr", "password": NEW_PASSWORD})
    assert signed_in.location == "/account/two-factor"


def test_an_invitation_link_works_only_once(app, client, world):
    sign_in(client, world.partner_admin)
    invite(client, world.mission_locale)
    link = emailed_path("nina@exemple.fr")
    assert accept(fresh_client(app), link).status_code == 302
    person = find_user("nina@exemple.fr")
    hash_after_first_use = person.password_hash

    second = fresh_client(app)
    for response in (
        second.get(link),
        accept(second, link, "Usurpateur", "autre phrase bien longue"),
    ):
        assert response.status_code == 400
        assert LINK_INVALID in response.text
    assert person.password_hash == hash_after_first_use
    assert person.full_name == "Nina Nouvelle"
    assert count(Membership) == 7


def sent_days_ago(invitation: Invitation, days: int) -> str:
    """Age an invitation as if it had been sent ``days`` ago; return its link then."""
    sent = now_utc() - timedelta(days=days)
    invitation.created = sent
    invitation.expires_at = sent + timedelta(days=7)
    db.session.commit()
    with signing_clock(sent):
        return f"/invitation/{make_invitation_token(invitation)}"


def test_an_invitation_expires_after_seven_days(client, world):
    sign_in(client, world.partner_admin)
    invite(client, world.mission_locale, email="ancienne@exemple.fr")
    invite(client, world.mission_locale, email="recente@exemple.fr")
    old, recent = db.session.scalars(sa.select(Invitation).order_by(Invitation.id)).all()
    old_link = sent_days_ago(old, 8)
    recent_link = sent_days_ago(recent, 6)
    client.post("/logout")

    for response in (client.get(old_link), accept(client, old_link)):
        assert response.status_code == 400
        assert LINK_INVALID in response.text
    assert find_user("ancienne@exemple.fr") is None
    assert client.get(recent_link).status_code == 200


def test_a_revoked_invitation_no_longer_works(app, client, world):
    sign_in(client, world.partner_admin)
    invite(client, world.mission_locale)
    [invitation] = db.session.scalars(sa.select(Invitation)).all()
    link = emailed_path("nina@exemple.fr")

    response = client.post(
        f"/organisations/{world.mission_locale.id}/invitations/{invitation.id}/revoke"
    )

    assert response.status_code == 302
    assert "L'invitation de nina@exemple.fr est annulée." in flashed(
        client.get(response.location).text
    )
    assert invitation.revoked_at is not None
    [event] = audit_events(AuditAction.DELETE, "invitation")
    assert event.user_id == world.partner_admin.id
    invitee = fresh_client(app)
    for response in (invitee.get(link), accept(invitee, link)):
        assert response.status_code == 400
    assert find_user("nina@exemple.fr") is None


def test_the_coordinator_invites_only_an_organisations_first_admin(client, world, make_org):
    """ASVS 8.2 (least privilege): the coordinator's powers stop at each organisation's
    door once it has an admin."""
    newcomer = make_org(OrganisationKind.ASSOCIATION, "Nouvelle association")
    sign_in(client, world.coordinator)

    page = client.get(f"/organisations/{newcomer.id}/invite").text
    assert "La coordination invite le premier administrateur" in page
    assert invite(client, newcomer, role="member").status_code == 302
    [invitation] = db.session.scalars(sa.select(Invitation)).all()
    assert (invitation.organisation_id, invitation.role) == (newcomer.id, MembershipRole.ADMIN)

    before = database_rows()
    assert client.get(f"/organisations/{world.siao.id}/invite").status_code == 403
    assert invite(client, world.siao).status_code == 403
    assert invite(client, world.siao, email=world.coordinator.email).status_code == 403
    member = world.partner_member.membership_of(world.mission_locale.id)
    assert client.post(membership_path(member, "role"), data={"role": "admin"}).status_code == 403
    assert database_rows() == before


@pytest.mark.parametrize("who", ["outsider", "siao_officer", "partner_member", "landlord"])
def test_only_the_organisations_admins_may_invite_into_it(client, world, who):
    sign_in(client, getattr(world, who))
    before = database_rows()

    assert client.get(f"/organisations/{world.mission_locale.id}/invite").status_code == 403
    response = invite(client, world.mission_locale)

    assert response.status_code == 403
    assert "Accès refusé" in response.text
    assert database_rows() == before


def test_inviting_an_active_member_again_is_refused(client, world):
    sign_in(client, world.partner_admin)
    before = database_rows()

    response = invite(client, world.mission_locale, email=world.partner_member.email.upper())

    assert response.status_code == 200
    assert "Cette personne est déjà membre de l'organisation." in form_errors(response.text)
    assert database_rows() == before


def test_the_invitation_form_does_not_tell_who_has_an_account(client, world):
    """ASVS 6.3.8 (no account enumeration): a private owner's address, another partner's
    and an unknown one get the same answer."""
    sign_in(client, world.partner_admin)
    answers = []
    for email in (world.landlord.email, world.outsider.email, "inconnue@exemple.fr"):
        response = invite(client, world.mission_locale, email=email)
        answers.append(
            (response.status_code, [m.replace(email, "…") for m in flashed(client.get("/").text)])
        )
    assert answers[0] == answers[1] == answers[2]
    assert answers[0][0] == 302


def test_a_partner_with_an_account_joins_by_signing_in_and_keeps_their_password(app, client, world):
    """ASVS 6.4 (an invitation never sets an existing account's credentials): the person
    signs in with their own account and joins."""
    person = world.partner_member
    hash_before, name_before = person.password_hash, person.full_name
    sign_in(client, world.outsider)
    invite(client, world.outsider_org, email=person.email, full_name="Autre Nom")
    link = emailed_path(person.email)
    stranger = fresh_client(app)
    page = html.unescape(stranger.get(link).text)
    assert "Un compte existe déjà pour l'adresse" in page and 'name="confirm"' not in page
    before_rows = database_rows()
    response = accept(stranger, link, "Pirate", "un mot de passe choisi par autrui")
    assert response.status_code == 400
    before_rows.pop("audit_event")  # the failed attempt is audited, nothing else written
    after_rows = database_rows()
    after_rows.pop("audit_event")
    assert after_rows == before_rows

    own = fresh_client(app)
    sign_in(own, person)
    assert own.post(link).status_code == 302
    db.session.expire_all()
    assert person.organisation_ids == {world.mission_locale.id, world.outsider_org.id}
    assert (person.password_hash, person.full_name) == (hash_before, name_before)


def test_a_former_member_can_be_invited_back(app, client, world, make_user):
    former = make_user(world.mission_locale, active=False, email="ancien@exemple.fr")
    sign_in(client, world.partner_admin)
    assert invite(client, world.mission_locale, email=former.email, role="admin").status_code == 302
    link = emailed_path(former.email)

    # Without an active membership the account cannot sign in: on the invitation page they
    # give their own password, which stays theirs.
    back = fresh_client(app)
    hash_before = former.password_hash
    assert back.post(link, data={"password": "pas le bon mot de passe"}).status_code == 400
    response = back.post(link, data={"password": PASSWORD})
    assert response.status_code == 302
    assert former.password_hash == hash_before

    db.session.expire_all()
    membership = former.membership_of(world.mission_locale.id)
    assert membership.active
    assert membership.role == MembershipRole.ADMIN
    assert membership.ended_on is None


# Members: roles, deactivation --------------------------------------------------------------


def test_an_org_admin_promotes_and_demotes_a_member(client, world):
    membership = world.partner_member.membership_of(world.mission_locale.id)
    sign_in(client, world.partner_admin)

    response = client.post(membership_path(membership, "role"), data={"role": "admin"})

    assert response.status_code == 302
    assert "Paul Membre est maintenant administrateur." in flashed(
        client.get(response.location).text
    )
    assert membership.role == MembershipRole.ADMIN
    client.post(membership_path(membership, "role"), data={"role": "member"})
    assert membership.role == MembershipRole.MEMBER
    assert [(e.user_id, e.summary) for e in audit_events(AuditAction.CHANGE, "membership")] == [
        (
            world.partner_admin.id,
            f"Rôle de {world.partner_member.email} dans Mission Locale : Membre → Administrateur",
        ),
        (
            world.partner_admin.id,
            f"Rôle de {world.partner_member.email} dans Mission Locale : Administrateur → Membre",
        ),
    ]


def test_an_org_admin_deactivates_then_reactivates_a_member(client, world):
    membership = world.partner_member.membership_of(world.mission_locale.id)
    sign_in(client, world.partner_admin)

    response = client.post(membership_path(membership, "deactivate"))

    assert response.status_code == 302
    assert "Paul Membre n'a plus accès au nom de Mission Locale." in flashed(
        client.get(response.location).text
    )
    assert not membership.active
    assert membership.ended_on == date.today()
    assert not world.partner_member.is_active

    client.post(membership_path(membership, "reactivate"))

    assert membership.active
    assert membership.ended_on is None
    assert world.partner_member.is_active
    email = world.partner_member.email
    assert [e.summary for e in audit_events(AuditAction.CHANGE, "membership")] == [
        f"{email} désactivé dans Mission Locale",
        f"{email} réactivé dans Mission Locale",
    ]


@pytest.mark.parametrize("who", ["partner_admin", "coordinator"])
@pytest.mark.parametrize(
    "action, data", [("deactivate", {}), ("role", {"role": "member"})], ids=["deactivate", "demote"]
)
def test_nobody_can_deactivate_or_demote_themselves(client, world, who, action, data):
    person = getattr(world, who)
    membership = person.active_memberships[0]
    sign_in(client, person)
    before = database_rows()

    response = client.post(membership_path(membership, action), data=data)

    assert response.status_code == 403
    assert database_rows() == before


@pytest.mark.parametrize("who", ["outsider", "siao_officer", "partner_member"])
@pytest.mark.parametrize(
    "action, data",
    [("deactivate", {}), ("reactivate", {}), ("role", {"role": "admin"})],
    ids=["deactivate", "reactivate", "promote"],
)
def test_only_the_organisations_admins_manage_its_members(client, world, who, action, data):
    target = world.partner_admin if who == "partner_member" else world.partner_member
    membership = target.membership_of(world.mission_locale.id)
    sign_in(client, getattr(world, who))
    before = database_rows()

    response = client.post(membership_path(membership, action), data=data)

    assert response.status_code == 403
    assert database_rows() == before


def test_a_membership_of_another_organisation_is_not_found_under_this_one(client, world):
    elsewhere = world.ccas_worker.membership_of(world.ccas.id)
    sign_in(client, world.partner_admin)
    before = database_rows()

    response = client.post(
        f"/organisations/{world.mission_locale.id}/members/{elsewhere.id}/deactivate"
    )

    assert response.status_code == 404
    assert database_rows() == before


def test_members_see_their_colleagues_but_not_the_admin_buttons(client, world):
    sign_in(client, world.partner_member)

    page = client.get(f"/organisations/{world.mission_locale.id}")

    assert page.status_code == 200
    assert "Léa Admin" in page.text
    assert "Désactiver" not in page.text
    assert "Inviter un membre" not in page.text


# Coordinator screens -----------------------------------------------------------------------


def organisation_data(world, **changes):
    data = {
        "name": "Abricôtier Urgence Femmes",
        "kind": "association",
        "territory_id": str(world.ccas.territory_id),
        "contact_email": "contact@abricotier.fr",
        "active": "y",
    }
    data.update(changes)
    return data


def committee_data(world, **changes):
    data = {
        "name": "Comité de pilotage",
        "kind": "comite_pilotage",
        "territory_id": str(world.ccas.territory_id),
        "description": "Suit le dispositif et valide le bilan annuel.",
        "organisation_ids": [str(world.ccas.id), str(world.siao.id)],
        "active": "y",
    }
    data.update(changes)
    return data


def test_the_coordinator_creates_an_organisation(client, world):
    sign_in(client, world.coordinator)

    response = client.post("/organisations/new", data=organisation_data(world))

    organisation = db.session.scalar(
        sa.select(Organisation).where(Organisation.name == "Abricôtier Urgence Femmes")
    )
    assert response.status_code == 302
    assert response.location == f"/organisations/{organisation.id}"
    assert organisation.kind == OrganisationKind.ASSOCIATION
    assert organisation.contact_email == "contact@abricotier.fr"
    assert organisation.active
    [event] = audit_events(AuditAction.CREATE, "organisation")
    assert (event.user_id, event.object_id) == (world.coordinator.id, organisation.id)


def test_the_coordinator_edits_an_organisation(client, world):
    other_place = Territory(name="Quimper Bretagne Occidentale")
    db.session.add(other_place)
    db.session.commit()
    sign_in(client, world.coordinator)
    assert "Mission Locale" in client.get(f"/organisations/{world.mission_locale.id}/edit").text

    response = client.post(
        f"/organisations/{world.mission_locale.id}/edit",
        data=organisation_data(
            world,
            name="Mission Locale du Pays de Cornouaille",
            kind="mission_locale",
            territory_id=str(other_place.id),
            contact_email="",
        ),
    )

    assert response.status_code == 302
    organisation = world.mission_locale
    assert organisation.name == "Mission Locale du Pays de Cornouaille"
    assert organisation.territory_id == other_place.id
    assert organisation.contact_email is None
    [event] = audit_events(AuditAction.CHANGE, "organisation")
    assert event.object_id == organisation.id
    assert (
        client.post(
            f"/organisations/{world.mission_locale.id}/edit",
            data=organisation_data(world, name=organisation.name, kind="mission_locale"),
        ).status_code
        == 302
    ), "an organisation keeps its own name"


@pytest.mark.parametrize("name", ["Mission Locale", "mission locale", "  MISSION LOCALE "])
def test_two_organisations_cannot_share_a_name(client, world, name):
    sign_in(client, world.coordinator)
    before = database_rows()

    created = client.post("/organisations/new", data=organisation_data(world, name=name))
    renamed = client.post(
        f"/organisations/{world.siao.id}/edit", data=organisation_data(world, name=name)
    )

    for response in (created, renamed):
        assert response.status_code == 200
        assert "Une organisation porte déjà ce nom." in form_errors(response.text)
    assert database_rows() == before


def test_deactivating_an_organisation_signs_its_members_out(app, client, world):
    member = fresh_client(app)
    member.post("/login", data={"email": world.partner_member.email, "password": PASSWORD})
    assert member.get("/account").status_code == 200
    sign_in(client, world.coordinator)

    response = client.post(
        f"/organisations/{world.mission_locale.id}/edit",
        data=organisation_data(world, name="Mission Locale", kind="mission_locale", active=""),
    )

    assert response.status_code == 302
    assert not world.mission_locale.active
    assert redirects_to_login(member.get("/account"))


def test_the_coordinator_creates_a_territory(client, world):
    sign_in(client, world.coordinator)

    response = client.post("/organisations/territories/new", data={"name": "Pays de Quimperlé"})

    assert response.status_code == 302
    assert db.session.scalar(sa.select(Territory.id).where(Territory.name == "Pays de Quimperlé"))
    [event] = audit_events(AuditAction.CREATE, "territory")
    assert event.summary == "Territoire créé : Pays de Quimperlé"
    again = client.post("/organisations/territories/new", data={"name": "Pays de Quimperlé"})
    assert again.status_code == 200
    assert "Ce territoire existe déjà." in form_errors(again.text)
    assert count(Territory) == 2


def test_the_coordinator_creates_a_committee_with_its_member_organisations(client, world):
    sign_in(client, world.coordinator)

    response = client.post("/committees/new", data=committee_data(world))

    committee = db.session.scalar(
        sa.select(Committee).where(Committee.name == "Comité de pilotage")
    )
    assert response.status_code == 302
    assert response.location == f"/committees/{committee.id}"
    assert {o.id for o in committee.organisations} == {world.ccas.id, world.siao.id}
    assert committee.description == "Suit le dispositif et valide le bilan annuel."
    [event] = audit_events(AuditAction.CREATE, "committee")
    assert event.object_id == committee.id
    page = client.get(response.location).text
    assert "CCAS de Concarneau" in page and "SIAO du Finistère" in page
    assert "Mission Locale" not in page


def checked_organisations(page: str) -> set[int]:
    inputs = re.findall(r'<input [^>]*name="organisation_ids"[^>]*>', page)
    return {int(re.search(r'value="(\d+)"', i).group(1)) for i in inputs if " checked" in i}


def test_the_coordinator_edits_a_committee_and_its_members(client, world):
    committee = world.committee
    sign_in(client, world.coordinator)
    form = client.get(f"/committees/{committee.id}/edit").text
    assert checked_organisations(form) == {world.ccas.id, world.mission_locale.id, world.siao.id}

    response = client.post(
        f"/committees/{committee.id}/edit",
        data=committee_data(
            world,
            name="Comité technique IML",
            kind="comite_technique",
            organisation_ids=[str(world.ccas.id), str(world.outsider_org.id)],
        ),
    )

    assert response.status_code == 302
    assert committee.name == "Comité technique IML"
    assert {o.id for o in committee.organisations} == {world.ccas.id, world.outsider_org.id}
    [event] = audit_events(AuditAction.CHANGE, "committee")
    assert event.object_id == committee.id
    assert client.get(f"/committees/{committee.id}").status_code == 200
    partner = fresh_client(client.application)
    sign_in(partner, world.partner_member)
    assert partner.get(f"/committees/{committee.id}").status_code == 403


def test_two_committees_of_a_territory_cannot_share_a_name(client, world):
    other_place = Territory(name="Quimper Bretagne Occidentale")
    db.session.add(other_place)
    db.session.commit()
    sign_in(client, world.coordinator)
    before = database_rows()

    response = client.post("/committees/new", data=committee_data(world, name="comité TECHNIQUE"))

    assert response.status_code == 200
    assert "Une instance porte déjà ce nom sur ce territoire." in form_errors(response.text)
    assert database_rows() == before
    elsewhere = client.post(
        "/committees/new",
        data=committee_data(world, name="Comité technique", territory_id=str(other_place.id)),
    )
    assert elsewhere.status_code == 302


# A valid submission of each form; a test changes one thing in it.
VALID_DATA = {
    "/organisations/new": organisation_data,
    "/organisations/{world.mission_locale.id}/edit": organisation_data,
    "/organisations/territories/new": lambda world: {"name": "Pays de Quimperlé"},
    "/committees/new": committee_data,
    "/committees/{world.committee.id}/edit": committee_data,
    "/organisations/{world.mission_locale.id}/invite": lambda world: {
        "full_name": "Nina Nouvelle",
        "email": "nina@exemple.fr",
        "role": "member",
    },
}

COORDINATOR_SCREENS = [path for path in VALID_DATA if not path.endswith("/invite")]


@pytest.fixture
def non_ccas_coordinator(world, make_user):
    """The coordinator flag on someone outside a CCAS grants nothing."""
    return make_user(world.mission_locale, MembershipRole.ADMIN, coordinator=True)


@pytest.mark.parametrize("path", COORDINATOR_SCREENS)
@pytest.mark.parametrize(
    "who", ["partner_admin", "ccas_worker", "siao_officer", "landlord", "non_ccas_coordinator"]
)
def test_only_the_coordinator_manages_organisations_and_committees(
    client, world, non_ccas_coordinator, path, who
):
    person = non_ccas_coordinator if who == "non_ccas_coordinator" else getattr(world, who)
    url = path.format(world=world)
    sign_in(client, person)
    before = database_rows()

    page = client.get(url)
    posted = client.post(url, data=VALID_DATA[path](world))

    assert page.status_code == 403
    assert posted.status_code == 403
    assert "Accès refusé" in posted.text
    assert database_rows() == before


# Bad input on the organisation, committee and member forms ---------------------------------

LONG_EMAIL = "a" * 245 + "@exemple.fr"

BAD_INPUT = {
    "organisation: empty name": (
        "/organisations/new",
        {"name": ""},
        "Ce champ est obligatoire.",
        ("contact@abricotier.fr",),
    ),
    "organisation: oversized name": (
        "/organisations/new",
        {"name": "O" * 161},
        "160 caractères au plus.",
        ("O" * 161,),
    ),
    "organisation: unknown kind": (
        "/organisations/new",
        {"kind": "entreprise"},
        "N'est pas un choix valide.",
        ("Abricôtier Urgence Femmes",),
    ),
    "organisation: missing kind": (
        "/organisations/new",
        {"kind": ""},
        "Choisissez un type.",
        ("Abricôtier Urgence Femmes",),
    ),
    "organisation: non-integer territory": (
        "/organisations/new",
        {"territory_id": "concarneau"},
        "Choisissez un territoire.",
        ("Abricôtier Urgence Femmes",),
    ),
    "organisation: unknown territory": (
        "/organisations/new",
        {"territory_id": "999999"},
        "N'est pas un choix valide.",
        ("Abricôtier Urgence Femmes",),
    ),
    "organisation: malformed contact": (
        "/organisations/new",
        {"contact_email": "contact@"},
        "Cette adresse e-mail n'est pas valide.",
        ("contact@",),
    ),
    "organisation: oversized contact": (
        "/organisations/new",
        {"contact_email": LONG_EMAIL},
        "254 caractères au plus.",
        (LONG_EMAIL,),
    ),
    "organisation edit: empty name": (
        "/organisations/{world.mission_locale.id}/edit",
        {"name": "   "},
        "Ce champ est obligatoire.",
        ("contact@abricotier.fr",),
    ),
    "organisation edit: oversized name": (
        "/organisations/{world.mission_locale.id}/edit",
        {"name": "O" * 161},
        "160 caractères au plus.",
        ("O" * 161,),
    ),
    "organisation edit: unknown territory": (
        "/organisations/{world.mission_locale.id}/edit",
        {"territory_id": "-1"},
        "N'est pas un choix valide.",
        (),
    ),
    "territory: empty name": (
        "/organisations/territories/new",
        {"name": ""},
        "Ce champ est obligatoire.",
        (),
    ),
    "territory: oversized name": (
        "/organisations/territories/new",
        {"name": "T" * 121},
        "120 caractères au plus.",
        ("T" * 121,),
    ),
    "committee: empty name": (
        "/committees/new",
        {"name": ""},
        "Ce champ est obligatoire.",
        ("Suit le dispositif et valide le bilan annuel.",),
    ),
    "committee: oversized name": (
        "/committees/new",
        {"name": "C" * 161},
        "160 caractères au plus.",
        ("C" * 161,),
    ),
    "committee: unknown kind": (
        "/committees/new",
        {"kind": "assemblee_generale"},
        "N'est pas un choix valide.",
        ("Comité de pilotage",),
    ),
    "committee: non-integer territory": (
        "/committees/new",
        {"territory_id": "1.5"},
        "Choisissez un territoire.",
        ("Comité de pilotage",),
    ),
    "committee: oversized description": (
        "/committees/new",
        {"description": "D" * 2001},
        "2000 caractères au plus.",
        ("D" * 2001,),
    ),
    "committee: non-integer organisation": (
        "/committees/new",
        {"organisation_ids": ["siao"]},
        "Choix incorrect, une ou plusieurs saisies ne peuvent pas être converties.",
        ("Comité de pilotage",),
    ),
    "committee: unknown organisation": (
        "/committees/new",
        {"organisation_ids": ["999999"]},
        "n'est pas un choix valide pour ce champ.",
        ("Comité de pilotage",),
    ),
    "committee edit: empty name": (
        "/committees/{world.committee.id}/edit",
        {"name": ""},
        "Ce champ est obligatoire.",
        ("Suit le dispositif et valide le bilan annuel.",),
    ),
    "committee edit: unknown organisation": (
        "/committees/{world.committee.id}/edit",
        {"organisation_ids": [str(10**6)]},
        "n'est pas un choix valide pour ce champ.",
        ("Comité de pilotage",),
    ),
    "invite: empty name": (
        "/organisations/{world.mission_locale.id}/invite",
        {"full_name": ""},
        "Ce champ est obligatoire.",
        ("nina@exemple.fr",),
    ),
    "invite: oversized name": (
        "/organisations/{world.mission_locale.id}/invite",
        {"full_name": "N" * 121},
        "120 caractères au plus.",
        ("N" * 121,),
    ),
    "invite: empty e-mail": (
        "/organisations/{world.mission_locale.id}/invite",
        {"email": ""},
        "Indiquez une adresse e-mail.",
        ("Nina Nouvelle",),
    ),
    "invite: malformed e-mail": (
        "/organisations/{world.mission_locale.id}/invite",
        {"email": "nina.exemple.fr"},
        "Cette adresse e-mail n'est pas valide.",
        ("nina.exemple.fr",),
    ),
    "invite: oversized e-mail": (
        "/organisations/{world.mission_locale.id}/invite",
        {"email": LONG_EMAIL},
        "254 caractères au plus.",
        (LONG_EMAIL,),
    ),
    "invite: unknown role": (
        "/organisations/{world.mission_locale.id}/invite",
        {"role": "superadmin"},
        "N'est pas un choix valide.",
        ("Nina Nouvelle", "nina@exemple.fr"),
    ),
}


@pytest.mark.parametrize("path, bad, message, kept", BAD_INPUT.values(), ids=BAD_INPUT.keys())
def test_organisation_and_committee_forms_refuse_bad_input(client, world, path, bad, message, kept):
    # The Mission Locale has an admin: its people are theirs to invite.
    sign_in(client, world.partner_admin if path.endswith("/invite") else world.coordinator)
    data = {**VALID_DATA[path](world), **bad}
    before = database_rows()

    response = client.post(path.format(world=world), data=data)

    assert response.status_code == 200
    errors = form_errors(response.text)
    assert any(message in error for error in errors), errors
    assert "Le formulaire contient" in response.text
    for value in kept:
        assert shows_typed_value(response.text, value), value
    assert database_rows() == before


@pytest.mark.parametrize(
    "role", ["superadmin", "", "admin" * 60], ids=["unknown", "empty", "oversized"]
)
def test_a_role_change_refuses_an_unknown_role(client, world, role):
    membership = world.partner_member.membership_of(world.mission_locale.id)
    sign_in(client, world.partner_admin)
    before = database_rows()

    response = client.post(membership_path(membership, "role"), data={"role": role})

    assert response.status_code == 302
    assert "Choisissez un rôle valide." in flashed(client.get(response.location).text)
    assert database_rows() == before


def test_a_nul_character_in_an_organisation_name_is_dropped(client, world):
    sign_in(client, world.coordinator)

    response = client.post(
        "/organisations/new", data=organisation_data(world, name="Abricôtier\x00 Urgence")
    )

    assert response.status_code == 302
    assert db.session.scalar(
        sa.select(Organisation.id).where(Organisation.name == "Abricôtier Urgence")
    )
