"""Private landlords: explain the scheme, simulate, take the offer, track it to an agreement."""

from flask import Blueprint

bp = Blueprint("landlords", __name__, url_prefix="/landlords")
