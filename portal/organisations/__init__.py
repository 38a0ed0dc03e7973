from flask import Blueprint

bp = Blueprint("organisations", __name__, url_prefix="/organisations")

from portal.organisations import views  # noqa: E402, F401
