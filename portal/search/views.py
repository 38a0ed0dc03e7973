from flask import render_template, request
from flask_login import current_user, login_required

from portal.i18n import _
from portal.search import bp
from portal.search.services import MAX_LENGTH, MIN_LENGTH, search


@bp.route("/")
@login_required
def index():
    """Results across the portal for what was typed in the header's search box."""
    query = " ".join(request.args.get("q", "").replace("\x00", "").split())[:MAX_LENGTH]
    results, message = None, None
    if len(query) >= MIN_LENGTH:
        results = search(current_user._get_current_object(), query)
    elif query:
        message = _("Tapez au moins %(count)d caractères.", count=MIN_LENGTH)
    return render_template("search/index.html", query=query, results=results, message=message)
