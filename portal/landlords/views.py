from datetime import UTC, date
from decimal import Decimal, InvalidOperation

import sqlalchemy as sa
from flask import (
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    send_file,
    session,
    url_for,
)
from flask_login import current_user, login_required, login_user
from itsdangerous import BadSignature

from portal import permissions, storage
from portal.audit import record_event
from portal.auth.forms import ResetPasswordForm
from portal.auth.services import set_password
from portal.auth.sessions import start_session
from portal.auth.tokens import password_fingerprint, serializer
from portal.extensions import db, limiter
from portal.formatting import euros, plain_number
from portal.forms import ConfirmForm, choices
from portal.i18n import _
from portal.landlords import bp
from portal.landlords import rules as R
from portal.landlords.forms import (
    AssignForm,
    CeilingForm,
    ChecklistForm,
    DocumentForm,
    MessageForm,
    NewOwnerForm,
    NoteForm,
    OwnerForm,
    RuleValueForm,
    SchemeForm,
    SimulatorForm,
    StatusForm,
    UnitForm,
    VisitForm,
)
from portal.landlords.services import (
    CARRIED_FIELDS,
    FORWARD,
    OWNER_DOCUMENT_KINDS,
    OWNER_FIELDS,
    PIPELINE,
    SCHEME_FIELDS,
    UNIT_FIELDS,
    add_ceiling,
    add_document,
    add_rule_value,
    after_agreement,
    allowed_moves,
    assign,
    change_status,
    create_landlord,
    current_rules,
    offer_checks,
    offer_comparison,
    owner_text,
    plan_visit,
    post_message,
    save_checklist,
    scheme_justification,
    stage_report,
    start_offer,
    submit_offer,
    update_offer,
)
from portal.loading import get_visible_or_404, require
from portal.local_time import PARIS
from portal.models import (
    AuditAction,
    Commune,
    CommuneCeiling,
    DpeClass,
    LandlordOffer,
    Measure,
    Membership,
    OfferDocument,
    OfferDocumentKind,
    OfferReason,
    OfferStatus,
    OwnerKind,
    PreferredScheme,
    RuleParameter,
    User,
    UserKind,
    VisitChecklist,
    VisitResult,
    now_utc,
)
from portal.models.organisations import Organisation, OrganisationKind
from portal.outbox.services import public_url_for, queue_email
from portal.workflow import WorkflowError

STEPS = ("owner", "unit", "scheme", "documents")


def offer_limit() -> str:
    return current_app.config["LANDLORD_OFFER_LIMIT"]


# Public pages --------------------------------------------------------------------------------


@bp.route("/")
def index():
    """The scheme explained to an owner, in plain French."""
    return render_template("landlords/index.html", rules=current_rules())


def simulation_of(form: SimulatorForm):
    data = form.data
    lease_date = data["lease_date"] or date.today()
    facts = R.UnitFacts(
        surface=data["surface"],
        main_room_surface=data["main_room_surface"],
        ceiling_height=data["ceiling_height"],
        rent=data["rent"],
        charges=data["charges"],
        dpe_class=data["dpe_class"] or None,
        furnished=bool(data["furnished"]),
        agency_fees=data["agency_fees"],
        lease_date=lease_date,
    )
    defaults = R.Assumptions()
    assumptions = R.Assumptions(
        vacancy_months_per_year=(
            data["vacancy_months"]
            if data["vacancy_months"] is not None
            else defaults.vacancy_months_per_year
        ),
        unpaid_rate=data["unpaid_rate"]
        if data["unpaid_rate"] is not None
        else defaults.unpaid_rate,
    )
    rules = current_rules(lease_date, data["commune"])
    return R.simulate(facts, rules, assumptions), rules, lease_date


