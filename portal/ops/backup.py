"""Backups for the operator: one tar.gz archive holding a consistent copy of the database
(pg_dump's custom format, or SQLite's online backup), the uploaded files, and a manifest of
every member's size and SHA-256. A restore checks every checksum first, and only ever fills
an empty database and an empty upload folder: it never merges, never overwrites.

Inside the archive::

    database.dump          PostgreSQL (pg_dump --format=custom), or
    database.sqlite3       SQLite
    uploads/<stored name>  one member per uploaded file
    manifest.json          last, once every checksum is known

The database is copied before the files. A file uploaded in between is an orphan that the
retention job removes; a file deleted in between would be missing, so the manifest lists the
files the copied database refers to but the folder no longer holds (read from the very
snapshot that was copied)."""

import hashlib
import io
import json
import os
import shutil
import sqlite3
import subprocess
import tarfile
import tempfile
import tomllib
import zlib
from contextlib import closing
from dataclasses import dataclass
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from typing import IO, cast

import sqlalchemy as sa
from flask import current_app

from portal.extensions import db
from portal.i18n import _

FORMAT = 1
MANIFEST = "manifest.json"
UPLOADS = "uploads/"
DATABASE_MEMBERS = {"postgresql": "database.dump", "sqlite": "database.sqlite3"}
MAX_MANIFEST_BYTES = 64 * 1024 * 1024
CHUNK = 1024 * 1024


class BackupError(Exception):
    """The backup or the restore cannot go on; the message says why, in French."""


@dataclass(frozen=True)
class Snapshot:
    """What the copied database holds, read from the copy itself."""

    revision: str | None
    tables: int
    referenced_files: set[str]


@dataclass(frozen=True)
class Restored:
    backend: str
    revision: str | None
    tables: int
    files: int
    bytes: int


# Creating ----------------------------------------------------------------------------------


def default_archive_name(moment: datetime) -> str:
    return f"portail-{moment:%Y%m%d-%H%M%S}.tar.gz"


def create_backup(output: Path) -> tuple[Path, dict]:
    """Write the archive at ``output`` (or inside it, when it is a folder), readable by its
    owner only and never over an existing file. Returns its path and its manifest."""
    created = datetime.now(UTC)
    if output.is_dir():
        output = output / default_archive_name(created)
    if not output.parent.is_dir():
        raise BackupError(_("Le dossier %(folder)s n'existe pas.", folder=output.parent))
    if output.exists():
        raise BackupError(refusal_to_overwrite(output))
    backend = database_backend()
    database_member = DATABASE_MEMBERS[backend]
    work = Path(tempfile.mkdtemp(prefix=".portail-sauvegarde-", dir=output.parent))
    try:
        copy_database = dump_postgresql if backend == "postgresql" else copy_sqlite
        snapshot = copy_database(work / database_member)
        files = uploaded_files()
        manifest = {
            "format": FORMAT,
            "created_at": created.isoformat(timespec="seconds"),
            "portal_version": portal_version(),
            "database": {
                "backend": backend,
                "member": database_member,
                "revision": snapshot.revision,
                "tables": snapshot.tables,
            },
            "missing_files": sorted(snapshot.referenced_files - {path.name for path in files}),
        }
        members = [(database_member, work / database_member)]
        members += [(UPLOADS + path.name, path) for path in files]
        write_archive(output, members, manifest, created)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return output, manifest


def database_backend() -> str:
    backend = db.engine.url.get_backend_name()
    if backend not in DATABASE_MEMBERS:
        raise BackupError(_("Base de données non prise en charge : %(backend)s.", backend=backend))
    return backend


def dump_postgresql(destination: Path) -> Snapshot:
    """pg_dump reads the snapshot that our transaction exports: the revision and the file
    names read here are exactly those of the dump."""
    target, env = libpq_target(db.engine.url)
    with (
        db.engine.connect().execution_options(isolation_level="REPEATABLE READ") as connection,
        connection.begin(),
    ):
        exported = connection.scalar(sa.text("SELECT pg_export_snapshot()"))
        snapshot = read_snapshot(connection)
        run_tool(
            "pg_dump",
            [
                "--format=custom",
                "--no-password",
                f"--snapshot={exported}",
                f"--file={destination}",
                f"--dbname={target}",
            ],
            env,
        )
    return snapshot


