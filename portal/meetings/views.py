import sqlalchemy as sa
from flask import Response, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from portal import permissions
from portal.actions.services import open_actions_before
from portal.audit import record_events
from portal.cases.services import WorkflowError
from portal.extensions import db, limiter
from portal.i18n import _, ngettext
from portal.loading import get_visible_or_404, require
from portal.meetings import bp
from portal.meetings.calendar import CONTENT_TYPE, feed_ics, meeting_ics
from portal.meetings.forms import PARIS, AgendaItemForm, AnswerForm, MeetingForm
from portal.meetings.services import (
    add_agenda_item,
    agenda_for,
    answer_invitation,
    attendance_guess,
    cancel_meeting,
    feed_actions,
    feed_meetings,
    invitation_choices,
    move_agenda_item,
    new_calendar_token,
    pickable_cases,
    record_attendance,
    register_is_open,
    remove_agenda_item,
    revoke_calendar_token,
    schedule_meeting,
    update_meeting,
    user_by_calendar_token,
)
from portal.models import (
    AgendaItem,
    Attendance,
    AuditAction,
    Case,
    Committee,
    InvitationResponse,
    Meeting,
    Organisation,
    now_utc,
)
from portal.outbox.services import public_url_for
from portal.permissions import CaseAccess

# Loading: a meeting the reader is not invited to is simply not found ---------------------


def load_meeting(meeting_id: int) -> Meeting:
    return get_visible_or_404(Meeting, meeting_id, permissions.can_view_meeting)


def load_item(meeting: Meeting, item_id: int) -> AgendaItem:
    item = next((i for i in meeting.agenda_items if i.id == item_id), None)
    if item is None:
        abort(404)
    return item


def back_to(meeting: Meeting, anchor: str = ""):
    return redirect(url_for("meetings.show", meeting_id=meeting.id) + anchor)


def audit_agenda_reads(agenda) -> None:
    """Showing a case on the agenda is a read of its household's data (one INSERT for the
    whole agenda)."""
    entries = []
    for item, access in agenda:
        if access is not None and access > CaseAccess.NONE:
            what = (
                "Consultation à l'ordre du jour (identité)"
                if access >= CaseAccess.FULL
                else "Consultation à l'ordre du jour (pseudonymisée)"
            )
            household = item.case.household
            entries.append((household.id, f"{what} — {household.reference}"))
    record_events(AuditAction.VIEW, "household", entries)


# Meetings --------------------------------------------------------------------------------


@bp.route("/")
@login_required
def index():
    """Upcoming and past meetings the reader is invited to (or organises)."""
    require(permissions.is_staff(current_user))
    visible = sa.select(Meeting).where(permissions.visible_meetings_clause(current_user))
    now = now_utc()
    upcoming = db.session.scalars(
        visible.where(Meeting.starts_at >= now).order_by(Meeting.starts_at)
    ).all()
    past = db.session.scalars(
        visible.where(Meeting.starts_at < now).order_by(Meeting.starts_at.desc()).limit(50)
    ).all()
    return render_template(
        "meetings/index.html",
        upcoming=upcoming,
        past=past,
        can_schedule=any(
            permissions.can_schedule_meeting(current_user, c)
            for c in db.session.scalars(sa.select(Committee).where(Committee.active))
        ),
    )


@bp.route("/new", methods=["GET", "POST"])
@login_required
def new():
    require(permissions.is_staff(current_user))
    form = MeetingForm(user=current_user, committee_id=request.args.get("committee", type=int))
    schedulable = {choice.value for choice in form.committee_id.choices if choice.value != ""}
    require(bool(schedulable))
    if not form.is_submitted() and len(schedulable) == 1:
        form.committee_id.data = next(iter(schedulable))
    if not form.is_submitted() and form.committee_id.data in schedulable:
        # The committee's member organisations are invited unless the organiser says not.
        committee = db.session.get(Committee, form.committee_id.data)
        form.organisation_ids.data = [o.id for o in committee.organisations if o.active]
    if form.validate_on_submit():
        committee = db.session.get(Committee, form.committee_id.data)
        meeting = schedule_meeting(committee, current_user._get_current_object(), form.meeting_data)
        db.session.commit()
        # Both forms keep the French « (s) »; a catalogue can give a real plural.
        flash(
            ngettext(
                "La réunion est programmée ; %(num)d invitation(s) envoyée(s).",
                "La réunion est programmée ; %(num)d invitation(s) envoyée(s).",
                len(meeting.invitees),
            ),
            "success",
        )
        return redirect(url_for("meetings.show", meeting_id=meeting.id))
    return render_template("meetings/form.html", form=form, meeting=None)


@bp.route("/<int:meeting_id>")
@login_required
def show(meeting_id):
    meeting = load_meeting(meeting_id)
    return render_meeting(meeting)


