"""« Mes notifications » (from « Mon compte ») and an organisation's named recipients."""

from flask import abort, flash, redirect, render_template, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user, login_required

from portal import permissions
from portal.audit import record_event
from portal.extensions import db
from portal.i18n import _
from portal.models import AuditAction, NotificationFrequency, Organisation, User
from portal.notifications import bp
from portal.notifications.forms import RecipientsForm, preferences_form
from portal.notifications.kinds import kinds_for
from portal.notifications.services import (
    active_members,
    named_recipient_ids,
    preferences_of,
    save_preferences,
    set_named_recipients,
)


@bp.route("/account/notifications", methods=["GET", "POST"])
@login_required
def preferences():
    """Per kind: at once, in the daily or weekly digest, or never. Security messages are
    not listed: they always leave at once."""
    user = current_user._get_current_object()
    kinds = kinds_for(user)
    form = preferences_form(kinds, preferences_of(user))
    if form.validate_on_submit():
        save_preferences(user, {k.key: NotificationFrequency(form[k.key].data) for k in kinds})
        record_event(AuditAction.CHANGE, "user", user.id, "Préférences de notification modifiées")
        db.session.commit()
        flash(_("Vos choix de notification sont enregistrés."), "success")
        return redirect(url_for("notifications.preferences"))
    status = 400 if form.is_submitted() else 200
    return render_template("notifications/preferences.html", form=form, kinds=kinds), status


def load_organisation(organisation_id: int) -> Organisation:
    organisation = db.get_or_404(Organisation, organisation_id)
    if not permissions.can_view_organisation(current_user, organisation):
        abort(403)
    if not permissions.can_manage_members(current_user, organisation):
        abort(403)
    return organisation


@bp.route("/organisations/<int:organisation_id>/notifications", methods=["GET", "POST"])
@login_required
def recipients(organisation_id: int) -> ResponseReturnValue:
    """Who receives what is addressed to the organisation when nobody is assigned to it:
    the members its admins name here, else the admins."""
    organisation = load_organisation(organisation_id)
    members: list[User] = list(db.session.scalars(active_members(organisation)))
    form = RecipientsForm()
    form.user_ids.choices = [(m.id, f"{m.full_name} ({m.email})") for m in members]
    if not form.is_submitted():
        form.user_ids.data = sorted(named_recipient_ids(organisation))
    if form.validate_on_submit():
        chosen = [m for m in members if m.id in set(form.user_ids.data or [])]
        set_named_recipients(organisation, chosen)
        record_event(
            AuditAction.CHANGE,
            "organisation",
            organisation.id,
            f"Destinataires des messages de l'organisation : {len(chosen)} personne(s)",
        )
        db.session.commit()
        flash(_("Les destinataires des messages de l'organisation sont enregistrés."), "success")
        return redirect(url_for("notifications.recipients", organisation_id=organisation.id))
    status = 400 if form.is_submitted() else 200
    return render_template(
        "notifications/recipients.html", organisation=organisation, form=form, members=members
    ), status
