import sqlalchemy as sa
from flask import jsonify, render_template
from flask_login import current_user

from portal import permissions
from portal.actions.services import open_actions_for
from portal.committees.services import committees_of
from portal.dashboard import bp
from portal.extensions import db
from portal.models import (
    Case,
    CaseStatus,
    Invitation,
    Meeting,
    MeetingStatus,
    Membership,
    now_utc,
)
from portal.ops.health import run_checks
from portal.outbox.services import count_undelivered


@bp.route("/")
def index():
    """The public welcome page, or each signed-in person's dashboard."""
    if not current_user.is_authenticated:
        return render_template("dashboard/welcome.html")
    if permissions.is_landlord(current_user):
        return render_template("dashboard/landlord.html")
    organisation_ids = current_user.organisation_ids
    is_coordinator = permissions.is_coordinator(current_user)
    committees = committees_of(organisation_ids)
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
    own_ids = list(organisation_ids)
    recent_cases = db.session.scalars(
        sa.select(Case)
        .where(permissions.visible_cases_clause(current_user), Case.status != CaseStatus.CLOSED)
        .where(Case.organisation_id.not_in(own_ids))
        .order_by(Case.updated.desc())
        .limit(5)
    ).all()
    own_case_counts = dict(
        db.session.execute(
            sa.select(Case.status, sa.func.count(Case.id))
            .where(Case.organisation_id.in_(own_ids), Case.status != CaseStatus.CLOSED)
            .group_by(Case.status)
        ).all()
    )
    next_meetings = db.session.scalars(
        sa.select(Meeting)
        .where(
            permissions.visible_meetings_clause(current_user),
            Meeting.status == MeetingStatus.PLANNED,
            Meeting.starts_at >= now_utc(),
        )
        .order_by(Meeting.starts_at)
        .limit(3)
    ).all()
    return render_template(
        "dashboard/index.html",
        my_actions=open_actions_for(current_user, limit=5),
        next_meetings=next_meetings,
        recent_cases=recent_cases,
        own_case_counts=own_case_counts,
        committees=committees,
        pending_invitations=pending_invitations,
        member_counts=member_counts,
        is_coordinator=is_coordinator,
        undelivered_emails=count_undelivered() if is_coordinator else 0,
    )


@bp.route("/healthz")
def healthz():
    """For the proxy and monitoring: 200 when every part answers, 503 naming the part that
    does not (the database, Redis, an outbox left waiting). Answers on plain HTTP too."""
    checks = run_checks()
    healthy = all(check.ok for check in checks)
    body = {check.name: ("ok" if check.ok else check.detail) for check in checks}
    return jsonify(status="ok" if healthy else "error", **body), 200 if healthy else 503
