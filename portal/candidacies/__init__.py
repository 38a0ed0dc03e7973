"""SIAO candidacies: a CCAS household proposed for an IML programme; the SIAO decides."""

from flask import Blueprint

bp = Blueprint("candidacies", __name__, url_prefix="/siao")
