"""An operator saves the portal into one archive and restores it elsewhere: every row of
every table and every uploaded file comes back identical. A damaged archive, or a target
that already holds data, is refused and nothing is written."""

import io
import json
import re
import secrets
import shutil
import stat
import tarfile
from pathlib import Path

import psycopg
import pytest
import sqlalchemy as sa
from alembic.script import ScriptDirectory
from psycopg import sql

from config import database_url
from portal import create_app
from portal.extensions import db
from portal.models import CaseAttachment
from portal.ops.backup import libpq_target
from tests.conftest import (
    POSTGRES_URL,
    build_case_world,
    build_world,
    committee_factory,
    config_for,
    household_factory,
    new_territory,
    organisation_factory,
    user_factory,
)

MIGRATIONS = Path(__file__).resolve().parents[1] / "migrations"
HEAD = ScriptDirectory(str(MIGRATIONS)).get_current_head()
PNG_BYTES = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4

needs_postgresql = pytest.mark.skipif(
    not POSTGRES_URL or shutil.which("pg_dump") is None or shutil.which("pg_restore") is None,
    reason="TEST_DATABASE_URL is not set or pg_dump/pg_restore are missing",
)
BOTH_BACKENDS = ["sqlite", pytest.param("postgresql", marks=needs_postgresql)]


@pytest.fixture
def new_database(backend, tmp_path):
    """Gives the URL of a fresh, empty database on the backend: a SQLite file not yet
    created, or a PostgreSQL database of its own, dropped when the test ends."""
    created = []
    server = sa.make_url(database_url(POSTGRES_URL, "")) if POSTGRES_URL else None

    def admin():
        url = server.set(drivername="postgresql").render_as_string(hide_password=False)
        return psycopg.connect(url, autocommit=True)

    def create() -> str:
        name = f"portal_backup_{secrets.token_hex(6)}"
        if backend == "sqlite":
            return f"sqlite:///{tmp_path / name}.sqlite3"
        with admin() as connection:
            connection.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
        created.append(name)
        return server.set(database=name).render_as_string(hide_password=False)

    yield create
    if created:
        with admin() as connection:
            for name in created:
                connection.execute(
                    sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
                )


@pytest.fixture
def open_app(backend):
    """An app on a given database and upload folder, touching neither until asked."""
    apps = []

    def factory(database: str, uploads: Path):
        app = create_app(
            config_for(backend, SQLALCHEMY_DATABASE_URI=database, UPLOAD_FOLDER=str(uploads))
        )
        apps.append(app)
        return app

    yield factory
    for app in apps:
        with app.app_context():
            db.engine.dispose()


def populate(app) -> None:
    """The portal's tables, stamped with the Alembic head, holding a case world with two
    attachments written through the real storage helpers."""
    from portal.cases.services import add_attachment

    with app.app_context():
        if db.engine.dialect.name == "postgresql":
            # Re-created, as conftest does: the dump then lists the schema, which the fresh
            # database already has.
            with db.engine.begin() as connection:
                connection.execute(sa.text("DROP SCHEMA public CASCADE"))
                connection.execute(sa.text("CREATE SCHEMA public"))
        db.create_all()
        version = sa.Table(
            "alembic_version",
            sa.MetaData(),
            sa.Column("version_num", sa.String(32), primary_key=True),
        )
        with db.engine.begin() as connection:
            version.create(connection)
            connection.execute(version.insert().values(version_num=HEAD))
        territory = new_territory()
        make_org, make_user = organisation_factory(territory), user_factory()
        world = build_world(make_org, make_user, committee_factory(territory))
        case_world = build_case_world(world, make_org, make_user, household_factory())
        add_attachment(case_world.case, world.ccas_worker, "plan.png", PNG_BYTES)
        db.session.commit()


def every_row(app) -> dict[str, list[tuple]]:
    """Every table the database holds, with all its rows ordered by primary key."""
    with app.app_context():
        tables = sa.MetaData()
        tables.reflect(bind=db.engine)
        with db.engine.connect() as connection:
            return {
                name: [
                    tuple(row)
                    for row in connection.execute(
                        sa.select(table).order_by(*(table.primary_key.columns or table.columns))
                    )
                ]
                for name, table in tables.tables.items()
            }


def sequences(app) -> list[tuple]:
    with app.app_context(), db.engine.connect() as connection:
        query = "SELECT sequencename, last_value FROM pg_sequences ORDER BY sequencename"
        return [tuple(row) for row in connection.execute(sa.text(query))]


