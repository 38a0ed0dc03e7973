from flask import Blueprint

bp = Blueprint("committees", __name__, url_prefix="/committees")