def copy_sqlite(destination: Path) -> Snapshot:
    """SQLite's online backup: a consistent copy even while the portal writes."""
    path = sqlite_path()
    if not path.is_file():
        raise BackupError(_("La base SQLite %(path)s n'existe pas.", path=path))
    with (
        closing(sqlite3.connect(f"{path.as_uri()}?mode=ro", uri=True)) as source,
        closing(sqlite3.connect(destination)) as copy,
    ):
        source.backup(copy)
    engine = sa.create_engine(f"sqlite:///{destination}")
    try:
        with engine.connect() as connection:
            return read_snapshot(connection)
    finally:
        engine.dispose()


def read_snapshot(connection: sa.Connection) -> Snapshot:
    from portal.models import CaseAttachment, OfferDocument

    tables = set(sa.inspect(connection).get_table_names())
    revision = None
    if "alembic_version" in tables:
        versions = connection.scalars(sa.text("SELECT version_num FROM alembic_version"))
        revision = ",".join(sorted(versions)) or None
    referenced: set[str] = set()
    for model in (CaseAttachment, OfferDocument):
        if model.__table__.name in tables:
            referenced.update(connection.scalars(sa.select(model.stored_name)))
    return Snapshot(revision, len(tables), referenced - {None})


def uploaded_files() -> list[Path]:
    """The portal's own files: storage names them in hex, anything else is not ours."""
    folder = upload_folder()
    if not folder.is_dir():
        return []
    return sorted(
        path
        for path in folder.iterdir()
        if path.name.isalnum() and path.is_file() and not path.is_symlink()
    )


def portal_version() -> str | None:
    try:
        return metadata.version("portail-partenaires")
    except metadata.PackageNotFoundError:
        pyproject = Path(current_app.root_path).parent / "pyproject.toml"
        if not pyproject.is_file():
            return None
        return tomllib.loads(pyproject.read_text()).get("project", {}).get("version")


