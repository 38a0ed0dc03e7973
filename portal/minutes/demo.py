"""Demo data of the minutes feature, loaded by `flask demo load` after the cases."""


def load_demo_minutes(data: dict) -> None:
    """Add this feature's demo objects; ``data`` holds what was loaded before (flushes only)."""