@bp.route("/simulator")
@limiter.limit(lambda: current_app.config["LANDLORD_SIMULATOR_LIMIT"])
def simulator():
    """A GET form: the results below it without JavaScript; simulator.js asks for the
    ``partial=1`` fragment alone and swaps it in as the owner types."""
    submitted = any(k != "partial" for k in request.args)
    form = SimulatorForm(formdata=request.args if submitted else None)
    if not submitted:
        form.vacancy_months.data = R.Assumptions().vacancy_months_per_year
        form.unpaid_rate.data = R.Assumptions().unpaid_rate
    result = rules = lease_date = None
    status = 200
    if submitted:
        if form.validate():
            result, rules, lease_date = simulation_of(form)
        else:
            status = 400
    template = (
        "landlords/_results.html" if request.args.get("partial") else "landlords/simulator.html"
    )
    return render_template(
        template,
        form=form,
        result=result,
        rules=rules,
        lease_date=lease_date,
        submitted=submitted,
        carry=simulation_args(form) if result is not None else {},
    ), status


# The simulation carried into the offer ---------------------------------------------------------

# Simulator field → offer field.
CARRIED_FROM_SIMULATOR = {
    "commune": "commune_id",
    "surface": "surface",
    "main_room_surface": "main_room_surface",
    "ceiling_height": "ceiling_height",
    "rent": "rent",
    "charges": "charges",
    "agency_fees": "agency_fees",
    "dpe_class": "dpe_class",
    "furnished": "furnished",
    "lease_date": "available_from",
}


def simulation_args(form: SimulatorForm) -> dict:
    """The simulator's query string for the « Proposer mon logement » link."""
    return {
        name: request.args[name]
        for name in CARRIED_FROM_SIMULATOR
        if request.args.get(name) not in (None, "")
    }


def carried_token(args) -> str:
    """Signed figures of a valid simulation given in the query string; "" otherwise."""
    if not any(name in args for name in CARRIED_FROM_SIMULATOR):
        return ""
    form = SimulatorForm(formdata=args)
    if not form.validate():
        return ""
    values = {}
    for name, target in CARRIED_FROM_SIMULATOR.items():
        value = form[name].data
        if value in (None, "", False):
            continue
        values[target] = value.isoformat() if isinstance(value, date) else str(value)
    return serializer("landlord-simulation").dumps(values) if values else ""


def carried_from(token: str | None) -> dict:
    """The offer fields of a signed simulation (CARRIED_FIELDS); {} when absent or forged."""
    if not token:
        return {}
    try:
        raw = serializer("landlord-simulation").loads(token, max_age=7 * 86400)
    except BadSignature:
        return {}
    if not isinstance(raw, dict):
        return {}
    data = {}
    try:
        for name, value in raw.items():
            if name not in CARRIED_FIELDS or not isinstance(value, str):
                continue
            if name == "commune_id":
                data[name] = int(value)
            elif name == "dpe_class":
                data[name] = DpeClass(value)
            elif name == "furnished":
                data[name] = value == "True"
            elif name == "available_from":
                data[name] = date.fromisoformat(value)
            else:
                data[name] = Decimal(value)
    except (ValueError, InvalidOperation):
        return {}
    return data


def carried_summary(token: str | None) -> list[tuple[str, str]]:
    """What the owner sees of the figures the offer takes from their simulation."""
    data = carried_from(token)
    labels = UnitForm(formdata=None)
    rows = []
    for name in CARRIED_FIELDS:
        if name not in data:
            continue
        value = data[name]
        if name == "commune_id":
            commune = db.session.get(Commune, value)
            value = commune.name if commune else ""
        elif name == "dpe_class":
            value = value.value
        elif name == "furnished":
            value = _("oui")
        elif name == "available_from":
            value = value.strftime("%d/%m/%Y")
        elif name in ("rent", "charges", "agency_fees"):
            value = euros(value)
        else:
            value = plain_number(value)
        rows.append((labels[name].label.text, value))
    return rows


# Making an offer -----------------------------------------------------------------------------


def confirmation_token(user: User) -> str:
    return serializer("landlord-confirm").dumps({"u": user.id, "p": password_fingerprint(user)})


