import sqlalchemy as sa
from flask import jsonify, render_template
from flask_login import current_user

from portal import permissions
from portal.case_content import audit_reads
from portal.dashboard import bp
from portal.dashboard.blocks import blocks_for, household_reads
from portal.extensions import db
from portal.models import OwnerOffer
from portal.ops.health import run_checks
from portal.owners.services import owner_text


@bp.route("/")
def index():
    """The public welcome page, or each signed-in person's dashboard: the blocks their
    organisations' work calls for, each showing only what they may act on."""
    if not current_user.is_authenticated:
        return render_template("dashboard/welcome.html")
    if permissions.is_private_owner(current_user):
        offers = db.session.scalars(
            sa.select(OwnerOffer)
            .where(permissions.visible_offers_clause(current_user))
            .order_by(OwnerOffer.id.desc())
        ).all()
        return render_template(
            "dashboard/owner.html",
            offers=[(offer, owner_text(offer.status)[0]) for offer in offers],
        )
    user = current_user._get_current_object()
    blocks = blocks_for(user) if permissions.is_staff(user) else []
    # Rendered before the reads are logged and committed: a commit expires what the page
    # shows, and an early write would hold SQLite's lock while the page renders.
    page = render_template("dashboard/index.html", blocks=blocks)
    audit_reads(household_reads(blocks), "Consultation du tableau de bord")
    db.session.commit()
    return page


@bp.route("/healthz")
def healthz():
    """For the proxy and monitoring: 200 when every part answers, 503 naming the part that
    does not (the database, Redis, an outbox left waiting). Answers on plain HTTP too."""
    checks = run_checks()
    healthy = all(check.ok for check in checks)
    body = {check.name: ("ok" if check.ok else check.detail) for check in checks}
    return jsonify(status="ok" if healthy else "error", **body), 200 if healthy else 503
