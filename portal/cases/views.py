import json
from pathlib import Path

import sqlalchemy as sa
from flask import (
    Response,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    send_file,
    url_for,
)
from flask_login import current_user, login_required

from portal import permissions, storage
from portal.case_content import decision_views, reading_loads
from portal.cases import bp
from portal.cases.forms import (
    AgendaChoiceForm,
    AttachmentForm,
    CaseFilterForm,
    CaseForm,
    HouseholdForm,
    InformationForm,
    NoteForm,
    ShareForm,
)
from portal.cases.services import (
    access_log,
    add_attachment,
    add_note,
    audit_household_read,
    available_transitions,
    change_status,
    create_case,
    create_household,
    export_household,
    export_household_pdf,
    household_cases,
    possible_duplicates,
    record_information,
    remove_attachment,
    share_case,
    unshare_case,
    update_case,
    update_household,
)
from portal.extensions import db
from portal.forms import record_id
from portal.i18n import _
from portal.loading import get_visible_or_404, require
from portal.meetings.services import (
    accept_proposal,
    case_decisions,
    case_proposals,
    decline_proposal,
    may_answer_proposal,
    put_case_on_agenda,
    upcoming_meetings_for,
    withdraw_case_from_agendas,
)
from portal.models import (
    AccessLevel,
    AgendaProposal,
    Case,
    CaseAttachment,
    CaseEvent,
    CaseNote,
    CaseParticipant,
    CaseStatus,
    Household,
    HouseholdPerson,
    Organisation,
)
from portal.organisations.acting import creating_for
from portal.pagination import paginate
from portal.permissions import CaseAccess
from portal.transactions import commit_unless_refused

# Loading: an object the reader may not know about is simply not found ---------------------


# What a household's pages show (its situation, identity and information), loaded with it.
HOUSEHOLD_SHOWN = (
    sa.orm.selectinload(Household.communes),
    sa.orm.selectinload(Household.obstacles),
    sa.orm.selectinload(Household.persons),
    sa.orm.selectinload(Household.identity),
    sa.orm.selectinload(Household.information_records),
    sa.orm.joinedload(Household.created_by),
)


# What a case's page shows of its household: the situation (communes) and, to those who
# may see it, the identity (``reading_loads`` loads the persons and the identity).
CASE_SHOWN = (
    *reading_loads(),
    sa.orm.defaultload(Case.household).selectinload(Household.communes),
    sa.orm.defaultload(Case.household).selectinload(Household.obstacles),
    sa.orm.defaultload(Case.participants).joinedload(CaseParticipant.organisation),
)


def load_household(household_id: int, options=()) -> Household:
    return get_visible_or_404(Household, household_id, permissions.owns_household, options)


def load_case(case_id: int, options=()) -> Case:
    return get_visible_or_404(Case, case_id, permissions.can_view_case, options)


def owner_organisation() -> Organisation:
    """New household files belong to the organisation the person acts for, if it holds
    household files (else to the first of theirs that does)."""
    return creating_for(current_user, permissions.case_poster_organisations(current_user))


# Household files ---------------------------------------------------------------------------


@bp.route("/households/")
@login_required
def households():
    """The household files of the reader's organisations."""
    require(permissions.is_staff(current_user))
    rows = db.session.scalars(
        sa.select(Household)
        .where(Household.organisation_id.in_(current_user.organisation_ids))
        .options(sa.orm.selectinload(Household.information_records))
        .order_by(Household.created.desc())
    ).all()
    return render_template("cases/households.html", households=rows)


@bp.route("/households/new", methods=["GET", "POST"])
@login_required
def new_household():
    require(permissions.can_post_cases(current_user))
    organisation = owner_organisation()
    form = HouseholdForm(territory_id=organisation.territory_id)
    duplicates = []
    if form.validate_on_submit():
        # The same person already has a file here: say so, and create only if told to.
        duplicates = possible_duplicates(organisation, form.situation_data["persons"])
        if not duplicates or form.create_anyway.data:
            household = create_household(
                organisation, current_user._get_current_object(), form.situation_data
            )
            db.session.commit()
            flash(
                _(
                    "Le dossier %(reference)s est créé. Enregistrez l'information du ménage "
                    "avant de partager sa situation.",
                    reference=household.reference,
                ),
                "success",
            )
            return redirect(url_for("cases.household", household_id=household.id))
    return render_template(
        "cases/household_form.html",
        form=form,
        household=None,
        duplicates=duplicates,
        organisation=organisation,
    )


