"""Organisations, territories and their members. Functions flush; the view commits."""

from datetime import date

import sqlalchemy as sa
from flask import current_app

from portal.audit import record_event
from portal.auth.sessions import end_all_sessions
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
from portal.workflow import WorkflowError


def create_territory(name: str) -> Territory:
    territory = Territory(name=name)
    db.session.add(territory)
    db.session.flush()
    record_event(AuditAction.CREATE, "territory", territory.id, f"Territoire créé : {name}")
    return territory


def save_organisation(
    organisation: Organisation | None, data: dict, actor: User | None = None
) -> Organisation:
    """Create an organisation, or update one, from a form's data. Nobody deactivates their
    own organisation, nor the last coordinator's."""
    creating = organisation is None
    if organisation is None:
        organisation = Organisation()
        db.session.add(organisation)
    active = bool(data.get("active", True))
    if not creating and organisation.active and not active:
        if actor is not None and organisation.id in actor.organisation_ids:
            raise WorkflowError(_("Vous ne pouvez pas désactiver votre propre organisation."))
        if would_leave_no_coordinator(organisation_id=organisation.id):
            raise WorkflowError(
                _(
                    "Le dernier coordinateur actif est membre de cette organisation : "
                    "elle reste active."
                )
            )
    organisation.name = data["name"]
    organisation.kind = OrganisationKind(data["kind"])
    organisation.territory_id = data["territory_id"]
    organisation.contact_email = data.get("contact_email") or None
    organisation.active = active
    db.session.flush()
    record_event(
        AuditAction.CREATE if creating else AuditAction.CHANGE,
        "organisation",
        organisation.id,
        f"Organisation {'créée' if creating else 'modifiée'} : {organisation.name}",
        user=actor,
    )
    return organisation


def active_coordinator_ids(*, without_membership: int | None = None, organisation_id=None) -> set:
    """The people who hold the coordinator role and work for an active CCAS, leaving out
    one membership or one organisation (to see what a change would leave)."""
    query = (
        sa.select(User.id)
        .join(Membership, Membership.user_id == User.id)
        .join(Organisation, Membership.organisation_id == Organisation.id)
        .where(
            User.is_coordinator,
            User.active,
            Membership.active,
            Organisation.active,
            Organisation.kind == OrganisationKind.CCAS,
        )
    )
    if without_membership is not None:
        query = query.where(Membership.id != without_membership)
    if organisation_id is not None:
        query = query.where(Organisation.id != organisation_id)
    return set(db.session.scalars(query))


def would_leave_no_coordinator(*, membership_id=None, organisation_id=None) -> bool:
    return bool(active_coordinator_ids()) and not active_coordinator_ids(
        without_membership=membership_id, organisation_id=organisation_id
    )


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


def set_membership_active(membership: Membership, active: bool, actor: User | None = None) -> None:
    """Deactivate or reactivate a member. Every right that came through the membership
    ends with it (meetings, actions: the permissions read the membership), the person's
    sessions end and their calendar feed address stops working (a new one is made on
    return). The last active coordinator cannot be deactivated."""
    person = membership.user
    leaving = not active and membership.active
    if (
        leaving
        and person.is_coordinator
        and would_leave_no_coordinator(membership_id=membership.id)
    ):
        raise WorkflowError(
            _(
                "%(name)s est le dernier coordinateur actif : son accès reste ouvert.",
                name=person.full_name,
            )
        )
    membership.active = active
    membership.ended_on = None if active else date.today()
    if not active:
        end_all_sessions(person)
        person.calendar_token = None
    db.session.flush()
    emergency = (
        not active
        and actor is not None
        and membership.organisation_id not in actor.admin_organisation_ids
    )
    record_event(
        AuditAction.CHANGE,
        "membership",
        membership.id,
        f"{person.email} {'réactivé' if active else 'désactivé'} dans "
        f"{membership.organisation.name}"
        + (" (mesure d'urgence de la coordination)" if emergency else ""),
        user=actor,
        organisation_id=membership.organisation_id,
    )
    if emergency and actor is not None:
        notify_admins_of_emergency(membership, actor)


def notify_admins_of_emergency(membership: Membership, actor: User) -> None:
    """The coordinator deactivated someone of another organisation: its admins are told."""
    admins = db.session.scalars(
        sa.select(User)
        .join(Membership, Membership.user_id == User.id)
        .where(
            Membership.organisation_id == membership.organisation_id,
            Membership.active,
            Membership.role == MembershipRole.ADMIN,
            User.active,
        )
    ).all()
    for admin in admins:
        queue_email(
            admin.email,
            "emergency_deactivation",
            _("Accès désactivé par la coordination : %(name)s", name=membership.user.full_name),
            membership=membership,
            actor=actor,
            link=public_url_for("organisations.show", organisation_id=membership.organisation_id),
        )


def set_membership_role(
    membership: Membership, role: MembershipRole, actor: User | None = None
) -> None:
    """A change of role is a change of privilege: the person signs in again."""
    previous = membership.role
    membership.role = role
    end_all_sessions(membership.user)
    db.session.flush()
    record_event(
        AuditAction.CHANGE,
        "membership",
        membership.id,
        f"Rôle de {membership.user.email} dans {membership.organisation.name} : "
        f"{previous.label} → {role.label}",
        user=actor,
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


def reset_two_factor(person: User, actor: User) -> None:
    """Remove a person's second factor (audited), sign them out, and tell them."""
    from portal.auth.two_factor import disable

    disable(
        person,
        actor,
        f"Double authentification de {person.email} réinitialisée par la coordination",
    )
    end_all_sessions(person)
    queue_email(
        person.email,
        "second_factor_reset",
        _("Votre double authentification a été réinitialisée"),
        person=person,
        actor=actor,
        link=public_url_for("auth.login"),
    )
