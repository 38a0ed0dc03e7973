"""Configuration classes, read from the environment.

SQLite under ``instance/`` is the embedded default; ``DATABASE_URL`` selects
PostgreSQL (``postgresql://…``, driven by psycopg 3).
"""

import math
import os
from datetime import timedelta
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent
INSTANCE_DIR = BASE_DIR / "instance"

# Placeholder keys that must never reach production.
INSECURE_SECRET_KEYS = {"", "dev", "changeme", "development-only-secret-key"}


def database_url(url: str | None, default: str) -> str:
    """Normalise a database URL so that PostgreSQL always goes through psycopg 3."""
    url = url or default
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


def env_int(name: str, default: int) -> int:
    return int(os.environ.get(name, default))


class Config:
    SECRET_KEY = os.environ.get("SECRET_KEY", "development-only-secret-key")
    SQLALCHEMY_DATABASE_URI = database_url(
        os.environ.get("DATABASE_URL"), f"sqlite:///{INSTANCE_DIR / 'portal.sqlite3'}"
    )
    SQLALCHEMY_ENGINE_OPTIONS = {"pool_pre_ping": True}

    # Sessions and cookies
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    SESSION_COOKIE_SECURE = False
    REMEMBER_COOKIE_HTTPONLY = True
    REMEMBER_COOKIE_SAMESITE = "Lax"
    # Signed-in sessions (portal.auth.sessions): idle delays, absolute lifetime, remember-me.
    SESSION_IDLE_TIMEOUT_IDENTITY = timedelta(minutes=env_int("SESSION_IDLE_MINUTES_IDENTITY", 30))
    SESSION_IDLE_TIMEOUT = timedelta(minutes=env_int("SESSION_IDLE_MINUTES", 120))
    SESSION_ABSOLUTE_LIFETIME = timedelta(hours=env_int("SESSION_ABSOLUTE_HOURS", 12))
    REMEMBER_ME_LIFETIME = timedelta(days=min(env_int("REMEMBER_ME_DAYS", 7), 7))
    REMEMBER_COOKIE_DURATION = REMEMBER_ME_LIFETIME
    PERMANENT_SESSION_LIFETIME = SESSION_ABSOLUTE_LIFETIME
    # The page warns this long before an idle sign-out.
    SESSION_WARNING_SECONDS = 120
    FORCE_HTTPS = False
    # Behind a reverse proxy: how many proxies set X-Forwarded-For and X-Forwarded-Proto
    # (only those headers are trusted, from that many hops); X-Forwarded-Host only if asked.
    TRUSTED_PROXIES = env_int("TRUSTED_PROXIES", 0)
    TRUST_FORWARDED_HOST = os.environ.get("TRUST_FORWARDED_HOST", "0") == "1"

    # Forms
    WTF_CSRF_ENABLED = True
    WTF_CSRF_TIME_LIMIT = None  # the token lives as long as the session
    # Attachments: checked size, and the request limit just above it (form fields too).
    MAX_UPLOAD_BYTES = env_int("MAX_UPLOAD_MB", 10) * 1024 * 1024
    MAX_CONTENT_LENGTH = MAX_UPLOAD_BYTES + 256 * 1024
    UPLOAD_FOLDER = os.environ.get("UPLOAD_FOLDER", str(INSTANCE_DIR / "uploads"))

    # Meeting reminders (`flask reminders send`) leave this many days before the meeting.
    REMINDER_DAYS_BEFORE = env_int("REMINDER_DAYS_BEFORE", 2)

    # Household data is anonymised this long after the last case was closed.
    RETENTION_MONTHS = env_int("RETENTION_MONTHS", 24)

    # Links sent by e-mail
    INVITATION_MAX_AGE = timedelta(days=7)
    PASSWORD_RESET_MAX_AGE = timedelta(hours=2)
    PUBLIC_URL = os.environ.get("PUBLIC_URL", "http://127.0.0.1:5000")

    # E-mail: messages go through the outbox table, then SMTP.
    MAIL_SERVER = os.environ.get("MAIL_SERVER", "127.0.0.1")
    MAIL_PORT = env_int("MAIL_PORT", 25)
    MAIL_USE_TLS = os.environ.get("MAIL_USE_TLS", "0") == "1"
    MAIL_USE_SSL = os.environ.get("MAIL_USE_SSL", "0") == "1"
    MAIL_USERNAME = os.environ.get("MAIL_USERNAME")
    MAIL_PASSWORD = os.environ.get("MAIL_PASSWORD")
    MAIL_DEFAULT_SENDER = os.environ.get(
        "MAIL_DEFAULT_SENDER", "Portail partenaires <ne-pas-repondre@portail-partenaires.local>"
    )
    MAIL_TIMEOUT_SECONDS = env_int("MAIL_TIMEOUT_SECONDS", 10)
    OUTBOX_MAX_ATTEMPTS = env_int("OUTBOX_MAX_ATTEMPTS", 12)
    # A message claimed by a sender that died is offered again after this long.
    OUTBOX_CLAIM_TIMEOUT = timedelta(minutes=15)
    # Sent messages are deleted by `flask retention run` after this many days.
    OUTBOX_KEEP_DAYS = env_int("OUTBOX_KEEP_DAYS", 30)
    # The worker (flask worker run) delivers the outbox and runs the scheduled jobs.
    WORKER_INTERVAL_SECONDS = env_int("WORKER_INTERVAL_SECONDS", 5)
    OUTBOX_BATCH = env_int("OUTBOX_BATCH", 100)
    # /healthz and `flask health` fail when the oldest message waits longer than this.
    OUTBOX_ALERT_MINUTES = env_int("OUTBOX_ALERT_MINUTES", 30)
    # Retention: access logs and audit entries (CNIL: 6 to 12 months), unconfirmed landlord
    # accounts, kept submissions.
    AUDIT_KEEP_MONTHS = env_int("AUDIT_KEEP_MONTHS", 12)
    UNCONFIRMED_LANDLORD_DAYS = env_int("UNCONFIRMED_LANDLORD_DAYS", 30)
    # The legal notice, privacy notice and accessibility statement (/mentions-legales,
    # /confidentialite, /accessibilite) name these: set them for each installation.
    LEGAL_PUBLISHER = os.environ.get("LEGAL_PUBLISHER", "Centre communal d'action sociale")
    LEGAL_ADDRESS = os.environ.get("LEGAL_ADDRESS", "adresse à renseigner (LEGAL_ADDRESS)")
    LEGAL_DIRECTOR = os.environ.get(
        "LEGAL_DIRECTOR", "le président ou la présidente du CCAS (LEGAL_DIRECTOR)"
    )
    LEGAL_HOST = os.environ.get("LEGAL_HOST", "hébergeur à renseigner (LEGAL_HOST)")
    LEGAL_CONTACT_EMAIL = os.environ.get("LEGAL_CONTACT_EMAIL", "contact@portail-partenaires.local")
    DPO_CONTACT_EMAIL = os.environ.get("DPO_CONTACT_EMAIL", "dpo@portail-partenaires.local")
    # Errors go to Sentry when set (personal data scrubbed).
    SENTRY_DSN = os.environ.get("SENTRY_DSN", "")
    SENTRY_ENVIRONMENT = os.environ.get("SENTRY_ENVIRONMENT", "production")
    # Logs: "json" (one object a line, for the log collector) or "text"; one line per request.
    LOG_FORMAT = os.environ.get("LOG_FORMAT", "text")
    LOG_LEVEL = os.environ.get("LOG_LEVEL", "INFO")
    LOG_REQUESTS = os.environ.get("LOG_REQUESTS", "1") == "1"

    # Rate limiting (Flask-Limiter): memory by default, Redis when shared.
    RATELIMIT_STORAGE_URI = os.environ.get("RATELIMIT_STORAGE_URI", "memory://")
    RATELIMIT_HEADERS_ENABLED = True
    LOGIN_LIMIT_PER_ACCOUNT = os.environ.get("LOGIN_LIMIT_PER_ACCOUNT", "5 per 15 minutes")
    LOGIN_LIMIT_PER_IP = os.environ.get("LOGIN_LIMIT_PER_IP", "30 per 15 minutes")
    # Public landlord forms: offers started per address, simulator requests per address.
    LANDLORD_OFFER_LIMIT = os.environ.get("LANDLORD_OFFER_LIMIT", "5 per hour; 20 per day")
    LANDLORD_SIMULATOR_LIMIT = os.environ.get("LANDLORD_SIMULATOR_LIMIT", "120 per minute")

    # Interface
    BABEL_DEFAULT_LOCALE = "fr"
    BABEL_DEFAULT_TIMEZONE = "Europe/Paris"
    # English (and any later locale) lives in translations/<locale>/LC_MESSAGES/messages.po;
    # `make translations-compile` builds the .mo files that the portal reads.
    BABEL_TRANSLATION_DIRECTORIES = str(BASE_DIR / "translations")
    LANGUAGES = ["fr", "en"]
    PER_PAGE = 25

    DEMO_DATA_ALLOWED = True


