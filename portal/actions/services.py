"""Joint decisions and follow-up actions. Functions flush; the view commits."""

import sqlalchemy as sa

from portal.extensions import db
from portal.models import ActionStatus, FollowUpAction, Meeting


def open_actions_before(meeting: Meeting) -> list[FollowUpAction]:
    """The « suivi des décisions » of a meeting: every action still open from earlier
    meetings of the same committee. Nothing is copied: an action stays on each agenda
    until it is done or cancelled."""
    return list(
        db.session.scalars(
            sa.select(FollowUpAction)
            .join(Meeting, FollowUpAction.meeting_id == Meeting.id)
            .where(
                FollowUpAction.committee_id == meeting.committee_id,
                FollowUpAction.status == ActionStatus.OPEN,
                Meeting.starts_at < meeting.starts_at,
            )
            .order_by(FollowUpAction.due_on, FollowUpAction.id)
        )
    )
