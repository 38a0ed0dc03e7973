"""Uploaded files on disk (case attachments, private owners' offers' documents): checked from their
content, stored under a random name outside ``static/``, read back only through a permission
check.

A file is written once its database row exists (flushed), and removed again if that
transaction rolls back: no file without a row. The retention job removes any file that no
row refers to (a crash between the two)."""

import contextlib
import hashlib
import os
import secrets
import unicodedata
from dataclasses import dataclass
from pathlib import Path

import filetype
import sqlalchemy as sa
from flask import current_app, has_app_context
from sqlalchemy.orm import Session, SessionTransaction

from portal.i18n import _, _l

# Extension → content types the file's bytes may reveal. Office files are ZIP or OLE
# containers: the detected type must be the one the extension promises.
ALLOWED_TYPES = {
    "pdf": {"application/pdf"},
    "jpg": {"image/jpeg"},
    "jpeg": {"image/jpeg"},
    "png": {"image/png"},
    "webp": {"image/webp"},
    "docx": {"application/vnd.openxmlformats-officedocument.wordprocessingml.document"},
    "xlsx": {"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"},
    "pptx": {"application/vnd.openxmlformats-officedocument.presentationml.presentation"},
    "odt": {"application/vnd.oasis.opendocument.text"},
    "ods": {"application/vnd.oasis.opendocument.spreadsheet"},
    "doc": {"application/msword"},
    "xls": {"application/vnd.ms-excel"},
}
ALLOWED_LABEL = _l(
    "PDF, images (JPEG, PNG, WebP), documents Word, Excel, PowerPoint ou OpenDocument"
)


class UploadRefused(ValueError):
    """The file cannot be accepted; the message says why, in French."""


@dataclass(frozen=True)
class CheckedFile:
    filename: str
    content_type: str
    data: bytes
    sha256: str


def upload_folder() -> Path:
    folder = Path(current_app.config["UPLOAD_FOLDER"])
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def clean_filename(raw: str | None) -> str:
    """The name people will see. Names that try to be paths are refused outright."""
    name = unicodedata.normalize("NFC", (raw or "").strip())
    if not name:
        raise UploadRefused(_("Le fichier n'a pas de nom."))
    if "/" in name or "\\" in name or ".." in name or name.startswith(".") or ":" in name:
        raise UploadRefused(
            _("Le nom du fichier n'est pas valable : renommez-le puis recommencez.")
        )
    if any(unicodedata.category(c).startswith("C") for c in name):
        raise UploadRefused(_("Le nom du fichier contient des caractères non autorisés."))
    if len(name) > 200:
        raise UploadRefused(_("Le nom du fichier est trop long (200 caractères au plus)."))
    return name


def check_upload(raw_name: str | None, data: bytes) -> CheckedFile:
    name = clean_filename(raw_name)
    if not data:
        raise UploadRefused(_("Le fichier est vide."))
    limit = current_app.config["MAX_UPLOAD_BYTES"]
    if len(data) > limit:
        raise UploadRefused(
            _("Le fichier dépasse la taille autorisée (%(size)d Mo).", size=limit // (1024 * 1024))
        )
    extension = name.rsplit(".", 1)[-1].lower() if "." in name else ""
    if extension not in ALLOWED_TYPES:
        raise UploadRefused(
            _(
                "Ce type de fichier n'est pas accepté. Types acceptés : %(types)s.",
                types=ALLOWED_LABEL,
            )
        )
    detected = filetype.guess_mime(data)
    if detected not in ALLOWED_TYPES[extension]:
        raise UploadRefused(
            _(
                "Le contenu du fichier ne correspond pas à son extension « .%(extension)s » : "
                "le fichier est refusé.",
                extension=extension,
            )
        )
    return CheckedFile(name, detected, data, hashlib.sha256(data).hexdigest())


def new_name() -> str:
    return secrets.token_hex(24)


def write_for_row(stored_name: str, data: bytes) -> None:
    """Write the file of a row just flushed; it goes again if the transaction rolls back, or
    the SAVEPOINT it was written in."""
    from portal.extensions import db

    with open(path_of(stored_name), "xb") as handle:
        handle.write(data)
    session = db.session()
    session.info.setdefault("written_files", []).append(
        (stored_name, session.get_nested_transaction())
    )


def written_inside(
    transaction: SessionTransaction | None, savepoint: SessionTransaction | None
) -> bool:
    """Whether ``transaction`` (None: outside any SAVEPOINT) is ``savepoint`` or inside it."""
    while transaction is not None:
        if transaction is savepoint:
            return True
        transaction = transaction.parent
    return False


@sa.event.listens_for(Session, "after_commit")
def keep_written_files(session: Session) -> None:
    if not session.in_nested_transaction():  # a SAVEPOINT released is no commit
        session.info.pop("written_files", None)


@sa.event.listens_for(Session, "after_rollback")
def remove_written_files(session: Session) -> None:
    """The transaction's files go; a SAVEPOINT's rollback takes only those written inside
    it (the event fires for both)."""
    savepoint = session.get_nested_transaction()
    written = session.info.pop("written_files", None) or []
    gone = [entry for entry in written if savepoint is None or written_inside(entry[1], savepoint)]
    if kept := [entry for entry in written if entry not in gone]:
        session.info["written_files"] = kept
    if has_app_context():
        for stored_name, _savepoint in gone:
            delete(stored_name)


def stored_names_in_use() -> set[str]:
    from portal.extensions import db
    from portal.models import CaseAttachment, OfferDocument

    return {
        *db.session.scalars(sa.select(CaseAttachment.stored_name)),
        *db.session.scalars(sa.select(OfferDocument.stored_name)),
    }


def remove_orphan_files(older_than_seconds: int = 3600) -> int:
    """Files no row refers to (left by a crash), once they are an hour old (an upload in
    flight has its row by then)."""
    import time

    in_use = stored_names_in_use()
    removed = 0
    for path in upload_folder().iterdir():
        if (
            path.is_file()
            and path.name not in in_use
            and path.name.isalnum()
            and time.time() - path.stat().st_mtime > older_than_seconds
        ):
            path.unlink()
            removed += 1
    return removed


def path_of(stored_name: str) -> Path:
    if not stored_name.isalnum():  # our names are hex: anything else is not ours
        raise FileNotFoundError(stored_name)
    return upload_folder() / stored_name


def delete(stored_name: str) -> None:
    with contextlib.suppress(FileNotFoundError):
        os.remove(path_of(stored_name))
