"""Private owners: explain the scheme, simulate, take the offer, track it to an agreement."""

from flask import Blueprint

bp = Blueprint("owners", __name__, url_prefix="/landlords")