@bp.route("/households/<int:household_id>")
@login_required
def household(household_id):
    household = load_household(household_id, HOUSEHOLD_SHOWN)
    # Render before committing: a commit expires what the page shows.
    page = render_template(
        "cases/household.html",
        household=household,
        cases=household_cases(household),
        can_manage_privacy=permissions.can_manage_household_privacy(current_user, household),
    )
    audit_household_read(household, "Consultation du dossier (identité et situation)")
    db.session.commit()
    return page


@bp.route("/households/<int:household_id>/edit", methods=["GET", "POST"])
@login_required
def edit_household(household_id):
    household = load_household(household_id, HOUSEHOLD_SHOWN)
    require(household.anonymised_at is None)
    form = HouseholdForm(obj=household, territory_id=household.organisation.territory_id)
    if not form.is_submitted():
        form.commune_ids.data = [c.id for c in household.communes]
        form.obstacles.data = [o.value for o in household.obstacle_values]
        if household.identity:
            form.phone.data = household.identity.phone
            form.email.data = household.identity.email
            form.address.data = household.identity.address
        for entry, person in zip(form.persons.entries, household.persons, strict=False):
            entry.form.process(None, obj=person)
    if form.validate_on_submit():
        update_household(household, form.situation_data, current_user._get_current_object())
        db.session.commit()
        flash(_("Le dossier est enregistré."), "success")
        return redirect(url_for("cases.household", household_id=household.id))
    # Render before committing: a commit expires what the page shows.
    page = render_template("cases/household_form.html", form=form, household=household)
    if not form.is_submitted():
        # The form shows the identity and the situation: a read like any other.
        audit_household_read(household, "Consultation du dossier pour modification")
        db.session.commit()
    return page


@bp.route("/households/<int:household_id>/information", methods=["GET", "POST"])
@login_required
def information(household_id):
    """Record that the household was told what is shared, and with whom."""
    household = load_household(household_id)
    form = InformationForm()
    if form.validate_on_submit():
        record_information(household, current_user._get_current_object(), form.data)
        db.session.commit()
        flash(
            _("L'information du ménage est enregistrée : sa situation peut être partagée."),
            "success",
        )
        return redirect(url_for("cases.household", household_id=household.id))
    return render_template("cases/information_form.html", form=form, household=household)


@bp.route("/households/<int:household_id>/access-log")
@login_required
def access_log_page(household_id):
    household = load_household(household_id)
    require(permissions.can_manage_household_privacy(current_user, household))
    return render_template(
        "cases/access_log.html", household=household, events=access_log(household)
    )


@bp.route("/households/<int:household_id>/export")
@login_required
def export(household_id):
    """Everything held on the household, as one JSON file (right of access)."""
    household = load_household(household_id)
    require(permissions.can_manage_household_privacy(current_user, household))
    data = export_household(household)
    db.session.commit()
    return Response(
        json.dumps(data, ensure_ascii=False, indent=2),
        mimetype="application/json",
        headers={
            "Content-Disposition": f'attachment; filename="donnees-{household.reference}.json"'
        },
    )


# The minutes' page layout, with a footer of its own and one field a line.
EXPORT_STYLE = """
@page { @bottom-left { content: "Données personnelles — document confidentiel"; } }
.export-row { border-top: 1px solid #c8ced3; padding-top: .3em; }
.export-row div { display: block; width: auto; }
"""


@bp.route("/households/<int:household_id>/export.pdf")
@login_required
def export_pdf(household_id):
    """The same, as a PDF in French that a social worker can hand to the person."""
    household = load_household(household_id)
    require(permissions.can_manage_household_privacy(current_user, household))
    stylesheet = Path(current_app.static_folder, "css", "minutes-pdf.css").read_text("utf-8")
    document = export_household_pdf(household, stylesheet + EXPORT_STYLE)
    db.session.commit()
    return Response(
        document,
        mimetype="application/pdf",
        headers={
            "Content-Disposition": f'attachment; filename="donnees-{household.reference}.pdf"'
        },
    )


# Cases -------------------------------------------------------------------------------------


