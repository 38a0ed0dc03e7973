"""The generator's state and plumbing: ids chosen here, rows gathered then inserted in bulk,
the random source, and what each step leaves for the next ones."""

import random
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta

import sqlalchemy as sa

from portal.auth.passwords import hash_password
from portal.demo import DEMO_PASSWORD
from portal.extensions import db
from portal.models import (
    CommitteeKind,
    MeetingKind,
    OrganisationKind,
    now_utc,
)
from portal.scale.vocabulary import FIRST_NAMES, LAST_NAMES, TERRITORIES

# The benchmark signs in as this CCAS social worker (password: SCALE_PASSWORD).
BENCH_EMAIL = "bench-ccas@exemple.fr"
SCALE_PASSWORD = DEMO_PASSWORD

PRESETS = {
    "territory": {"households": 5_000, "years": 3, "organisations": 50, "users": 300},
    "department": {"households": 50_000, "years": 5, "organisations": 200, "users": 1_500},
}

INSERT_BATCH = 5_000


def sizes(households: int, organisations: int | None = None, users: int | None = None) -> dict:
    """Organisations, users and territories grow with the number of households."""
    organisations = organisations or min(200, max(12, 10 + households // 125))
    users = users or min(1_500, max(30, organisations * 6))
    territories = min(len(TERRITORIES), max(2, organisations // 16))
    return {"organisations": organisations, "users": users, "territories": territories}


@dataclass
class Org:
    id: int
    kind: OrganisationKind
    territory: int  # index
    members: list[int] = field(default_factory=list)  # active member user ids
    admins: list[int] = field(default_factory=list)


@dataclass
class MeetingInfo:
    id: int
    committee: int
    territory: int
    kind: MeetingKind
    starts_at: datetime
    cancelled: bool
    organiser: int
    members: list[int]  # organisation ids of the committee
    positions: int = 2  # next agenda position (0 and 1 are the standing items)


class ScaleGenerator:
    """What a run knows: set up here, then filled step by step (structure, meetings,
    households and cases, housing, offers); each step reads what the earlier ones left."""

    territories: list[int]
    communes: list[list[int]]
    commune_names: dict[int, str]
    orgs: list[Org]
    main_ccas: dict[int, Org]
    siao: Org | None
    committees: dict[int, dict[CommitteeKind, tuple[int, list[int]]]]
    coordinators: dict[int, int]
    meetings: list[MeetingInfo]
    past_by_committee: dict[int, list[MeetingInfo]]
    future_by_committee: dict[int, list[MeetingInfo]]
    private_units: list[tuple[int, int, int, datetime, bool]]  # unit, owner, commune, start, let
    org_by_id: dict[int, Org]
    bench_user: int
    landlords: list[int]
    past_starts: dict[int, list[datetime]]

    def __init__(
        self,
        households: int,
        years: int,
        *,
        organisations: int | None = None,
        users: int | None = None,
        seed: int = 2026,
    ):
        self.n_households = households
        self.years = years
        self.size = sizes(households, organisations, users)
        self.rng = random.Random(seed)
        self.now = now_utc().replace(microsecond=0)
        self.today = self.now.date()
        self.start = self.now - timedelta(days=365 * years)
        self.rows: dict[sa.Table, list[dict]] = defaultdict(list)
        self.next_ids: dict[str, int] = defaultdict(lambda: 1)
        self.counts: dict[str, int] = defaultdict(int)
        self.password_hash = hash_password(SCALE_PASSWORD)  # once: argon2 is slow on purpose
        self.reference_numbers: dict[str, int] = defaultdict(int)
        self.audit_users: list[int] = []
        # Rare cases show up at least once, even in a tiny territory: these count them.
        self.firsts: set[str] = set()
        self.open_measures = 0
        self.closed_measures = 0
        self.offer_units = 0
        self.siao_numbers = 0
        self.case_sequence = 0
        self.memberships: set[tuple[int, int]] = set()
        # CCAS households informed, by territory: those a candidacy may propose.
        self.candidate_pool: dict[int, list[tuple]] = defaultdict(list)
        self.owner_weights: list[float] = []

    # Plumbing ------------------------------------------------------------------------------

    def new_id(self, table: sa.Table) -> int:
        value = self.next_ids[table.name]
        self.next_ids[table.name] = value + 1
        return value

    def add(self, model_or_table, **values) -> int | None:
        table = getattr(model_or_table, "__table__", model_or_table)
        if "id" in table.c and "id" not in values:
            values["id"] = self.new_id(table)
        self.rows[table].append(values)
        return values.get("id")

    def flush(self) -> None:
        """Insert what was gathered, parents before children, in batches."""
        connection = db.session.connection()
        for table in db.metadata.sorted_tables:
            rows = self.rows.pop(table, None)
            if not rows:
                continue
            # executemany needs the same keys in every row: group rows by their key set.
            groups: dict[tuple, list[dict]] = defaultdict(list)
            for row in rows:
                groups[tuple(sorted(row))].append(row)
            for group in groups.values():
                for i in range(0, len(group), INSERT_BATCH):
                    connection.execute(table.insert(), group[i : i + INSERT_BATCH])
            self.counts[table.name] += len(rows)

    def between(self, low: datetime, high: datetime) -> datetime:
        if high <= low:
            return low
        span = (high - low).total_seconds()
        return low + timedelta(seconds=int(self.rng.random() * span))

    def at(self, day: date, hour: int = 9) -> datetime:
        return datetime.combine(day, time(hour, self.rng.choice((0, 15, 30, 45))), tzinfo=UTC)

    def person_name(self) -> tuple[str, str]:
        return self.rng.choice(FIRST_NAMES), self.rng.choice(LAST_NAMES)

    def past(self, moment: datetime) -> datetime:
        """What has happened cannot be later than now."""
        return min(moment, self.now)

    def first(self, what: str) -> bool:
        """True the first time only."""
        if what in self.firsts:
            return False
        self.firsts.add(what)
        return True

    def pick_member(self, org: Org) -> int | None:
        return self.rng.choice(org.members) if org.members else None
