"""E-mail that is never lost: an outbox table, delivered by the worker and retried."""

from flask import Blueprint

bp = Blueprint("outbox", __name__, url_prefix="/admin/emails")
