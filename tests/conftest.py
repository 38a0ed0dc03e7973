"""Test fixtures: a fresh app per test, on SQLite and, when TEST_DATABASE_URL is set,
on PostgreSQL too; callable factories for organisations and people."""

import os
import weakref
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date

import pytest
import sqlalchemy as sa
from flask import Flask

from config import TestingConfig, database_url
from portal import create_app
from portal.auth.passwords import hash_password
from portal.extensions import db, limiter
from portal.models import (
    Committee,
    CommitteeKind,
    Membership,
    MembershipRole,
    Organisation,
    OrganisationKind,
    Territory,
    User,
    UserKind,
    now_utc,
)
from tests.loopback_smtp import SmtpServer, mail_settings
from tests.support import FreshRequestClient

PASSWORD = "une phrase de passe bien longue"
TEST_TOTP_SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"
PASSWORD_HASH = hash_password(PASSWORD)


def worker_database(url: str | None) -> str | None:
    """Under pytest-xdist (``make test`` runs one worker per core) each worker empties and
    rebuilds the tables of its own PostgreSQL database, ``<name>_gw0``, ``<name>_gw1``…,
    created here on first use."""
    worker = os.environ.get("PYTEST_XDIST_WORKER")
    if not url or not worker:
        return url
    base = sa.make_url(database_url(url, ""))
    name = f"{base.database}_{worker}"
    engine = sa.create_engine(base, isolation_level="AUTOCOMMIT")
    with engine.connect() as connection:
        exists = connection.scalar(
            sa.text("SELECT 1 FROM pg_database WHERE datname = :name"), {"name": name}
        )
        if not exists:
            connection.execute(sa.text(f'CREATE DATABASE "{name}"'))
    engine.dispose()
    return base.set(database=name).render_as_string(hide_password=False)


POSTGRES_URL = worker_database(os.environ.get("TEST_DATABASE_URL"))

BACKENDS = ["sqlite"] + (["postgresql"] if POSTGRES_URL else [])


def config_for(backend: str, **overrides) -> type[TestingConfig]:
    attributes = dict(overrides)
    if backend == "postgresql":
        attributes.setdefault("SQLALCHEMY_DATABASE_URI", database_url(POSTGRES_URL, ""))
    return type(f"TestingConfig_{backend}", (TestingConfig,), attributes)


# One app per backend and worker, its schema made once: each test runs inside a transaction
# of its own that is rolled back afterwards. The views' ``commit()`` releases a SAVEPOINT
# (``join_transaction_mode="create_savepoint"``), so a test sees what a request committed
# and the next test starts from empty tables. Tests that need real commits or several
# connections carry the ``fresh_app`` marker (or call ``make_app``) and get an app of
# their own, as every test did before.
_shared_apps: dict[str, Flask] = {}


def use_savepoints_on_sqlite(engine: sa.Engine) -> None:
    """pysqlite opens and ends transactions on its own terms, which breaks SAVEPOINT:
    let SQLAlchemy emit every BEGIN itself (the SQLAlchemy SQLite dialect's documented
    recipe)."""

    @sa.event.listens_for(engine, "connect")
    def no_implicit_transactions(dbapi_connection, record):
        dbapi_connection.isolation_level = None

    @sa.event.listens_for(engine, "begin")
    def explicit_begin(connection):
        connection.exec_driver_sql("BEGIN")


def create_schema(backend: str) -> None:
    """Tables from the models, on an empty schema."""
    if backend == "postgresql":
        db.session.execute(sa.text("DROP SCHEMA public CASCADE"))
        db.session.execute(sa.text("CREATE SCHEMA public"))
        db.session.commit()
    db.create_all()


def shared_app(backend: str) -> Flask:
    app = _shared_apps.get(backend)
    if app is None:
        app = create_app(config_for(backend))
        app.test_client_class = FreshRequestClient
        with app.app_context():
            if backend == "sqlite":
                use_savepoints_on_sqlite(db.engine)
            create_schema(backend)
        with app.app_context():
            _kept_engines.update(db.engines.values())
        _shared_apps[backend] = app
    return app


