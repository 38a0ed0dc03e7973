"""Every route × method, for every kind of person: the expected answer.

A route that is added to the application without a line here fails
``test_every_route_is_in_the_matrix``: deciding who may reach it is part of adding it.
"""

from contextlib import contextmanager
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
from flask import Flask

from portal.extensions import db
from portal.models import Invitation, Membership, MembershipRole, User, now_utc
from tests.access_rules import (
    BAD_LINK,
    CASE_READERS,
    COORDINATOR_ACTS,
    COORDINATOR_ONLY,
    COORDINATOR_SAVES,
    MEMBER_DEACTIVATORS,
    MEMBER_MANAGER_PAGES,
    MEMBER_MANAGERS,
    OWNER_ADMIN_ONLY,
    OWNER_ONLY,
    PUBLIC,
    ROLES,
    SIGNED_IN,
    STAFF_ONLY,
    Route,
    answers,
    case_answers,
)
from tests.access_rules import actions as actions_rules
from tests.access_rules import candidacies as candidacies_rules
from tests.access_rules import documents as documents_rules
from tests.access_rules import measures as measures_rules
from tests.access_rules import meetings as meetings_rules
from tests.access_rules import minutes as minutes_rules
from tests.access_rules import notifications as notifications_rules
from tests.access_rules import outbox as outbox_rules
from tests.access_rules import owners as owners_rules
from tests.access_rules import reports as reports_rules
from tests.access_rules import units as units_rules
from tests.conftest import (
    BACKENDS,
    PASSWORD_HASH,
    CaseWorld,
    World,
    build_case_world,
    build_world,
    committee_factory,
    household_factory,
    new_territory,
    organisation_factory,
    rolled_back_transaction,
    shared_app,
    sign_in,
    table_counts,
    user_factory,
)

FEATURES = (
    meetings_rules,
    minutes_rules,
    actions_rules,
    candidacies_rules,
    units_rules,
    owners_rules,
    reports_rules,
    measures_rules,
    documents_rules,
    outbox_rules,
    notifications_rules,
)


def ml(w: World, extra: dict) -> str:
    return f"/organisations/{w.mission_locale.id}"


def membership(w: World, extra: dict) -> str:
    return f"{ml(w, extra)}/members/{w.partner_member.membership_of(w.mission_locale.id).id}"


def committee(w: World, extra: dict) -> str:
    return f"/committees/{w.committee.id}"


def household(w: World, e: dict) -> str:
    return f"/cases/households/{e['cases'].household.id}"


def case(w: World, e: dict) -> str:
    return f"/cases/{e['cases'].case.id}"


def attachment(w: World, e: dict) -> str:
    return f"{case(w, e)}/attachments/{e['cases'].attachment.id}"


def cdas_participant(w: World, e: dict) -> str:
    cases = e["cases"]
    return f"{case(w, e)}/participants/{cases.case.participant(cases.cdas.id).id}/remove"


# Who has no second factor in the matrix: those for whom it is optional, and the person
# who must enrol.
OPTIONAL_2FA = (
    "landlord",
    "partner_member",
    "cdas_worker",
    "organiser",
    "co_organiser",
    "excused_invitee",
    "action_assignee",
    "enrolment_pending",
)

