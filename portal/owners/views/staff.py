"""The CCAS staff's pages: the board of offers, and handling one (who follows it, its
stage, the visit and its checklist, messages, notes, documents)."""

from datetime import UTC

import sqlalchemy as sa
from flask import flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from portal import permissions
from portal.extensions import db
from portal.forms import choices
from portal.i18n import _
from portal.loading import get_visible_or_404, require
from portal.local_time import PARIS
from portal.models import (
    Membership,
    OfferDocumentKind,
    OfferReason,
    OfferStatus,
    OwnerOffer,
    User,
    VisitChecklist,
    VisitResult,
)
from portal.models.organisations import Organisation, OrganisationKind
from portal.owners import bp
from portal.owners.forms import (
    AssignForm,
    ChecklistForm,
    DocumentForm,
    MessageForm,
    NoteForm,
    StatusForm,
    VisitForm,
)
from portal.owners.services import (
    FORWARD,
    PIPELINE,
    after_agreement,
    allowed_moves,
    assign,
    change_status,
    offer_checks,
    offer_comparison,
    plan_visit,
    post_message,
    save_checklist,
    scheme_justification,
    stage_report,
)
from portal.owners.views.shared import unit_measures, upload
from portal.transactions import commit_unless_refused


def load_offer(offer_id: int, options=()) -> OwnerOffer:
    require(permissions.can_manage_offers(current_user))
    return get_visible_or_404(OwnerOffer, offer_id, permissions.can_view_offer, options)


# What the offer's page shows besides the offer: its visit, documents and messages.
OFFER_SHOWN = (
    sa.orm.joinedload(OwnerOffer.checklist),
    sa.orm.selectinload(OwnerOffer.documents),
    sa.orm.selectinload(OwnerOffer.messages),
)


def ccas_staff() -> list[User]:
    return list(
        db.session.scalars(
            sa.select(User)
            .join(Membership, Membership.user_id == User.id)
            .join(Organisation, Membership.organisation_id == Organisation.id)
            .where(Organisation.kind == OrganisationKind.CCAS, Membership.active, User.active)
            .distinct()
            .order_by(User.full_name)
        )
    )


@bp.route("/offers")
@login_required
def offers():
    """The board: one column per stage; drafts are the owners' own business."""
    require(permissions.can_manage_offers(current_user))
    rows = db.session.scalars(
        sa.select(OwnerOffer)
        .where(
            permissions.visible_offers_clause(current_user),
            OwnerOffer.status != OfferStatus.DRAFT,
        )
        .order_by(OwnerOffer.status_changed_at)
    ).all()
    columns = [
        (status, [o for o in rows if o.status == status])
        for status in (*PIPELINE, OfferStatus.BLOCKED, OfferStatus.REFUSED)
    ]
    return render_template("owners/offers.html", columns=columns, report=stage_report())


def staff_page(offer: OwnerOffer, status: int = 200, **forms):
    staff = ccas_staff()
    assign_form = forms.get("assign_form") or AssignForm(staff_id=offer.assigned_to_id)
    assign_form.staff_id.choices = choices(
        [("", _("Personne")), *((u.id, u.full_name) for u in staff)]
    )
    status_form = forms.get("status_form") or StatusForm()
    moves = allowed_moves(offer)
    status_form.to_status.choices = choices((s.value, s.label) for s in moves)
    visit_form = forms.get("visit_form") or VisitForm()
    if offer.visit_at and not visit_form.visit_at.data:
        visit_form.visit_at.data = offer.visit_at.astimezone(PARIS).replace(tzinfo=None)
    return render_template(
        "owners/offer.html",
        offer=offer,
        checks=offer_checks(offer),
        comparison=offer_comparison(offer),
        justification=scheme_justification(offer),
        after=after_agreement(offer),
        measures=unit_measures(offer),
        moves=moves,
        forward=FORWARD.get(offer.status),
        assign_form=assign_form,
        status_form=status_form,
        visit_form=visit_form,
        message_form=forms.get("message_form") or MessageForm(),
        note_form=forms.get("note_form") or NoteForm(),
        document_form=forms.get("document_form") or DocumentForm(kinds=list(OfferDocumentKind)),
        checklist_items=VisitChecklist.ITEMS,
    ), status


@bp.route("/offers/<int:offer_id>")
@login_required
def offer(offer_id):
    return staff_page(load_offer(offer_id, OFFER_SHOWN))


