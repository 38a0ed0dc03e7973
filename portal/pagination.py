"""One page of a list, whatever ``?page=`` says."""

from typing import Any

import sqlalchemy as sa
from flask import current_app, request
from flask_sqlalchemy.pagination import Pagination

from portal.extensions import db

# Far past any list of the portal, and far inside the databases' integers (an OFFSET past
# them is an error, not an empty page).
MAX_PAGE = 1_000_000


def paginate(select: sa.Select[Any]) -> Pagination:
    """The requested page of ``select``; a page number that is not one the list can have
    (not a number, below 1, past ``MAX_PAGE``) shows the first page."""
    page = request.args.get("page", 1, type=int)
    if page is None or not 1 <= page <= MAX_PAGE:
        page = 1
    return db.paginate(select, page=page, per_page=current_app.config["PER_PAGE"], error_out=False)
