"""Loading objects for a request, and refusing what the reader may not do."""

from collections.abc import Callable, Sequence
from typing import TypeVar

from flask import abort
from flask_login import current_user

from portal import permissions
from portal.extensions import db
from portal.models import Meeting

Model = TypeVar("Model")


def require(allowed: bool) -> None:
    """403: the reader knows the object exists but may not do this."""
    if not allowed:
        abort(403)


def get_visible_or_404(
    model: type[Model], object_id: int, can_see: Callable[..., bool], options: Sequence = ()
) -> Model:
    """The object, if the reader may see it. One they may not see is simply not found, so
    that its existence stays private (a household, a case, a meeting). ``options`` load
    with it what its page shows (a template issues no query)."""
    found = db.get_or_404(model, object_id, options=options)
    if not can_see(current_user, found):
        abort(404)
    return found


def load_meeting(meeting_id: int) -> Meeting:
    """A meeting, for the people invited to it and its organisers; to anyone else it does
    not exist (meetings, their minutes and their decisions load it the same way)."""
    return get_visible_or_404(Meeting, meeting_id, permissions.can_view_meeting)
