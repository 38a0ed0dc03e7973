"""Organisations, territories and their members. Functions flush; the view commits."""

from datetime import date

import sqlalchemy as sa
from flask import current_app

from portal.audit import record_event
from portal.auth.tokens import make_invitation_token
from portal.extensions import db
from portal.i18n import _
from portal.models import (
    AuditAction,
    Invitation,
    Membership,
    MembershipRole,
    Organisation,
    OrganisationKind,
    Territory,
    User,
    UserKind,
    now_utc,
)
from portal.outbox.services import public_url_for, queue_email


def create_territory(name: str) -> Territory:
    territory = Territory(name=name)
    db.session.add(territory)
    db.session.flush()
    record_event(AuditAction.CREATE, "territory", territory.id, f"Territoire créé : {name}")
    return territory


def save_organisation(organisation: Organisation | None, data: dict) -> Organisation:
    """Create an organisation, or update one, from a form's data."""
    creating = organisation is None
    if creating:
        organisation = Organisation()
        db.session.add(organisation)
    organisation.name = data["name"]
    organisation.kind = OrganisationKind(data["kind"])
    organisation.territory_id = data["territory_id"]
    organisation.contact_email = data.get("contact_email") or None
    organisation.active = bool(data.get("active", True))
    db.session.flush()
    record_event(
        AuditAction.CREATE if creating else AuditAction.CHANGE,
        "organisation",
        organisation.id,
        f"Organisation {'créée' if creating else 'modifiée'} : {organisation.name}",
    )
    return organisation


def invite_member(
    organisation: Organisation, email: str, full_name: str, role: MembershipRole, invited_by: User
) -> Invitation:
    """Record an invitation and e-mail its signed, single-use link."""
    invitation = Invitation(
        email=email,
        full_name=full_name,
        organisation=organisation,
        role=role,
        invited_by=invited_by,
        expires_at=now_utc() + current_app.config["INVITATION_MAX_AGE"],
    )
    db.session.add(invitation)
    db.session.flush()
    link = public_url_for("auth.accept", token=make_invitation_token(invitation))
    queue_email(
        email,
        "invitation",
        _(
            "Invitation à rejoindre %(organisation)s sur le Portail partenaires",
            organisation=organisation.name,
        ),
        invitation=invitation,
        link=link,
    )
    record_event(
        AuditAction.CREATE,
        "invitation",
        invitation.id,
        f"Invitation de {email} ({role.label}) à {organisation.name}",
        organisation_id=organisation.id,
    )
    return invitation


def revoke_invitation(invitation: Invitation) -> None:
    invitation.revoked_at = now_utc()
    db.session.flush()
    record_event(
        AuditAction.DELETE,
        "invitation",
        invitation.id,
        f"Invitation de {invitation.email} annulée",
        organisation_id=invitation.organisation_id,
    )


def set_membership_active(membership: Membership, active: bool) -> None:
    """Deactivate or reactivate a member. A deactivated person's sessions stop at once,
    since every request checks the membership."""
    membership.active = active
    membership.ended_on = None if active else date.today()
    if not membership.user.is_active:
        # Signed out everywhere: old session cookies must not come back to life if the
        # membership is restored later.
        membership.user.rotate_session_token()
    db.session.flush()
    record_event(
        AuditAction.CHANGE,
        "membership",
        membership.id,
        f"{membership.user.email} {'réactivé' if active else 'désactivé'} "
        f"dans {membership.organisation.name}",
        organisation_id=membership.organisation_id,
    )


def set_membership_role(membership: Membership, role: MembershipRole) -> None:
    previous = membership.role
    membership.role = role
    db.session.flush()
    record_event(
        AuditAction.CHANGE,
        "membership",
        membership.id,
        f"Rôle de {membership.user.email} dans {membership.organisation.name} : "
        f"{previous.label} → {role.label}",
        organisation_id=membership.organisation_id,
    )


def organisations_without_accounts(organisations) -> list[Organisation]:
    """Organisations no one could be invited for: not one active account."""
    ids = [o.id for o in organisations]
    with_accounts = set(
        db.session.scalars(
            sa.select(Membership.organisation_id)
            .join(User, Membership.user_id == User.id)
            .where(
                Membership.organisation_id.in_(ids),
                Membership.active,
                User.active,
                User.kind == UserKind.STAFF,
            )
        )
    )
    return [o for o in organisations if o.id not in with_accounts]