def every_file(folder: Path) -> dict[str, bytes]:
    return {path.name: path.read_bytes() for path in folder.iterdir()} if folder.exists() else {}


def run(app, *arguments, input=None):
    return app.test_cli_runner().invoke(args=list(arguments), input=input)


def backed_up_portal(make_app, new_database, tmp_path):
    """A populated portal and the archive ``flask backup create`` wrote of it."""
    source = make_app(
        SQLALCHEMY_DATABASE_URI=new_database(), UPLOAD_FOLDER=str(tmp_path / "uploads")
    )
    populate(source)
    archive = tmp_path / "sauvegarde.tar.gz"
    result = run(source, "backup", "create", "--output", str(archive))
    assert result.exit_code == 0, result.output
    return source, archive


def members(archive: Path) -> dict[str, bytes]:
    with tarfile.open(archive, "r:gz") as tar:
        return {member.name: tar.extractfile(member).read() for member in tar}


@pytest.mark.parametrize("backend", BOTH_BACKENDS)
def test_restore_gives_back_every_row_and_every_file(
    backend, new_database, make_app, open_app, tmp_path
):
    source, archive = backed_up_portal(make_app, new_database, tmp_path)

    assert stat.S_IMODE(archive.stat().st_mode) == 0o600
    content = members(archive)
    manifest = json.loads(content.pop("manifest.json"))
    assert manifest["database"] == {
        "backend": backend,
        "member": "database.dump" if backend == "postgresql" else "database.sqlite3",
        "revision": HEAD,
        "tables": len(db.metadata.tables) + 1,  # and alembic_version
    }
    assert manifest["portal_version"]
    assert manifest["missing_files"] == []
    uploads = every_file(tmp_path / "uploads")
    assert len(uploads) == 2
    assert {m["name"] for m in manifest["members"]} == set(content)
    assert {name.removeprefix("uploads/") for name in content if "/" in name} == set(uploads)

    restored_uploads = tmp_path / "restored" / "uploads"
    target = open_app(new_database(), restored_uploads)
    result = run(target, "backup", "restore", str(archive), "--yes")

    assert result.exit_code == 0, result.output
    assert "Archive vérifiée : 3 élément(s) conformes au manifeste" in result.output
    assert "révision Alembic " + HEAD in result.output
    assert f"2 fichier(s) déposé(s) restauré(s) dans {restored_uploads}" in result.output
    original = every_row(source)
    assert sum(len(rows) for rows in original.values()) > 40
    assert len(original[CaseAttachment.__table__.name]) == 2
    assert original["alembic_version"] == [(HEAD,)]
    assert every_row(target) == original
    assert every_file(restored_uploads) == uploads
    if backend == "postgresql":  # the next row gets a new id, not one already taken
        assert sequences(target) == sequences(source)


@pytest.mark.parametrize("backend", ["sqlite"])
def test_backup_is_named_after_its_time_and_never_overwrites(
    backend, new_database, make_app, tmp_path
):
    source = make_app(SQLALCHEMY_DATABASE_URI=new_database())
    populate(source)
    folder = tmp_path / "sauvegardes"
    folder.mkdir()

    result = run(source, "backup", "create", "--output", str(folder))

    assert result.exit_code == 0, result.output
    (archive,) = folder.iterdir()
    assert re.fullmatch(r"portail-\d{8}-\d{6}\.tar\.gz", archive.name)
    before = archive.read_bytes()
    again = run(source, "backup", "create", "--output", str(archive))
    assert again.exit_code == 1
    assert "existe déjà : choisissez un autre nom" in again.output
    assert archive.read_bytes() == before


@pytest.fixture(scope="module")
def sqlite_archive(tmp_path_factory):
    """One archive of a populated SQLite portal, for the tests that only read it."""
    folder = tmp_path_factory.mktemp("source")
    source = create_app(
        config_for(
            "sqlite",
            SQLALCHEMY_DATABASE_URI=f"sqlite:///{folder / 'portail.sqlite3'}",
            UPLOAD_FOLDER=str(folder / "uploads"),
        )
    )
    populate(source)
    archive = folder / "sauvegarde.tar.gz"
    result = run(source, "backup", "create", "--output", str(archive))
    assert result.exit_code == 0, result.output
    with source.app_context():
        db.engine.dispose()
    return archive


