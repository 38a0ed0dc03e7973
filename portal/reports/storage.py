"""A closed year's activity report, computed once and stored.

The current year is computed live. A closed year's report is stored (JSON, one row per
scope: year, programmes, territories) with the moment it was computed and the data version
it was computed from, and served to every reader of that year, filtered per audience by
disclosure.py. It is computed again:

- on request (the coordinator's « Recalculer »);
- when data it reads change: any change, through the ORM, to a table the report reads
  deletes the stored reports (in the same transaction); a change made outside the ORM
  (bulk SQL) changes the data version — counts, sums of primary keys and last update
  times of those tables — which is checked on every read.
"""

import dataclasses
import functools
import hashlib
import json
import types
import typing
from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from portal.extensions import db
from portal.models import (
    AgendaItem,
    Bilan,
    Candidacy,
    Case,
    Committee,
    Commune,
    Decision,
    FollowUpAction,
    Household,
    HouseholdObstacle,
    HouseholdPerson,
    Measure,
    Meeting,
    OfferStatusChange,
    Organisation,
    OwnerOffer,
    Programme,
    RentRecord,
    StoredReport,
    Unit,
    now_utc,
)
from portal.reports.activity import ActivityReport, build_activity_report
from portal.reports.scope import Scope

# Every table the activity report reads.
WATCHED = (
    AgendaItem,
    Bilan,
    Candidacy,
    Case,
    Committee,
    Commune,
    Decision,
    FollowUpAction,
    Household,
    HouseholdObstacle,
    HouseholdPerson,
    OwnerOffer,
    Measure,
    Meeting,
    OfferStatusChange,
    Organisation,
    Programme,
    RentRecord,
    Unit,
)
WATCHED_TABLES = {model.__table__.name for model in WATCHED}
STALE = "reports_stale"


# The data version --------------------------------------------------------------------------


def data_version() -> str:
    """Counts, sums of primary keys and last update times of the tables the report reads,
    hashed: one query."""
    columns = []
    for model in WATCHED:
        columns.append(sa.select(sa.func.count()).select_from(model).scalar_subquery())
        for key in model.__table__.primary_key.columns:
            if isinstance(key.type, sa.Integer):
                columns.append(sa.select(sa.func.sum(key)).scalar_subquery())
        if "updated" in model.__table__.c:
            columns.append(sa.select(sa.func.max(model.__table__.c.updated)).scalar_subquery())
    row = db.session.execute(sa.select(*columns)).one()
    return hashlib.sha256(repr(tuple(str(v) for v in row)).encode()).hexdigest()


def scope_key(scope: Scope) -> str:
    programme = scope.programme.id if scope.programme is not None else ""
    territories = "all" if scope.territory_ids is None else ",".join(map(str, scope.territory_ids))
    return (
        f"{scope.year}|p={','.join(map(str, sorted(scope.programme_ids)))}"
        f"|t={territories}|one={programme}"
    )


# Reports as JSON ---------------------------------------------------------------------------


def to_plain(value):
    if isinstance(value, Programme):
        return value.id
    if dataclasses.is_dataclass(value):
        return {f.name: to_plain(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, list | tuple):
        return [to_plain(v) for v in value]
    if isinstance(value, date | datetime):
        return value.isoformat()
    return value


@functools.cache
def type_hints(kind: type) -> dict:
    """A dataclass's field types, resolved once (a stored report holds a few thousand
    values, and resolving the hints evaluates every annotation each time)."""
    return typing.get_type_hints(kind)


def from_plain(kind, value):
    """``value`` read back as ``kind`` (the dataclasses' type hints)."""
    if value is None:
        return None
    origin = typing.get_origin(kind)
    if origin in (typing.Union, types.UnionType):
        options = [k for k in typing.get_args(kind) if k is not type(None)]
        return from_plain(options[0], value)
    if origin is list:
        (item,) = typing.get_args(kind)
        return [from_plain(item, v) for v in value]
    if kind is Programme:
        return db.session.get(Programme, value)
    if dataclasses.is_dataclass(kind):
        hints = type_hints(kind)
        return kind(
            **{f.name: from_plain(hints[f.name], value[f.name]) for f in dataclasses.fields(kind)}
        )
    if kind is date:
        return date.fromisoformat(value)
    if kind is float:
        return float(value)
    return value


def dump(report: ActivityReport) -> str:
    return json.dumps(to_plain(report), ensure_ascii=False, sort_keys=True)


def load(payload: str) -> ActivityReport:
    return from_plain(ActivityReport, json.loads(payload))


# Stored or live ------------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class Computed:
    report: ActivityReport
    stored_at: datetime | None  # None: computed live (current year)
    recomputed: bool  # computed by this request


def activity_report(scope: Scope, today: date, *, refresh: bool = False) -> Computed:
    """The year's report: live for the current year, stored for a closed one (computed
    now if it is missing, stale or ``refresh`` is asked). Adds and flushes; the view
    commits."""
    if scope.year >= today.year:
        return Computed(build_activity_report(scope, today), None, True)
    key = scope_key(scope)
    version = data_version()
    stored = db.session.scalar(sa.select(StoredReport).where(StoredReport.scope_key == key))
    if stored is not None and stored.data_version == version and not refresh:
        return Computed(load(stored.payload), stored.computed_at, False)
    report = build_activity_report(scope, today)
    moment = now_utc()
    try:
        with db.session.begin_nested():
            if stored is None:
                stored = StoredReport(scope_key=key, year=scope.year)
                db.session.add(stored)
            stored.computed_at = moment
            stored.data_version = version
            stored.payload = dump(report)
    except IntegrityError:  # another reader stored it at the same moment: theirs is as good
        pass
    return Computed(report, moment, True)


# Invalidation ---------------------------------------------------------------------------------


@sa.event.listens_for(Session, "before_flush")
def note_changed_data(session, flush_context, instances) -> None:
    if session.info.get(STALE):
        return
    for instance in (*session.new, *session.dirty, *session.deleted):
        if isinstance(instance, WATCHED) and (
            instance in session.new or instance in session.deleted or session.is_modified(instance)
        ):
            session.info[STALE] = True
            return


@sa.event.listens_for(Session, "do_orm_execute")
def note_bulk_changes(state) -> None:
    if (state.is_update or state.is_delete) and not state.session.info.get(STALE):
        table = getattr(state.statement, "table", None)
        if table is not None and getattr(table, "name", None) in WATCHED_TABLES:
            state.session.info[STALE] = True


@sa.event.listens_for(Session, "after_flush")
def forget_stored_reports(session, flush_context) -> None:
    if session.info.pop(STALE, False):
        session.connection().execute(sa.delete(StoredReport.__table__))


@sa.event.listens_for(Session, "before_commit")
def forget_after_bulk_changes(session) -> None:
    """A bulk UPDATE or DELETE leaves nothing to flush: forget the stored reports here."""
    if session.info.pop(STALE, False):
        session.connection().execute(sa.delete(StoredReport.__table__))


@sa.event.listens_for(Session, "after_soft_rollback")
def clear_mark(session, previous_transaction) -> None:
    session.info.pop(STALE, None)