def render_meeting(meeting: Meeting, answer_form: AnswerForm | None = None, status: int = 200):
    can_manage = permissions.can_manage_meeting(current_user, meeting)
    invitee = meeting.invitee(current_user.id)
    if answer_form is None and permissions.can_answer_invitation(current_user, meeting):
        answer_form = AnswerForm(
            data={
                "response": invitee.response.value
                if invitee.response != InvitationResponse.PENDING
                else None,
                "opinion": invitee.opinion,
            }
        )
    agenda = agenda_for(meeting, current_user)
    # Render before committing: a commit expires every loaded object, and the template
    # would then reload each agenda item with its own query.
    page = render_template(
        "meetings/show.html",
        meeting=meeting,
        can_manage=can_manage,
        invitee=invitee,
        answer_form=answer_form,
        agenda=agenda,
        CaseAccess=CaseAccess,
        follow_up=open_actions_before(meeting),
        opinions=[i for i in meeting.invitees if i.opinion],
        invited_organisations=sorted(
            {i.organisation for i in meeting.invitees}, key=lambda o: o.name
        ),
        accepted=sum(1 for i in meeting.invitees if i.response == InvitationResponse.ACCEPTED),
        register_open=register_is_open(meeting),
    )
    audit_agenda_reads(agenda)
    db.session.commit()
    return page, status


@bp.route("/<int:meeting_id>/edit", methods=["GET", "POST"])
@login_required
def edit(meeting_id):
    meeting = load_meeting(meeting_id)
    require(permissions.can_manage_meeting(current_user, meeting) and not meeting.is_cancelled)
    local = meeting.starts_at.astimezone(PARIS)
    organisation_ids, user_ids = invitation_choices(meeting)
    form = MeetingForm(
        user=current_user,
        meeting=meeting,
        obj=meeting,
        day=local.date(),
        time=local.time().replace(second=0, microsecond=0),
        organisation_ids=organisation_ids,
        user_ids=user_ids,
    )
    if form.validate_on_submit():
        changed = update_meeting(meeting, form.meeting_data, current_user._get_current_object())
        db.session.commit()
        flash(
            _("La réunion est modifiée ; les invités en sont informés.")
            if changed
            else _("Aucune modification."),
            "success",
        )
        return back_to(meeting)
    return render_template("meetings/form.html", form=form, meeting=meeting)


@bp.route("/<int:meeting_id>/cancel", methods=["POST"])
@login_required
def cancel(meeting_id):
    meeting = load_meeting(meeting_id)
    require(permissions.can_manage_meeting(current_user, meeting))
    try:
        cancel_meeting(meeting, current_user._get_current_object())
    except WorkflowError as error:
        db.session.rollback()
        flash(str(error), "error")
        return back_to(meeting)
    db.session.commit()
    flash(_("La réunion est annulée ; les invités en sont informés."), "success")
    return back_to(meeting)


@bp.route("/<int:meeting_id>/answer", methods=["POST"])
@login_required
def answer(meeting_id):
    meeting = load_meeting(meeting_id)
    require(permissions.can_answer_invitation(current_user, meeting))
    form = AnswerForm()
    if not form.validate_on_submit():
        return render_meeting(meeting, answer_form=form, status=400)
    answer_invitation(
        meeting,
        current_user._get_current_object(),
        InvitationResponse(form.response.data),
        form.opinion.data or "",
    )
    db.session.commit()
    flash(
        _(
            "Votre réponse est enregistrée : %(answer)s.",
            answer=InvitationResponse(form.response.data).label,
        ),
        "success",
    )
    return back_to(meeting, "#reponse")


@bp.route("/<int:meeting_id>/register", methods=["GET", "POST"])
@login_required
def register(meeting_id):
    """The attendance register, kept by the organisers from the day of the meeting."""
    meeting = load_meeting(meeting_id)
    require(permissions.can_manage_meeting(current_user, meeting))
    values = {i.id: attendance_guess(i) for i in meeting.invitees}
    errors = []
    if request.method == "POST":
        submitted = {}
        for invitee in meeting.invitees:
            raw = request.form.get(f"attendance-{invitee.id}", "")
            if raw == "":
                submitted[invitee.id] = None
            elif raw in Attendance._value2member_map_:
                submitted[invitee.id] = Attendance(raw)
            else:
                errors.append(
                    _("Présence non reconnue pour %(name)s.", name=invitee.user.full_name)
                )
        values.update(submitted)
        if not register_is_open(meeting):
            errors.append(_("Le registre de présence s'ouvre le jour de la réunion."))
        if not errors:
            record_attendance(meeting, submitted, current_user._get_current_object())
            db.session.commit()
            flash(_("Le registre de présence est enregistré."), "success")
            return back_to(meeting, "#participants")
    return render_template(
        "meetings/register.html",
        meeting=meeting,
        values=values,
        errors=errors,
        Attendance=Attendance,
        register_open=register_is_open(meeting),
    ), (400 if errors else 200)


# Agenda ----------------------------------------------------------------------------------


def agenda_form(meeting: Meeting) -> AgendaItemForm:
    organisations = sorted(
        {*meeting.committee.organisations, *(i.organisation for i in meeting.invitees)},
        key=lambda o: o.name,
    )
    return AgendaItemForm(cases=pickable_cases(meeting, current_user), organisations=organisations)


