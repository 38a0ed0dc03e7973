"""A household's data, whole: declared once (``registry``), erased everywhere when its
retention period is over (``erasure``), exported whole for its right of access
(``export``). tests/test_household_data.py keeps the registry complete as the models grow:
a text column neither declared nor exempted fails the suite."""

from portal.household_data.registry import PARTS, PLACEHOLDER, link_email, link_meeting_email

__all__ = ["PARTS", "PLACEHOLDER", "link_email", "link_meeting_email"]
