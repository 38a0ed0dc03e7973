import sqlalchemy as sa
from flask import Response, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from portal import permissions
from portal.actions.services import meeting_actions, meeting_decisions, open_actions_before
from portal.case_content import action_views, audit_reads, decision_views
from portal.extensions import db, limiter
from portal.forms import record_id
from portal.i18n import _, ngettext
from portal.loading import load_meeting, require
from portal.meetings import bp
from portal.meetings.calendar import CONTENT_TYPE, feed_ics, meeting_ics
from portal.meetings.forms import (
    PARIS,
    AgendaItemForm,
    AnswerForm,
    CoOrganiserForm,
    MeetingForm,
    answer_form,
)
from portal.meetings.services import (
    accept_proposal,
    add_agenda_item,
    agenda_for,
    answer_invitation,
    answers_summary,
    attendance_guess,
    cancel_meeting,
    chase_pending,
    co_organiser_candidates,
    decline_proposal,
    feed_actions,
    feed_meetings,
    invitation_choices,
    may_answer_proposal,
    move_agenda_item,
    name_co_organiser,
    new_calendar_token,
    pickable_cases,
    preload_meeting_cases,
    propose_case,
    record_attendance,
    register_is_open,
    remove_agenda_item,
    remove_co_organiser,
    revoke_calendar_token,
    schedule_meeting,
    update_meeting,
    user_by_calendar_token,
)
from portal.minutes.services import minutes_of
from portal.models import (
    AgendaItem,
    AgendaProposal,
    Attendance,
    Case,
    Committee,
    InvitationResponse,
    Meeting,
    Organisation,
    ProposalOrigin,
    ProposalStatus,
    now_utc,
)
from portal.outbox.services import public_url_for
from portal.transactions import commit_unless_refused

# Loading: a meeting the reader is not invited to is simply not found ---------------------


def load_item(meeting: Meeting, item_id: int) -> AgendaItem:
    item = next((i for i in meeting.agenda_items if i.id == item_id), None)
    if item is None:
        abort(404)
    return item


def back_to(meeting: Meeting, anchor: str = ""):
    return redirect(url_for("meetings.show", meeting_id=meeting.id) + anchor)


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
    form = MeetingForm(
        user=current_user, committee_id=request.args.get("committee", type=record_id)
    )
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


def render_meeting(meeting: Meeting, form: AnswerForm | None = None, status: int = 200):
    """The meeting as the reader may see it: the agenda, decisions, actions and opinions
    about cases filtered by the reader's access to each case."""
    reader = current_user._get_current_object()
    can_manage = permissions.can_manage_meeting(reader, meeting)
    invitee = permissions.invitation_of(reader, meeting)
    cases = preload_meeting_cases(meeting)  # noqa: F841 (held while the page renders)
    agenda = agenda_for(meeting, reader, cases_in_session=True)
    # can_answer_invitation implies an invitation: invitee is not None there.
    if form is None and invitee is not None and permissions.can_answer_invitation(reader, meeting):
        form = answer_form(
            agenda,
            data={
                "response": invitee.response.value
                if invitee.response != InvitationResponse.PENDING
                else None,
                "opinion": invitee.opinion,
                **{f"item_opinion_{o.agenda_item_id}": o.text for o in invitee.item_opinions},
            },
        )
    decisions = decision_views(reader, meeting_decisions(meeting, cases_in_session=True))
    actions = action_views(reader, meeting_actions(meeting, cases_in_session=True))
    follow_up = action_views(reader, open_actions_before(meeting, cases_in_session=True))
    proposals = meeting_proposals(meeting) if can_manage else []
    # Render before committing: a commit expires every loaded object, and the template
    # would then reload each agenda item with its own query.
    page = render_template(
        "meetings/show.html",
        meeting=meeting,
        can_manage=can_manage,
        can_record=permissions.can_record_decisions(reader, meeting)
        and permissions.record_is_open(minutes_of(meeting)),
        can_name_co_organisers=permissions.can_name_co_organisers(reader, meeting),
        co_organiser_form=CoOrganiserForm(candidates=co_organiser_candidates(meeting))
        if permissions.can_name_co_organisers(reader, meeting)
        else None,
        invitee=invitee,
        answer_form=form,
        agenda=agenda,
        decisions=decisions,
        actions=actions,
        follow_up=follow_up,
        minutes=minutes_of(meeting),
        proposals=proposals,
        answerable={p.id for p in proposals if may_answer_proposal(reader, p)},
        answers=answers_summary(meeting) if can_manage else [],
        opinions=[i for i in meeting.invitees if i.opinion],
        invited_organisations=sorted(
            {i.organisation for i in meeting.invitees}, key=lambda o: o.name
        ),
        accepted=sum(1 for i in meeting.invitees if i.response == InvitationResponse.ACCEPTED),
        register_open=register_is_open(meeting),
        upcoming=meeting.starts_at > now_utc(),
        now=now_utc(),
    )
    audit_reads([*agenda, *decisions, *actions, *follow_up], "Consultation de la réunion")
    db.session.commit()
    return page, status


def meeting_proposals(meeting: Meeting) -> list[AgendaProposal]:
    return list(
        db.session.scalars(
            sa.select(AgendaProposal)
            .where(
                AgendaProposal.meeting_id == meeting.id,
                AgendaProposal.status == ProposalStatus.PENDING,
            )
            .order_by(AgendaProposal.id)
        )
    )


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
    with commit_unless_refused() as outcome:
        cancel_meeting(meeting, current_user._get_current_object())
    if outcome.refused:
        flash(outcome.message, "error")
        return back_to(meeting)
    flash(_("La réunion est annulée ; les invités en sont informés."), "success")
    return back_to(meeting)


