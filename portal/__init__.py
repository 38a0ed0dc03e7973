"""Portail partenaires: the web portal of a CCAS housing pathway's comité technique."""

import os

from flask import Flask, has_request_context, request
from flask_login import current_user
from werkzeug.routing import IntegerConverter

from config import CONFIGS, INSTANCE_DIR, Config
from portal.forms import MAX_ID


class IdConverter(IntegerConverter):
    """Ids in URLs fit the database's integer columns: a larger number is a page that does
    not exist (404), not a database error."""

    def __init__(self, map, *args, **kwargs):
        kwargs.setdefault("max", MAX_ID)
        super().__init__(map, *args, **kwargs)


def create_app(config: type[Config] | str | None = None) -> Flask:
    """Build the application. ``config`` is a config class or one of the names in
    ``config.CONFIGS``; by default ``PORTAL_ENV`` (development) decides."""
    if config is None or isinstance(config, str):
        config = CONFIGS[config or os.environ.get("PORTAL_ENV", "development")]
    if hasattr(config, "check"):
        config.check()

    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    app = Flask(
        __name__,
        instance_path=str(INSTANCE_DIR),
        template_folder=os.path.join(root, "templates"),
        static_folder=os.path.join(root, "static"),
    )
    app.config.from_object(config)
    app.url_map.converters["int"] = IdConverter
    init_operations(app)
    os.makedirs(app.instance_path, exist_ok=True)

    register_extensions(app)
    register_blueprints(app)
    register_errorhandlers(app)
    register_request_hooks(app)
    register_template_helpers(app)
    register_commands(app)
    return app


def init_operations(app: Flask) -> None:
    """Structured logs (one line per request) and error reporting, first of all."""
    from portal.ops.errors import init_sentry
    from portal.ops.logs import configure

    configure(app)
    init_sentry(app)


def register_extensions(app: Flask) -> None:
    from portal import i18n
    from portal.auth.guard import unauthorized
    from portal.extensions import babel, csrf, db, limiter, login_manager, mail, migrate
    from portal.security import init_security

    db.init_app(app)
    migrate.init_app(app, db, directory=os.path.join(os.path.dirname(app.root_path), "migrations"))
    csrf.init_app(app)
    mail.init_app(app)
    limiter.init_app(app)
    babel.init_app(app, locale_selector=i18n.select_locale)
    i18n.init_app(app)
    init_security(app)

    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.login_message = i18n.lazy_gettext("Connectez-vous pour accéder à cette page.")
    login_manager.localize_callback = str  # flashed messages must be plain strings
    login_manager.login_message_category = "info"
    login_manager.user_loader(load_user)
    login_manager.unauthorized_handler(unauthorized)


def load_user(session_key: str):
    """Each request reloads the person through their server-side session: a signed-out,
    expired or idle session, or a deactivated account, is refused at once."""
    from flask import g

    from portal.auth.sessions import find_session

    record = find_session(session_key)
    if record is None or not record.user.is_active:
        return None
    record.user.session_key = record.key
    g.user_session = record
    return record.user


def register_blueprints(app: Flask) -> None:
    """Each feature's views module registers its routes on the feature's blueprint; the
    packages themselves import no views, so that services never pull views in."""
    import importlib

    for feature in (
        "actions",
        "auth",
        "candidacies",
        "cases",
        "committees",
        "dashboard",
        "documents",
        "legal",
        "measures",
        "meetings",
        "minutes",
        "notifications",
        "organisations",
        "outbox",
        "owners",
        "reports",
        "search",
        "units",
    ):
        views = importlib.import_module(f"portal.{feature}.views")
        app.register_blueprint(views.bp)


def register_errorhandlers(app: Flask) -> None:
    from portal.errors import register

    register(app)


def register_request_hooks(app: Flask) -> None:
    from portal import submissions
    from portal.auth.guard import check_session
    from portal.errors import view_starts

    app.before_request(check_session)
    submissions.init_app(app)  # after check_session: it needs the person
    app.before_request(view_starts)  # last: what commits after it is the view's work

    @app.after_request
    def after_request(response):
        # Signed-in pages carry personal data: never keep them in a shared cache.
        if current_user.is_authenticated:
            response.headers["Cache-Control"] = "no-store"
        return response


def register_template_helpers(app: Flask) -> None:
    from portal import permissions
    from portal.formatting import FILTERS
    from portal.forms import error_links
    from portal.navigation import header_for

    app.jinja_env.globals["permissions"] = permissions
    app.jinja_env.globals["error_links"] = error_links

    @app.template_global()
    def note_form_errors() -> str:
        """Called by the error summary: the page's title then starts with « Erreur : »."""
        from flask import g

        g.form_errors_shown = True
        return ""

    app.jinja_env.globals["max_upload_mb"] = app.config["MAX_UPLOAD_BYTES"] // (1024 * 1024)
    app.jinja_env.filters.update(FILTERS)

    @app.template_global()
    def session_idle_seconds() -> int:
        """How long the signed-in session lasts without activity (for the page's warning)."""
        from flask import g

        from portal.auth.sessions import idle_timeout

        record = g.get("user_session")
        if record is None:
            return 0
        return int(idle_timeout(record.user, record.remember).total_seconds())

    @app.context_processor
    def inject_navigation():
        # E-mails are also rendered outside any request (cron jobs, CLI): no navigation.
        if not has_request_context():
            return {"current_endpoint": "", "navigation": None}
        return {"current_endpoint": request.endpoint or "", **header_for(current_user)}


def register_commands(app: Flask) -> None:
    from portal.cli import register

    register(app)