MATRIX: dict[tuple[str, str], Route] = {
    ("dashboard.index", "GET"): Route(lambda w, e: "/", PUBLIC),
    ("dashboard.healthz", "GET"): Route(lambda w, e: "/healthz", PUBLIC),
    ("legal.notice", "GET"): Route(lambda w, e: "/mentions-legales", PUBLIC),
    ("legal.privacy", "GET"): Route(lambda w, e: "/confidentialite", PUBLIC),
    ("legal.accessibility", "GET"): Route(lambda w, e: "/accessibilite", PUBLIC),
    # Sign-in pages: signed-in people are sent on to their dashboard.
    ("auth.login", "GET"): Route(lambda w, e: "/login", answers(302, anonymous=200)),
    ("auth.login", "POST"): Route(lambda w, e: "/login", answers(302, anonymous=200)),
    ("auth.logout", "POST"): Route(lambda w, e: "/logout", answers(302)),
    ("auth.forgot_password", "GET"): Route(lambda w, e: "/password/forgot", PUBLIC),
    ("auth.forgot_password", "POST"): Route(lambda w, e: "/password/forgot", PUBLIC),
    ("auth.reset_password", "GET"): Route(lambda w, e: "/password/reset/not-a-token", BAD_LINK),
    ("auth.reset_password", "POST"): Route(lambda w, e: "/password/reset/not-a-token", BAD_LINK),
    ("auth.accept", "GET"): Route(lambda w, e: "/invitation/not-a-token", BAD_LINK),
    ("auth.accept", "POST"): Route(lambda w, e: "/invitation/not-a-token", BAD_LINK),
    ("auth.account", "GET"): Route(lambda w, e: "/account", SIGNED_IN),
    ("auth.account", "POST"): Route(lambda w, e: "/account", SIGNED_IN),
    # The second factor: owed by nobody of the matrix but the person enrolling.
    ("auth.second_factor", "GET"): Route(lambda w, e: "/login/second-factor", answers(302)),
    ("auth.second_factor", "POST"): Route(lambda w, e: "/login/second-factor", answers(302)),
    # Enrolment: those who have a second factor already are sent to their account page
    # (the matrix signs in those whom it is required for with one); an empty form is
    # refused (400).
    ("auth.two_factor_setup", "GET"): Route(
        lambda w, e: "/account/two-factor", answers(302, **dict.fromkeys(OPTIONAL_2FA, 200))
    ),
    ("auth.two_factor_setup", "POST"): Route(
        lambda w, e: "/account/two-factor", answers(302, **dict.fromkeys(OPTIONAL_2FA, 400))
    ),
    ("auth.new_recovery_codes_view", "POST"): Route(
        lambda w, e: "/account/two-factor/recovery-codes", answers(302)
    ),
    ("auth.remove_two_factor", "POST"): Route(
        lambda w, e: "/account/two-factor/remove", answers(302)
    ),
    ("auth.logout_everywhere", "POST"): Route(lambda w, e: "/logout/everywhere", answers(302)),
    ("auth.keepalive", "POST"): Route(lambda w, e: "/session/keepalive", answers(204)),
    # Nothing kept: on to the dashboard.
    ("auth.resume", "GET"): Route(lambda w, e: "/resume", answers(302)),
    # Organisations: partners see each other; the coordinator manages them.
    ("organisations.index", "GET"): Route(lambda w, e: "/organisations/", STAFF_ONLY),
    # Everyone signed in searches; what each finds is filtered (tests/test_search.py).
    ("search.index", "GET"): Route(lambda w, e: "/search/?q=CCAS", SIGNED_IN),
    ("organisations.switch", "POST"): Route(
        lambda w, e: "/organisations/acting", answers(303, landlord=403)
    ),
    ("organisations.new", "GET"): Route(lambda w, e: "/organisations/new", COORDINATOR_ONLY),
    ("organisations.new", "POST"): Route(lambda w, e: "/organisations/new", COORDINATOR_ONLY),
    ("organisations.show", "GET"): Route(ml, STAFF_ONLY),
    ("organisations.edit", "GET"): Route(lambda w, e: ml(w, e) + "/edit", COORDINATOR_ONLY),
    ("organisations.edit", "POST"): Route(lambda w, e: ml(w, e) + "/edit", COORDINATOR_SAVES),
    ("organisations.new_territory", "GET"): Route(
        lambda w, e: "/organisations/territories/new", COORDINATOR_ONLY
    ),
    ("organisations.new_territory", "POST"): Route(
        lambda w, e: "/organisations/territories/new", COORDINATOR_ONLY
    ),
    # Members: the organisation's admins, and the coordinator.
    ("organisations.invite", "GET"): Route(lambda w, e: ml(w, e) + "/invite", MEMBER_MANAGER_PAGES),
    ("organisations.invite", "POST"): Route(
        lambda w, e: ml(w, e) + "/invite", MEMBER_MANAGER_PAGES
    ),
    ("organisations.revoke", "POST"): Route(
        lambda w, e: f"{ml(w, e)}/invitations/{e['invitation'].id}/revoke", MEMBER_MANAGERS
    ),
    # Nobody changes their own membership: the member themself gets a 403 too.
    ("organisations.deactivate", "POST"): Route(
        lambda w, e: membership(w, e) + "/deactivate", MEMBER_DEACTIVATORS
    ),
    ("organisations.reset_second_factor", "POST"): Route(
        lambda w, e: membership(w, e) + "/second-factor/reset", COORDINATOR_ACTS
    ),
    ("organisations.reactivate", "POST"): Route(
        lambda w, e: membership(w, e) + "/reactivate", MEMBER_MANAGERS
    ),
    ("organisations.change_role", "POST"): Route(
        lambda w, e: membership(w, e) + "/role", MEMBER_MANAGERS
    ),
    # Committees: seen by their member organisations (all of them by the coordinator).
    ("committees.index", "GET"): Route(lambda w, e: "/committees/", STAFF_ONLY),
    ("committees.new", "GET"): Route(lambda w, e: "/committees/new", COORDINATOR_ONLY),
    ("committees.new", "POST"): Route(lambda w, e: "/committees/new", COORDINATOR_ONLY),
    ("committees.show", "GET"): Route(
        committee, answers(200, landlord=403, outsider=403, cdas_worker=403)
    ),
    ("committees.edit", "GET"): Route(lambda w, e: committee(w, e) + "/edit", COORDINATOR_ONLY),
    ("committees.edit", "POST"): Route(lambda w, e: committee(w, e) + "/edit", COORDINATOR_SAVES),
    # Household files.
    ("cases.households", "GET"): Route(lambda w, e: "/cases/households/", STAFF_ONLY),
    # Household files are opened by the organisations that support households, not the SIAO.
    ("cases.new_household", "GET"): Route(
        lambda w, e: "/cases/households/new", answers(200, landlord=403, siao_officer=403)
    ),
    ("cases.new_household", "POST"): Route(
        lambda w, e: "/cases/households/new", answers(200, landlord=403, siao_officer=403)
    ),
    ("cases.household", "GET"): Route(household, OWNER_ONLY),
    ("cases.edit_household", "GET"): Route(lambda w, e: household(w, e) + "/edit", OWNER_ONLY),
    ("cases.edit_household", "POST"): Route(lambda w, e: household(w, e) + "/edit", OWNER_ONLY),
    ("cases.information", "GET"): Route(lambda w, e: household(w, e) + "/information", OWNER_ONLY),
    ("cases.information", "POST"): Route(lambda w, e: household(w, e) + "/information", OWNER_ONLY),
    ("cases.access_log_page", "GET"): Route(
        lambda w, e: household(w, e) + "/access-log", OWNER_ADMIN_ONLY
    ),
    ("cases.export", "GET"): Route(lambda w, e: household(w, e) + "/export", OWNER_ADMIN_ONLY),
    ("cases.export_pdf", "GET"): Route(
        lambda w, e: household(w, e) + "/export.pdf", OWNER_ADMIN_ONLY
    ),
    # Cases.
    ("cases.index", "GET"): Route(lambda w, e: "/cases/", STAFF_ONLY),
    ("cases.new", "GET"): Route(
        lambda w, e: f"/cases/new?household={e['cases'].household.id}", OWNER_ONLY
    ),
    ("cases.new", "POST"): Route(
        lambda w, e: f"/cases/new?household={e['cases'].household.id}", OWNER_ONLY
    ),
    ("cases.show", "GET"): Route(case, CASE_READERS),
    ("cases.edit", "GET"): Route(lambda w, e: case(w, e) + "/edit", case_answers(200)),
    ("cases.edit", "POST"): Route(lambda w, e: case(w, e) + "/edit", case_answers(302)),
    ("cases.status", "POST"): Route(lambda w, e: case(w, e) + "/status", case_answers(302)),
    ("cases.share", "POST"): Route(lambda w, e: case(w, e) + "/participants", case_answers(400)),
    ("cases.unshare", "POST"): Route(cdas_participant, case_answers(302)),
    # An empty message is refused (400) to those who may write; the committee may not.
    ("cases.note", "POST"): Route(
        lambda w, e: case(w, e) + "/notes",
        answers(
            404,
            partner_member=400,
            partner_admin=400,
            cdas_worker=400,
            siao_officer=403,
            ccas_worker=400,
            coordinator=400,
        ),
    ),
    # Files: full access only.
    ("cases.upload", "POST"): Route(
        lambda w, e: case(w, e) + "/attachments",
        answers(
            404,
            partner_member=400,
            partner_admin=400,
            cdas_worker=403,
            siao_officer=403,
            ccas_worker=400,
            coordinator=400,
        ),
    ),
    ("cases.download", "GET"): Route(
        attachment,
        answers(
            404,
            partner_member=200,
            partner_admin=200,
            cdas_worker=403,
            siao_officer=403,
            ccas_worker=200,
            coordinator=200,
        ),
    ),
    ("cases.delete_attachment", "POST"): Route(
        lambda w, e: attachment(w, e) + "/delete", case_answers(302)
    ),
    # The agenda, with the case's agreement: its organisation proposes it (an empty choice
    # is refused with a message), withdraws it, answers the organisers' requests.
    ("cases.put_on_agenda", "POST"): Route(lambda w, e: case(w, e) + "/agenda", case_answers(302)),
    ("cases.withdraw_from_agendas", "POST"): Route(
        lambda w, e: case(w, e) + "/agenda/withdraw", case_answers(302)
    ),
    ("cases.answer_proposal", "POST"): Route(
        lambda w, e: f"{case(w, e)}/proposals/{e['organisers_proposal'].id}/decline",
        case_answers(302),
    ),
}

