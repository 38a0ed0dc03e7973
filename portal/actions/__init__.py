"""Joint decisions and the follow-up actions they give, carried from meeting to meeting."""

from flask import Blueprint

bp = Blueprint("actions", __name__, url_prefix="/actions")
