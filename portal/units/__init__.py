"""IML programmes (agréments with a capacity) and the units the CCAS may rent."""

from flask import Blueprint

# Shares the /measures prefix with the measures blueprint: programmes and units live here.
bp = Blueprint("units", __name__, url_prefix="/measures")
