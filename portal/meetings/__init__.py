"""Committee meetings: scheduling, invitations and answers, agenda, register, calendar."""

from flask import Blueprint

bp = Blueprint("meetings", __name__, url_prefix="/meetings")