@pytest.fixture
def empty_target(open_app, tmp_path):
    """A portal on a SQLite file and an upload folder not yet created, in a folder of their
    own: after a refusal, that folder must still be empty."""
    folder = tmp_path / "cible"
    folder.mkdir()
    return folder, open_app(f"sqlite:///{folder / 'portail.sqlite3'}", folder / "uploads")


@pytest.mark.parametrize("backend", ["sqlite"])
def test_backup_names_the_files_the_database_cites_but_the_folder_lacks(
    backend, new_database, make_app, tmp_path
):
    source = make_app(SQLALCHEMY_DATABASE_URI=new_database())
    populate(source)
    lost = sorted((tmp_path / "uploads").iterdir())[0]
    lost.unlink()

    result = run(source, "backup", "create", "--output", str(tmp_path / "sauvegarde.tar.gz"))

    assert result.exit_code == 0, result.output
    assert "Attention : 1 fichier(s) cité(s) par la base manquent" in result.output
    assert lost.name in result.output
    manifest = json.loads(members(tmp_path / "sauvegarde.tar.gz")["manifest.json"])
    assert manifest["missing_files"] == [lost.name]


@pytest.mark.parametrize("backend", ["sqlite"])
@pytest.mark.parametrize("answer", ["non\n", "y\n", "\n", ""], ids=["non", "y", "enter", "eof"])
def test_restore_asks_before_writing(backend, answer, sqlite_archive, empty_target):
    folder, target = empty_target

    result = run(target, "backup", "restore", str(sqlite_archive), input=answer)

    assert result.exit_code == 1
    assert "Restaurer dans la base sqlite:///" in result.output
    assert "Restauration annulée : rien n'a été modifié." in result.output
    assert list(folder.iterdir()) == []


@pytest.mark.parametrize("backend", ["sqlite"])
def test_restore_goes_on_when_the_operator_says_oui(backend, sqlite_archive, empty_target):
    folder, target = empty_target

    result = run(target, "backup", "restore", str(sqlite_archive), input="oui\n")

    assert result.exit_code == 0, result.output
    assert "2 fichier(s) déposé(s) restauré(s)" in result.output
    assert sorted(path.name for path in folder.iterdir()) == ["portail.sqlite3", "uploads"]


def change_a_byte(data: bytes) -> bytes:
    return data[:5] + bytes([data[5] ^ 1]) + data[6:]


def change_a_byte_of_a_file(name, data):
    return change_a_byte(data) if name.startswith("uploads/") else data


def change_a_byte_of_the_database(name, data):
    return change_a_byte(data) if name == "database.sqlite3" else data


def change_a_checksum_in_the_manifest(name, data):
    if name != "manifest.json":
        return data
    manifest = json.loads(data)
    manifest["members"][0]["sha256"] = "0" * 64
    return json.dumps(manifest).encode()


def leave_out_a_file(name, data):
    return None if name.startswith("uploads/") else data


def leave_out_the_manifest(name, data):
    return None if name == "manifest.json" else data


def add_a_stray_member(name, data):
    return {name: data, "../etc/passwd": b"x"} if name == "manifest.json" else data


def rewrite(archive: Path, tampered: Path, change) -> None:
    """Copy the archive member by member through ``change``: the new data, None to leave
    the member out, or a dict of members to write instead."""
    with tarfile.open(tampered, "w:gz") as target:
        for name, data in members(archive).items():
            changed = change(name, data)
            if not isinstance(changed, dict):
                changed = {name: changed}
            for member_name, member_data in changed.items():
                if member_data is not None:
                    entry = tarfile.TarInfo(member_name)
                    entry.size = len(member_data)
                    target.addfile(entry, io.BytesIO(member_data))


TAMPERINGS = [
    (change_a_byte_of_a_file, "taille ou somme SHA-256 différente"),
    (change_a_byte_of_the_database, "database.sqlite3 : taille ou somme SHA-256 différente"),
    (change_a_checksum_in_the_manifest, "database.sqlite3 : taille ou somme SHA-256 différente"),
    (leave_out_a_file, "absent de l'archive"),
    (leave_out_the_manifest, "Le manifeste de l'archive est absent ou illisible"),
    (add_a_stray_member, "élément inattendu (../etc/passwd)"),
]


