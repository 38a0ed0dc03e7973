"""A view's one commit, written once.

Services flush and never commit; the view commits once when the service is done, or rolls
back when the service refused the change (a ``WorkflowError``, or whatever the view names),
and then tells the person why. Instead of a try/except/rollback/else/commit in each view::

    with commit_unless_refused() as outcome:
        update_case(case, form.data, user)
    if outcome.refused:
        flash(outcome.message, "error")
        return redirect(...)
    flash(_("La situation est enregistrée."), "success")

Any other exception rolls back too (and propagates: it is a bug, not a refusal).
"""

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from .extensions import db
from .workflow import WorkflowError


@dataclass
class Outcome:
    """What became of the change: ``error`` is the refusal, ``None`` once committed."""

    error: Exception | None = None

    @property
    def refused(self) -> bool:
        return self.error is not None

    @property
    def message(self) -> str:
        return str(self.error) if self.error is not None else ""


@contextmanager
def commit_unless_refused(*refusals: type[Exception]) -> Iterator[Outcome]:
    """Commit what the block did, or roll it back and record the refusal (by default a
    ``WorkflowError``) in the outcome instead of raising it."""
    refused = refusals or (WorkflowError,)
    outcome = Outcome()
    try:
        yield outcome
    except refused as error:
        db.session.rollback()
        outcome.error = error
        return
    except BaseException:
        db.session.rollback()
        raise
    db.session.commit()
