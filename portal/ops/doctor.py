"""``flask doctor``: is this installation ready? Each part checked says, in French, what
is wrong and what to do about it."""

import smtplib
import tempfile
from dataclasses import dataclass
from email.utils import parseaddr
from pathlib import Path
from urllib.parse import urlsplit

import sqlalchemy as sa
from flask import current_app

from config import INSECURE_SECRET_KEYS, estimated_entropy_bits
from portal.extensions import db

# WeasyPrint's system libraries on Debian 12 (its documentation's list).
WEASYPRINT_PACKAGES = "libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 fonts-dejavu-core"


@dataclass(frozen=True)
class Finding:
    part: str
    ok: bool
    message: str


def is_production() -> bool:
    return not current_app.config["DEMO_DATA_ALLOWED"]


def check_configuration() -> list[Finding]:
    config = current_app.config
    findings = []
    key = config["SECRET_KEY"] or ""
    bits = estimated_entropy_bits(key)
    weak = key in INSECURE_SECRET_KEYS or len(key) < 32 or bits < 128
    if weak and is_production():
        findings.append(
            Finding(
                "configuration",
                False,
                "SECRET_KEY est trop faible : mettez une valeur aléatoire d'au moins 32 "
                'caractères (python -c "import secrets; print(secrets.token_urlsafe(48))").',
            )
        )
    public = urlsplit(config.get("PUBLIC_URL", ""))
    if public.scheme not in ("http", "https") or not public.netloc:
        findings.append(
            Finding(
                "configuration",
                False,
                "PUBLIC_URL doit être l'adresse publique du portail, par exemple "
                "https://portail.example.fr (elle sert aux liens des e-mails).",
            )
        )
    elif is_production() and public.scheme != "https":
        findings.append(
            Finding("configuration", False, "PUBLIC_URL doit commencer par https:// en production.")
        )
    if "@" not in parseaddr(config.get("MAIL_DEFAULT_SENDER") or "")[1]:
        findings.append(
            Finding(
                "configuration",
                False,
                "MAIL_DEFAULT_SENDER doit être une adresse d'expédition, par exemple "
                "« Portail partenaires <ne-pas-repondre@example.fr> ».",
            )
        )
    if is_production() and config["RATELIMIT_STORAGE_URI"].startswith("memory://"):
        findings.append(
            Finding(
                "configuration",
                False,
                "RATELIMIT_STORAGE_URI : utilisez le Redis partagé (redis://127.0.0.1:6379/0) "
                "pour que les tentatives de connexion soient comptées par tous les processus.",
            )
        )
    if not findings:
        findings.append(Finding("configuration", True, "clé secrète, adresses et limites"))
    return findings


def check_database() -> Finding:
    from alembic.script import ScriptDirectory

    try:
        current = db.session.scalar(sa.text("SELECT version_num FROM alembic_version"))
    except sa.exc.SQLAlchemyError as error:
        db.session.rollback()
        reason = str(getattr(error, "orig", error)).splitlines()[0][:160]
        return Finding(
            "base de données",
            False,
            f"injoignable ou non initialisée ({reason}) : vérifiez DATABASE_URL, puis lancez "
            "« flask db upgrade ».",
        )
    migrations = current_app.extensions["migrate"].directory
    script = ScriptDirectory(migrations)
    head = script.get_current_head()
    if current != head:
        return Finding(
            "base de données",
            False,
            f"schéma en version {current}, le code attend {head} : lancez « flask db upgrade ».",
        )
    return Finding("base de données", True, f"joignable, schéma à jour ({head})")


def check_uploads() -> Finding:
    folder = Path(current_app.config["UPLOAD_FOLDER"])
    if folder.exists() and not folder.is_dir():
        return Finding(
            "pièces jointes", False, f"{folder} n'est pas un dossier : corrigez UPLOAD_FOLDER."
        )
    try:
        folder.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=folder):
            pass
    except OSError as error:
        return Finding(
            "pièces jointes",
            False,
            f"impossible d'écrire dans {folder} ({error.strerror}) : donnez ce dossier à "
            "l'utilisateur du service (chown), ou corrigez UPLOAD_FOLDER.",
        )
    return Finding("pièces jointes", True, f"{folder} accessible en écriture")


def check_smtp() -> Finding:
    from portal.outbox.smtp import close_quietly, open_connection

    config = current_app.config
    where = f"{config['MAIL_SERVER']}:{config['MAIL_PORT']}"
    try:
        connection = open_connection()
        connection.noop()
    except (OSError, smtplib.SMTPException) as error:
        return Finding(
            "messagerie",
            False,
            f"serveur {where} injoignable ({type(error).__name__}: {error}) : vérifiez "
            "MAIL_SERVER, MAIL_PORT, MAIL_USE_TLS et les identifiants.",
        )
    close_quietly(connection)
    return Finding("messagerie", True, f"serveur {where} joignable")


def check_pdf() -> Finding:
    try:
        import weasyprint

        weasyprint.HTML(string="<p>Portail</p>").write_pdf()
    except (OSError, ImportError) as error:
        return Finding(
            "PDF",
            False,
            f"WeasyPrint ne peut pas produire de PDF ({error}) : installez ses bibliothèques "
            f"système (apt install {WEASYPRINT_PACKAGES}).",
        )
    return Finding("PDF", True, "WeasyPrint et ses bibliothèques système")


def check_redis() -> Finding | None:
    from portal.ops.health import check_redis as ping

    check = ping()
    if check is None:
        return None
    if check.ok:
        return Finding("Redis", True, "répond")
    return Finding(
        "Redis", False, f"{check.detail} : démarrez Redis ou corrigez RATELIMIT_STORAGE_URI."
    )


def diagnose() -> list[Finding]:
    findings: list[Finding | None] = [*check_configuration()]
    findings += [check_database(), check_uploads(), check_smtp(), check_pdf(), check_redis()]
    return [finding for finding in findings if finding is not None]
