"""Minutes (comptes rendus) of meetings: writing, approval, re-opening, PDF."""

from flask import Blueprint

bp = Blueprint("minutes", __name__, url_prefix="/meetings")
