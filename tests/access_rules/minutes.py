"""Access rules of the minutes routes."""

from tests.access_rules import Route

ROUTES: dict[tuple[str, str], Route] = {}


def build(world, case_world) -> dict:
    """Objects the URLs of these routes point at."""
    return {}