def load_confirmation_token(token: str) -> User | None:
    max_age = current_app.config["INVITATION_MAX_AGE"].total_seconds()
    try:
        data = serializer("landlord-confirm").loads(token, max_age=max_age)
    except BadSignature:
        return None
    user = db.session.get(User, data.get("u")) if isinstance(data, dict) else None
    if user is None or user.kind != UserKind.LANDLORD or not user.active:
        return None
    if password_fingerprint(user) != data.get("p"):
        return None  # already used: the password is set
    return user


def send_confirmation(user: User) -> None:
    queue_email(
        user.email,
        "landlord_confirm",
        _("Confirmez votre adresse pour continuer votre proposition de logement"),
        user=user,
        link=public_url_for("landlords.confirm", token=confirmation_token(user)),
    )


def owner_data(form: OwnerForm) -> dict:
    return {
        "owner_kind": OwnerKind(form.owner_kind.data),
        "company_name": form.company_name.data or ""
        if form.owner_kind.data == OwnerKind.COMPANY.value
        else "",
        "contact_phone": form.contact_phone.data or "",
        "consent_to_contact": bool(form.consent_to_contact.data),
    }


def submitted_address() -> str:
    return "offer-address:" + (request.form.get("email") or "").strip().lower()[:254]


@bp.route("/offer/new", methods=["GET", "POST"])
@limiter.limit(offer_limit, methods=["POST"])
# Per address too: nobody sends an address's owner e-mail after e-mail (the same limit for
# any address, so that it tells nothing about who has an account).
@limiter.limit("3 per day", key_func=submitted_address, methods=["POST"])
def new_offer():
    """The first step. Someone without an account gives their name and e-mail: the account
    is created and confirmed by e-mail, where they set a password and carry on."""
    if current_user.is_authenticated and not permissions.is_landlord(current_user):
        flash(_("Les propositions de logement se font avec un compte propriétaire."), "error")
        return redirect(url_for("landlords.index"))
    landlord = permissions.is_landlord(current_user)
    form = OwnerForm() if landlord else NewOwnerForm()
    if request.method == "GET":
        form.simulation.data = carried_token(request.args)
    carried = carried_from(form.simulation.data)
    if request.method == "POST" and not landlord and form.website.data:
        # A bot filled the hidden field: it is shown the usual answer, nothing is kept.
        return render_template("landlords/check_email.html", email=form.email.data or "")
    if form.validate_on_submit():
        if landlord:
            offer = start_offer(current_user._get_current_object(), owner_data(form), carried)
            db.session.commit()
            return redirect(url_for("landlords.edit_step", offer_id=offer.id, step="unit"))
        existing = db.session.scalar(sa.select(User).where(User.email == form.email.data))
        if existing is None:
            owner = create_landlord(form.email.data, form.full_name.data, form.contact_phone.data)
            start_offer(owner, owner_data(form), carried)
            send_confirmation(owner)
        elif existing.kind == UserKind.LANDLORD and existing.password_hash is None:
            # Not confirmed yet: the link is sent again; nothing is added to the account
            # by someone who may not be its owner.
            send_confirmation(existing)
        else:
            # Say nothing on the page about who has an account; tell the address instead.
            queue_email(
                existing.email,
                "landlord_existing",
                _("Votre proposition de logement au CCAS"),
                link=public_url_for("auth.login"),
            )
        db.session.commit()
        return render_template("landlords/check_email.html", email=form.email.data)
    status = 400 if request.method == "POST" else 200
    return render_template(
        "landlords/new_offer.html",
        form=form,
        landlord=landlord,
        carried=carried_summary(form.simulation.data),
    ), status


