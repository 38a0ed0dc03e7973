"""The measure's documents for each reader, and their wording for the coordinator. Each
view: load, check, act, commit once, respond."""

from flask import Response, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from portal import permissions
from portal.documents import bp
from portal.documents.catalogue import DOCUMENTS, FORMATS, WORDINGS
from portal.documents.forms import wording_form
from portal.documents.render import to_docx, to_pdf
from portal.documents.services import (
    audience,
    audit_export,
    available,
    build,
    customised,
    documents_for,
    save_wording,
    wording_for,
)
from portal.extensions import db
from portal.i18n import _
from portal.loading import require
from portal.models import Measure

MIMETYPES = {
    "pdf": "application/pdf",
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
}


def load_measure(measure_id: int) -> tuple[Measure, str]:
    """The measure and the reader's audience; for anyone else it does not exist."""
    measure = db.session.get(Measure, measure_id)
    reader = audience(current_user, measure) if measure is not None else None
    if measure is None or reader is None:
        abort(404)
    return measure, reader


@bp.route("/measures/<int:measure_id>")
@login_required
def measure_documents(measure_id):
    """The documents this reader may download for the measure."""
    measure, reader = load_measure(measure_id)
    documents = [(d, available(d, measure)) for d in documents_for(reader)]
    return render_template(
        "documents/measure.html",
        measure=measure,
        reader=reader,
        documents=documents,
        sees_household=reader == "ccas",
    )


@bp.route("/measures/<int:measure_id>/<slug>.<fmt>")
@login_required
def download(measure_id, slug, fmt):
    measure, reader = load_measure(measure_id)
    document = DOCUMENTS.get(slug)
    if document is None or fmt not in FORMATS or (fmt == "docx" and not document.editable):
        abort(404)
    require(reader in document.audiences)
    if not available(document, measure):
        abort(404)
    content = build(document, measure, current_user, reader)
    data = to_pdf(content) if fmt == "pdf" else to_docx(content)
    audit_export(document, measure, fmt, reader, current_user._get_current_object())
    db.session.commit()
    filename = f"{slug}-mesure-{measure.id}.{fmt}"
    return Response(
        data,
        mimetype=MIMETYPES[fmt],
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


@bp.route("/wording")
@login_required
def wording_index():
    require(permissions.is_coordinator(current_user))
    groups = [(w, customised(w.slug)) for w in WORDINGS.values()]
    used_by = {slug: [d for d in DOCUMENTS.values() if d.wording == slug] for slug in WORDINGS}
    return render_template("documents/wording_index.html", groups=groups, used_by=used_by)


@bp.route("/wording/<slug>", methods=["GET", "POST"])
@login_required
def wording_edit(slug):
    """The coordinator edits the fixed wording; an emptied passage gets its default back."""
    require(permissions.is_coordinator(current_user))
    wording = WORDINGS.get(slug)
    if wording is None:
        abort(404)
    form = wording_form(
        wording, wording_for(slug), request.form if request.method == "POST" else None
    )
    if request.method == "POST" and form.validate():
        save_wording(
            slug,
            {p.key: form[p.key].data for p in wording.passages},
            current_user._get_current_object(),
        )
        db.session.commit()
        flash(_("Les textes sont enregistrés : les prochains documents les reprennent."), "success")
        return redirect(url_for("documents.wording_edit", slug=slug))
    status = 400 if request.method == "POST" else 200
    return render_template(
        "documents/wording_edit.html",
        wording=wording,
        form=form,
        customised=customised(slug),
    ), status
