import sqlalchemy as sa
from flask import abort, flash, redirect, render_template, url_for
from flask_login import current_user, login_required

from portal import permissions
from portal.extensions import db
from portal.forms import ConfirmForm
from portal.i18n import _
from portal.loading import require
from portal.models import Invitation, Membership, MembershipRole, Organisation, User, now_utc
from portal.organisations import bp
from portal.organisations.forms import InvitationForm, OrganisationForm, RoleForm, TerritoryForm
from portal.organisations.services import (
    create_territory,
    invite_member,
    revoke_invitation,
    save_organisation,
    set_membership_active,
    set_membership_role,
)


def load_organisation(organisation_id: int) -> Organisation:
    organisation = db.get_or_404(Organisation, organisation_id)
    if not permissions.can_view_organisation(current_user, organisation):
        abort(403)
    return organisation


def load_membership(organisation: Organisation, membership_id: int) -> Membership:
    """A membership of this organisation only: another one's id is simply not found."""
    membership = db.session.scalar(
        sa.select(Membership).where(
            Membership.id == membership_id, Membership.organisation_id == organisation.id
        )
    )
    if membership is None:
        abort(404)
    return membership


@bp.route("/")
@login_required
def index():
    """The directory of partner organisations."""
    require(permissions.is_staff(current_user))
    organisations = db.session.scalars(sa.select(Organisation).order_by(Organisation.name)).all()
    return render_template("organisations/index.html", organisations=organisations)


@bp.route("/new", methods=["GET", "POST"])
@login_required
def new():
    require(permissions.can_manage_organisations(current_user))
    form = OrganisationForm()
    if form.validate_on_submit():
        organisation = save_organisation(None, form.data)
        db.session.commit()
        flash(_("L'organisation « %(name)s » est créée.", name=organisation.name), "success")
        return redirect(url_for("organisations.show", organisation_id=organisation.id))
    return render_template("organisations/form.html", form=form, organisation=None)


@bp.route("/<int:organisation_id>")
@login_required
def show(organisation_id):
    organisation = load_organisation(organisation_id)
    can_manage = permissions.can_manage_members(current_user, organisation)
    members = invitations = []
    if can_manage or permissions.is_org_member(current_user, organisation):
        members = db.session.scalars(
            sa.select(Membership)
            .join(User, Membership.user_id == User.id)
            .where(Membership.organisation_id == organisation.id)
            .options(sa.orm.joinedload(Membership.user))
            .order_by(Membership.active.desc(), User.full_name)
        ).all()
    if can_manage:
        invitations = db.session.scalars(
            sa.select(Invitation)
            .where(
                Invitation.organisation_id == organisation.id,
                Invitation.accepted_at.is_(None),
                Invitation.revoked_at.is_(None),
                Invitation.expires_at > now_utc(),
            )
            .order_by(Invitation.created.desc())
        ).all()
    return render_template(
        "organisations/show.html",
        organisation=organisation,
        members=members,
        invitations=invitations,
        can_manage=can_manage,
    )


@bp.route("/<int:organisation_id>/edit", methods=["GET", "POST"])
@login_required
def edit(organisation_id):
    organisation = load_organisation(organisation_id)
    require(permissions.can_manage_organisations(current_user))
    form = OrganisationForm(obj=organisation, organisation=organisation)
    if form.validate_on_submit():
        save_organisation(organisation, form.data)
        db.session.commit()
        flash(_("Les modifications sont enregistrées."), "success")
        return redirect(url_for("organisations.show", organisation_id=organisation.id))
    return render_template("organisations/form.html", form=form, organisation=organisation)


@bp.route("/<int:organisation_id>/invite", methods=["GET", "POST"])
@login_required
def invite(organisation_id):
    organisation = load_organisation(organisation_id)
    require(permissions.can_manage_members(current_user, organisation))
    form = InvitationForm(organisation=organisation)
    if form.validate_on_submit():
        invite_member(
            organisation,
            form.email.data,
            form.full_name.data,
            MembershipRole(form.role.data),
            current_user._get_current_object(),
        )
        db.session.commit()
        flash(_("Une invitation a été envoyée à %(email)s.", email=form.email.data), "success")
        return redirect(url_for("organisations.show", organisation_id=organisation.id))
    return render_template("organisations/invite.html", form=form, organisation=organisation)


@bp.route("/<int:organisation_id>/invitations/<int:invitation_id>/revoke", methods=["POST"])
@login_required
def revoke(organisation_id, invitation_id):
    organisation = load_organisation(organisation_id)
    require(permissions.can_manage_members(current_user, organisation))
    invitation = db.session.scalar(
        sa.select(Invitation).where(
            Invitation.id == invitation_id, Invitation.organisation_id == organisation.id
        )
    )
    if invitation is None:
        abort(404)
    if ConfirmForm().validate_on_submit() and invitation.is_pending:
        revoke_invitation(invitation)
        db.session.commit()
        flash(_("L'invitation de %(email)s est annulée.", email=invitation.email), "success")
    return redirect(url_for("organisations.show", organisation_id=organisation.id))


def change_membership(organisation_id: int, membership_id: int) -> tuple[Organisation, Membership]:
    organisation = load_organisation(organisation_id)
    membership = load_membership(organisation, membership_id)
    require(permissions.can_change_membership(current_user, organisation, membership.user))
    return organisation, membership


@bp.route("/<int:organisation_id>/members/<int:membership_id>/deactivate", methods=["POST"])
@login_required
def deactivate(organisation_id, membership_id):
    organisation, membership = change_membership(organisation_id, membership_id)
    if ConfirmForm().validate_on_submit() and membership.active:
        set_membership_active(membership, False)
        db.session.commit()
        flash(
            _(
                "%(name)s n'a plus accès au nom de %(organisation)s.",
                name=membership.user.full_name,
                organisation=organisation.name,
            ),
            "success",
        )
    return redirect(url_for("organisations.show", organisation_id=organisation.id))


@bp.route("/<int:organisation_id>/members/<int:membership_id>/reactivate", methods=["POST"])
@login_required
def reactivate(organisation_id, membership_id):
    organisation, membership = change_membership(organisation_id, membership_id)
    if ConfirmForm().validate_on_submit() and not membership.active:
        set_membership_active(membership, True)
        db.session.commit()
        flash(_("%(name)s est de nouveau membre actif.", name=membership.user.full_name), "success")
    return redirect(url_for("organisations.show", organisation_id=organisation.id))


@bp.route("/<int:organisation_id>/members/<int:membership_id>/role", methods=["POST"])
@login_required
def change_role(organisation_id, membership_id):
    organisation, membership = change_membership(organisation_id, membership_id)
    form = RoleForm()
    if form.validate_on_submit():
        role = MembershipRole(form.role.data)
        if role != membership.role:
            set_membership_role(membership, role)
            db.session.commit()
            flash(
                _(
                    "%(name)s est maintenant %(role)s.",
                    name=membership.user.full_name,
                    role=role.label.lower(),
                ),
                "success",
            )
    else:
        flash(_("Choisissez un rôle valide."), "error")
    return redirect(url_for("organisations.show", organisation_id=organisation.id))


@bp.route("/territories/new", methods=["GET", "POST"])
@login_required
def new_territory():
    require(permissions.can_manage_organisations(current_user))
    form = TerritoryForm()
    if form.validate_on_submit():
        territory = create_territory(form.name.data)
        db.session.commit()
        flash(_("Le territoire « %(name)s » est créé.", name=territory.name), "success")
        return redirect(url_for("organisations.index"))
    return render_template("organisations/territory_form.html", form=form)