@pytest.mark.parametrize("backend", ["sqlite"])
@pytest.mark.parametrize(
    ("change", "message"), [pytest.param(c, m, id=c.__name__) for c, m in TAMPERINGS]
)
def test_a_tampered_archive_is_refused_and_nothing_is_written(
    backend, change, message, sqlite_archive, empty_target, tmp_path
):
    tampered = tmp_path / "abîmée.tar.gz"
    rewrite(sqlite_archive, tampered, change)
    folder, target = empty_target

    result = run(target, "backup", "restore", str(tampered), "--yes")

    assert result.exit_code == 1
    assert message in result.output
    assert "rien n'a été restauré" in result.output
    assert list(folder.iterdir()) == []


@pytest.mark.parametrize("backend", ["sqlite"])
def test_a_truncated_archive_is_refused(backend, sqlite_archive, empty_target, tmp_path):
    truncated = tmp_path / "tronquée.tar.gz"
    truncated.write_bytes(sqlite_archive.read_bytes()[: sqlite_archive.stat().st_size // 2])
    folder, target = empty_target

    result = run(target, "backup", "restore", str(truncated), "--yes")

    assert result.exit_code == 1
    assert "est illisible ou abîmée" in result.output
    assert list(folder.iterdir()) == []


@pytest.mark.parametrize("backend", ["sqlite"])
def test_a_restore_that_brings_back_fewer_tables_says_so(
    backend, sqlite_archive, empty_target, tmp_path
):
    def claim_one_more_table(name, data):
        if name != "manifest.json":
            return data
        manifest = json.loads(data)
        manifest["database"]["tables"] += 1
        return json.dumps(manifest).encode()

    tampered = tmp_path / "incomplète.tar.gz"
    rewrite(sqlite_archive, tampered, claim_one_more_table)
    folder, target = empty_target

    result = run(target, "backup", "restore", str(tampered), "--yes")

    assert result.exit_code == 1
    assert "table(s) au lieu de" in result.output
    assert "Les fichiers n'ont pas été restaurés." in result.output
    assert [path.name for path in folder.iterdir()] == ["portail.sqlite3"]


@pytest.mark.parametrize("backend", BOTH_BACKENDS)
def test_restore_into_the_portal_it_came_from_is_refused(backend, new_database, make_app, tmp_path):
    source, archive = backed_up_portal(make_app, new_database, tmp_path)
    rows, files = every_row(source), every_file(tmp_path / "uploads")

    result = run(source, "backup", "restore", str(archive), "--yes")

    assert result.exit_code == 1
    assert "n'est pas vide" in result.output
    assert "Rien n'a été restauré." in result.output
    assert every_row(source) == rows
    assert every_file(tmp_path / "uploads") == files


@pytest.mark.parametrize("backend", BOTH_BACKENDS)
def test_restore_into_empty_tables_is_refused(backend, new_database, make_app, open_app, tmp_path):
    """Tables without rows (after « flask db upgrade ») are not an empty database: the
    archive brings its own schema."""
    _, archive = backed_up_portal(make_app, new_database, tmp_path)
    target = open_app(new_database(), tmp_path / "restored")
    with target.app_context():
        db.create_all()
    tables = every_row(target)

    result = run(target, "backup", "restore", str(archive), "--yes")

    assert result.exit_code == 1
    assert "n'est pas vide" in result.output
    assert every_row(target) == tables
    assert not (tmp_path / "restored").exists()


@pytest.mark.parametrize("backend", BOTH_BACKENDS)
def test_restore_into_a_non_empty_upload_folder_is_refused(
    backend, new_database, make_app, open_app, tmp_path
):
    _, archive = backed_up_portal(make_app, new_database, tmp_path)
    folder = tmp_path / "restored"
    folder.mkdir()
    (folder / "abc123").write_bytes(b"autre")
    target = open_app(new_database(), folder)

    result = run(target, "backup", "restore", str(archive), "--yes")

    assert result.exit_code == 1
    assert f"Le dossier des fichiers déposés {folder} n'est pas vide" in result.output
    assert every_row(target) == {}
    assert every_file(folder) == {"abc123": b"autre"}


def test_pg_tools_get_a_libpq_url_and_the_password_out_of_the_command_line():
    url = sa.make_url("postgresql+psycopg://portail:s3cr%40t@db.exemple.fr:5433/portail")

    target, env = libpq_target(url)

    assert target == "postgresql://portail@db.exemple.fr:5433/portail"
    assert env["PGPASSWORD"] == "s3cr@t"
