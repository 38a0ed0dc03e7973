"""Who may do what: pure predicates, shared by views, queries and templates.

Each function takes the acting user (possibly anonymous) and the object, reads only
what is already loaded, and returns a bool. Admin rights never imply reading household
data: the rules for household data live beside the household features.
"""

from flask_login import AnonymousUserMixin

from portal.models import Committee, Organisation, OrganisationKind, User

Actor = User | AnonymousUserMixin


def is_staff(user: Actor) -> bool:
    """A signed-in member of at least one partner organisation."""
    return user.is_authenticated and not user.is_landlord and bool(user.active_memberships)


def is_landlord(user: Actor) -> bool:
    return user.is_authenticated and user.is_landlord


def is_coordinator(user: Actor) -> bool:
    """The coordinator role only counts while its holder works for a CCAS."""
    return is_staff(user) and user.is_coordinator and user.belongs_to_kind(OrganisationKind.CCAS)


def is_org_admin(user: Actor, organisation: Organisation) -> bool:
    return is_staff(user) and organisation.id in user.admin_organisation_ids


def is_org_member(user: Actor, organisation: Organisation) -> bool:
    return is_staff(user) and organisation.id in user.organisation_ids


def can_manage_organisations(user: Actor) -> bool:
    return is_coordinator(user)


def can_manage_committees(user: Actor) -> bool:
    return is_coordinator(user)


def can_view_organisation(user: Actor, organisation: Organisation) -> bool:
    """Partners may see who the other partners are; landlords and visitors may not."""
    return is_staff(user)


def can_manage_members(user: Actor, organisation: Organisation) -> bool:
    """An organisation's admins manage its members; the coordinator can help any of them."""
    return is_org_admin(user, organisation) or is_coordinator(user)


def can_change_membership(user: Actor, organisation: Organisation, member: User) -> bool:
    """Nobody demotes or deactivates themselves: an organisation never loses its last admin
    by a slip of the mouse."""
    return can_manage_members(user, organisation) and member.id != user.id


def can_view_committee(user: Actor, committee: Committee) -> bool:
    if is_coordinator(user):
        return True
    return is_staff(user) and any(o.id in user.organisation_ids for o in committee.organisations)
