"""SQLite as the portal deploys it: in WAL mode a commit is not an fsync (synchronous=NORMAL,
safe in WAL mode); a database in another journal mode keeps SQLite's full synchronisation."""

import sqlalchemy as sa

import portal.extensions  # noqa: F401 (installs the connection settings)


def synchronous(path, wal: bool) -> int:
    url = f"sqlite:///{path}"
    if wal:
        setup = sa.create_engine(url)
        with setup.connect() as connection:
            connection.exec_driver_sql("PRAGMA journal_mode=WAL")  # kept in the file
        setup.dispose()
    engine = sa.create_engine(url)
    try:
        with engine.connect() as connection:
            return connection.exec_driver_sql("PRAGMA synchronous").scalar_one()
    finally:
        engine.dispose()


def test_a_database_in_wal_mode_syncs_at_checkpoints_only(tmp_path):
    assert synchronous(tmp_path / "wal.sqlite3", wal=True) == 1  # NORMAL


def test_a_database_in_rollback_mode_keeps_full_synchronisation(tmp_path):
    assert synchronous(tmp_path / "journal.sqlite3", wal=False) == 2  # FULL
