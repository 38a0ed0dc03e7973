import sqlalchemy as sa
from flask import abort, render_template
from flask_login import current_user, login_required

from portal import permissions
from portal.extensions import db
from portal.meetings import bp
from portal.models import Meeting, now_utc


@bp.route("/")
@login_required
def index():
    """Upcoming and past meetings the reader is invited to (or organises)."""
    if not permissions.is_staff(current_user):
        abort(403)
    visible = sa.select(Meeting).where(permissions.visible_meetings_clause(current_user))
    now = now_utc()
    upcoming = db.session.scalars(
        visible.where(Meeting.starts_at >= now).order_by(Meeting.starts_at)
    ).all()
    past = db.session.scalars(
        visible.where(Meeting.starts_at < now).order_by(Meeting.starts_at.desc()).limit(50)
    ).all()
    return render_template("meetings/index.html", upcoming=upcoming, past=past)
