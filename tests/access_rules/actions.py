"""Access rules of the decisions and actions routes."""

from tests.access_rules import STAFF_ONLY, Route

ROUTES: dict[tuple[str, str], Route] = {
    ("actions.index", "GET"): Route(lambda w, e: "/actions/", STAFF_ONLY),
}


def build(world, case_world) -> dict:
    """Objects the URLs of these routes point at."""
    return {}
