"""IML measures: from the start of the sublease to the lease slide, with their bilans,
the month-by-month rent record and the fiche-bilan for the State service."""

from flask import Blueprint

bp = Blueprint("measures", __name__, url_prefix="/measures")
