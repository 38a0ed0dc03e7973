"""Documents generated from a measure: the household's guide, the sublease contract, the
CCAS–landlord agreement, the lease-slide letter and amendment, the convocation to a point de
situation. PDF for all, Word (.docx) where a person completes or signs; the coordinator edits
their fixed wording."""

from flask import Blueprint

bp = Blueprint("documents", __name__, url_prefix="/documents")
