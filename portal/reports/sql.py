"""Two SQL expressions that SQLite and PostgreSQL spell differently: the number of days
between two dates or timestamps, and a date's month as « YYYY-MM »."""

import sqlalchemy as sa
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.functions import FunctionElement


class days_between(FunctionElement):
    """Days (fractional for timestamps) from the first argument to the second."""

    type = sa.Float()
    name = "days_between"
    inherit_cache = True


class year_month(FunctionElement):
    """« 2026-03 » for a date (or a UTC timestamp)."""

    type = sa.String()
    name = "year_month"
    inherit_cache = True


def is_timestamp(expression) -> bool:
    return expression.type._type_affinity is sa.DateTime


@compiles(days_between)
def days_between_sqlite(element, compiler, **kw):
    start, end = (compiler.process(arg, **kw) for arg in element.clauses)
    return f"(julianday({end}) - julianday({start}))"


def postgres_timestamp(expression, compiler, **kw) -> str:
    """Timestamps are compared in UTC, dates as their midnight."""
    sql = compiler.process(expression, **kw)
    if is_timestamp(expression):
        return f"({sql} AT TIME ZONE 'UTC')"
    return f"CAST({sql} AS TIMESTAMP)"


@compiles(days_between, "postgresql")
def days_between_postgresql(element, compiler, **kw):
    start, end = (postgres_timestamp(arg, compiler, **kw) for arg in element.clauses)
    return f"(EXTRACT(EPOCH FROM ({end} - {start})) / 86400.0)"


@compiles(year_month)
def year_month_sqlite(element, compiler, **kw):
    (value,) = element.clauses
    return f"strftime('%Y-%m', {compiler.process(value, **kw)})"


@compiles(year_month, "postgresql")
def year_month_postgresql(element, compiler, **kw):
    (value,) = element.clauses
    return f"to_char({postgres_timestamp(value, compiler, **kw)}, 'YYYY-MM')"


def on(value, type_=sa.Date):
    """A Python date (or datetime) as a typed SQL literal, for the expressions above."""
    return sa.literal(value, type_)
