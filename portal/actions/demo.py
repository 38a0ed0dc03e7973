"""Demo data of the actions feature, loaded by `flask demo load` after the cases."""


def load_demo_actions(data: dict) -> None:
    """Add this feature's demo objects; ``data`` holds what was loaded before (flushes only)."""
