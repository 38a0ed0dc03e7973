"""Helpers for the behaviour tests: requests that start afresh as in production, the
database's whole content, form errors, CSRF tokens, e-mailed links and signing clocks."""

import html
import re
import threading
from contextlib import contextmanager
from datetime import datetime
from types import SimpleNamespace
from urllib.parse import urlsplit

import itsdangerous.timed
import pytest
import sqlalchemy as sa
from flask import Flask, current_app, g, has_app_context
from flask.testing import FlaskClient
from markupsafe import escape

from portal.extensions import db
from portal.models import AuditAction, AuditEvent, OutgoingEmail


class FreshRequestClient(FlaskClient):
    """A test client whose every request starts as it would in production.

    The ``app`` fixture keeps one application context open for the whole test, and a
    request reuses it: ``g`` (where Flask-Login caches the signed-in person and Flask-WTF
    the CSRF token) would then leak from one request, or one client, to the next. Each
    request here starts with an empty ``g``, and what it left uncommitted is rolled back,
    as the end of a real request would.
    """

    def run_wsgi_app(self, environ, buffered=False):
        shares_context = has_app_context() and current_app._get_current_object() is self.application
        if shares_context:
            vars(g._get_current_object()).clear()
        try:
            return super().run_wsgi_app(environ, buffered=buffered)
        finally:
            if shares_context:
                db.session.rollback()


def fresh_client(app: Flask) -> FreshRequestClient:
    """Another browser: its own cookies, nothing shared with the other clients."""
    app.test_client_class = FreshRequestClient
    return app.test_client()


def database_rows() -> dict[str, list]:
    """Every committed row of every table, to prove that a request changed nothing."""
    db.session.rollback()
    return {
        table.name: sorted(db.session.execute(sa.select(table)).all(), key=repr)
        for table in db.metadata.sorted_tables
    }


def form_errors(page: str) -> list[str]:
    """The messages shown beside the fields of a re-rendered form."""
    return [html.unescape(m) for m in re.findall(r'<p class="error" id="[^"]*">(.*?)</p>', page)]


def flashed(page: str) -> list[str]:
    return [
        html.unescape(m)
        for m in re.findall(r'<div class="alert alert-\w+" role="\w+">(.*?)</div>', page)
    ]


def shows_typed_value(page: str, value: str) -> bool:
    """The value is back in the form (as an input's value or a text area's content)."""
    escaped = re.escape(str(escape(value)))
    return bool(re.search(rf'value="{escaped}"|>\s*{escaped}</textarea>', page))


def csrf_token(page: str, form_prefix: str = "") -> str:
    """The CSRF token of a form on the page (``form_prefix`` for prefixed forms)."""
    name = f"{form_prefix}-csrf_token" if form_prefix else "csrf_token"
    match = re.search(rf'name="{name}"[^>]*value="([^"]+)"', page)
    assert match, f"no {name} field on the page"
    return match.group(1)


def emailed_path(recipient: str) -> str:
    """The path of the link in the latest e-mail queued for ``recipient``."""
    email = db.session.scalars(
        sa.select(OutgoingEmail)
        .where(OutgoingEmail.recipient == recipient)
        .order_by(OutgoingEmail.id.desc())
    ).first()
    assert email is not None, f"no e-mail queued for {recipient}"
    link = re.search(r"https?://\S+", email.text_body).group()
    return urlsplit(link).path


def queued_emails(recipient: str | None = None) -> list[OutgoingEmail]:
    query = sa.select(OutgoingEmail).order_by(OutgoingEmail.id)
    if recipient is not None:
        query = query.where(OutgoingEmail.recipient == recipient)
    return list(db.session.scalars(query))


@contextmanager
def signing_clock(moment: datetime):
    """Signed links made inside this block carry ``moment`` as their signing time, as if
    they had been sent then. Nothing else's clock moves."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(itsdangerous.timed, "time", SimpleNamespace(time=moment.timestamp))
        yield


def audit_events(action: AuditAction | None = None, object_type: str | None = None) -> list:
    query = sa.select(AuditEvent).order_by(AuditEvent.id)
    if action is not None:
        query = query.where(AuditEvent.action == action)
    if object_type is not None:
        query = query.where(AuditEvent.object_type == object_type)
    return list(db.session.scalars(query))


def fresh_totp_code(secret: str, last_step: int | None) -> str:
    """A code the portal will accept: a code is taken once, so a second sign-in within the
    same 30 seconds gives the next step's code (accepted one step ahead), or waits."""
    import time

    import pyotp

    from portal.auth.two_factor import STEP_SECONDS

    now = time.time()
    current = int(now // STEP_SECONDS)
    step = max(current, (last_step if last_step is not None else -1) + 1)
    if step > current + 1:
        time.sleep((step - 1) * STEP_SECONDS - now + 0.5)
    return pyotp.TOTP(secret).at(step * STEP_SECONDS)


def tagged_pdf_text(data: bytes, title: str) -> str:
    """The text of a PDF, once checked to be tagged for screen readers (PDF/UA-1: marked
    content, a structure tree, the document's language and title shown)."""
    import io

    import pypdf

    reader = pypdf.PdfReader(io.BytesIO(data))
    catalog = reader.trailer["/Root"]
    assert bool(catalog["/MarkInfo"]["/Marked"])
    assert "/StructTreeRoot" in catalog
    assert catalog["/Lang"] == "fr"
    assert bool(catalog["/ViewerPreferences"]["/DisplayDocTitle"])
    assert title in reader.metadata.title
    assert b"pdfuaid:part" in catalog["/Metadata"].get_object().get_data()
    return "\n".join(page.extract_text() for page in reader.pages)


def in_two_workers(app, work) -> list:
    """Run ``work()`` in two threads at once, each in an application context of its own (a
    worker process each); returns their results."""
    barrier = threading.Barrier(2)
    results: list = []
    errors: list[BaseException] = []

    def worker():
        try:
            with app.app_context():
                barrier.wait(timeout=10)
                results.append(work())
        except BaseException as error:  # reported in the main thread
            errors.append(error)

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not any(thread.is_alive() for thread in threads)
    assert errors == []
    return results
