import json
from urllib.parse import urlsplit

from flask import (
    abort,
    current_app,
    flash,
    g,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_login import current_user, login_required, login_user, logout_user

from portal.audit import record_event
from portal.auth import bp
from portal.auth.forms import (
    AcceptInvitationForm,
    ChangePasswordForm,
    EnableTwoFactorForm,
    ForgotPasswordForm,
    JoinForm,
    LoginForm,
    PasswordConfirmForm,
    ProfileForm,
    ResetPasswordForm,
    SecondFactorForm,
)
from portal.auth.guard import pending_step
from portal.auth.passwords import verify_password
from portal.auth.services import (
    accept_invitation,
    authenticate,
    find_user_by_email,
    join_organisation,
    record_login,
    set_password,
)
from portal.auth.sessions import (
    end_all_sessions,
    end_session,
    may_be_remembered,
    second_factor_required,
    start_session,
    take_stash,
)
from portal.auth.tokens import load_invitation_token, load_reset_token
from portal.auth.two_factor import (
    check_totp,
    disable,
    enable,
    new_recovery_codes,
    new_secret,
    provisioning_uri,
    qr_svg,
    remaining_recovery_codes,
    use_recovery_code,
)
from portal.extensions import db, limiter
from portal.i18n import _
from portal.jobs.tasks import enqueue
from portal.models import AuditAction


def safe_next_url(target: str | None) -> str:
    """Only paths on this site: a login link must not send people elsewhere. Browsers read
    "//host", "/\\host" and a path with a tab or a newline in it as another site."""
    if target and target.startswith("/") and not target.startswith("//"):
        parts = urlsplit(target)
        if not parts.scheme and not parts.netloc and "\\" not in target and target.isprintable():
            return target
    return url_for("dashboard.index")


def login_failed(response) -> bool:
    """Only failed attempts count towards the sign-in limits."""
    return response.status_code != 302


def submitted_account() -> str:
    return "login:" + (request.form.get("email") or "").strip().lower()[:254]


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(
    lambda: current_app.config["LOGIN_LIMIT_PER_IP"], methods=["POST"], deduct_when=login_failed
)
@limiter.limit(
    lambda: current_app.config["LOGIN_LIMIT_PER_ACCOUNT"],
    key_func=submitted_account,
    methods=["POST"],
    deduct_when=login_failed,
)
def login():
    if current_user.is_authenticated:
        return redirect(url_for("dashboard.index"))
    form = LoginForm()
    if form.validate_on_submit():
        user = authenticate(form.email.data, form.password.data)
        if user is None:
            db.session.commit()  # keep the audit of the failed attempt
            form.password.errors.append(_("Adresse e-mail ou mot de passe incorrect."))
        elif not user.is_active:
            db.session.commit()
            form.email.errors.append(
                _(
                    "Ce compte est désactivé. "
                    "Adressez-vous à l'administrateur de votre organisation."
                )
            )
        else:
            stash = session.get("stash")  # a form the expired session could not take
            record_login(user)
            # A new session, its own key: nothing of a session opened before sign-in is kept.
            remember = bool(form.remember.data) and may_be_remembered(user)
            start_session(user, remember=remember)
            db.session.commit()
            session.clear()
            if stash:
                session["stash"] = stash
            login_user(user, remember=remember)
            if form.remember.data and not remember:
                flash(
                    _(
                        "Votre compte donne accès à l'identité des ménages : il ne reste pas "
                        "connecté sur cet appareil."
                    ),
                    "info",
                )
            session["next"] = safe_next_url(request.args.get("next"))
            return redirect(after_sign_in(user))
    return render_template("auth/login.html", form=form)


def after_sign_in(user) -> str:
    """Where a person goes once signed in: the second factor first, then a form they had
    sent when their session expired, else where they were going."""
    step = pending_step(user, g.get("user_session"))
    if step == "code":
        return url_for("auth.second_factor")
    if step == "enrol":
        return url_for("auth.two_factor_setup")
    if session.get("stash"):
        return url_for("auth.resume")
    return session.pop("next", None) or url_for("dashboard.index")


def second_factor_key() -> str:
    return "2fa:" + str(current_user.get_id() if current_user.is_authenticated else "")


@bp.route("/login/second-factor", methods=["GET", "POST"])
@limiter.limit(
    lambda: current_app.config["LOGIN_LIMIT_PER_ACCOUNT"],
    key_func=lambda: "2fa-user:" + str(current_user.id if current_user.is_authenticated else 0),
    methods=["POST"],
    deduct_when=login_failed,
)
@limiter.limit(
    lambda: current_app.config["LOGIN_LIMIT_PER_IP"], methods=["POST"], deduct_when=login_failed
)
@login_required
def second_factor():
    """The code of the authenticator app, or a recovery code: then a new session."""
    user = current_user._get_current_object()
    record = g.get("user_session")
    if pending_step(user, record) != "code":
        return redirect(after_sign_in(user))
    form = SecondFactorForm()
    if form.validate_on_submit():
        code = form.code.data or ""
        by_app = check_totp(user, code)
        if by_app or use_recovery_code(user, code):
            end_session(record.key)
            start_session(user, remember=record.remember, second_factor=True)
            record_event(
                AuditAction.LOGIN,
                "user",
                user.id,
                "Second facteur vérifié" if by_app else "Connexion avec un code de secours",
                user=user,
            )
            db.session.commit()
            login_user(user, remember=record.remember)
            if not by_app:
                flash(
                    _(
                        "Code de secours utilisé : il ne fonctionnera plus. Il vous en reste "
                        "%(count)d.",
                        count=remaining_recovery_codes(user),
                    ),
                    "info",
                )
            return redirect(after_sign_in(user))
        record_event(AuditAction.LOGIN_FAILED, "user", user.id, "Code de second facteur refusé")
        db.session.commit()
        form.code.errors.append(_("Ce code n'est pas valide, ou a déjà servi."))
    return render_template("auth/second_factor.html", form=form)


@bp.route("/account/two-factor", methods=["GET", "POST"])
@login_required
def two_factor_setup():
    """Enrol an authenticator app: scan the QR code (drawn here), confirm with the
    password and a first code; the recovery codes are then shown, once."""
    user = current_user._get_current_object()
    if user.is_private_owner and not current_app.config.get("LANDLORD_TWO_FACTOR", True):
        abort(404)
    if user.has_second_factor:
        return redirect(url_for("auth.account") + "#double-authentification")
    secret = session.get("totp_pending")
    if not secret or not isinstance(secret, str) or len(secret) != 32:
        secret = session["totp_pending"] = new_secret()
    form = EnableTwoFactorForm()
    if form.validate_on_submit():
        codes = None
        if verify_password(user.password_hash, form.password.data):
            codes = enable(user, secret, form.code.data)
            if codes is None:
                form.code.errors.append(
                    _("Ce code ne correspond pas : vérifiez l'heure du téléphone.")
                )
        else:
            form.password.errors.append(_("Le mot de passe est incorrect."))
        if codes is not None:
            # The enrolment proves the second factor: a new session, with it given.
            record = g.get("user_session")
            remember = bool(record and record.remember)
            end_session(user.session_key)
            start_session(user, remember=remember, second_factor=True)
            db.session.commit()
            session.pop("totp_pending", None)
            login_user(user, remember=remember)
            return render_template(
                "auth/recovery_codes.html", codes=codes, next_url=after_sign_in(user)
            )
        db.session.rollback()
    uri = provisioning_uri(user, secret)
    return render_template(
        "auth/two_factor_setup.html",
        form=form,
        secret=secret,
        qr=qr_svg(uri),
        required=second_factor_required(user),
    ), (400 if form.is_submitted() else 200)


@bp.route("/account/two-factor/recovery-codes", methods=["POST"])
@login_required
def new_recovery_codes_view():
    user = current_user._get_current_object()
    form = PasswordConfirmForm(prefix="codes")
    if not user.has_second_factor:
        return redirect(url_for("auth.account"))
    if form.validate_on_submit() and verify_password(user.password_hash, form.password.data):
        codes = new_recovery_codes(user)
        record_event(AuditAction.CHANGE, "user", user.id, "Codes de secours renouvelés")
        db.session.commit()
        return render_template(
            "auth/recovery_codes.html", codes=codes, next_url=url_for("auth.account")
        )
    flash(_("Mot de passe incorrect : les codes de secours n'ont pas changé."), "error")
    return redirect(url_for("auth.account") + "#double-authentification")


@bp.route("/account/two-factor/remove", methods=["POST"])
@login_required
def remove_two_factor():
    """Turn the second factor off, where it is not required; confirmed by the password."""
    user = current_user._get_current_object()
    if second_factor_required(user):
        flash(_("La double authentification est obligatoire pour votre compte."), "error")
        return redirect(url_for("auth.account") + "#double-authentification")
    form = PasswordConfirmForm(prefix="remove")
    if form.validate_on_submit() and verify_password(user.password_hash, form.password.data):
        disable(user, user, "Double authentification désactivée")
        db.session.commit()
        flash(_("La double authentification est désactivée."), "success")
    else:
        flash(_("Mot de passe incorrect : la double authentification reste active."), "error")
    return redirect(url_for("auth.account") + "#double-authentification")


@bp.route("/logout", methods=["POST"])
@login_required
def logout():
    """The session ends on the server: a copy of its cookie opens nothing afterwards."""
    record_event(AuditAction.LOGOUT, "user", current_user.id, "Déconnexion")
    end_session(current_user.session_key)
    return signed_out(_("Vous êtes déconnecté. À bientôt !"))


@bp.route("/logout/everywhere", methods=["POST"])
@login_required
def logout_everywhere():
    """« Me déconnecter de tous les appareils »."""
    count = end_all_sessions(current_user)
    record_event(
        AuditAction.LOGOUT, "user", current_user.id, f"Déconnexion de tous les appareils ({count})"
    )
    return signed_out(_("Vous êtes déconnecté de tous vos appareils."))


def signed_out(message: str):
    """Once the server-side session(s) are ended: commit, forget this browser's cookie."""
    db.session.commit()
    logout_user()
    session.clear()
    flash(message, "success")
    return redirect(url_for("auth.login"))


@bp.route("/session/keepalive", methods=["POST"])
@login_required
def keepalive():
    """« Rester connecté », from the warning before an idle sign-out."""
    return "", 204


@bp.route("/resume")
@login_required
def resume():
    """A form sent when the session had expired, to send again as it was typed."""
    stash = take_stash(session.pop("stash", None), current_user._get_current_object())
    db.session.commit()
    if stash is None:
        return redirect(url_for("dashboard.index"))
    return render_template("auth/resume.html", path=stash.path, fields=json.loads(stash.fields))


@bp.route("/password/forgot", methods=["GET", "POST"])
@limiter.limit("10 per hour", methods=["POST"])
def forgot_password():
    form = ForgotPasswordForm()
    if form.validate_on_submit():
        # The worker looks the address up and writes the e-mail: this answer takes the same
        # time and says the same thing whether an account exists or not.
        enqueue("password_reset", email=form.email.data)
        db.session.commit()
        flash(
            _(
                "Si un compte existe pour cette adresse, un lien de réinitialisation "
                "vient d'y être envoyé. Il est valable deux heures."
            ),
            "success",
        )
        return redirect(url_for("auth.login"))
    return render_template("auth/forgot_password.html", form=form)


@bp.route("/password/reset/<token>", methods=["GET", "POST"])
def reset_password(token):
    user = load_reset_token(token)
    if user is None:
        return render_template("auth/link_invalid.html"), 400
    form = ResetPasswordForm(user=user)
    if form.validate_on_submit():
        set_password(user, form.password.data)
        record_event(AuditAction.CHANGE, "user", user.id, "Mot de passe réinitialisé", user=user)
        db.session.commit()
        flash(_("Votre mot de passe est enregistré. Vous pouvez vous connecter."), "success")
        return redirect(url_for("auth.login"))
    return render_template("auth/reset_password.html", form=form, user=user)


@bp.route("/invitation/<token>", methods=["GET", "POST"])
@limiter.limit(
    lambda: current_app.config["LOGIN_LIMIT_PER_IP"], methods=["POST"], deduct_when=login_failed
)
def accept(token):
    """Join an organisation. A new person chooses a name and password; a person who has an
    account already signs in with it and joins: the invitation never sets their password."""
    invitation = load_invitation_token(token)
    if invitation is None:
        return render_template("auth/link_invalid.html"), 400
    existing = find_user_by_email(invitation.email)
    if existing is not None:
        return accept_as_existing(invitation, existing)
    form = AcceptInvitationForm(email=invitation.email)
    if request.method == "GET":
        form.full_name.data = invitation.full_name
    if form.validate_on_submit():
        user = accept_invitation(invitation, form.full_name.data, form.password.data)
        record_login(user)
        start_session(user)
        db.session.commit()
        logout_user()
        session.clear()
        login_user(user)
        flash(
            _(
                "Bienvenue ! Vous avez rejoint %(organisation)s.",
                organisation=invitation.organisation.name,
            ),
            "success",
        )
        return redirect(after_sign_in(user))
    return render_template("auth/accept_invitation.html", form=form, invitation=invitation)


def accept_as_existing(invitation, existing):
    """The address has an account: its owner joins with it, signed in already or by giving
    their own password here. Nothing of the account (password, name) changes."""
    if existing.is_private_owner:
        # Only the owner of the address, who has the link, reads this.
        return render_template(
            "auth/accept_existing.html", invitation=invitation, private_owner=True
        )
    signed_in_as_owner = current_user.is_authenticated and current_user.id == existing.id
    if current_user.is_authenticated and not signed_in_as_owner:
        return render_template("auth/accept_existing.html", invitation=invitation, other=True)
    form = JoinForm() if signed_in_as_owner else PasswordConfirmForm()
    if form.validate_on_submit():
        if not signed_in_as_owner and authenticate(existing.email, form.password.data) is None:
            db.session.commit()  # the failed attempt stays in the audit trail
            form.password.errors.append(_("Mot de passe incorrect."))
        else:
            join_organisation(invitation, existing)
            if not signed_in_as_owner:
                record_login(existing)
                start_session(existing)
            db.session.commit()
            if not signed_in_as_owner:
                session.clear()
                login_user(existing)
            flash(
                _(
                    "Vous avez rejoint %(organisation)s.",
                    organisation=invitation.organisation.name,
                ),
                "success",
            )
            return redirect(after_sign_in(existing))
    return render_template(
        "auth/accept_existing.html",
        invitation=invitation,
        form=form,
        signed_in=signed_in_as_owner,
    ), (400 if form.is_submitted() else 200)


@bp.route("/account", methods=["GET", "POST"])
@login_required
def account():
    """The person's own profile, password, second factor and sessions."""
    user = current_user._get_current_object()
    profile = ProfileForm(obj=user, prefix="profile")
    password = ChangePasswordForm(user=user, prefix="password")
    if profile.submit.data and profile.validate_on_submit():
        user.full_name = profile.full_name.data
        user.phone = profile.phone.data or None
        record_event(AuditAction.CHANGE, "user", user.id, "Profil modifié")
        db.session.commit()
        flash(_("Votre profil est enregistré."), "success")
        return redirect(url_for("auth.account"))
    if password.submit.data and password.validate_on_submit():
        if not verify_password(user.password_hash, password.current_password.data):
            password.current_password.errors.append(_("Le mot de passe actuel est incorrect."))
        else:
            set_password(user, password.password.data, keep_session=user.session_key)
            record_event(AuditAction.CHANGE, "user", user.id, "Mot de passe modifié")
            db.session.commit()
            flash(_("Votre mot de passe est changé. Vos autres sessions sont fermées."), "success")
            return redirect(url_for("auth.account"))
    return render_template(
        "auth/account.html",
        profile=profile,
        password=password,
        codes_form=PasswordConfirmForm(prefix="codes"),
        remove_form=PasswordConfirmForm(prefix="remove"),
        required=second_factor_required(user),
        remaining_codes=remaining_recovery_codes(user) if user.has_second_factor else 0,
    )
