"""What the owner's pages and the CCAS's pages share: the owner's details as a form gives
them, the measures held in an offer's unit, adding a document, and downloading one (a
route for both: each sees the offers ``permissions.can_view_offer`` lets them see)."""

import sqlalchemy as sa
from flask import abort, send_file
from flask_login import current_user, login_required

from portal import permissions, storage
from portal.extensions import db
from portal.loading import get_visible_or_404
from portal.models import Measure, OfferDocument, OfferDocumentKind, OwnerKind, OwnerOffer
from portal.owners import bp
from portal.owners.forms import DocumentForm, OwnerForm
from portal.owners.services import add_document
from portal.transactions import commit_unless_refused
from portal.workflow import WorkflowError


def owner_data(form: OwnerForm) -> dict:
    return {
        "owner_kind": OwnerKind(form.owner_kind.data),
        "company_name": form.company_name.data or ""
        if form.owner_kind.data == OwnerKind.COMPANY.value
        else "",
        "contact_phone": form.contact_phone.data or "",
        "consent_to_contact": bool(form.consent_to_contact.data),
    }


def unit_measures(offer: OwnerOffer) -> list[Measure]:
    """The measures held in the offer's unit: their documents are the owner's too."""
    if offer.unit_id is None:
        return []
    return list(
        db.session.scalars(
            sa.select(Measure)
            .where(Measure.unit_id == offer.unit_id)
            .order_by(Measure.start_date.desc())
        )
    )


def upload(offer: OwnerOffer, form: DocumentForm):
    """Add the form's file: True once stored, False when refused (the form says why), None
    when nothing was sent."""
    if not form.validate_on_submit():
        return None if not form.errors else False
    with commit_unless_refused(storage.UploadRefused, WorkflowError) as outcome:
        add_document(
            offer,
            OfferDocumentKind(form.kind.data),
            form.file.data.filename,
            form.file.data.read(),
            current_user._get_current_object(),
        )
    if outcome.refused:
        form.file.errors.append(outcome.message)
        return False
    return True


@bp.route("/offers/<int:offer_id>/documents/<int:document_id>")
@login_required
def document(offer_id, document_id):
    offer = get_visible_or_404(OwnerOffer, offer_id, permissions.can_view_offer)
    found = db.session.scalar(
        sa.select(OfferDocument).where(
            OfferDocument.id == document_id, OfferDocument.offer_id == offer.id
        )
    )
    if found is None:
        abort(404)
    path = storage.path_of(found.stored_name)
    if not path.is_file():
        abort(404)
    return send_file(
        path, mimetype=found.content_type, as_attachment=True, download_name=found.filename
    )