def write_archive(
    output: Path, members: list[tuple[str, Path]], manifest: dict, created: datetime
) -> None:
    try:
        descriptor = os.open(output, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        raise BackupError(refusal_to_overwrite(output)) from None
    try:
        with os.fdopen(descriptor, "wb") as raw:
            with tarfile.open(fileobj=raw, mode="w:gz") as archive:
                entries = []
                for name, path in members:
                    with open(path, "rb") as handle:
                        size, sha256 = stream(handle)
                        handle.seek(0)
                        archive.addfile(tar_entry(name, size, created), handle)
                    entries.append({"name": name, "size": size, "sha256": sha256})
                manifest["members"] = entries
                text = json.dumps(manifest, ensure_ascii=False, indent=2).encode()
                archive.addfile(tar_entry(MANIFEST, len(text), created), io.BytesIO(text))
            raw.flush()
            os.fsync(raw.fileno())
    except BaseException:
        output.unlink(missing_ok=True)
        raise


def refusal_to_overwrite(output: Path) -> str:
    return _("Le fichier %(path)s existe déjà : choisissez un autre nom.", path=output)


def tar_entry(name: str, size: int, created: datetime) -> tarfile.TarInfo:
    entry = tarfile.TarInfo(name)
    entry.size = size
    entry.mode = 0o600
    entry.mtime = int(created.timestamp())
    return entry


# Restoring ---------------------------------------------------------------------------------


def verify_archive(archive: Path) -> dict:
    """Read the whole archive and check every member against the manifest; writes nothing.
    Returns the manifest."""
    manifest, found, seen = None, {}, set[str]()
    try:
        with tarfile.open(archive, "r:gz") as tar:
            for member in tar:
                check_member(member, seen)
                seen.add(member.name)
                # A file (check_member refuses anything else): extractfile gives its content.
                handle = cast(IO[bytes], tar.extractfile(member))
                if member.name == MANIFEST:
                    manifest = json.loads(handle.read(MAX_MANIFEST_BYTES))
                else:
                    found[member.name] = stream(handle)
    except (tarfile.TarError, OSError, EOFError, zlib.error, ValueError) as error:
        raise BackupError(
            _(
                "L'archive %(path)s est illisible ou abîmée (%(error)s) : rien n'a été restauré.",
                path=archive,
                error=error,
            )
        ) from None
    expected = expected_members(manifest)
    problems = []
    for name in sorted(expected.keys() | found.keys()):
        if name not in found:
            problems.append(_("%(name)s : absent de l'archive", name=name))
        elif name not in expected:
            problems.append(_("%(name)s : absent du manifeste", name=name))
        elif found[name] != expected[name]:
            problems.append(_("%(name)s : taille ou somme SHA-256 différente", name=name))
    if problems:
        raise BackupError(
            "\n".join(
                [_("L'archive ne correspond pas à son manifeste : rien n'a été restauré.")]
                + [f"  - {problem}" for problem in problems]
            )
        )
    return cast(dict, manifest)  # read: expected_members refuses an archive without one


def check_member(member: tarfile.TarInfo, seen) -> None:
    """Only the members a backup writes, each once: the restore builds every path itself
    and never extracts a name as given."""
    name = member.name
    expected_name = (
        name == MANIFEST
        or name in DATABASE_MEMBERS.values()
        or (name.startswith(UPLOADS) and name[len(UPLOADS) :].isalnum())
    )
    if not member.isfile() or not expected_name or name in seen:
        raise BackupError(
            _(
                "L'archive contient un élément inattendu (%(name)s) : rien n'a été restauré.",
                name=name,
            )
        )


def expected_members(manifest) -> dict[str, tuple[int, str]]:
    """Each member's (size, SHA-256) as the manifest gives them."""
    try:
        expected = {
            entry["name"]: (entry["size"], entry["sha256"]) for entry in manifest["members"]
        }
        database = manifest["database"]
        readable = (
            manifest["format"] == FORMAT
            and isinstance(database["tables"], int)
            and DATABASE_MEMBERS.get(database["backend"]) == database["member"]
            and database["member"] in expected
        )
    except (KeyError, TypeError):
        readable = False
    if not readable:
        raise BackupError(
            _("Le manifeste de l'archive est absent ou illisible : rien n'a été restauré.")
        )
    return expected


def check_targets(manifest: dict) -> None:
    """Refuse unless the configured database and upload folder are empty. A PostgreSQL
    database is empty when it has no table, view or sequence at all (a fresh ``createdb``,
    before any ``flask db upgrade``: the archive carries the schema); a SQLite database when
    its file is absent or empty."""
    backend = database_backend()
    if manifest["database"]["backend"] != backend:
        raise BackupError(
            _(
                "Cette sauvegarde vient d'une base %(archived)s, le portail est configuré sur "
                "une base %(configured)s : rien n'a été restauré.",
                archived=manifest["database"]["backend"],
                configured=backend,
            )
        )
    if backend == "postgresql":
        relations = count_postgresql_relations()
        if relations:
            raise BackupError(
                _(
                    "La base %(database)s n'est pas vide (%(count)d table(s), vue(s) ou "
                    "séquence(s)) : la restauration se fait dans une base neuve (createdb), "
                    "sans « flask db upgrade ». Rien n'a été restauré.",
                    database=describe_database(),
                    count=relations,
                )
            )
    else:
        path = sqlite_path()
        companions = [path, *(path.with_name(path.name + s) for s in ("-wal", "-journal"))]
        if any(file.exists() and file.stat().st_size > 0 for file in companions):
            raise BackupError(
                _(
                    "La base SQLite %(path)s existe déjà et n'est pas vide : la restauration se "
                    "fait dans un fichier absent ou vide. Rien n'a été restauré.",
                    path=path,
                )
            )
    folder = upload_folder()
    if folder.exists() and (not folder.is_dir() or any(folder.iterdir())):
        raise BackupError(
            _(
                "Le dossier des fichiers déposés %(folder)s n'est pas vide : la restauration se "
                "fait dans un dossier vide ou absent. Rien n'a été restauré.",
                folder=folder,
            )
        )


def count_postgresql_relations() -> int:
    query = sa.text(
        "SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace"
        " WHERE c.relkind IN ('r', 'p', 'v', 'm', 'S', 'f')"
        " AND n.nspname NOT IN ('pg_catalog', 'information_schema')"
        " AND n.nspname NOT LIKE 'pg\\_toast%' AND n.nspname NOT LIKE 'pg\\_temp%'"
    )
    try:
        with db.engine.connect() as connection:
            return connection.scalar(query)
    except sa.exc.OperationalError as error:
        raise BackupError(
            _(
                "La base %(database)s est injoignable (%(error)s) : rien n'a été restauré.",
                database=describe_database(),
                error=error.orig,
            )
        ) from None


def restore_backup(archive: Path, manifest: dict) -> Restored:
    """Fill the empty database and upload folder from an archive that ``verify_archive``
    accepted. The files are staged next to the upload folder and moved in only once the
    database is restored; pg_restore runs in a single transaction: a failure leaves both
    targets as they were."""
    check_targets(manifest)
    folder = upload_folder()
    folder.parent.mkdir(parents=True, exist_ok=True)
    backend = manifest["database"]["backend"]
    staging = Path(tempfile.mkdtemp(prefix=".portail-restauration-", dir=folder.parent))
    try:
        extract(archive, expected_members(manifest), staging)
        database_file = staging / manifest["database"]["member"]
        if backend == "postgresql":
            restore_postgresql(database_file)
        else:
            restore_sqlite(database_file)
        # A restore that reports success but brought back less must not go unnoticed.
        tables = len(sa.inspect(db.engine).get_table_names())
        if tables != manifest["database"]["tables"]:
            raise BackupError(
                _(
                    "La base restaurée compte %(found)d table(s) au lieu de %(expected)d : "
                    "vérifiez-la avant d'ouvrir le portail. Les fichiers n'ont pas été restaurés.",
                    found=tables,
                    expected=manifest["database"]["tables"],
                )
            )
        files, size = move_uploads(staging / UPLOADS, folder)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return Restored(backend, manifest["database"]["revision"], tables, files, size)


def extract(archive: Path, expected: dict[str, tuple[int, str]], staging: Path) -> None:
    """Write each member under ``staging``, checking its checksum again: the archive may
    have changed since it was verified."""
    (staging / UPLOADS).mkdir()
    written: set[str] = set()
    with tarfile.open(archive, "r:gz") as tar:
        for member in tar:
            check_member(member, seen=written)
            if member.name == MANIFEST:
                continue
            descriptor = os.open(staging / member.name, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(descriptor, "wb") as destination:
                copied = stream(tar.extractfile(member), destination)
            if copied != expected.get(member.name):
                raise BackupError(
                    _("L'archive a changé depuis sa vérification : rien n'a été restauré.")
                )
            written.add(member.name)
    if written != expected.keys():
        raise BackupError(_("L'archive a changé depuis sa vérification : rien n'a été restauré."))


def restore_postgresql(dump: Path) -> None:
    target, env = libpq_target(db.engine.url)
    run_tool(
        "pg_restore",
        [
            "--no-owner",
            "--no-privileges",
            "--exit-on-error",
            "--single-transaction",
            "--no-password",
            f"--dbname={target}",
            str(dump),
        ],
        env,
    )


def restore_sqlite(copy: Path) -> None:
    """Copied beside the target, then renamed into place: never half a database."""
    path = sqlite_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(path.name + ".restauration")
    shutil.copyfile(copy, partial)
    os.chmod(partial, 0o600)
    os.replace(partial, path)
    db.engine.dispose()  # no connection may keep the empty file open


def move_uploads(staged: Path, folder: Path) -> tuple[int, int]:
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    files = size = 0
    for path in sorted(staged.iterdir()):
        size += path.stat().st_size
        shutil.move(path, folder / path.name)
        files += 1
    return files, size


# Shared ------------------------------------------------------------------------------------


def upload_folder() -> Path:
    # Not storage.upload_folder(): that one creates the folder, a backup must not.
    return Path(current_app.config["UPLOAD_FOLDER"])


def sqlite_path() -> Path:
    database = db.engine.url.database
    if not database or database == ":memory:":
        raise BackupError(
            _("La base SQLite est en mémoire : ni sauvegarde ni restauration possibles.")
        )
    return Path(database).resolve()


def describe_database() -> str:
    return db.engine.url.render_as_string(hide_password=True)


def libpq_target(url: sa.URL) -> tuple[str, dict[str, str]]:
    """The URL that pg_dump and pg_restore understand (no SQLAlchemy driver), and their
    environment: the password goes in PGPASSWORD, never on the command line (ps shows it)."""
    env = dict(os.environ)
    if url.password is not None:
        env["PGPASSWORD"] = str(url.password)
    plain = sa.URL.create(
        "postgresql",
        username=url.username,
        host=url.host,
        port=url.port,
        database=url.database,
        query=url.query,
    )
    return plain.render_as_string(hide_password=False), env


def run_tool(name: str, arguments: list[str], env: dict[str, str]) -> str:
    program = shutil.which(name)
    if program is None:
        raise BackupError(
            _(
                "%(program)s est introuvable : installez le client PostgreSQL "
                "(paquet postgresql-client).",
                program=name,
            )
        )
    result = subprocess.run(
        [program, *arguments], env=env, capture_output=True, text=True, check=False
    )
    if result.returncode != 0:
        raise BackupError(
            _("%(program)s a échoué : %(error)s", program=name, error=result.stderr.strip())
        )
    return result.stdout


def stream(source, destination=None) -> tuple[int, str]:
    """Size and SHA-256 of what ``source`` gives, copied to ``destination`` if any."""
    digest, size = hashlib.sha256(), 0
    while chunk := source.read(CHUNK):
        digest.update(chunk)
        size += len(chunk)
        if destination is not None:
            destination.write(chunk)
    return size, digest.hexdigest()


def readable_size(size: int) -> str:
    if size < 1024 * 1024:
        return f"{-(-size // 1024)} ko"
    return f"{size / (1024 * 1024):.1f} Mo".replace(".", ",")
