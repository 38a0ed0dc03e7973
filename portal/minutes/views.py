"""Views of the minutes feature."""

from portal.minutes import bp  # noqa: F401
