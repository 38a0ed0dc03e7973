"""Error pages in French, never a stack trace."""

from urllib.parse import urlsplit

import sqlalchemy as sa
from flask import Flask, flash, g, has_request_context, jsonify, redirect, render_template, request
from flask_wtf.csrf import CSRFError
from sqlalchemy.orm import Session
from werkzeug.exceptions import HTTPException, InternalServerError

from portal.extensions import db
from portal.i18n import _, _l

SAVED_BUT_NOT_SHOWN = _l(
    "Votre modification est enregistrée, mais la page suivante n'a pas pu s'afficher."
)

MESSAGES = {
    400: (
        _l("Requête incorrecte"),
        _l("La demande n'a pas pu être comprise. Vérifiez le lien ou le formulaire."),
    ),
    403: (
        _l("Accès refusé"),
        _l(
            "Vous n'avez pas accès à cette page. Si vous pensez que c'est une erreur, "
            "adressez-vous à l'administrateur de votre organisation."
        ),
    ),
    404: (
        _l("Page introuvable"),
        _l("Cette page n'existe pas ou n'est pas accessible avec votre compte."),
    ),
    405: (_l("Action non autorisée"), _l("Cette action n'est pas possible ici.")),
    409: (
        _l("Envoi déjà traité"),
        _l(
            "Ce formulaire a déjà été envoyé, ou son envoi est en cours de traitement. "
            "Revenez à la page précédente et rechargez-la pour voir où il en est."
        ),
    ),
    413: (_l("Fichier trop volumineux"), _l("Le fichier envoyé dépasse la taille autorisée.")),
    429: (
        _l("Trop de tentatives"),
        _l(
            "Vous avez fait trop de tentatives en peu de temps. "
            "Patientez quelques minutes avant de réessayer."
        ),
    ),
    500: (
        _l("Erreur du serveur"),
        _l(
            "Une erreur inattendue s'est produite. "
            "Elle a été enregistrée ; réessayez dans un instant."
        ),
    ),
}


def render_error(code: int, message: str | None = None):
    title, default_message = (str(text) for text in MESSAGES.get(code, MESSAGES[500]))
    if request.path.startswith("/healthz") or request.accept_mimetypes.best == "application/json":
        return jsonify(error=title), code
    return render_template(
        "errors.html", code=code, title=title, message=message or default_message
    ), code


def register(app: Flask) -> None:
    @app.errorhandler(CSRFError)
    def csrf_error(error):
        return render_error(
            400,
            _(
                "Le formulaire a expiré ou ne vient pas de ce site. "
                "Rechargez la page et recommencez : vos saisies n'ont pas été enregistrées."
            ),
        )

    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException):
        if error.code is None or error.code < 400:
            return error
        return render_error(error.code)

    @app.errorhandler(InternalServerError)
    def internal_error(error):
        db.session.rollback()
        if request.method == "POST" and g.get("view_committed"):
            # The change is saved; only what came after failed (it is logged). Saying
            # « erreur » would make the person do it again.
            flash(str(SAVED_BUT_NOT_SHOWN), "success")
            return redirect(back_here(), 303)
        return render_error(500)


def view_starts() -> None:
    """The last hook before the view (``register_request_hooks``): commits from here on are
    the view's own, not the session's bookkeeping. ``g.view_committed`` says one happened
    (read here and by ``portal.submissions``)."""
    g.view_running = True


@sa.event.listens_for(Session, "after_commit")
def note_view_commit(session) -> None:
    if has_request_context() and g.get("view_running"):
        g.view_committed = True


def back_here() -> str:
    """The page the form was sent from, if it is one of ours; else the dashboard."""
    referrer = urlsplit(request.referrer or "")
    path = referrer.path
    # « //host/… » and « /\host/… » are read by browsers as another site.
    if referrer.netloc == request.host and path.startswith("/") and path[1:2] not in ("/", "\\"):
        return path + (f"?{referrer.query}" if referrer.query else "")
    return "/"
