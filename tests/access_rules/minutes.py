"""Access rules of the minutes routes (the meeting of ``governance``, minutes submitted):
the organisers write, approve and send them, the invitees read them."""

from tests.access_rules import Route
from tests.access_rules.governance import READERS, governed


def minutes_url(suffix: str = ""):
    return lambda w, e: f"/meetings/{e['meeting'].id}/minutes{suffix}"


ROUTES: dict[tuple[str, str], Route] = {
    ("minutes.show", "GET"): Route(minutes_url(), READERS),
    ("minutes.pdf", "GET"): Route(minutes_url(".pdf"), READERS),
    ("minutes.edit", "GET"): Route(minutes_url("/edit"), governed(200)),
    # An empty form lacks the version it was based on: refused, nothing saved.
    ("minutes.edit", "POST"): Route(minutes_url("/edit"), governed(400)),
    # No transition named: refused with a message, back to the minutes.
    ("minutes.status", "POST"): Route(minutes_url("/status"), governed(302)),
    # Submitted minutes cannot be re-opened, nor sent: back to the minutes with a message.
    ("minutes.reopen", "GET"): Route(minutes_url("/reopen"), governed(302)),
    ("minutes.reopen", "POST"): Route(minutes_url("/reopen"), governed(302)),
    ("minutes.send", "POST"): Route(minutes_url("/send"), governed(302)),
}


def build(world, case_world) -> dict:
    return {}  # the meeting of ``governance``
