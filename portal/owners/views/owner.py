"""The private owner's own pages: their offers, each offer's steps until it is sent, the
tracker, their messages and documents."""

import sqlalchemy as sa
from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from portal import permissions
from portal.extensions import db
from portal.forms import ConfirmForm
from portal.i18n import _
from portal.loading import get_visible_or_404, require
from portal.models import OfferStatus, OwnerOffer, PreferredScheme
from portal.owners import bp
from portal.owners import rules as R
from portal.owners.forms import DocumentForm, MessageForm, OwnerForm, SchemeForm, UnitForm
from portal.owners.services import (
    OWNER_DOCUMENT_KINDS,
    OWNER_FIELDS,
    PIPELINE,
    SCHEME_FIELDS,
    UNIT_FIELDS,
    after_agreement,
    offer_checks,
    offer_comparison,
    owner_text,
    post_message,
    submit_offer,
    update_offer,
)
from portal.owners.views.shared import owner_data, unit_measures, upload
from portal.transactions import commit_unless_refused

STEPS = ("owner", "unit", "scheme", "documents")


def load_own_offer(offer_id: int, options=()) -> OwnerOffer:
    require(permissions.is_private_owner(current_user))
    offer = get_visible_or_404(OwnerOffer, offer_id, permissions.can_view_offer, options)
    if offer.owner_id != current_user.id:
        abort(404)
    return offer


@bp.route("/my-offers")
@login_required
def my_offers():
    require(permissions.is_private_owner(current_user))
    offers = db.session.scalars(
        sa.select(OwnerOffer)
        .where(permissions.visible_offers_clause(current_user))
        .order_by(OwnerOffer.id.desc())
    ).all()
    return render_template("owners/my_offers.html", offers=offers, owner_text=owner_text)


def tracker(offer: OwnerOffer) -> list[tuple[OfferStatus, str]]:
    """The stages for the owner's tracker: done, current, to come."""
    if offer.status in (OfferStatus.BLOCKED, OfferStatus.REFUSED):
        reached = {c.to_status for c in offer.status_changes}
    else:
        reached = (
            set(PIPELINE[: PIPELINE.index(offer.status) + 1]) if offer.status in PIPELINE else set()
        )
    rows = []
    for stage in PIPELINE:
        if stage == offer.status:
            rows.append((stage, "current"))
        elif stage in reached:
            rows.append((stage, "done"))
        else:
            rows.append((stage, "todo"))
    return rows


def owner_page(offer: OwnerOffer, message_form=None, document_form=None, status=200):
    return render_template(
        "owners/my_offer.html",
        offer=offer,
        now_text=owner_text(offer.status),
        tracker=tracker(offer),
        after=after_agreement(offer),
        measures=unit_measures(offer),
        checks=offer_checks(offer),
        comparison=offer_comparison(offer),
        message_form=message_form or MessageForm(),
        document_form=document_form or DocumentForm(kinds=OWNER_DOCUMENT_KINDS),
        messages=[m for m in offer.messages if not m.internal],
    ), status


@bp.route("/my-offers/<int:offer_id>")
@login_required
def my_offer(offer_id):
    return owner_page(
        load_own_offer(
            offer_id,
            [
                sa.orm.selectinload(OwnerOffer.documents),
                sa.orm.selectinload(OwnerOffer.messages),
            ],
        )
    )


def step_form(step: str, offer: OwnerOffer, formdata=None):
    if step == "owner":
        form = OwnerForm(formdata=formdata, obj=offer)
        if formdata is None:
            form.owner_kind.data = offer.owner_kind.value
    elif step == "unit":
        form = UnitForm(formdata=formdata, obj=offer)
        if formdata is None:
            form.typology.data = offer.typology.value if offer.typology else ""
            form.dpe_class.data = offer.dpe_class.value if offer.dpe_class else ""
    else:
        form = SchemeForm(formdata=formdata, obj=offer)
        if formdata is None and offer.preferred_scheme:
            form.preferred_scheme.data = offer.preferred_scheme.value
    return form


