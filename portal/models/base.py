"""Shared column helpers."""

import enum
import sqlite3
from datetime import UTC, datetime
from typing import TYPE_CHECKING

import sqlalchemy as sa
from flask_babel.speaklater import LazyString


def now_utc() -> datetime:
    return datetime.now(UTC)


class UTCDateTime(sa.types.TypeDecorator):
    """A timestamp stored in UTC and always read back as an aware datetime.

    SQLite drops the time zone; PostgreSQL keeps it. This type makes both behave alike.
    """

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is not None:
            if value.tzinfo is None:
                raise ValueError("naive datetime given for a UTC column")
            value = value.astimezone(UTC)
        return value

    def process_result_value(self, value, dialect):
        if value is not None and value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        return value


def str_enum(enum_class: type[enum.Enum], length: int = 32) -> sa.Enum:
    """An enum stored as its string value (no native database enum)."""
    return sa.Enum(
        enum_class,
        native_enum=False,
        create_constraint=False,
        length=length,
        values_callable=lambda members: [member.value for member in members],
        validate_strings=True,
    )


class LabelledEnum(enum.StrEnum):
    """A string enum whose members carry their French label, marked for translation:
    ``SIAO = "siao", _l("SIAO")``; the value is what the database stores.

    ``label`` is a plain ``str``, translated when it is read (in the current locale, French
    outside requests): it can be compared, sliced, lowered and stored like any string.
    ``lazy_label`` is the lazy string itself, for choices built at import time."""

    lazy_label: LazyString

    def __new__(cls, value: str, label: LazyString):
        member = str.__new__(cls, value)
        member._value_ = value
        member.lazy_label = label
        return member

    if TYPE_CHECKING:
        # A lookup by value, ``Typology("t2")``, takes the value alone: what type checkers
        # read instead of ``__new__``'s signature, which is the one that builds the members.
        def __init__(self, value: str) -> None: ...

    @property
    def label(self) -> str:
        return str(self.lazy_label)


@sa.event.listens_for(sa.Engine, "connect")
def unicode_lower_on_sqlite(dbapi_connection, _record) -> None:
    """SQLite's lower() folds ASCII only (« École » stays « École »); PostgreSQL's folds
    every letter. The search relies on lower(): on SQLite it becomes Python's."""
    if isinstance(dbapi_connection, sqlite3.Connection):
        dbapi_connection.create_function(
            "lower", 1, lambda v: v.lower() if isinstance(v, str) else v, deterministic=True
        )