def filtered_cases(form: CaseFilterForm):
    query = sa.select(Case).join(Household, Case.household_id == Household.id)
    query = query.where(permissions.visible_cases_clause(current_user))
    if form.validate():
        if form.q.data:
            pattern = f"%{form.q.data}%"
            own = list(current_user.organisation_ids)
            query = query.where(
                sa.or_(
                    Household.reference.ilike(pattern),
                    Case.title.ilike(pattern),
                    # Names are searched only in the reader's own households.
                    sa.and_(
                        Household.organisation_id.in_(own),
                        sa.select(HouseholdPerson.id)
                        .where(
                            HouseholdPerson.household_id == Household.id,
                            sa.or_(
                                HouseholdPerson.last_name.ilike(pattern),
                                HouseholdPerson.first_name.ilike(pattern),
                            ),
                        )
                        .exists(),
                    ),
                )
            )
        if form.status.data:
            query = query.where(Case.status == CaseStatus(form.status.data))
        if form.committee.data:
            query = query.where(Case.committee_id == form.committee.data)
        if form.public.data:
            query = query.where(Household.public == form.public.data)
        if form.organisation.data:
            query = query.where(Case.organisation_id == form.organisation.data)
        if form.date_from.data:
            query = query.where(sa.func.date(Case.created) >= form.date_from.data)
        if form.date_to.data:
            query = query.where(sa.func.date(Case.created) <= form.date_to.data)
    return query.order_by(Case.updated.desc(), Case.id.desc())


@bp.route("/")
@login_required
def index():
    """Cases the reader may see, searched and filtered in SQL by the detail page's rules."""
    require(permissions.is_staff(current_user))
    form = CaseFilterForm(formdata=request.args, organisation_ids=current_user.organisation_ids)
    page = paginate(filtered_cases(form))
    access = {case.id: permissions.case_access(current_user, case) for case in page.items}
    return render_template("cases/index.html", page=page, form=form, access=access)


@bp.route("/new", methods=["GET", "POST"])
@login_required
def new():
    household = load_household(request.args.get("household", type=record_id) or 0)
    require(household.anonymised_at is None)
    form = CaseForm(organisation_ids={household.organisation_id})
    if form.validate_on_submit():
        case = create_case(household, current_user._get_current_object(), form.data)
        db.session.commit()
        flash(_("La situation est enregistrée en brouillon."), "success")
        return redirect(url_for("cases.show", case_id=case.id))
    return render_template("cases/case_form.html", form=form, household=household, case=None)


@bp.route("/<int:case_id>")
@login_required
def show(case_id):
    case = load_case(case_id, CASE_SHOWN)
    access = permissions.case_access(current_user, case)
    notes = attachments = []
    if access >= CaseAccess.SITUATION:
        notes = db.session.scalars(
            sa.select(CaseNote)
            .where(CaseNote.case_id == case.id, permissions.readable_notes_clause(current_user))
            .order_by(CaseNote.created)
        ).all()
    if access >= CaseAccess.FULL:
        attachments = db.session.scalars(
            sa.select(CaseAttachment)
            .where(CaseAttachment.case_id == case.id)
            .order_by(CaseAttachment.created)
        ).all()
    events = db.session.scalars(
        sa.select(CaseEvent)
        .where(CaseEvent.case_id == case.id, permissions.readable_case_events_clause(current_user))
        .order_by(CaseEvent.created, CaseEvent.id)
    ).all()
    can_manage = permissions.can_manage_case(current_user, case)
    reader = current_user._get_current_object()
    agenda_form = None
    if permissions.can_propose_for_agenda(reader, case):
        agenda_form = AgendaChoiceForm(meetings=upcoming_meetings_for(case, reader))
    # Render before committing: a commit expires every loaded object, and the template
    # would then reload each event and note with its own query.
    page = render_template(
        "cases/show.html",
        agenda_form=agenda_form,
        proposals=case_proposals(case) if can_manage else [],
        decisions=decision_views(reader, case_decisions(case, reader)),
        case=case,
        access=access,
        CaseAccess=CaseAccess,
        notes=notes,
        attachments=attachments,
        events=events,
        can_manage=can_manage,
        transitions=available_transitions(case) if can_manage else [],
        note_form=NoteForm(),
        attachment_form=AttachmentForm(),
        share_form=ShareForm(owner_id=case.organisation_id) if can_manage else None,
    )
    audit_household_read(
        case.household,
        "Consultation de la situation et de l'identité"
        if access >= CaseAccess.FULL
        else "Consultation de la situation (pseudonymisée)",
    )
    db.session.commit()
    return page


