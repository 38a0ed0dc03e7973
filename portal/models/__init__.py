"""All models, importable from one place (and all known to Alembic)."""

from portal.models.audit import AuditAction, AuditEvent
from portal.models.base import now_utc
from portal.models.organisations import (
    Committee,
    CommitteeKind,
    Organisation,
    OrganisationKind,
    Territory,
    committee_organisation,
)
from portal.models.outbox import EmailStatus, OutgoingEmail, OutgoingEmailAttachment
from portal.models.people import Invitation, Membership, MembershipRole, User, UserKind

__all__ = [
    "AuditAction",
    "AuditEvent",
    "Committee",
    "CommitteeKind",
    "EmailStatus",
    "Invitation",
    "Membership",
    "MembershipRole",
    "Organisation",
    "OrganisationKind",
    "OutgoingEmail",
    "OutgoingEmailAttachment",
    "Territory",
    "User",
    "UserKind",
    "committee_organisation",
    "now_utc",
]