# Apps a test builds by hand (production settings, a second database) open connections that
# nobody closes, and Python 3.13 warns when one is collected, in whatever test runs then.
# The engines that first connect during a test are disposed when it ends; the shared apps'
# and those of wider fixtures (connected before the test's own set-up) are kept.
_kept_engines: set = set()
_connected_engines: "weakref.WeakSet[sa.Engine]" = weakref.WeakSet()


@sa.event.listens_for(sa.Engine, "engine_connect")
def remember_engine(connection) -> None:
    _connected_engines.add(connection.engine)


@pytest.fixture(autouse=True)
def dispose_the_test_s_engines():
    before = set(_connected_engines)
    yield
    for engine in set(_connected_engines) - before - _kept_engines:
        engine.dispose()


db.session.session_factory.configure(join_transaction_mode="create_savepoint")


@contextmanager
def rolled_back_transaction():
    """Every session of the current app works inside one transaction on one connection,
    rolled back at the end (the app context must be pushed)."""
    engines = db.engines
    engine = engines[None]
    connection = engine.connect()
    transaction = connection.begin()
    # Flask-SQLAlchemy's sessions ask ``db.engines`` for their bind: give them the
    # connection (its maintainers' advice for this pattern, flask-sqlalchemy#1167).
    engines[None] = connection
    try:
        yield connection
    finally:
        db.session.remove()
        engines[None] = engine
        transaction.rollback()
        connection.close()


def table_counts() -> dict[str, int]:
    """The number of rows of every table, in one statement."""
    tables = db.metadata.sorted_tables
    query = sa.union_all(
        *(
            sa.select(sa.literal(t.name).label("name"), sa.func.count().label("rows")).select_from(
                t
            )
            for t in tables
        )
    )
    return dict(db.session.execute(query).all())