@bp.route("/<int:case_id>/edit", methods=["GET", "POST"])
@login_required
def edit(case_id):
    case = load_case(case_id)
    require(permissions.can_manage_case(current_user, case))
    form = CaseForm(obj=case, organisation_ids={case.organisation_id})
    if form.validate_on_submit():
        with commit_unless_refused() as outcome:
            update_case(case, form.data, current_user._get_current_object())
        if outcome.refused:
            flash(outcome.message, "error")
            return redirect(url_for("cases.show", case_id=case.id))
        flash(_("La situation est enregistrée."), "success")
        return redirect(url_for("cases.show", case_id=case.id))
    return render_template("cases/case_form.html", form=form, household=case.household, case=case)


def back_to(case: Case, anchor: str = ""):
    return redirect(url_for("cases.show", case_id=case.id) + anchor)


@bp.route("/<int:case_id>/status", methods=["POST"])
@login_required
def status(case_id):
    case = load_case(case_id)
    require(permissions.can_manage_case(current_user, case))
    with commit_unless_refused() as outcome:
        change_status(
            case,
            request.form.get("transition", ""),
            current_user._get_current_object(),
            manual=True,
        )
    if outcome.refused:
        flash(outcome.message, "error")
        return back_to(case)
    flash(_("Statut de la situation : %(status)s.", status=case.status.label), "success")
    return back_to(case)


@bp.route("/<int:case_id>/participants", methods=["POST"])
@login_required
def share(case_id):
    case = load_case(case_id)
    require(permissions.can_manage_case(current_user, case))
    form = ShareForm(owner_id=case.organisation_id)
    if not form.validate_on_submit():
        return render_template("cases/share_form.html", form=form, case=case), 400
    organisation = db.session.get(Organisation, form.organisation_id.data)
    with commit_unless_refused() as outcome:
        share_case(
            case,
            organisation,
            AccessLevel(form.level.data),
            form.reason.data,
            current_user._get_current_object(),
        )
    if outcome.refused:
        form.organisation_id.errors.append(outcome.message)
        return render_template("cases/share_form.html", form=form, case=case), 400
    flash(
        _("La situation est partagée avec %(organisation)s.", organisation=organisation.name),
        "success",
    )
    return back_to(case, "#partages")


@bp.route("/<int:case_id>/participants/<int:participant_id>/remove", methods=["POST"])
@login_required
def unshare(case_id, participant_id):
    case = load_case(case_id)
    require(permissions.can_manage_case(current_user, case))
    participant = next((p for p in case.participants if p.id == participant_id), None)
    if participant is None:
        abort(404)
    unshare_case(case, participant, current_user._get_current_object())
    db.session.commit()
    flash(_("Le partage est retiré."), "success")
    return back_to(case, "#partages")


@bp.route("/<int:case_id>/notes", methods=["POST"])
@login_required
def note(case_id):
    case = load_case(case_id)
    require(permissions.can_post_note(current_user, case))
    form = NoteForm()
    if not form.validate_on_submit():
        return render_template("cases/note_form.html", form=form, case=case), 400
    add_note(case, current_user._get_current_object(), form.body.data, form.internal.data)
    db.session.commit()
    flash(_("Votre message est publié."), "success")
    return back_to(case, "#discussion")


@bp.route("/<int:case_id>/attachments", methods=["POST"])
@login_required
def upload(case_id):
    case = load_case(case_id)
    require(permissions.can_add_attachment(current_user, case))
    form = AttachmentForm()
    if form.validate_on_submit():
        with commit_unless_refused(storage.UploadRefused) as outcome:
            add_attachment(
                case,
                current_user._get_current_object(),
                form.file.data.filename,
                form.file.data.read(current_app.config["MAX_UPLOAD_BYTES"] + 1),
            )
        if outcome.refused:
            form.file.errors.append(outcome.message)
        else:
            flash(_("Le fichier est joint à la situation."), "success")
            return back_to(case, "#pieces")
    return render_template("cases/attachment_form.html", form=form, case=case), 400


def load_attachment(case: Case, attachment_id: int) -> CaseAttachment:
    attachment = db.session.scalar(
        sa.select(CaseAttachment).where(
            CaseAttachment.id == attachment_id, CaseAttachment.case_id == case.id
        )
    )
    if attachment is None:
        abort(404)
    return attachment


