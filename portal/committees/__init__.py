from flask import Blueprint

bp = Blueprint("committees", __name__, url_prefix="/committees")

from portal.committees import views  # noqa: E402, F401