@bp.route("/confirm/<token>", methods=["GET", "POST"])
@limiter.limit(offer_limit, methods=["POST"])
def confirm(token):
    """The owner confirms their address and sets their password, then resumes their offer."""
    user = load_confirmation_token(token)
    if user is None:
        return render_template("auth/link_invalid.html"), 400
    form = ResetPasswordForm(user=user)
    if form.validate_on_submit():
        set_password(user, form.password.data)
        user.email_confirmed_at = now_utc()
        record_event(AuditAction.CHANGE, "user", user.id, "Adresse confirmée", user=user)
        start_session(user)
        db.session.commit()
        session.clear()
        login_user(user)
        flash(_("Votre adresse est confirmée. Vous pouvez continuer votre proposition."), "success")
        draft = db.session.scalar(
            sa.select(LandlordOffer)
            .where(LandlordOffer.owner_id == user.id, LandlordOffer.status == OfferStatus.DRAFT)
            .order_by(LandlordOffer.id.desc())
        )
        if draft is not None:
            return redirect(url_for("landlords.edit_step", offer_id=draft.id, step="unit"))
        return redirect(url_for("landlords.my_offers"))
    status = 400 if request.method == "POST" else 200
    return render_template("landlords/confirm.html", form=form, user=user), status


# The owner's side ----------------------------------------------------------------------------


def load_own_offer(offer_id: int) -> LandlordOffer:
    require(permissions.is_landlord(current_user))
    offer = get_visible_or_404(LandlordOffer, offer_id, permissions.can_view_offer)
    if offer.owner_id != current_user.id:
        abort(404)
    return offer


@bp.route("/my-offers")
@login_required
def my_offers():
    require(permissions.is_landlord(current_user))
    offers = db.session.scalars(
        sa.select(LandlordOffer)
        .where(permissions.visible_offers_clause(current_user))
        .order_by(LandlordOffer.id.desc())
    ).all()
    return render_template("landlords/my_offers.html", offers=offers, owner_text=owner_text)


def unit_measures(offer: LandlordOffer) -> list[Measure]:
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


def tracker(offer: LandlordOffer) -> list[tuple[OfferStatus, str]]:
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


