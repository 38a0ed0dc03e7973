import sqlalchemy as sa
from flask import abort, flash, redirect, render_template, url_for
from flask_login import current_user, login_required

from portal import permissions
from portal.errors import back_here
from portal.extensions import db
from portal.forms import ConfirmForm
from portal.i18n import _
from portal.loading import require
from portal.models import Invitation, Membership, MembershipRole, Organisation, User, now_utc
from portal.organisations import bp
from portal.organisations.acting import act_for
from portal.organisations.forms import (
    ActingOrganisationForm,
    InvitationForm,
    OrganisationForm,
    RoleForm,
    TerritoryForm,
)
from portal.organisations.services import (
    create_territory,
    invite_member,
    reset_two_factor,
    revoke_invitation,
    save_organisation,
    set_membership_active,
    set_membership_role,
)
from portal.transactions import commit_unless_refused


def load_organisation(organisation_id: int, options=()) -> Organisation:
    organisation = db.get_or_404(Organisation, organisation_id, options=options)
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
    organisation = load_organisation(
        organisation_id, [sa.orm.selectinload(Organisation.committees).lazyload("*")]
    )
    can_manage = permissions.can_manage_members(current_user, organisation)
    # The coordinator sees the members to act in an emergency (deactivate, reset a second
    # factor), not to manage them.
    can_act = can_manage or permissions.is_coordinator(current_user)
    members = invitations = []
    if can_act or permissions.is_org_member(current_user, organisation):
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
        can_act=can_act,
    )


@bp.route("/<int:organisation_id>/edit", methods=["GET", "POST"])
@login_required
def edit(organisation_id):
    organisation = load_organisation(organisation_id)
    require(permissions.can_manage_organisations(current_user))
    form = OrganisationForm(obj=organisation, organisation=organisation)
    if form.validate_on_submit():
        with commit_unless_refused() as outcome:
            save_organisation(organisation, form.data, current_user._get_current_object())
        if outcome.refused:
            form.active.errors.append(outcome.message)
            return render_template("organisations/form.html", form=form, organisation=organisation)
        flash(_("Les modifications sont enregistrées."), "success")
        return redirect(url_for("organisations.show", organisation_id=organisation.id))
    return render_template("organisations/form.html", form=form, organisation=organisation)


@bp.route("/<int:organisation_id>/invite", methods=["GET", "POST"])
@login_required
def invite(organisation_id):
    organisation = load_organisation(organisation_id)
    require(permissions.can_manage_members(current_user, organisation))
    # The coordinator invites an organisation's first admin, nobody else.
    first_admin = not permissions.is_org_admin(current_user, organisation)
    form = InvitationForm(organisation=organisation, first_admin=first_admin)
    if form.validate_on_submit():
        invite_member(
            organisation,
            form.email.data,
            form.full_name.data,
            MembershipRole.ADMIN if first_admin else MembershipRole(form.role.data),
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
    """By the organisation's admins; by the coordinator as an emergency measure."""
    organisation = load_organisation(organisation_id)
    membership = load_membership(organisation, membership_id)
    require(permissions.can_deactivate_member(current_user, organisation, membership.user))
    if ConfirmForm().validate_on_submit() and membership.active:
        actor = current_user._get_current_object()
        with commit_unless_refused() as outcome:
            set_membership_active(membership, False, actor)
        if outcome.refused:
            flash(outcome.message, "error")
            return redirect(url_for("organisations.show", organisation_id=organisation.id))
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
        set_membership_active(membership, True, current_user._get_current_object())
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
            set_membership_role(membership, role, current_user._get_current_object())
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


@bp.route(
    "/<int:organisation_id>/members/<int:membership_id>/second-factor/reset", methods=["POST"]
)
@login_required
def reset_second_factor(organisation_id, membership_id):
    """The coordinator resets a person's second factor (a lost phone): audited, and the
    person is told by e-mail. They enrol again at their next sign-in."""
    organisation = load_organisation(organisation_id)
    membership = load_membership(organisation, membership_id)
    person = membership.user
    require(permissions.can_reset_second_factor(current_user, person))
    if ConfirmForm().validate_on_submit() and person.has_second_factor:
        reset_two_factor(person, current_user._get_current_object())
        db.session.commit()
        flash(
            _(
                "La double authentification de %(name)s est réinitialisée : elle sera "
                "demandée à nouveau à sa prochaine connexion.",
                name=person.full_name,
            ),
            "success",
        )
    return redirect(url_for("organisations.show", organisation_id=organisation.id))


@bp.route("/acting", methods=["POST"])
@login_required
def switch():
    """Act for another of one's organisations; back to the page the person was on."""
    require(permissions.is_staff(current_user))
    organisations = [m.organisation for m in current_user.active_memberships]
    form = ActingOrganisationForm(organisations=organisations)
    if not form.validate_on_submit():
        flash(_("Choisissez une de vos organisations."), "error")
        return redirect(back_here(), 303)
    organisation = next(o for o in organisations if o.id == form.organisation_id.data)
    act_for(organisation)
    flash(_("Vous agissez maintenant pour %(name)s.", name=organisation.name), "success")
    return redirect(back_here(), 303)
