"""Single-use submission keys: a form sent twice (a double click, a browser's retry, back
and send again) is handled once, and the second request lands where the first one led.

Every POST form carries a random key beside its CSRF token (``submission_key()`` in the
template). The first request that brings a key records it in the same transaction as its
work, so the view's one commit keeps both or neither; a request that brings a key already
recorded is sent where the first went. Two requests at once are ordered by the key's
primary key: on PostgreSQL the second waits for the first's commit, then finds its key.
Without JavaScript the rule holds; with it, the buttons are also disabled while a form is
on its way (static/js/portal.js)."""

import re
import secrets
import time

import sqlalchemy as sa
from flask import Flask, abort, flash, g, redirect, request
from flask_login import current_user
from markupsafe import Markup
from sqlalchemy.exc import IntegrityError

from portal.extensions import db
from portal.i18n import _
from portal.models import SubmissionKey

FIELD = "submission_key"
KEY = re.compile(r"^[A-Za-z0-9_-]{16,64}$")
REDIRECTS = (301, 302, 303, 307, 308)


def submission_key() -> Markup:
    """The hidden field of a POST form: a new key at each rendering."""
    return Markup(f'<input type="hidden" name="{FIELD}" value="{secrets.token_urlsafe(16)}">')


def check_submission():
    """Before a POST view: record its key, or send a repeated submission to the first's
    result. A form without a key (an API call, a test) is handled as it comes."""
    if request.method != "POST":
        return None
    key = request.form.get(FIELD, "")
    if not KEY.match(key):
        return None
    owner = current_user.id if current_user.is_authenticated else None
    seen = db.session.get(SubmissionKey, key)
    if seen is None:
        db.session.add(SubmissionKey(key=key, user_id=owner, path=request.path[:500]))
        try:
            db.session.flush()
        except IntegrityError:  # the same submission, handled at this very moment
            db.session.rollback()
            seen = db.session.get(SubmissionKey, key)
        else:
            g.submission_key = key
            return None
    # A key recorded for another form, or by another signed-in person, is no repetition.
    # (Signed out by the first request, as a double click on « Se déconnecter » is, the
    # second still lands where the first went.)
    someone_else = owner is not None and seen is not None and seen.user_id != owner
    if seen is None or someone_else or seen.path != request.path[:500]:
        abort(409)
    location = seen.location or first_result(key)
    if location is None:
        abort(409)  # the first never led anywhere (a download, an error), or still runs
    flash(_("Ce formulaire avait déjà été envoyé : il n'a été pris en compte qu'une fois."))
    return redirect(location, 303)


def first_result(key: str, wait_seconds: float = 3.0) -> str | None:
    """Where the first request led, once it has said so: two requests at once (a double
    click) find its key as soon as its work is committed, a moment before its location."""
    deadline = time.monotonic() + wait_seconds
    while True:
        db.session.rollback()  # each look sees what was committed since
        location = db.session.scalar(
            sa.select(SubmissionKey.location).where(SubmissionKey.key == key)
        )
        if location is not None or time.monotonic() > deadline:
            return location
        time.sleep(0.05)


def remember_result(response):
    """After a POST view that committed its work: where its key leads from now on. A view
    that refused the submission committed nothing, and its key went with the rollback."""
    key = g.pop("submission_key", None)
    # The key was flushed before the view: a commit by the view kept it with the work.
    if not (key and g.get("view_committed")):
        return response
    if response.status_code in REDIRECTS:
        db.session.execute(
            sa.update(SubmissionKey)
            .where(SubmissionKey.key == key)
            .values(location=response.location[:500])
        )
    else:
        # Committed with something else (the page's reading, recorded), the form refused
        # or answered in place: nothing to land on, and nothing of it is kept.
        db.session.execute(sa.delete(SubmissionKey).where(SubmissionKey.key == key))
    db.session.commit()  # bookkeeping, after the view's own commit
    return response


def init_app(app: Flask) -> None:
    app.before_request(check_submission)
    app.after_request(remember_result)
    app.jinja_env.globals["submission_key"] = submission_key
