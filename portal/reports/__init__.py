"""The yearly activity report, the indicators dashboard and the CSV exports."""

from flask import Blueprint

bp = Blueprint("reports", __name__, url_prefix="/reports")
