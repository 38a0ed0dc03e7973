"""The access matrix, feature by feature: each module lists its routes with the answer
each kind of person must get, and builds the objects its URLs point at.

A feature module defines ``ROUTES`` ({(endpoint, method): Route}) and
``build(world, case_world) -> dict`` (objects added to ``extra`` for the URL builders).
"""

from collections.abc import Callable
from dataclasses import dataclass

from tests.conftest import World

ROLES = (
    "anonymous",
    "landlord",  # private owner
    "outsider",  # member of an organisation with no link to the object
    "partner_member",  # Mission Locale (on the committee); case shared with it: full
    "partner_admin",  # admin of the Mission Locale
    "siao_officer",  # SIAO: on the committee, case not shared with it
    "cdas_worker",  # CDAS: not on the committee; case shared with it: situation only
    "ccas_worker",  # the CCAS owns the household and its case
    "coordinator",  # CCAS admin and coordinator
    # The meeting of the matrix (see ``governance``): each of these belongs to an
    # organisation with no other link, so that everywhere else they answer as the outsider.
    "organiser",  # scheduled the meeting
    "co_organiser",  # named to organise it with the organiser
    "secretariat",  # admin of the organisation holding the committee's secretariat
    "excused_invitee",  # invited, answered « excusé » with a written opinion
    "action_assignee",  # a member of the organisation given one action, not invited
    # A CCAS worker whose second factor is required and not set up yet: every route but
    # the enrolment and signing out sends them to the enrolment (302).
    "enrolment_pending",
)
LIKE_OUTSIDER = ("organiser", "co_organiser", "secretariat", "excused_invitee", "action_assignee")


@dataclass(frozen=True)
class Route:
    url: Callable[[World, dict], str]
    expected: dict[str, int]


def answers(default: int, anonymous: int = 302, **overrides: int) -> dict[str, int]:
    expected = {role: default for role in ROLES}
    expected["anonymous"] = anonymous
    expected.update(overrides)
    for role in LIKE_OUTSIDER:
        if role not in overrides:
            expected[role] = expected["outsider"]
    expected.setdefault("enrolment_pending", 302)
    if "enrolment_pending" not in overrides:
        expected["enrolment_pending"] = 302
    return expected


STAFF_ONLY = answers(200, landlord=403)
# Household files: only the owning organisation knows they exist.
OWNER_ONLY = answers(404, ccas_worker=200, coordinator=200)
OWNER_ADMIN_ONLY = answers(404, ccas_worker=403, coordinator=200)
# A case: seen by the owner, its participants and (pseudonymised) the committee.
CASE_READERS = answers(
    404,
    partner_member=200,
    partner_admin=200,
    siao_officer=200,
    cdas_worker=200,
    ccas_worker=200,
    coordinator=200,
)


def case_answers(owner: int, others: int = 403) -> dict[str, int]:
    """Owner-only actions on a case: those who may read it get a 403, the others a 404."""
    readers = ("partner_member", "partner_admin", "siao_officer", "cdas_worker")
    return answers(404, ccas_worker=owner, coordinator=owner, **dict.fromkeys(readers, others))


COORDINATOR_ONLY = answers(403, coordinator=200)
# Emergency powers of the coordinator over another organisation's people.
COORDINATOR_ACTS = answers(403, coordinator=302)
# An empty POST to an edit form re-saves the object as it is, then redirects.
COORDINATOR_SAVES = answers(403, coordinator=302)
# The Mission Locale has an admin: only they manage its people (the coordinator invites an
# organisation's first admin only), the coordinator may deactivate someone in an emergency.
MEMBER_MANAGERS = answers(403, partner_admin=302)
MEMBER_DEACTIVATORS = answers(403, partner_admin=302, coordinator=302)
MEMBER_MANAGER_PAGES = answers(403, partner_admin=200)
SIGNED_IN = answers(200)
PUBLIC = answers(200, anonymous=200)
BAD_LINK = answers(400, anonymous=400)
