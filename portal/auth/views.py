from urllib.parse import urlsplit

from flask import current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required, login_user, logout_user

from portal.audit import record_event
from portal.auth import bp
from portal.auth.forms import (
    AcceptInvitationForm,
    ChangePasswordForm,
    ForgotPasswordForm,
    LoginForm,
    ProfileForm,
    ResetPasswordForm,
)
from portal.auth.passwords import verify_password
from portal.auth.services import (
    accept_invitation,
    authenticate,
    record_login,
    send_password_reset,
    set_password,
)
from portal.auth.tokens import load_invitation_token, load_reset_token
from portal.extensions import db, limiter
from portal.i18n import _
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
            record_login(user)
            db.session.commit()
            login_user(user, remember=form.remember.data)
            return redirect(safe_next_url(request.args.get("next")))
    return render_template("auth/login.html", form=form)


@bp.route("/logout", methods=["POST"])
@login_required
def logout():
    record_event(AuditAction.LOGOUT, "user", current_user.id, "Déconnexion")
    db.session.commit()
    logout_user()
    flash(_("Vous êtes déconnecté. À bientôt !"), "success")
    return redirect(url_for("auth.login"))


@bp.route("/password/forgot", methods=["GET", "POST"])
@limiter.limit("10 per hour", methods=["POST"])
def forgot_password():
    form = ForgotPasswordForm()
    if form.validate_on_submit():
        send_password_reset(form.email.data)
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
def accept(token):
    invitation = load_invitation_token(token)
    if invitation is None:
        return render_template("auth/link_invalid.html"), 400
    form = AcceptInvitationForm(email=invitation.email)
    if request.method == "GET":
        form.full_name.data = invitation.full_name
    if form.validate_on_submit():
        user = accept_invitation(invitation, form.full_name.data, form.password.data)
        record_login(user)
        db.session.commit()
        logout_user()
        login_user(user)
        flash(
            _(
                "Bienvenue ! Vous avez rejoint %(organisation)s.",
                organisation=invitation.organisation.name,
            ),
            "success",
        )
        return redirect(url_for("dashboard.index"))
    return render_template("auth/accept_invitation.html", form=form, invitation=invitation)


@bp.route("/account", methods=["GET", "POST"])
@login_required
def account():
    """The person's own profile and password."""
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
            set_password(user, password.password.data)
            record_event(AuditAction.CHANGE, "user", user.id, "Mot de passe modifié")
            db.session.commit()
            login_user(user)  # the new session token keeps this session open, and only this one
            flash(_("Votre mot de passe est changé. Vos autres sessions sont fermées."), "success")
            return redirect(url_for("auth.account"))
    return render_template("auth/account.html", profile=profile, password=password)