@bp.route("/<int:case_id>/attachments/<int:attachment_id>")
@login_required
def download(case_id, attachment_id):
    case = load_case(case_id)
    require(permissions.can_view_attachments(current_user, case))
    attachment = load_attachment(case, attachment_id)
    path = storage.path_of(attachment.stored_name)
    if not path.is_file():
        abort(404)
    audit_household_read(
        case.household, f"Téléchargement de la pièce jointe « {attachment.filename} »"
    )
    db.session.commit()
    return send_file(
        path,
        mimetype=attachment.content_type,
        as_attachment=True,
        download_name=attachment.filename,
    )


@bp.route("/<int:case_id>/attachments/<int:attachment_id>/delete", methods=["POST"])
@login_required
def delete_attachment(case_id, attachment_id):
    case = load_case(case_id)
    require(permissions.can_manage_case(current_user, case))
    attachment = load_attachment(case, attachment_id)
    stored_name = remove_attachment(case, attachment, current_user._get_current_object())
    db.session.commit()
    storage.delete(stored_name)
    flash(_("La pièce jointe est supprimée."), "success")
    return back_to(case, "#pieces")


# The agenda: a case goes on it only with its organisation's agreement --------------------


@bp.route("/<int:case_id>/agenda", methods=["POST"])
@login_required
def put_on_agenda(case_id):
    """« Inscrire à l'ordre du jour »: straight onto the agenda when the case's organisation
    organises the meeting, else proposed to its organisers."""
    case = load_case(case_id)
    require(permissions.can_propose_for_agenda(current_user, case))
    reader = current_user._get_current_object()
    form = AgendaChoiceForm(meetings=upcoming_meetings_for(case, reader))
    if not form.validate_on_submit() or form.meeting_id.data not in form.meetings:
        flash(_("Choisissez une réunion à venir de l'instance de la situation."), "error")
        return back_to(case, "#ordre-du-jour")
    meeting = form.meetings[form.meeting_id.data]
    with commit_unless_refused() as outcome:
        item = put_case_on_agenda(case, meeting, reader)
    if outcome.refused:
        flash(outcome.message, "error")
        return back_to(case, "#ordre-du-jour")
    if item is not None:
        flash(
            _("La situation est inscrite à l'ordre du jour de « %(title)s ».", title=meeting.title),
            "success",
        )
    else:
        flash(
            _(
                "La situation est proposée aux organisateurs de « %(title)s » : elle sera à "
                "l'ordre du jour dès qu'ils l'y inscrivent.",
                title=meeting.title,
            ),
            "success",
        )
    return back_to(case, "#ordre-du-jour")


@bp.route("/<int:case_id>/agenda/withdraw", methods=["POST"])
@login_required
def withdraw_from_agendas(case_id):
    """The case's organisation withdraws its agreement: the case leaves the agendas of the
    meetings to come."""
    case = load_case(case_id)
    require(permissions.can_manage_case(current_user, case))
    with commit_unless_refused() as outcome:
        count = withdraw_case_from_agendas(case, current_user._get_current_object())
    if outcome.refused:
        flash(outcome.message, "error")
        return back_to(case, "#ordre-du-jour")
    flash(
        _("La situation est retirée de l'ordre du jour des réunions à venir.")
        if count
        else _("La situation n'était à l'ordre du jour d'aucune réunion à venir."),
        "success",
    )
    return back_to(case, "#ordre-du-jour")


@bp.route(
    "/<int:case_id>/proposals/<int:proposal_id>/<any(accept, decline):answer>", methods=["POST"]
)
@login_required
def answer_proposal(case_id, proposal_id, answer):
    """The case's organisation answers the organisers' request to discuss the case."""
    case = load_case(case_id)
    require(permissions.can_manage_case(current_user, case))
    proposal = db.session.get(AgendaProposal, proposal_id)
    if proposal is None or proposal.case_id != case.id:
        abort(404)
    require(may_answer_proposal(current_user, proposal))
    actor = current_user._get_current_object()
    with commit_unless_refused() as outcome:
        if answer == "accept":
            accept_proposal(proposal, actor)
        else:
            decline_proposal(proposal, actor)
    if outcome.refused:
        flash(outcome.message, "error")
        return back_to(case, "#ordre-du-jour")
    flash(
        _("La situation est inscrite à l'ordre du jour.")
        if answer == "accept"
        else _("La demande d'inscription est refusée."),
        "success",
    )
    return back_to(case, "#ordre-du-jour")
