"""Writing the audit trail."""

from collections.abc import Sequence

import sqlalchemy as sa
from flask import has_request_context, request
from flask_login import current_user

from portal.extensions import db
from portal.models import AuditAction, AuditEvent, User


def record_event(
    action: AuditAction,
    object_type: str,
    object_id: int | None = None,
    summary: str = "",
    *,
    user: User | None = None,
    organisation_id: int | None = None,
) -> AuditEvent:
    """Add an audit event to the session (the caller's transaction commits it)."""
    if user is None and has_request_context() and current_user.is_authenticated:
        user = current_user._get_current_object()
    if organisation_id is None and user is not None and user.active_memberships:
        organisation_id = user.active_memberships[0].organisation_id
    event = AuditEvent(
        action=action,
        object_type=object_type,
        object_id=object_id,
        summary=summary[:500],
        user=user,
        organisation_id=organisation_id,
        ip_address=request.remote_addr if has_request_context() else None,
    )
    db.session.add(event)
    return event


def record_events(
    action: AuditAction, object_type: str, entries: Sequence[tuple[int | None, str]]
) -> None:
    """Several events of the signed-in person in one INSERT (a page that shows many
    households: the agenda of a meeting). ``entries`` are (object id, summary) pairs."""
    if not entries:
        return
    user_id = organisation_id = ip_address = None
    if has_request_context():
        ip_address = request.remote_addr
        if current_user.is_authenticated:
            user_id = current_user.id
            memberships = current_user.active_memberships
            organisation_id = memberships[0].organisation_id if memberships else None
    db.session.execute(
        sa.insert(AuditEvent),
        [
            {
                "action": action,
                "object_type": object_type,
                "object_id": object_id,
                "summary": summary[:500],
                "user_id": user_id,
                "organisation_id": organisation_id,
                "ip_address": ip_address,
            }
            for object_id, summary in entries
        ],
    )