@bp.route("/my-offers/<int:offer_id>/step/<step>", methods=["GET", "POST"])
@login_required
def edit_step(offer_id, step):
    """Save and resume: each step is saved on its own, in any order, until it is sent."""
    offer = load_own_offer(offer_id)
    if step not in STEPS:
        abort(404)
    if offer.status != OfferStatus.DRAFT:
        flash(_("Cette proposition est envoyée : écrivez au CCAS pour la modifier."), "error")
        return redirect(url_for("owners.my_offer", offer_id=offer.id))
    if step == "documents":
        return render_template(
            "owners/step_documents.html",
            offer=offer,
            steps=STEPS,
            step=step,
            form=DocumentForm(kinds=OWNER_DOCUMENT_KINDS),
            checks=offer_checks(offer),
            comparison=offer_comparison(offer),
        )
    form = step_form(step, offer, request.form if request.method == "POST" else None)
    if request.method == "POST" and form.validate():
        with commit_unless_refused() as outcome:
            if step == "owner":
                update_offer(offer, owner_data(form), OWNER_FIELDS)
            elif step == "unit":
                update_offer(offer, form.cleaned(), UNIT_FIELDS)
            else:
                data = {"preferred_scheme": PreferredScheme(form.preferred_scheme.data)}
                update_offer(offer, data, SCHEME_FIELDS)
        if outcome.refused:
            flash(outcome.message, "error")
            return redirect(url_for("owners.my_offer", offer_id=offer.id))
        flash(_("C'est enregistré."), "success")
        following = STEPS[STEPS.index(step) + 1]
        return redirect(url_for("owners.edit_step", offer_id=offer.id, step=following))
    status = 400 if request.method == "POST" else 200
    return render_template(
        "owners/step.html",
        offer=offer,
        steps=STEPS,
        step=step,
        form=form,
        checks=offer_checks(offer) if step == "unit" else [],
        comparison=offer_comparison(offer) if step != "owner" else None,
    ), status


@bp.route("/my-offers/<int:offer_id>/submit", methods=["POST"])
@login_required
def submit(offer_id):
    offer = load_own_offer(offer_id)
    if not ConfirmForm().validate_on_submit():  # the CSRF token
        abort(400)
    blocks = [c for c in offer_checks(offer) if c.severity == R.BLOCK]
    with commit_unless_refused() as outcome:
        submit_offer(offer, current_user._get_current_object())
    if outcome.refused:
        flash(outcome.message, "error")
        return redirect(url_for("owners.my_offer", offer_id=offer.id))
    if blocks:
        flash(
            _(
                "Votre proposition est envoyée. Le CCAS reviendra vers vous sur les points "
                "bloquants signalés."
            ),
            "success",
        )
    else:
        flash(_("Votre proposition est envoyée au CCAS. Merci !"), "success")
    return redirect(url_for("owners.my_offer", offer_id=offer.id))


@bp.route("/my-offers/<int:offer_id>/messages", methods=["POST"])
@login_required
def owner_message(offer_id):
    offer = load_own_offer(offer_id)
    form = MessageForm()
    if form.validate_on_submit():
        with commit_unless_refused() as outcome:
            post_message(offer, current_user._get_current_object(), form.body.data)
        if outcome.refused:
            form.body.errors.append(outcome.message)
        else:
            flash(_("Votre message est envoyé au CCAS."), "success")
            return redirect(url_for("owners.my_offer", offer_id=offer.id) + "#messages")
    return owner_page(offer, message_form=form, status=400)


@bp.route("/my-offers/<int:offer_id>/documents", methods=["POST"])
@login_required
def owner_document(offer_id):
    offer = load_own_offer(offer_id)
    form = DocumentForm(kinds=OWNER_DOCUMENT_KINDS)
    if upload(offer, form):
        flash(_("Le document est déposé."), "success")
        if request.form.get("from_step") and offer.status == OfferStatus.DRAFT:
            return redirect(url_for("owners.edit_step", offer_id=offer.id, step="documents"))
        return redirect(url_for("owners.my_offer", offer_id=offer.id))
    if request.form.get("from_step") and offer.status == OfferStatus.DRAFT:
        return render_template(
            "owners/step_documents.html",
            offer=offer,
            steps=STEPS,
            step="documents",
            form=form,
            checks=offer_checks(offer),
            comparison=offer_comparison(offer),
        ), 400
    return owner_page(offer, document_form=form, status=400)
