import sqlalchemy as sa
from flask import jsonify, render_template
from flask_login import current_user

from portal import permissions
from portal.dashboard import bp
from portal.extensions import db
from portal.models import Committee, Invitation, Membership, committee_organisation, now_utc


@bp.route("/")
def index():
    """The public welcome page, or each signed-in person's dashboard."""
    if not current_user.is_authenticated:
        return render_template("dashboard/welcome.html")
    if permissions.is_landlord(current_user):
        return render_template("dashboard/landlord.html")
    organisation_ids = current_user.organisation_ids
    committees = db.session.scalars(
        sa.select(Committee)
        .where(
            Committee.active,
            Committee.id.in_(
                sa.select(committee_organisation.c.committee_id).where(
                    committee_organisation.c.organisation_id.in_(organisation_ids)
                )
            ),
        )
        .order_by(Committee.name)
    ).all()
    admin_ids = current_user.admin_organisation_ids
    pending_invitations = 0
    if admin_ids:
        pending_invitations = db.session.scalar(
            sa.select(sa.func.count(Invitation.id)).where(
                Invitation.organisation_id.in_(admin_ids),
                Invitation.accepted_at.is_(None),
                Invitation.revoked_at.is_(None),
                Invitation.expires_at > now_utc(),
            )
        )
    member_counts = {}
    if admin_ids:
        member_counts = dict(
            db.session.execute(
                sa.select(Membership.organisation_id, sa.func.count(Membership.id))
                .where(Membership.organisation_id.in_(admin_ids), Membership.active)
                .group_by(Membership.organisation_id)
            ).all()
        )
    return render_template(
        "dashboard/index.html",
        committees=committees,
        pending_invitations=pending_invitations,
        member_counts=member_counts,
        is_coordinator=permissions.is_coordinator(current_user),
    )


@bp.route("/healthz")
def healthz():
    """For the load balancer: 200 when the database answers, 503 otherwise."""
    try:
        db.session.execute(sa.text("SELECT 1"))
    except sa.exc.SQLAlchemyError:
        db.session.rollback()
        return jsonify(status="error", database="unreachable"), 503
    return jsonify(status="ok")