def owner_page(offer: LandlordOffer, message_form=None, document_form=None, status=200):
    return render_template(
        "landlords/my_offer.html",
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
    return owner_page(load_own_offer(offer_id))


def step_form(step: str, offer: LandlordOffer, formdata=None):
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
        return redirect(url_for("landlords.my_offer", offer_id=offer.id))
    if step == "documents":
        return render_template(
            "landlords/step_documents.html",
            offer=offer,
            steps=STEPS,
            step=step,
            form=DocumentForm(kinds=OWNER_DOCUMENT_KINDS),
            checks=offer_checks(offer),
            comparison=offer_comparison(offer),
        )
    form = step_form(step, offer, request.form if request.method == "POST" else None)
    if request.method == "POST" and form.validate():
        try:
            if step == "owner":
                update_offer(offer, owner_data(form), OWNER_FIELDS)
            elif step == "unit":
                update_offer(offer, form.cleaned(), UNIT_FIELDS)
            else:
                data = {"preferred_scheme": PreferredScheme(form.preferred_scheme.data)}
                update_offer(offer, data, SCHEME_FIELDS)
        except WorkflowError as error:
            db.session.rollback()
            flash(str(error), "error")
            return redirect(url_for("landlords.my_offer", offer_id=offer.id))
        db.session.commit()
        flash(_("C'est enregistré."), "success")
        following = STEPS[STEPS.index(step) + 1]
        return redirect(url_for("landlords.edit_step", offer_id=offer.id, step=following))
    status = 400 if request.method == "POST" else 200
    return render_template(
        "landlords/step.html",
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
    try:
        submit_offer(offer, current_user._get_current_object())
    except WorkflowError as error:
        db.session.rollback()
        flash(str(error), "error")
        return redirect(url_for("landlords.my_offer", offer_id=offer.id))
    db.session.commit()
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
    return redirect(url_for("landlords.my_offer", offer_id=offer.id))


@bp.route("/my-offers/<int:offer_id>/messages", methods=["POST"])
@login_required
def owner_message(offer_id):
    offer = load_own_offer(offer_id)
    form = MessageForm()
    if form.validate_on_submit():
        try:
            post_message(offer, current_user._get_current_object(), form.body.data)
        except WorkflowError as error:
            db.session.rollback()
            form.body.errors.append(str(error))
        else:
            db.session.commit()
            flash(_("Votre message est envoyé au CCAS."), "success")
            return redirect(url_for("landlords.my_offer", offer_id=offer.id) + "#messages")
    return owner_page(offer, message_form=form, status=400)


def upload(offer: LandlordOffer, form: DocumentForm):
    """Add the form's file; returns an error message, or None when stored."""
    if not form.validate_on_submit():
        return None if not form.errors else False
    try:
        add_document(
            offer,
            OfferDocumentKind(form.kind.data),
            form.file.data.filename,
            form.file.data.read(),
            current_user._get_current_object(),
        )
    except (storage.UploadRefused, WorkflowError) as error:
        db.session.rollback()
        form.file.errors.append(str(error))
        return False
    db.session.commit()
    return True


@bp.route("/my-offers/<int:offer_id>/documents", methods=["POST"])
@login_required
def owner_document(offer_id):
    offer = load_own_offer(offer_id)
    form = DocumentForm(kinds=OWNER_DOCUMENT_KINDS)
    if upload(offer, form):
        flash(_("Le document est déposé."), "success")
        if request.form.get("from_step") and offer.status == OfferStatus.DRAFT:
            return redirect(url_for("landlords.edit_step", offer_id=offer.id, step="documents"))
        return redirect(url_for("landlords.my_offer", offer_id=offer.id))
    if request.form.get("from_step") and offer.status == OfferStatus.DRAFT:
        return render_template(
            "landlords/step_documents.html",
            offer=offer,
            steps=STEPS,
            step="documents",
            form=form,
            checks=offer_checks(offer),
            comparison=offer_comparison(offer),
        ), 400
    return owner_page(offer, document_form=form, status=400)


@bp.route("/offers/<int:offer_id>/documents/<int:document_id>")
@login_required
def document(offer_id, document_id):
    offer = get_visible_or_404(LandlordOffer, offer_id, permissions.can_view_offer)
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


# The CCAS pipeline ---------------------------------------------------------------------------


def load_offer(offer_id: int) -> LandlordOffer:
    require(permissions.can_manage_offers(current_user))
    return get_visible_or_404(LandlordOffer, offer_id, permissions.can_view_offer)


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
        sa.select(LandlordOffer)
        .where(
            permissions.visible_offers_clause(current_user),
            LandlordOffer.status != OfferStatus.DRAFT,
        )
        .order_by(LandlordOffer.status_changed_at)
    ).all()
    columns = [
        (status, [o for o in rows if o.status == status])
        for status in (*PIPELINE, OfferStatus.BLOCKED, OfferStatus.REFUSED)
    ]
    return render_template("landlords/offers.html", columns=columns, report=stage_report())


def staff_page(offer: LandlordOffer, status: int = 200, **forms):
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
        "landlords/offer.html",
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
    return staff_page(load_offer(offer_id))


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
            try:
                assign(offer, staff, current_user._get_current_object())
            except WorkflowError as error:
                db.session.rollback()
                form.staff_id.errors.append(str(error))
            else:
                db.session.commit()
                flash(_("Le suivi de l'offre est enregistré."), "success")
                return redirect(url_for("landlords.offer", offer_id=offer.id))
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
            try:
                change_status(
                    offer,
                    target,
                    current_user._get_current_object(),
                    reason=reason,
                    comment=form.comment.data,
                )
            except WorkflowError as error:
                db.session.rollback()
                form.to_status.errors.append(str(error))
            else:
                db.session.commit()
                flash(
                    _("L'offre est passée à l'étape « %(status)s ».", status=offer.status.label),
                    "success",
                )
                return redirect(url_for("landlords.offer", offer_id=offer.id))
    return staff_page(offer, 400, status_form=form)


@bp.route("/offers/<int:offer_id>/visit", methods=["POST"])
@login_required
def visit(offer_id):
    offer = load_offer(offer_id)
    form = VisitForm()
    if form.validate_on_submit():
        when = form.visit_at.data.replace(tzinfo=PARIS).astimezone(UTC)
        try:
            plan_visit(offer, when, current_user._get_current_object())
        except WorkflowError as error:
            db.session.rollback()
            form.visit_at.errors.append(str(error))
        else:
            db.session.commit()
            flash(_("La visite est planifiée."), "success")
            return redirect(url_for("landlords.offer", offer_id=offer.id))
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
        try:
            save_checklist(offer, data, current_user._get_current_object())
        except WorkflowError as error:
            db.session.rollback()
            form.result.errors.append(str(error))
        else:
            db.session.commit()
            flash(_("La grille de décence est enregistrée."), "success")
            return redirect(url_for("landlords.offer", offer_id=offer.id))
    status = 400 if request.method == "POST" else 200
    return render_template(
        "landlords/checklist.html", offer=offer, form=form, items=VisitChecklist.ITEMS
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
        return redirect(url_for("landlords.offer", offer_id=offer.id) + "#messages")
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
        return redirect(url_for("landlords.offer", offer_id=offer.id) + "#messages")
    return staff_page(offer, 400, note_form=form)


@bp.route("/offers/<int:offer_id>/documents", methods=["POST"])
@login_required
def staff_document(offer_id):
    offer = load_offer(offer_id)
    form = DocumentForm(kinds=list(OfferDocumentKind))
    if upload(offer, form):
        flash(_("Le document est déposé."), "success")
        return redirect(url_for("landlords.offer", offer_id=offer.id))
    return staff_page(offer, 400, document_form=form)


# Rules as data -------------------------------------------------------------------------------


@bp.route("/rules")
@login_required
def rules_index():
    require(permissions.can_edit_rules(current_user))
    in_effect = current_rules()
    history = db.session.scalars(
        sa.select(RuleParameter).order_by(RuleParameter.key, RuleParameter.effective_from.desc())
    ).all()
    ceilings = db.session.scalars(
        sa.select(CommuneCeiling).order_by(
            CommuneCeiling.effective_from.desc(), CommuneCeiling.commune_id, CommuneCeiling.level
        )
    ).all()
    return render_template(
        "landlords/rules.html",
        rules=[in_effect.rules[key] for key in R.RULE_KEYS],
        history=history,
        ceilings=ceilings,
        default_ceilings=R.DEFAULT_CEILINGS,
    )


@bp.route("/rules/<key>/new", methods=["GET", "POST"])
@login_required
def rule_new(key):
    require(permissions.can_edit_rules(current_user))
    if key not in R.RULE_KEYS:
        abort(404)
    rule = current_rules().rules[key]
    form = RuleValueForm()
    if request.method == "GET":
        form.value.data = str(rule.value)
        form.source.data = str(rule.source)
    if form.validate_on_submit():
        try:
            add_rule_value(
                key,
                form.value.data,
                form.source.data,
                form.effective_from.data,
                current_user._get_current_object(),
            )
        except WorkflowError as error:
            db.session.rollback()
            form.value.errors.append(str(error))
        else:
            db.session.commit()
            flash(_("La nouvelle valeur est enregistrée."), "success")
            return redirect(url_for("landlords.rules_index"))
    status = 400 if request.method == "POST" else 200
    return render_template("landlords/rule_form.html", form=form, rule=rule), status


@bp.route("/rules/ceilings/new", methods=["GET", "POST"])
@login_required
def ceiling_new():
    require(permissions.can_edit_rules(current_user))
    form = CeilingForm()
    if form.validate_on_submit():
        add_ceiling(
            form.commune_id.data,
            int(form.level.data),
            form.eur_per_m2.data,
            form.source.data,
            form.effective_from.data,
            bool(form.is_example.data),
            current_user._get_current_object(),
        )
        db.session.commit()
        flash(_("Le plafond est enregistré."), "success")
        return redirect(url_for("landlords.rules_index"))
    status = 400 if request.method == "POST" else 200
    return render_template("landlords/ceiling_form.html", form=form), status
