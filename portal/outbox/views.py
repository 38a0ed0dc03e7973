"""« E-mails non distribués »: messages the worker gave up on, for the coordination to see
who missed what and send them again."""

from flask import abort, flash, redirect, render_template, url_for
from flask_login import current_user, login_required

from portal import permissions
from portal.extensions import db
from portal.forms import ConfirmForm
from portal.i18n import _
from portal.models import EmailStatus, OutgoingEmail
from portal.outbox import bp
from portal.outbox.services import TEMPLATE_LABELS, retry, undelivered


def require_coordination() -> None:
    if not permissions.is_coordinator(current_user):
        abort(403)


@bp.route("/")
@login_required
def undelivered_list():
    require_coordination()
    return render_template(
        "outbox/undelivered.html",
        emails=undelivered(),
        labels=TEMPLATE_LABELS,
        form=ConfirmForm(),
    )


@bp.route("/<int:email_id>/retry", methods=["POST"])
@login_required
def retry_email(email_id):
    require_coordination()
    email = db.get_or_404(OutgoingEmail, email_id)
    form = ConfirmForm()
    if not form.validate_on_submit():
        abort(400)
    if email.status != EmailStatus.FAILED:
        flash(_("Ce message n'est plus en échec : rien à renvoyer."), "info")
    else:
        retry(email)
        db.session.commit()
        flash(_("Le message sera renvoyé dans quelques instants."), "success")
    return redirect(url_for("outbox.undelivered_list"))