class DevelopmentConfig(Config):
    DEBUG = False


class TestingConfig(Config):
    TESTING = True
    SECRET_KEY = "testing-secret-key"
    SQLALCHEMY_DATABASE_URI = "sqlite://"
    SQLALCHEMY_ENGINE_OPTIONS = {}
    WTF_CSRF_ENABLED = False
    RATELIMIT_ENABLED = False
    RATELIMIT_STORAGE_URI = "memory://"
    MAIL_SERVER = "127.0.0.1"
    MAIL_PORT = 1  # nothing listens there unless a test starts a server
    # Flask-Mail suppresses sending when TESTING is on, and the outbox would then mark
    # messages as sent that never left: tests talk to a real SMTP server instead.
    MAIL_SUPPRESS_SEND = False
    MAIL_TIMEOUT_SECONDS = 2
    PUBLIC_URL = "http://localhost"
    LOG_REQUESTS = False  # thousands of requests: the tests that read the log turn it on


def estimated_entropy_bits(key: str) -> float:
    """Shannon entropy of the key's characters times its length: a long key made of few
    distinct characters (« aaaa… », a repeated word) scores low."""
    if not key:
        return 0.0
    counts = {c: key.count(c) for c in set(key)}
    per_char = -sum(n / len(key) * math.log2(n / len(key)) for n in counts.values())
    return per_char * len(key)


