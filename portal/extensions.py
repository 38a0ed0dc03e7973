"""Extension objects, created here and bound to the app in ``create_app``."""

import sqlite3
from typing import TYPE_CHECKING, ClassVar

import sqlalchemy as sa
from flask_babel import Babel
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_mail import Mail
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_wtf import CSRFProtect
from sqlalchemy import MetaData
from sqlalchemy.orm import DeclarativeBase

# Stable constraint names, so that migrations can alter them on SQLite and PostgreSQL.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


db = SQLAlchemy(model_class=Base)

# The models' base class, ``db.Model``. Type checkers cannot take an attribute of an object
# for a base class (python/mypy#8603): to them it is the declarative base with what
# Flask-SQLAlchemy adds (``query``, the table name from the class name).
if TYPE_CHECKING:
    from flask_sqlalchemy.model import Model as _FlaskSQLAlchemyModel
    from sqlalchemy import Table

    class Model(_FlaskSQLAlchemyModel, Base):
        # A model's table: SQLAlchemy types it as any FromClause (a mapped join or select
        # would be one), every model here has a Table.
        __table__: ClassVar[Table]
else:
    Model = db.Model

migrate = Migrate(render_as_batch=True, compare_type=True)
login_manager = LoginManager()
csrf = CSRFProtect()
mail = Mail()
limiter = Limiter(key_func=get_remote_address, default_limits=[])
babel = Babel()


@sa.event.listens_for(sa.Engine, "connect")
def sqlite_in_wal_syncs_at_checkpoints(dbapi_connection: object, _record: object) -> None:
    """SQLite in WAL mode (the embedded deployment): synchronous=NORMAL, which SQLite
    documents as safe in WAL mode (a power cut may lose the last commits, never corrupt the
    file), instead of an fsync at every commit, which made each audited read a disk flush."""
    if not isinstance(dbapi_connection, sqlite3.Connection):
        return
    cursor = dbapi_connection.cursor()
    try:
        if cursor.execute("PRAGMA journal_mode").fetchone()[0] == "wal":
            cursor.execute("PRAGMA synchronous=NORMAL")
    finally:
        cursor.close()
