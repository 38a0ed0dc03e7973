"""Pages for anyone: the scheme explained, the simulator, and signing up with a first offer
(the account is confirmed by e-mail). The simulation's figures are carried, signed, into
the new offer."""

from datetime import date
from decimal import Decimal, InvalidOperation

import sqlalchemy as sa
from flask import current_app, flash, redirect, render_template, request, session, url_for
from flask_login import current_user, login_user
from itsdangerous import BadSignature

from portal import permissions
from portal.audit import record_event
from portal.auth.forms import ResetPasswordForm
from portal.auth.services import set_password
from portal.auth.sessions import start_session
from portal.auth.tokens import (
    load_owner_confirmation_token,
    make_owner_confirmation_token,
    serializer,
)
from portal.extensions import db, limiter
from portal.formatting import euros, plain_number
from portal.i18n import _
from portal.models import (
    AuditAction,
    Commune,
    DpeClass,
    OfferStatus,
    OwnerOffer,
    User,
    UserKind,
    now_utc,
)
from portal.outbox.services import public_url_for, queue_email
from portal.owners import bp
from portal.owners import rules as R
from portal.owners.forms import NewOwnerForm, OwnerForm, SimulatorForm, UnitForm
from portal.owners.services import CARRIED_FIELDS, create_private_owner, current_rules, start_offer
from portal.owners.views.shared import owner_data


def offer_limit() -> str:
    return current_app.config["LANDLORD_OFFER_LIMIT"]


# The scheme and the simulator ---------------------------------------------------------------


@bp.route("/")
def index():
    """The scheme explained to an owner, in plain French."""
    return render_template("owners/index.html", rules=current_rules())


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
    template = "owners/_results.html" if request.args.get("partial") else "owners/simulator.html"
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
    data: dict[str, int | DpeClass | bool | date | Decimal] = {}
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


def send_confirmation(user: User) -> None:
    queue_email(
        user.email,
        "landlord_confirm",
        _("Confirmez votre adresse pour continuer votre proposition de logement"),
        user=user,
        link=public_url_for("owners.confirm", token=make_owner_confirmation_token(user)),
    )


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
    if current_user.is_authenticated and not permissions.is_private_owner(current_user):
        flash(_("Les propositions de logement se font avec un compte propriétaire."), "error")
        return redirect(url_for("owners.index"))
    signed_in_owner = permissions.is_private_owner(current_user)
    form = OwnerForm() if signed_in_owner else NewOwnerForm()
    if request.method == "GET":
        form.simulation.data = carried_token(request.args)
    carried = carried_from(form.simulation.data)
    if request.method == "POST" and not signed_in_owner and form.website.data:
        # A bot filled the hidden field: it is shown the usual answer, nothing is kept.
        return render_template("owners/check_email.html", email=form.email.data or "")
    if form.validate_on_submit():
        if signed_in_owner:
            offer = start_offer(current_user._get_current_object(), owner_data(form), carried)
            db.session.commit()
            return redirect(url_for("owners.edit_step", offer_id=offer.id, step="unit"))
        existing = db.session.scalar(sa.select(User).where(User.email == form.email.data))
        if existing is None:
            owner = create_private_owner(
                form.email.data, form.full_name.data, form.contact_phone.data
            )
            start_offer(owner, owner_data(form), carried)
            send_confirmation(owner)
        elif existing.kind == UserKind.PRIVATE_OWNER and existing.password_hash is None:
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
        return render_template("owners/check_email.html", email=form.email.data)
    status = 400 if request.method == "POST" else 200
    return render_template(
        "owners/new_offer.html",
        form=form,
        signed_in_owner=signed_in_owner,
        carried=carried_summary(form.simulation.data),
    ), status


@bp.route("/confirm/<token>", methods=["GET", "POST"])
@limiter.limit(offer_limit, methods=["POST"])
def confirm(token):
    """The owner confirms their address and sets their password, then resumes their offer."""
    user = load_owner_confirmation_token(token)
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
            sa.select(OwnerOffer)
            .where(OwnerOffer.owner_id == user.id, OwnerOffer.status == OfferStatus.DRAFT)
            .order_by(OwnerOffer.id.desc())
        )
        if draft is not None:
            return redirect(url_for("owners.edit_step", offer_id=draft.id, step="unit"))
        return redirect(url_for("owners.my_offers"))
    status = 400 if request.method == "POST" else 200
    return render_template("owners/confirm.html", form=form, user=user), status
