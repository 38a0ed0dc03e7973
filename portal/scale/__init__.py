"""Territory-scale synthetic data for load tests and benchmarks (`flask demo scale`); never
part of request handling.

Everything is written with bulk Core inserts (one executemany per table and chunk) and ids
chosen here, so that 20 000 households take seconds rather than minutes. The data follows
the rules the portal relies on: a household is informed before its situation is shared, a
unit has exactly one owner, a candidacy with a measure is "housed", open measures stay
within their programme's capacity, and every date lies in the past ``years`` up to today
(a few meetings and due dates lie ahead, as in real life).

One module per domain, run in this order, each reading what the earlier ones left on the
``ScaleGenerator`` (generator.py, with the plumbing; the words are in vocabulary.py):
structure.py (territories, organisations, committees, people), meetings.py, households.py
(and cases.py for their situations), housing.py (programmes, units, candidacies, measures),
offers.py (private owners' offers).
"""

import sqlalchemy as sa

from portal.extensions import db
from portal.models import Organisation, User
from portal.scale.generator import BENCH_EMAIL, PRESETS, SCALE_PASSWORD, ScaleGenerator
from portal.scale.households import build_household
from portal.scale.housing import build_housing
from portal.scale.meetings import build_meetings, build_minutes
from portal.scale.offers import build_offers
from portal.scale.structure import build_logins, build_structure

__all__ = ["BENCH_EMAIL", "PRESETS", "SCALE_PASSWORD", "database_is_empty", "generate"]

CHUNK_HOUSEHOLDS = 2_500


def generate(households: int, years: int, **options) -> dict[str, int]:
    """Fill an empty database (flushes only; the caller commits). Returns rows per table."""
    if not database_is_empty():
        raise ValueError("the scale data is generated in an empty database only")  # ids from 1
    gen = ScaleGenerator(households, years, **options)
    build_structure(gen)
    gen.flush()
    build_meetings(gen)
    gen.flush()
    done = 0
    while done < gen.n_households:
        batch = min(CHUNK_HOUSEHOLDS, gen.n_households - done)
        for _ in range(batch):
            build_household(gen)
        done += batch
        gen.flush()
    build_minutes(gen)
    build_housing(gen)
    build_offers(gen)
    build_logins(gen)
    gen.flush()
    fix_sequences()
    return dict(gen.counts)


def fix_sequences() -> None:
    """Ids were chosen here: move PostgreSQL's sequences past them."""
    if db.engine.dialect.name != "postgresql":
        return
    for table in db.metadata.sorted_tables:
        if "id" in table.c and table.c.id.primary_key and table.c.id.autoincrement:
            db.session.execute(
                sa.text(
                    f"SELECT setval(pg_get_serial_sequence('\"{table.name}\"', 'id'), "
                    f'COALESCE((SELECT MAX(id) FROM "{table.name}"), 0) + 1, false)'
                )
            )


def database_is_empty() -> bool:
    return not (
        db.session.scalar(sa.select(sa.func.count(User.id)))
        or db.session.scalar(sa.select(sa.func.count(Organisation.id)))
    )
