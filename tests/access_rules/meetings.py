"""Access rules of the meetings routes."""

from tests.access_rules import STAFF_ONLY, Route

ROUTES: dict[tuple[str, str], Route] = {
    ("meetings.index", "GET"): Route(lambda w, e: "/meetings/", STAFF_ONLY),
}


def build(world, case_world) -> dict:
    """Objects the URLs of these routes point at."""
    return {}
