"""The pages a French public body must publish: legal notice, privacy notice and
accessibility statement, open to everyone and linked from every page's footer."""

from flask import Blueprint

bp = Blueprint("legal", __name__)