def empty_tables() -> None:
    """Empty every PostgreSQL table that a fresh app committed to; faster than dropping
    the schema. A lock timeout turns a forgotten open transaction into an error, not a
    hung suite."""
    tables = ", ".join(f'"{t.name}"' for t in db.metadata.sorted_tables)
    db.session.execute(sa.text("SET LOCAL lock_timeout = '10s'"))
    db.session.execute(sa.text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
    db.session.commit()


@pytest.fixture(params=BACKENDS)
def backend(request) -> str:
    return request.param


@pytest.fixture
def make_app(backend, tmp_path):
    """A fresh app of the test's own, on the test's backend, with real commits: extra
    settings as keyword arguments. On PostgreSQL it shares the worker's database, emptied
    when the test ends; on SQLite it has its own (in memory unless told otherwise)."""
    apps = []

    def factory(**overrides):
        shared_app(backend)  # the shared app is built first, and the schema exists
        overrides.setdefault("UPLOAD_FOLDER", str(tmp_path / "uploads"))
        app = create_app(config_for(backend, **overrides))
        app.test_client_class = FreshRequestClient
        with app.app_context():
            if backend == "sqlite":
                db.create_all()
        apps.append(app)
        return app

    yield factory
    for app in apps:
        with app.app_context():
            db.session.remove()
            if backend == "postgresql" and app is apps[0]:
                empty_tables()
            db.engine.dispose()
    if apps:
        # Flask-Limiter keeps one configuration per process, the last app's: give it back
        # to the shared app.
        limiter.init_app(shared_app(backend))


@pytest.fixture
def app(request, backend, tmp_path):
    """The app the test talks to, with an application context pushed for the whole test."""
    if request.node.get_closest_marker("fresh_app"):
        app = request.getfixturevalue("make_app")()
        with app.app_context():
            yield app
        return
    app = shared_app(backend)
    settings = dict(app.config)  # a test may change a setting: for itself only
    app.config["UPLOAD_FOLDER"] = str(tmp_path / "uploads")
    try:
        with app.app_context(), rolled_back_transaction():
            yield app
    finally:
        app.config.clear()
        app.config.update(settings)


@pytest.fixture
def client(app):
    return app.test_client()


# A mail server on loopback -----------------------------------------------------------------


@pytest.fixture
def smtp_server():
    """A port reserved for the loopback SMTP server (aiosmtpd), with nothing listening yet."""
    server = SmtpServer()
    yield server
    server.stop()


@pytest.fixture
def smtp(smtp_server):
    """The loopback SMTP server, up and listening."""
    smtp_server.start()
    return smtp_server


@pytest.fixture
def mail_app(make_app, smtp_server):
    """An app of the test's own with real commits, sending its e-mails to the loopback SMTP
    server, with an application context pushed for the whole test."""
    app = make_app(**mail_settings(smtp_server))
    with app.app_context():
        yield app


# Factories -------------------------------------------------------------------------------


def organisation_factory(territory: Territory):
    counter = iter(range(1, 10_000))

    def factory(kind=OrganisationKind.CCAS, name=None, place=None, **fields):
        organisation = Organisation(
            name=name or f"{kind.label} {next(counter)}",
            kind=kind,
            territory=place or territory,
            **fields,
        )
        db.session.add(organisation)
        db.session.commit()
        return organisation

    return factory


def user_factory():
    counter = iter(range(1, 10_000))

    def factory(
        organisation=None,
        role=MembershipRole.MEMBER,
        *,
        coordinator=False,
        landlord=False,
        email=None,
        full_name=None,
        active=True,
    ):
        number = next(counter)
        user = User(
            email=email or f"personne{number}@exemple.fr",
            full_name=full_name or f"Personne {number}",
            password_hash=PASSWORD_HASH,
            kind=UserKind.PRIVATE_OWNER if landlord else UserKind.STAFF,
            is_coordinator=coordinator,
            email_confirmed_at=now_utc(),
        )
        db.session.add(user)
        if organisation is not None:
            db.session.add(
                Membership(user=user, organisation=organisation, role=role, active=active)
            )
        db.session.commit()
        return user

    return factory


def committee_factory(territory: Territory):
    def factory(organisations=(), kind=CommitteeKind.COMITE_TECHNIQUE, name="Comité technique"):
        committee = Committee(
            name=name, kind=kind, territory=territory, organisations=list(organisations)
        )
        db.session.add(committee)
        db.session.commit()
        return committee

    return factory


def new_territory() -> Territory:
    place = Territory(name="Concarneau Cornouaille Agglomération")
    db.session.add(place)
    db.session.commit()
    return place


@pytest.fixture
def territory(app):
    return new_territory()


@pytest.fixture
def make_org(app, territory):
    return organisation_factory(territory)


@pytest.fixture
def make_user(app):
    return user_factory()


@pytest.fixture
def make_committee(app, territory):
    return committee_factory(territory)


def sign_in(client, user, *, second_factor: bool = True) -> str:
    """Open a session for ``user`` as a successful sign-in would (the second factor given,
    unless told otherwise); returns the session's key."""
    from portal.auth.sessions import second_factor_required, start_session

    if second_factor and second_factor_required(user) and not user.has_second_factor:
        # Required for this account: as if it had been set up before.
        user.totp_secret = TEST_TOTP_SECRET
        user.totp_enabled_at = now_utc()
    key = start_session(user, second_factor=second_factor)
    db.session.commit()
    with client.session_transaction() as session:
        session.clear()
        session["_user_id"] = key
        session["_fresh"] = True
    return key


@pytest.fixture
def login(client):
    """Sign in through the real form, with the password every factory user has."""

    def do_login(user, password=PASSWORD):
        return client.post("/login", data={"email": user.email, "password": password})

    return do_login


@dataclass
class World:
    """One person of each kind, around one comité technique."""

    ccas: Organisation
    mission_locale: Organisation
    siao: Organisation
    outsider_org: Organisation
    committee: Committee
    coordinator: User
    ccas_worker: User
    partner_admin: User
    partner_member: User
    siao_officer: User
    outsider: User
    landlord: User


@pytest.fixture
def world(make_org, make_user, make_committee):
    return build_world(make_org, make_user, make_committee)


def build_world(make_org, make_user, make_committee) -> World:
    ccas = make_org(OrganisationKind.CCAS, "CCAS de Concarneau")
    mission_locale = make_org(OrganisationKind.MISSION_LOCALE, "Mission Locale")
    siao = make_org(OrganisationKind.SIAO, "SIAO du Finistère")
    outsider_org = make_org(OrganisationKind.ASSOCIATION, "Association sans lien")
    committee = make_committee([ccas, mission_locale, siao])
    return World(
        ccas=ccas,
        mission_locale=mission_locale,
        siao=siao,
        outsider_org=outsider_org,
        committee=committee,
        coordinator=make_user(
            ccas, MembershipRole.ADMIN, coordinator=True, full_name="Claire Coord"
        ),
        ccas_worker=make_user(ccas, full_name="Yann Social"),
        partner_admin=make_user(mission_locale, MembershipRole.ADMIN, full_name="Léa Admin"),
        partner_member=make_user(mission_locale, full_name="Paul Membre"),
        siao_officer=make_user(siao, MembershipRole.ADMIN, full_name="Sophie SIAO"),
        outsider=make_user(outsider_org, MembershipRole.ADMIN, full_name="Olivier Dehors"),
        landlord=make_user(landlord=True, full_name="Jean Propriétaire"),
    )


# Households and cases ------------------------------------------------------------------------

CANARY_NAME = "Zéphyrine Canardeau"
PDF_BYTES = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"


@pytest.fixture
def make_household(app):
    return household_factory()


def household_factory():
    """A household file with a named person, informed unless told otherwise."""
    from portal.cases.services import create_household, record_information
    from portal.models import Accommodation, HouseholdPublic, PersonRole

    def factory(organisation, author, *, informed=True, first="Zéphyrine", last="Canardeau"):
        household = create_household(
            organisation,
            author,
            {
                "adults": 1,
                "children": 0,
                "public": HouseholdPublic.FEMME_SEULE,
                "accommodation": Accommodation.CHRS_URGENCE,
                "accommodation_since": date(2026, 1, 15),
                "situation_notes": "Travaille à mi-temps, budget suivi.",
                "persons": [
                    {
                        "role": PersonRole.DEMANDEUR,
                        "first_name": first,
                        "last_name": last,
                        "birth_date": date(1990, 5, 4),
                    }
                ],
                "phone": "06 11 22 33 44",
                "email": "zephyrine@exemple.fr",
            },
        )
        if informed:
            record_information(
                household,
                author,
                {
                    "informed_on": date(2026, 2, 1),
                    "what_is_shared": "Situation et identité",
                    "shared_with": "Comité technique, partenaires et SIAO",
                    "allows_identity": True,
                },
            )
        db.session.commit()
        return household

    return factory


@dataclass
class CaseWorld:
    """A CCAS case before the comité technique, shared two ways, with one attachment."""

    household: object
    case: object
    attachment: object
    cdas: Organisation
    cdas_worker: User  # participant at level "situation"


@pytest.fixture
def case_world(world, make_org, make_user, make_household):
    return build_case_world(world, make_org, make_user, make_household)


def build_case_world(world, make_org, make_user, make_household) -> CaseWorld:
    from portal.cases.services import add_attachment, change_status, create_case, share_case
    from portal.models import AccessLevel

    cdas = make_org(OrganisationKind.DEPARTEMENT, "CDAS de Concarneau")
    cdas_worker = make_user(cdas, full_name="Anne CDAS")
    household = make_household(world.ccas, world.ccas_worker)
    case = create_case(
        household,
        world.ccas_worker,
        {
            "committee_id": world.committee.id,
            "title": "Relogement bloqué",
            "question": "Quel bailleur pour un T2 ?",
        },
    )
    change_status(case, "submit", world.ccas_worker)
    share_case(
        case, world.mission_locale, AccessLevel.FULL, "Suivi", world.ccas_worker, notify=False
    )
    share_case(case, cdas, AccessLevel.SITUATION, "FSL", world.ccas_worker, notify=False)
    attachment = add_attachment(case, world.ccas_worker, "bilan.pdf", PDF_BYTES)
    db.session.commit()
    return CaseWorld(household, case, attachment, cdas, cdas_worker)
