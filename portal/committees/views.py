import sqlalchemy as sa
from flask import abort, flash, redirect, render_template, url_for
from flask_login import current_user, login_required

from portal import permissions
from portal.committees import bp
from portal.committees.forms import CommitteeForm
from portal.committees.services import save_committee
from portal.extensions import db
from portal.i18n import _
from portal.models import Committee, committee_organisation


def load_committee(committee_id: int, options=()) -> Committee:
    committee = db.get_or_404(Committee, committee_id, options=options)
    if not permissions.can_view_committee(current_user, committee):
        abort(403)
    return committee


@bp.route("/")
@login_required
def index():
    """Committees the reader's organisations sit on (all of them for the coordinator)."""
    if not permissions.is_staff(current_user):
        abort(403)
    query = sa.select(Committee).order_by(Committee.name)
    if not permissions.is_coordinator(current_user):
        query = query.where(
            Committee.id.in_(
                sa.select(committee_organisation.c.committee_id).where(
                    committee_organisation.c.organisation_id.in_(current_user.organisation_ids)
                )
            )
        )
    committees = db.session.scalars(query.options(sa.orm.selectinload(Committee.organisations)))
    return render_template(
        "committees/index.html",
        committees=committees.all(),
        can_manage=permissions.can_manage_committees(current_user),
    )


@bp.route("/new", methods=["GET", "POST"])
@login_required
def new():
    if not permissions.can_manage_committees(current_user):
        abort(403)
    form = CommitteeForm()
    if form.validate_on_submit():
        committee = save_committee(None, form.data)
        db.session.commit()
        flash(_("L'instance « %(name)s » est créée.", name=committee.name), "success")
        return redirect(url_for("committees.show", committee_id=committee.id))
    return render_template("committees/form.html", form=form, committee=None)


@bp.route("/<int:committee_id>")
@login_required
def show(committee_id):
    committee = load_committee(committee_id, [sa.orm.selectinload(Committee.organisations)])
    return render_template(
        "committees/show.html",
        committee=committee,
        can_manage=permissions.can_manage_committees(current_user),
        can_schedule=permissions.can_schedule_meeting(current_user, committee),
    )


@bp.route("/<int:committee_id>/edit", methods=["GET", "POST"])
@login_required
def edit(committee_id):
    committee = load_committee(committee_id)
    if not permissions.can_manage_committees(current_user):
        abort(403)
    form = CommitteeForm(committee=committee)
    if not form.is_submitted():
        form.organisation_ids.data = [o.id for o in committee.organisations]
    if form.validate_on_submit():
        save_committee(committee, form.data)
        db.session.commit()
        flash(_("Les modifications sont enregistrées."), "success")
        return redirect(url_for("committees.show", committee_id=committee.id))
    return render_template("committees/form.html", form=form, committee=committee)
