"""The migrations build exactly the schema the models describe, and go up, down to nothing
and up again: once on a fresh SQLite file, once on a fresh PostgreSQL database."""

import logging
import secrets
from pathlib import Path

import psycopg
import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from flask_migrate import downgrade, upgrade
from psycopg import sql

from config import database_url
from portal import create_app
from portal.extensions import db
from tests.conftest import POSTGRES_URL, config_for

MIGRATIONS = str(Path(__file__).resolve().parents[1] / "migrations")

# migrations/env.py is Flask-Migrate's stock template: it tries Flask-SQLAlchemy 2's
# get_engine() first (deprecated in 3.x, hence the warning) and falls back to db.engine.
pytestmark = pytest.mark.filterwarnings("ignore:'get_engine' is deprecated:DeprecationWarning")


@pytest.fixture(autouse=True)
def keep_logging_configuration():
    """migrations/env.py calls logging.config.fileConfig, which disables every logger that
    already exists and replaces the root handlers; put things back for the other tests."""
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    loggers = {
        name: (logger.disabled, logger.level)
        for name, logger in logging.Logger.manager.loggerDict.items()
        if isinstance(logger, logging.Logger)
    }
    yield
    root.handlers[:] = handlers
    root.setLevel(level)
    for name, logger in logging.Logger.manager.loggerDict.items():
        if isinstance(logger, logging.Logger):
            logger.disabled, logger.level = loggers.get(name, (False, logging.NOTSET))


def schema_differences() -> list:
    """What autogenerate would write in a new migration: nothing, if models and
    migrations agree."""
    with db.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        return compare_metadata(context, db.metadata)


def current_revision() -> str | None:
    with db.engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def table_names() -> set[str]:
    return set(sa.inspect(db.engine).get_table_names())


def check_up_down_up(app) -> None:
    head = ScriptDirectory(MIGRATIONS).get_current_head()
    model_tables = set(db.metadata.tables)
    with app.app_context():
        try:
            assert table_names() == set()

            upgrade(directory=MIGRATIONS)
            assert current_revision() == head
            assert table_names() == model_tables | {"alembic_version"}
            assert schema_differences() == []

            downgrade(directory=MIGRATIONS, revision="base")
            assert current_revision() is None
            assert table_names() == {"alembic_version"}

            upgrade(directory=MIGRATIONS)
            assert current_revision() == head
            assert schema_differences() == []
        finally:
            db.session.remove()
            db.engine.dispose()


def test_migrations_on_sqlite(tmp_path):
    app = create_app(
        config_for(
            "sqlite",
            SQLALCHEMY_DATABASE_URI=f"sqlite:///{tmp_path / 'migrations.sqlite3'}",
            UPLOAD_FOLDER=str(tmp_path / "uploads"),
        )
    )
    check_up_down_up(app)


@pytest.mark.skipif(
    not POSTGRES_URL,
    reason="TEST_DATABASE_URL is not set: the PostgreSQL migration test needs a server",
)
def test_migrations_on_postgresql(tmp_path):
    server = sa.make_url(database_url(POSTGRES_URL, ""))
    maintenance = server.set(drivername="postgresql", database="postgres")
    name = f"portal_migrations_{secrets.token_hex(6)}"
    with psycopg.connect(maintenance.render_as_string(hide_password=False), autocommit=True) as c:
        c.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    try:
        app = create_app(
            config_for(
                "postgresql",
                SQLALCHEMY_DATABASE_URI=server.set(database=name).render_as_string(
                    hide_password=False
                ),
                UPLOAD_FOLDER=str(tmp_path / "uploads"),
            )
        )
        check_up_down_up(app)
    finally:
        with psycopg.connect(
            maintenance.render_as_string(hide_password=False), autocommit=True
        ) as c:
            c.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
            )