@bp.route("/<int:meeting_id>/agenda/new", methods=["GET", "POST"])
@login_required
def new_item(meeting_id):
    meeting = load_meeting(meeting_id)
    require(permissions.can_manage_meeting(current_user, meeting) and not meeting.is_cancelled)
    form = agenda_form(meeting)
    if form.validate_on_submit():
        data = {
            "title": form.title.data,
            "duration_minutes": form.duration_minutes.data,
            "case": db.session.get(Case, form.case_id.data) if form.case_id.data else None,
            "presenter": db.session.get(Organisation, form.presenter_organisation_id.data)
            if form.presenter_organisation_id.data
            else None,
        }
        try:
            add_agenda_item(meeting, data, current_user._get_current_object())
        except WorkflowError as error:
            db.session.rollback()
            form.case_id.errors = [*form.case_id.errors, str(error)]
        else:
            db.session.commit()
            flash(_("Le point est ajouté à l'ordre du jour."), "success")
            return back_to(meeting, "#ordre-du-jour")
    return render_template("meetings/item_form.html", form=form, meeting=meeting)


@bp.route("/<int:meeting_id>/agenda/<int:item_id>/<any(up, down):direction>", methods=["POST"])
@login_required
def move_item(meeting_id, item_id, direction):
    meeting = load_meeting(meeting_id)
    require(permissions.can_manage_meeting(current_user, meeting))
    require(not meeting.is_cancelled)
    item = load_item(meeting, item_id)
    move_agenda_item(meeting, item, -1 if direction == "up" else 1)
    db.session.commit()
    return back_to(meeting, "#ordre-du-jour")


@bp.route("/<int:meeting_id>/agenda/<int:item_id>/remove", methods=["POST"])
@login_required
def remove_item(meeting_id, item_id):
    meeting = load_meeting(meeting_id)
    require(permissions.can_manage_meeting(current_user, meeting))
    require(not meeting.is_cancelled)
    item = load_item(meeting, item_id)
    remove_agenda_item(meeting, item, current_user._get_current_object())
    db.session.commit()
    flash(_("Le point est retiré de l'ordre du jour."), "success")
    return back_to(meeting, "#ordre-du-jour")


@bp.route("/<int:meeting_id>/agenda/print")
@login_required
def print_agenda(meeting_id):
    meeting = load_meeting(meeting_id)
    agenda = agenda_for(meeting, current_user)
    page = render_template(
        "meetings/print.html",
        meeting=meeting,
        agenda=agenda,
        CaseAccess=CaseAccess,
        follow_up=open_actions_before(meeting),
        opinions=[i for i in meeting.invitees if i.opinion],
    )
    audit_agenda_reads(agenda)  # after rendering, so that the commit expires nothing it uses
    db.session.commit()
    return page


# Calendars -------------------------------------------------------------------------------


def ics_response(data: bytes, filename: str) -> Response:
    return Response(
        data,
        mimetype="text/calendar",
        headers={
            "Content-Type": CONTENT_TYPE,
            "Content-Disposition": f'attachment; filename="{filename}"',
        },
    )


@bp.route("/<int:meeting_id>.ics")
@login_required
def ics(meeting_id):
    meeting = load_meeting(meeting_id)
    return ics_response(meeting_ics(meeting), f"reunion-{meeting.id}.ics")


@bp.route("/calendar")
@login_required
def calendar():
    """The private feed's address, to subscribe from Outlook, Thunderbird or Google."""
    require(permissions.is_staff(current_user))
    token = current_user.calendar_token
    return render_template(
        "meetings/calendar.html",
        feed_url=public_url_for("meetings.feed", token=token) if token else None,
    )


@bp.route("/calendar/token", methods=["POST"])
@login_required
def calendar_token():
    require(permissions.is_staff(current_user))
    had_token = current_user.calendar_token is not None
    new_calendar_token(current_user._get_current_object())
    db.session.commit()
    flash(
        _("Nouveau lien créé : l'ancien ne fonctionne plus. Mettez à jour vos abonnements.")
        if had_token
        else _("Votre lien d'agenda est créé."),
        "success",
    )
    return redirect(url_for("meetings.calendar"))


@bp.route("/calendar/revoke", methods=["POST"])
@login_required
def revoke_calendar():
    require(permissions.is_staff(current_user))
    revoke_calendar_token(current_user._get_current_object())
    db.session.commit()
    flash(_("Votre lien d'agenda est révoqué : il ne donne plus accès à rien."), "success")
    return redirect(url_for("meetings.calendar"))


@bp.route("/calendar/<token>.ics")
@limiter.limit("120 per minute")
def feed(token):
    """The private feed: no sign-in, the secret address is the key."""
    user = user_by_calendar_token(token)
    if user is None:
        abort(404)
    response = ics_response(
        feed_ics(user, feed_meetings(user), feed_actions(user)), "portail-partenaires.ics"
    )
    response.headers["Cache-Control"] = "no-store"
    return response
