"""Before every request: the session's activity, and the steps a signed-in person must take
before anything else (give the second factor, or enrol one when it is required).

Loading the person here, at the start, means the one bookkeeping commit (the session's
``last_seen``, at most once a minute) happens before any view has changed anything.
"""

from flask import g, redirect, request, url_for
from flask_login import current_user

from portal.auth.sessions import second_factor_required, touch
from portal.extensions import db

# What a person who still owes the second factor may reach.
OPEN_DURING_SIGN_IN = {
    "static",
    "auth.second_factor",
    "auth.two_factor_setup",
    "auth.logout",
}


def pending_step(user, record) -> str | None:
    """ "code": the second factor is owed for this session; "enrol": it must be set up."""
    if user.has_second_factor:
        return "code" if record is None or record.second_factor_at is None else None
    if second_factor_required(user):
        return "enrol"
    return None


def check_session():
    if request.endpoint == "static":
        return None
    user = current_user._get_current_object()
    record = g.get("user_session")
    if record is not None and touch(record):
        db.session.commit()
    if not user.is_authenticated or user.is_private_owner:
        return None
    step = pending_step(user, record)
    g.sign_in_step = step  # the page offers nothing else meanwhile (no navigation)
    if step is None or request.endpoint in OPEN_DURING_SIGN_IN:
        return None
    if step == "code":
        return redirect(url_for("auth.second_factor"))
    return redirect(url_for("auth.two_factor_setup"))


def unauthorized():
    """Not signed in (or the session has expired): to the sign-in page, then back. A form
    sent by an expired session is kept for its author, to send again once signed in."""
    from flask import flash, session

    from portal.auth.sessions import session_owner, stash_submission
    from portal.i18n import _

    if request.method == "POST" and request.form:
        from flask_login.utils import decode_cookie

        remembered = decode_cookie(request.cookies.get("remember_token", ""))
        owner = session_owner(session.get("_user_id") or remembered)
        if owner is not None:
            fields = [(k, v) for k, values in request.form.lists() for v in values]
            key = stash_submission(owner, request.path, fields)
            if key:
                db.session.commit()
                session["stash"] = key
                flash(
                    _(
                        "Votre session a expiré : reconnectez-vous. Ce que vous aviez saisi "
                        "est conservé et vous sera proposé à nouveau."
                    ),
                    "info",
                )
                return redirect(url_for("auth.login"))
    flash(_("Connectez-vous pour accéder à cette page."), "info")
    target = request.full_path if request.method == "GET" else request.path
    return redirect(url_for("auth.login", next=target.rstrip("?")))
