"""Household files and the complex cases partners discuss in committee."""

from flask import Blueprint

bp = Blueprint("cases", __name__, url_prefix="/cases")