class ProductionConfig(Config):
    LOG_FORMAT = os.environ.get("LOG_FORMAT", "json")
    SESSION_COOKIE_SECURE = True
    REMEMBER_COOKIE_SECURE = True
    FORCE_HTTPS = True
    DEMO_DATA_ALLOWED = False
    # Behind the documented nginx: one proxy sets X-Forwarded-For and X-Forwarded-Proto.
    TRUSTED_PROXIES = env_int("TRUSTED_PROXIES", 1)

    @classmethod
    def check(cls) -> None:
        """Refuse to start with a weak secret key, or with rate limits that each worker
        would count on its own."""
        key = os.environ.get("SECRET_KEY", "")
        bits = estimated_entropy_bits(key)
        weak = len(key) < 32 or bits < 128 or bits / len(key) < 3.5
        if key in INSECURE_SECRET_KEYS or weak:
            raise RuntimeError(
                "SECRET_KEY must be a random value of at least 32 characters in production, "
                'for example: python -c "import secrets; print(secrets.token_urlsafe(48))"'
            )
        storage = os.environ.get("RATELIMIT_STORAGE_URI", "memory://")
        if storage.startswith("memory://") and os.environ.get("WEB_CONCURRENCY", "") != "1":
            raise RuntimeError(
                "RATELIMIT_STORAGE_URI=memory:// counts sign-in attempts in each worker alone: "
                "set it to the shared Redis (redis://127.0.0.1:6379/0), or WEB_CONCURRENCY=1 "
                "for a single worker."
            )
        cls.SECRET_KEY = key


CONFIGS = {
    "development": DevelopmentConfig,
    "testing": TestingConfig,
    "production": ProductionConfig,
}
