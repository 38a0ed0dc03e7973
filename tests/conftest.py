"""Test fixtures: a fresh app per test, on SQLite and, when TEST_DATABASE_URL is set,
on PostgreSQL too; callable factories for organisations and people."""

import os
from dataclasses import dataclass
from datetime import date

import pytest
import sqlalchemy as sa

from config import TestingConfig, database_url
from portal import create_app
from portal.auth.passwords import hash_password
from portal.extensions import db
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
from tests.support import FreshRequestClient

PASSWORD = "une phrase de passe bien longue"
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


def reset_postgres(app) -> None:
    """Empty every table; faster than dropping the schema for each test."""
    with app.app_context():
        tables = ", ".join(f'"{t.name}"' for t in db.metadata.sorted_tables)
        db.session.execute(sa.text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
        db.session.commit()


_postgres_schema_ready = False


@pytest.fixture(params=BACKENDS)
def backend(request) -> str:
    return request.param


@pytest.fixture
def make_app(backend, tmp_path):
    """Build an app on the test's backend; extra settings as keyword arguments."""
    apps = []

    def factory(**overrides):
        global _postgres_schema_ready
        overrides.setdefault("UPLOAD_FOLDER", str(tmp_path / "uploads"))
        app = create_app(config_for(backend, **overrides))
        app.test_client_class = FreshRequestClient
        with app.app_context():
            if backend == "postgresql" and not _postgres_schema_ready:
                db.drop_all()
                db.create_all()
                _postgres_schema_ready = True
            elif backend == "sqlite":
                db.create_all()
        if backend == "postgresql" and not apps:
            reset_postgres(app)
        apps.append(app)
        return app

    yield factory
    for app in apps:
        with app.app_context():
            db.session.remove()
            db.engine.dispose()


@pytest.fixture
def app(make_app):
    app = make_app()
    with app.app_context():
        yield app


@pytest.fixture
def client(app):
    return app.test_client()


# Factories -------------------------------------------------------------------------------


@pytest.fixture
def territory(app):
    place = Territory(name="Concarneau Cornouaille Agglomération")
    db.session.add(place)
    db.session.commit()
    return place


@pytest.fixture
def make_org(app, territory):
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


@pytest.fixture
def make_user(app):
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
            kind=UserKind.LANDLORD if landlord else UserKind.STAFF,
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


@pytest.fixture
def make_committee(app, territory):
    def factory(organisations=(), kind=CommitteeKind.COMITE_TECHNIQUE, name="Comité technique"):
        committee = Committee(
            name=name, kind=kind, territory=territory, organisations=list(organisations)
        )
        db.session.add(committee)
        db.session.commit()
        return committee

    return factory


def sign_in(client, user) -> None:
    """Open a session for ``user`` as Flask-Login would after a successful sign-in."""
    with client.session_transaction() as session:
        session["_user_id"] = user.get_id()
        session["_fresh"] = True


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
                    "what_is_shared": "Situation sans identité",
                    "shared_with": "Comité technique",
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
