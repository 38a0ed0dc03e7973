import sqlalchemy as sa
from flask import abort, render_template
from flask_login import current_user, login_required

from portal import permissions
from portal.actions import bp
from portal.extensions import db
from portal.models import ActionStatus, FollowUpAction


@bp.route("/")
@login_required
def index():
    """« Mes actions »: what my organisation and I must do, overdue first."""
    if not permissions.is_staff(current_user):
        abort(403)
    actions = db.session.scalars(
        sa.select(FollowUpAction)
        .where(
            FollowUpAction.status == ActionStatus.OPEN,
            sa.or_(
                FollowUpAction.organisation_id.in_(current_user.organisation_ids),
                FollowUpAction.user_id == current_user.id,
            ),
        )
        .order_by(FollowUpAction.due_on, FollowUpAction.id)
    ).all()
    return render_template("actions/index.html", actions=actions)