@bp.route("/offers/<int:offer_id>/assign", methods=["POST"])
@login_required
def assign_offer(offer_id):
    offer = load_offer(offer_id)
    form = AssignForm()
    form.staff_id.choices = []
    if form.validate_on_submit():
        staff = db.session.get(User, form.staff_id.data) if form.staff_id.data else None
        if form.staff_id.data and staff is None:
            form.staff_id.errors.append(_("Choisissez une personne de la liste."))
        else:
            with commit_unless_refused() as outcome:
                assign(offer, staff, current_user._get_current_object())
            if outcome.refused:
                form.staff_id.errors.append(outcome.message)
            else:
                flash(_("Le suivi de l'offre est enregistré."), "success")
                return redirect(url_for("owners.offer", offer_id=offer.id))
    return staff_page(offer, 400, assign_form=form)


@bp.route("/offers/<int:offer_id>/status", methods=["POST"])
@login_required
def move(offer_id):
    offer = load_offer(offer_id)
    form = StatusForm()
    if form.validate_on_submit():
        try:
            target = OfferStatus(form.to_status.data)
            reason = OfferReason(form.reason.data) if form.reason.data else None
        except ValueError:
            form.to_status.errors.append(_("Choisissez une étape de la liste."))
        else:
            with commit_unless_refused() as outcome:
                change_status(
                    offer,
                    target,
                    current_user._get_current_object(),
                    reason=reason,
                    comment=form.comment.data,
                )
            if outcome.refused:
                form.to_status.errors.append(outcome.message)
            else:
                flash(
                    _("L'offre est passée à l'étape « %(status)s ».", status=offer.status.label),
                    "success",
                )
                return redirect(url_for("owners.offer", offer_id=offer.id))
    return staff_page(offer, 400, status_form=form)


@bp.route("/offers/<int:offer_id>/visit", methods=["POST"])
@login_required
def visit(offer_id):
    offer = load_offer(offer_id)
    form = VisitForm()
    if form.validate_on_submit():
        when = form.visit_at.data.replace(tzinfo=PARIS).astimezone(UTC)
        with commit_unless_refused() as outcome:
            plan_visit(offer, when, current_user._get_current_object())
        if outcome.refused:
            form.visit_at.errors.append(outcome.message)
        else:
            flash(_("La visite est planifiée."), "success")
            return redirect(url_for("owners.offer", offer_id=offer.id))
    return staff_page(offer, 400, visit_form=form)


@bp.route("/offers/<int:offer_id>/checklist", methods=["GET", "POST"])
@login_required
def checklist(offer_id):
    offer = load_offer(offer_id)
    form = ChecklistForm(obj=offer.checklist)
    if request.method == "GET" and offer.checklist is not None:
        form.result.data = offer.checklist.result.value
    if form.validate_on_submit():
        data = {k: form[k].data for k, _label in VisitChecklist.ITEMS}
        data["result"] = VisitResult(form.result.data)
        data["comment"] = form.comment.data
        with commit_unless_refused() as outcome:
            save_checklist(offer, data, current_user._get_current_object())
        if outcome.refused:
            form.result.errors.append(outcome.message)
        else:
            flash(_("La grille de décence est enregistrée."), "success")
            return redirect(url_for("owners.offer", offer_id=offer.id))
    status = 400 if request.method == "POST" else 200
    return render_template(
        "owners/checklist.html", offer=offer, form=form, items=VisitChecklist.ITEMS
    ), status


@bp.route("/offers/<int:offer_id>/messages", methods=["POST"])
@login_required
def staff_message(offer_id):
    offer = load_offer(offer_id)
    form = MessageForm()
    if form.validate_on_submit():
        post_message(offer, current_user._get_current_object(), form.body.data)
        db.session.commit()
        flash(_("Le message est envoyé au propriétaire."), "success")
        return redirect(url_for("owners.offer", offer_id=offer.id) + "#messages")
    return staff_page(offer, 400, message_form=form)


@bp.route("/offers/<int:offer_id>/notes", methods=["POST"])
@login_required
def note(offer_id):
    offer = load_offer(offer_id)
    form = NoteForm()
    if form.validate_on_submit():
        post_message(offer, current_user._get_current_object(), form.body.data, internal=True)
        db.session.commit()
        flash(_("La note est ajoutée."), "success")
        return redirect(url_for("owners.offer", offer_id=offer.id) + "#messages")
    return staff_page(offer, 400, note_form=form)


@bp.route("/offers/<int:offer_id>/documents", methods=["POST"])
@login_required
def staff_document(offer_id):
    offer = load_offer(offer_id)
    form = DocumentForm(kinds=list(OfferDocumentKind))
    if upload(offer, form):
        flash(_("Le document est déposé."), "success")
        return redirect(url_for("owners.offer", offer_id=offer.id))
    return staff_page(offer, 400, document_form=form)
