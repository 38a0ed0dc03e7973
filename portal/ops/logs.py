"""Logs an operator can search: one line per request with its id, the person's and their
organisation's ids, the status and the time taken; JSON in production.

Never a household's personal data: no query string (a search may hold a name), no form
field, no page content; only ids and the route."""

import logging
import re
import sys
import time
import uuid

from flask import Flask, g, has_request_context, request

REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{8,64}$")
request_logger = logging.getLogger("portal.requests")


class StderrHandler(logging.StreamHandler):
    """Writes to whatever ``sys.stderr`` is when a record comes (servers and test runners
    replace it after start-up)."""

    def __init__(self):
        logging.Handler.__init__(self)

    @property
    def stream(self):
        return sys.stderr


class RequestContext(logging.Filter):
    """Adds the request id and who made it to every record logged during a request."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = record.user_id = record.organisation_id = None
        if has_request_context():
            record.request_id = g.get("request_id")
            user = g.get("_login_user")  # set once Flask-Login loaded the person
            if user is not None and getattr(user, "is_authenticated", False):
                record.user_id = user.id
                ids = getattr(user, "organisation_ids", None)
                record.organisation_id = min(ids) if ids else None
        return True


def logged_path() -> str:
    """The path, but a link's secret (reset, invitation, calendar) is never written down:
    the route's pattern stands for it."""
    rule = request.url_rule
    if rule is not None and "<token>" in rule.rule:
        return rule.rule
    return request.path


def formatter(kind: str) -> logging.Formatter:
    if kind == "json":
        from pythonjsonlogger.json import JsonFormatter

        return JsonFormatter(
            "%(asctime)s %(levelname)s %(name)s %(message)s",
            rename_fields={"asctime": "time", "levelname": "level", "name": "logger"},
            json_ensure_ascii=False,
        )
    return logging.Formatter("%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s")


def configure(app: Flask) -> None:
    handler = StderrHandler()
    handler.setFormatter(formatter(app.config["LOG_FORMAT"]))
    handler.addFilter(RequestContext())
    # The app's logger ("portal") and its children (portal.requests) write through it.
    logger = logging.getLogger("portal")
    logger.handlers = [handler]
    logger.setLevel(app.config["LOG_LEVEL"])
    logger.propagate = False

    @app.before_request
    def start_request():
        # The proxy's id (nginx's $request_id) when it sent a sane one: both logs then meet.
        given = request.headers.get("X-Request-ID", "")
        g.request_id = given if REQUEST_ID.match(given) else uuid.uuid4().hex
        g.request_started = time.perf_counter()

    @app.after_request
    def log_request(response):
        response.headers["X-Request-ID"] = g.get("request_id", "")
        started = g.get("request_started")
        if started is not None and app.config["LOG_REQUESTS"]:
            request_logger.info(
                "%s %s %s",
                request.method,
                logged_path(),
                response.status_code,
                extra={
                    "method": request.method,
                    "path": logged_path(),
                    "status": response.status_code,
                    "duration_ms": round((time.perf_counter() - started) * 1000, 1),
                },
            )
        return response
