"""Security headers on every response (Flask-Talisman) and proxy awareness."""

from urllib.parse import urlsplit, urlunsplit

from flask import Flask, current_app, redirect, request
from flask_talisman import Talisman
from werkzeug.middleware.proxy_fix import ProxyFix
from werkzeug.wrappers import Response as WerkzeugResponse

# Everything is served from our own origin: no inline script or style, no third party.
CONTENT_SECURITY_POLICY = {
    "default-src": "'self'",
    "script-src": "'self'",
    "style-src": "'self'",
    "img-src": ["'self'", "data:"],
    "font-src": "'self'",
    "connect-src": "'self'",
    "form-action": "'self'",
    "frame-ancestors": "'none'",
    "base-uri": "'self'",
    "object-src": "'none'",
}


def init_security(app: Flask) -> None:
    proxies = app.config.get("TRUSTED_PROXIES", 0)
    if proxies:
        # Behind the reverse proxy: the client's address and the scheme, as the proxies saw
        # them, from that many hops; the Host only if told to (a client could forge it).
        app.wsgi_app = ProxyFix(  # type: ignore[method-assign]  # Flask's documented wrapping
            app.wsgi_app,
            x_for=proxies,
            x_proto=proxies,
            x_host=proxies if app.config.get("TRUST_FORWARDED_HOST") else 0,
        )
    if app.config.get("FORCE_HTTPS"):
        app.before_request(redirect_to_https)
    # One Talisman per app: the object keeps its settings, so a shared instance would give
    # every app in the process the settings of the last one built. Its own HTTPS redirect
    # would go to the request's Host: ours goes to PUBLIC_URL's.
    app.extensions["talisman"] = Talisman(
        app,
        force_https=False,
        strict_transport_security=app.config.get("FORCE_HTTPS", False),
        strict_transport_security_max_age=31536000,
        session_cookie_secure=app.config["SESSION_COOKIE_SECURE"],
        session_cookie_http_only=True,
        frame_options="DENY",
        content_security_policy=CONTENT_SECURITY_POLICY,
        referrer_policy="strict-origin-when-cross-origin",
        permissions_policy={"geolocation": "()", "camera": "()", "microphone": "()"},
    )


def redirect_to_https() -> WerkzeugResponse | None:
    """Plain HTTP goes to the same path on PUBLIC_URL's host (never on a Host header the
    client chose); /healthz answers on plain HTTP, where the proxy probes it."""
    if request.is_secure or request.endpoint in ("dashboard.healthz", "static"):
        return None
    base = urlsplit(current_app.config["PUBLIC_URL"])
    target = urlunsplit(("https", base.netloc, request.path, request.query_string.decode(), ""))
    return redirect(target, code=301)
