"""Which organisation a person acts for, when they belong to several (shown in the header,
switched there). What they create is made for it; nothing else depends on it: what a person
may read still comes from all their memberships."""

from flask import session

from portal.models import Organisation

SESSION_KEY = "acting_organisation_id"


def acting_organisation(user) -> Organisation | None:
    """The organisation chosen in this session, or the person's first one."""
    organisations = [m.organisation for m in user.active_memberships]
    chosen = session.get(SESSION_KEY)
    return next(
        (o for o in organisations if o.id == chosen), organisations[0] if organisations else None
    )


def act_for(organisation: Organisation) -> None:
    session[SESSION_KEY] = organisation.id


def creating_for(user, allowed: list[Organisation]) -> Organisation:
    """The organisation something new is made for: the acting one if it may, else the
    first that may (``allowed`` is not empty: the view checked the person may create)."""
    acting = acting_organisation(user)
    return acting if acting in allowed else allowed[0]
