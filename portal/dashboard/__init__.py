from flask import Blueprint

bp = Blueprint("dashboard", __name__)

from portal.dashboard import views  # noqa: E402, F401
