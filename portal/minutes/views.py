"""Views of the minutes feature: read, write (with conflict detection), approve, re-open,
export as PDF. Each reads top to bottom: load, check, validate, act, commit, respond."""

from pathlib import Path

from flask import (
    Response,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import format_datetime
from flask_login import current_user, login_required

from portal import permissions
from portal.case_content import audit_reads
from portal.extensions import db
from portal.i18n import _, ngettext
from portal.loading import load_meeting, require
from portal.minutes import bp
from portal.minutes.forms import MinutesForm, ReopenForm, minutes_form, parse_version
from portal.minutes.services import (
    MinutesConflict,
    available_transitions,
    change_status,
    changes_since,
    export_pdf,
    is_intact,
    items_for,
    meeting_record,
    minutes_of,
    revisions_of,
    save_minutes,
    send_minutes,
)
from portal.models import Meeting, Minutes, MinutesStatus
from portal.transactions import commit_unless_refused
from portal.workflow import WorkflowError

# Loading -----------------------------------------------------------------------------------


def back_to(meeting: Meeting):
    return redirect(url_for("minutes.show", meeting_id=meeting.id))


# Reading -----------------------------------------------------------------------------------


@bp.route("/<int:meeting_id>/minutes")
@login_required
def show(meeting_id):
    """The minutes as the reader may see them: a case item's notes only with access to
    its discussion, the household's name only with full access."""
    meeting = load_meeting(meeting_id)
    reader = current_user._get_current_object()
    minutes = minutes_of(meeting)
    can_manage = permissions.can_manage_meeting(reader, meeting)
    readable = minutes is not None and permissions.can_read_minutes(reader, minutes)
    record = meeting_record(reader, meeting) if readable else None
    revisions = revisions_of(minutes) if readable else []
    changes = changes_since(revisions[0], minutes, reader) if revisions else []
    page = render_template(
        "minutes/show.html",
        meeting=meeting,
        minutes=minutes if readable else None,
        record=record,
        revisions=revisions,
        changes=changes,
        can_manage=can_manage,
        can_approve=readable and permissions.can_approve_minutes(reader, minutes),
        transitions=available_transitions(minutes) if can_manage and readable else [],
        intact=readable and minutes.status == MinutesStatus.APPROVED and is_intact(minutes),
    )
    if readable:
        audit_reads(record.views(), "Consultation du compte rendu")
        db.session.commit()
    return page


# Writing -----------------------------------------------------------------------------------


def form_data(minutes: Minutes | None, form_items) -> dict:
    data = {"version": str(minutes.version) if minutes else "0"}
    data["general_notes"] = minutes.general_notes if minutes else ""
    for view in form_items:
        data[f"item_{view.item.id}"] = view.item.notes
    return data


def render_form(meeting, form: MinutesForm, items, minutes, status=200, conflict=None):
    return render_template(
        "minutes/form.html",
        meeting=meeting,
        form=form,
        items=items,
        minutes=minutes,
        conflict=conflict,
    ), status


@bp.route("/<int:meeting_id>/minutes/edit", methods=["GET", "POST"])
@login_required
def edit(meeting_id):
    """Write the minutes. The form carries the version it was loaded at: a save based on
    an older version shows both texts and saves nothing."""
    meeting = load_meeting(meeting_id)
    require(permissions.can_manage_meeting(current_user, meeting))
    minutes = minutes_of(meeting)
    items = items_for(current_user, meeting)
    if request.method == "GET":
        if minutes is not None and minutes.status == MinutesStatus.APPROVED:
            flash(
                _(
                    "Le compte rendu est approuvé : son texte est figé. "
                    "Rouvrez-le pour le modifier."
                ),
                "error",
            )
            return back_to(meeting)
        form = minutes_form(items, data=form_data(minutes, items))
        return render_form(meeting, form, items, minutes)
    form = minutes_form(items)
    if not form.validate_on_submit():
        return render_form(meeting, form, items, minutes, 400)
    if stray_notes(meeting):
        return render_conflict(meeting, form)
    with commit_unless_refused(MinutesConflict, WorkflowError) as outcome:
        save_minutes(
            meeting,
            form.version.version,
            form.general_notes.data or "",
            # Only the items that were on the form: one added since keeps its notes.
            {i: notes for i, notes in form.item_notes.items() if f"item_{i}" in request.form},
            current_user._get_current_object(),
            {i: text for i, text in form.item_additions.items() if f"add_{i}" in request.form},
        )
    if outcome.refused:
        # Saved by someone else, or approved meanwhile: nothing typed is thrown away.
        return render_conflict(meeting, form)
    flash(_("Le compte rendu est enregistré."), "success")
    return back_to(meeting)


def stray_notes(meeting: Meeting) -> list[str]:
    """Notes typed on an agenda item that was removed since the form was loaded."""
    on_agenda = {
        f"{prefix}_{item.id}" for item in meeting.agenda_items for prefix in ("item", "add")
    }
    return [
        value.strip()
        for name, value in request.form.items()
        if name.startswith(("item_", "add_")) and name not in on_agenda and value.strip()
    ]


def render_conflict(meeting: Meeting, form: MinutesForm):
    """Someone saved first: the typed text stays in the form, the saved one beside it, with
    who saved it and when. The form now carries the saved version, so saving again (after
    merging) applies."""
    minutes = minutes_of(meeting)
    form.version.data = str(minutes.version) if minutes else "0"
    conflict = {
        "saved_by": minutes.updated_by if minutes else None,
        "saved_at": minutes.updated if minutes else None,
        "orphans": stray_notes(meeting)[:20],
    }
    items = items_for(current_user, meeting)
    if minutes is not None and minutes.status == MinutesStatus.APPROVED:
        flash(
            _(
                "Le compte rendu vient d'être approuvé : votre texte n'a pas été enregistré. "
                "Il reste ci-dessous pour que vous puissiez le copier, "
                "puis rouvrir le compte rendu."
            ),
            "error",
        )
    return render_form(meeting, form, items, minutes, 409, conflict)


# Workflow ----------------------------------------------------------------------------------


def load_minutes(meeting: Meeting) -> Minutes:
    minutes = minutes_of(meeting)
    if minutes is None:
        abort(404)
    return minutes


@bp.route("/<int:meeting_id>/minutes/status", methods=["POST"])
@login_required
def status(meeting_id):
    """Submit, send back to draft, approve. Anything else is refused and changes nothing."""
    meeting = load_meeting(meeting_id)
    require(permissions.can_manage_meeting(current_user, meeting))
    minutes = minutes_of(meeting)
    if minutes is None:
        flash(_("Le compte rendu n'est pas encore rédigé."), "error")
        return back_to(meeting)
    transition = request.form.get("transition", "")
    if transition == "reopen":
        flash(_("Pour rouvrir le compte rendu, indiquez le motif de la réouverture."), "error")
        return redirect(url_for("minutes.reopen", meeting_id=meeting.id))
    with commit_unless_refused() as outcome:
        change_status(
            minutes,
            transition,
            current_user._get_current_object(),
            based_on_version=parse_version(request.form.get("version")),
        )
    if outcome.refused:
        flash(outcome.message, "error")
        return back_to(meeting)
    flash(_("Compte rendu : %(status)s.", status=minutes.status.label), "success")
    return back_to(meeting)


@bp.route("/<int:meeting_id>/minutes/reopen", methods=["GET", "POST"])
@login_required
def reopen(meeting_id):
    """Re-open approved minutes: the approved text is kept, the reason logged."""
    meeting = load_meeting(meeting_id)
    require(permissions.can_manage_meeting(current_user, meeting))
    minutes = minutes_of(meeting)
    if minutes is None or minutes.status != MinutesStatus.APPROVED:
        flash(_("Seul un compte rendu approuvé peut être rouvert."), "error")
        return back_to(meeting)
    form = ReopenForm(data={"version": str(minutes.version)} if request.method == "GET" else None)
    if form.validate_on_submit():
        with commit_unless_refused() as outcome:
            change_status(
                minutes,
                "reopen",
                current_user._get_current_object(),
                based_on_version=form.version.version,
                reason=form.reason.data,
            )
        if outcome.refused:
            form.reason.errors.append(outcome.message)
        else:
            flash(_("Le compte rendu est rouvert : il repasse en brouillon."), "success")
            return back_to(meeting)
    status_code = 400 if form.is_submitted() else 200
    return render_template(
        "minutes/reopen.html",
        meeting=meeting,
        minutes=minutes,
        form=form,
    ), status_code


# PDF ---------------------------------------------------------------------------------------


def pdf_filename(meeting: Meeting) -> str:
    day = format_datetime(meeting.starts_at, "yyyy-MM-dd")
    return f"compte-rendu-{meeting.kind.value.replace('_', '-')}-{day}.pdf"


@bp.route("/<int:meeting_id>/minutes.pdf")
@login_required
def pdf(meeting_id):
    """The PDF holds only what the person downloading it may see; the export is logged."""
    meeting = load_meeting(meeting_id)
    minutes = load_minutes(meeting)
    if not permissions.can_read_minutes(current_user, minutes):
        abort(404)
    stylesheet = Path(current_app.static_folder, "css", "minutes-pdf.css").read_text("utf-8")
    document = export_pdf(meeting, minutes, current_user._get_current_object(), stylesheet)
    db.session.commit()
    return Response(
        document,
        mimetype="application/pdf",
        headers={"Content-Disposition": f'attachment; filename="{pdf_filename(meeting)}"'},
    )


# Sending -----------------------------------------------------------------------------------


@bp.route("/<int:meeting_id>/minutes/send", methods=["POST"])
@login_required
def send(meeting_id):
    """« Envoyer le compte rendu »: a link to every invitee, once per approval."""
    meeting = load_meeting(meeting_id)
    require(permissions.can_manage_meeting(current_user, meeting))
    minutes = load_minutes(meeting)
    with commit_unless_refused() as outcome:
        sent = send_minutes(minutes, current_user._get_current_object())
    if outcome.refused:
        flash(outcome.message, "error")
        return back_to(meeting)
    flash(
        ngettext(
            "Le lien du compte rendu est envoyé à %(num)d invité.",
            "Le lien du compte rendu est envoyé à %(num)d invités.",
            sent,
        ),
        "success",
    )
    return back_to(meeting)