@bp.route("/<int:meeting_id>/answer", methods=["POST"])
@login_required
def answer(meeting_id):
    meeting = load_meeting(meeting_id)
    require(permissions.can_answer_invitation(current_user, meeting))
    form = answer_form(agenda_for(meeting, current_user))
    if not form.validate_on_submit():
        return render_meeting(meeting, form=form, status=400)
    with commit_unless_refused() as outcome:
        answer_invitation(
            meeting,
            current_user._get_current_object(),
            InvitationResponse(form.response.data),
            form.opinion.data or "",
            form.item_opinions,
        )
    if outcome.refused:
        form.opinion.errors = [*form.opinion.errors, outcome.message]
        return render_meeting(meeting, form=form, status=400)
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
        actor = current_user._get_current_object()
        case = data["case"]
        with commit_unless_refused() as outcome:
            if case is not None and not permissions.can_manage_case(actor, case):
                # Only with the agreement of the organisation that follows the case.
                propose_case(meeting, case, actor, ProposalOrigin.ORGANISER)
                message = _(
                    "La demande d'inscription est envoyée à l'organisation qui suit la "
                    "situation : elle sera à l'ordre du jour dès son accord."
                )
            else:
                add_agenda_item(meeting, data, actor)
                message = _("Le point est ajouté à l'ordre du jour.")
        if outcome.refused:
            form.case_id.errors = [*form.case_id.errors, outcome.message]
        else:
            flash(message, "success")
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
    reader = current_user._get_current_object()
    agenda = agenda_for(meeting, reader)
    follow_up = action_views(reader, open_actions_before(meeting))
    page = render_template(
        "meetings/print.html",
        meeting=meeting,
        agenda=agenda,
        follow_up=follow_up,
        opinions=[i for i in meeting.invitees if i.opinion],
    )
    # After rendering, so that the commit expires nothing the page uses.
    audit_reads([*agenda, *follow_up], "Ordre du jour imprimé")
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
    attendee = permissions.invitation_of(current_user, meeting)
    return ics_response(meeting_ics(meeting, attendee=attendee), f"reunion-{meeting.id}.ics")


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


# Running the meeting: co-organisers, proposals, answers ------------------------------------


@bp.route("/<int:meeting_id>/co-organisers", methods=["POST"])
@login_required
def add_co_organiser(meeting_id):
    meeting = load_meeting(meeting_id)
    require(permissions.can_name_co_organisers(current_user, meeting))
    form = CoOrganiserForm(candidates=co_organiser_candidates(meeting))
    if not form.validate_on_submit() or form.chosen is None:
        flash(_("Choisissez un membre actif d'une organisation de l'instance."), "error")
        return back_to(meeting, "#organisation")
    person, organisation = form.chosen
    name_co_organiser(meeting, person, organisation, current_user._get_current_object())
    db.session.commit()
    flash(_("%(name)s co-organise la réunion.", name=person.full_name), "success")
    return back_to(meeting, "#organisation")


@bp.route("/<int:meeting_id>/co-organisers/<int:co_organiser_id>/remove", methods=["POST"])
@login_required
def remove_co_organiser_view(meeting_id, co_organiser_id):
    meeting = load_meeting(meeting_id)
    require(permissions.can_name_co_organisers(current_user, meeting))
    co_organiser = next((c for c in meeting.co_organisers if c.id == co_organiser_id), None)
    if co_organiser is None:
        abort(404)
    remove_co_organiser(meeting, co_organiser, current_user._get_current_object())
    db.session.commit()
    flash(_("Le co-organisateur est retiré."), "success")
    return back_to(meeting, "#organisation")


def load_proposal(meeting: Meeting, proposal_id: int) -> AgendaProposal:
    proposal = db.session.get(AgendaProposal, proposal_id)
    if proposal is None or proposal.meeting_id != meeting.id:
        abort(404)
    return proposal


@bp.route(
    "/<int:meeting_id>/proposals/<int:proposal_id>/<any(accept, decline):answer>",
    methods=["POST"],
)
@login_required
def answer_proposal(meeting_id, proposal_id, answer):
    """The organisers answer what the case's organisation (or an adjournment) proposed."""
    meeting = load_meeting(meeting_id)
    require(permissions.can_manage_meeting(current_user, meeting))
    proposal = load_proposal(meeting, proposal_id)
    require(may_answer_proposal(current_user, proposal))
    actor = current_user._get_current_object()
    with commit_unless_refused() as outcome:
        if answer == "accept":
            accept_proposal(proposal, actor)
        else:
            decline_proposal(proposal, actor)
    if outcome.refused:
        flash(outcome.message, "error")
        return back_to(meeting, "#ordre-du-jour")
    flash(
        _("La situation est inscrite à l'ordre du jour.")
        if answer == "accept"
        else _("La proposition est refusée."),
        "success",
    )
    return back_to(meeting, "#ordre-du-jour")


@bp.route("/<int:meeting_id>/chase", methods=["POST"])
@login_required
def chase(meeting_id):
    """« Relancer les sans-réponse »: one e-mail each, once."""
    meeting = load_meeting(meeting_id)
    require(permissions.can_manage_meeting(current_user, meeting))
    with commit_unless_refused() as outcome:
        sent = chase_pending(meeting, current_user._get_current_object())
    if outcome.refused:
        flash(outcome.message, "error")
        return back_to(meeting, "#participants")
    if sent:
        flash(
            ngettext("%(num)d relance envoyée.", "%(num)d relances envoyées.", sent),
            "success",
        )
    else:
        flash(_("Personne à relancer : chaque invité a répondu ou a déjà été relancé."), "info")
    return back_to(meeting, "#participants")