for feature in FEATURES:
    MATRIX.update(feature.ROUTES)

IGNORED_METHODS = {"HEAD", "OPTIONS"}


def test_every_route_is_in_the_matrix():
    app = shared_app("sqlite")
    routes = {
        (rule.endpoint, method)
        for rule in app.url_map.iter_rules()
        if rule.endpoint != "static"
        for method in rule.methods - IGNORED_METHODS
    }
    missing = sorted(routes - MATRIX.keys())
    stale = sorted(MATRIX.keys() - routes)
    assert not missing, f"Routes without an access rule in the matrix: {missing}"
    assert not stale, f"Matrix lines for routes that no longer exist: {stale}"


@dataclass
class Matrix:
    """The world of the matrix, built once per database; each case runs inside a
    savepoint rolled back afterwards, and must leave every table as it found it."""

    app: Flask
    world: World
    extra: dict
    connection: sa.Connection
    counts: dict[str, int]
    files: dict[Path, bytes]

    @contextmanager
    def case(self):
        db.session.rollback()  # the session's own savepoint ends before the case's begins
        savepoint = self.connection.begin_nested()
        try:
            yield self.app.test_client()
        finally:
            db.session.rollback()
            savepoint.rollback()
            self.restore_files()
        changed = {
            table: (rows, self.counts[table])
            for table, rows in table_counts().items()
            if rows != self.counts[table]
        }
        db.session.rollback()
        assert not changed, f"tables not back to their rows (now, before): {changed}"

    def restore_files(self) -> None:
        """The upload folder is not in the transaction: put back what a case removed."""
        folder = Path(self.app.config["UPLOAD_FOLDER"])
        for path in folder.rglob("*"):
            if path.is_file() and path not in self.files:
                path.unlink()
        for path, content in self.files.items():
            if not path.exists():
                path.parent.mkdir(parents=True, exist_ok=True)
                path.write_bytes(content)


def uploaded_files(folder: Path) -> dict[Path, bytes]:
    return {path: path.read_bytes() for path in folder.rglob("*") if path.is_file()}


def build_extra(world: World, case_world: CaseWorld) -> dict:
    invitation = Invitation(
        email="nouvelle@exemple.fr",
        full_name="Nouvelle Personne",
        organisation=world.mission_locale,
        role=MembershipRole.MEMBER,
        invited_by=world.partner_admin,
        expires_at=now_utc() + timedelta(days=7),
    )
    db.session.add(invitation)
    db.session.commit()
    pending = User(
        email="a-enroler@exemple.fr",
        full_name="Aline À enrôler",
        password_hash=PASSWORD_HASH,
        email_confirmed_at=now_utc(),
    )
    db.session.add(Membership(user=pending, organisation=world.ccas))
    db.session.commit()
    objects = {
        "invitation": invitation,
        "cases": case_world,
        "cdas_worker": case_world.cdas_worker,
        "enrolment_pending": pending,
    }
    for feature in FEATURES:
        objects.update(feature.build(world, case_world))
    return objects


@pytest.fixture(scope="module", params=BACKENDS)
def matrix(request, tmp_path_factory):
    app = shared_app(request.param)
    settings = dict(app.config)
    uploads = tmp_path_factory.mktemp("matrix") / "uploads"
    app.config["UPLOAD_FOLDER"] = str(uploads)
    try:
        with app.app_context(), rolled_back_transaction() as connection:
            territory = new_territory()
            make_org, make_user = organisation_factory(territory), user_factory()
            world = build_world(make_org, make_user, committee_factory(territory))
            case_world = build_case_world(world, make_org, make_user, household_factory())
            extra = build_extra(world, case_world)
            db.session.commit()
            yield Matrix(app, world, extra, connection, table_counts(), uploaded_files(uploads))
    finally:
        app.config.clear()
        app.config.update(settings)


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize(
    ("endpoint", "method"), sorted(MATRIX), ids=[f"{e}-{m}" for e, m in sorted(MATRIX)]
)
def test_access(matrix, endpoint, method, role):
    route = MATRIX[(endpoint, method)]
    world, extra = matrix.world, matrix.extra
    with matrix.case() as client:
        url = route.url(world, extra)
        if role != "anonymous":
            person = extra[role] if role in extra else getattr(world, role)
            sign_in(client, person, second_factor=role != "enrolment_pending")
        response = client.open(url, method=method, buffered=True)
    expected = route.expected[role]
    assert response.status_code == expected, f"{role} {method} {url}"
    if role == "anonymous" and expected == 302:
        assert response.location.startswith("/login"), response.location


@pytest.mark.parametrize(
    "url",
    [
        "/organisations/999999",
        "/organisations/999999/edit",
        "/committees/999999",
        "/committees/999999/edit",
    ],
)
def test_unknown_objects_are_not_found(matrix, url):
    with matrix.case() as client:
        sign_in(client, matrix.world.coordinator)
        assert client.get(url).status_code == 404


def test_membership_of_another_organisation_is_not_found(matrix):
    """An admin cannot reach a membership of another organisation through their own."""
    world = matrix.world
    with matrix.case() as client:
        sign_in(client, world.partner_admin)
        foreign = world.ccas_worker.membership_of(world.ccas.id)
        url = f"/organisations/{world.mission_locale.id}/members/{foreign.id}/deactivate"
        assert client.post(url).status_code == 404
        db.session.refresh(foreign)
        assert foreign.active
