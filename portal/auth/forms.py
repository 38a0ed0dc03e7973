from wtforms import BooleanField, PasswordField, StringField, SubmitField
from wtforms.validators import EqualTo, Length, ValidationError

from portal.auth.passwords import MAX_LENGTH, password_problem
from portal.forms import BaseForm, email_field, max_length, required, text_field
from portal.i18n import _l


class LoginForm(BaseForm):
    email = email_field()
    password = PasswordField(
        _l("Mot de passe"),
        validators=[required(_l("Indiquez votre mot de passe.")), max_length(MAX_LENGTH)],
        render_kw={"autocomplete": "current-password"},
    )
    remember = BooleanField(_l("Rester connecté sur cet appareil"))
    submit = SubmitField(_l("Se connecter"))


class ForgotPasswordForm(BaseForm):
    email = email_field()
    submit = SubmitField(_l("Recevoir un lien"))


class NewPasswordMixin:
    """A new password typed twice, checked against the policy."""

    password = PasswordField(
        _l("Nouveau mot de passe"),
        validators=[required(_l("Choisissez un mot de passe."))],
        description=_l(
            "12 caractères au moins. Une phrase de plusieurs mots est facile à retenir."
        ),
        render_kw={"autocomplete": "new-password"},
    )
    confirm = PasswordField(
        _l("Confirmez le mot de passe"),
        validators=[
            required(_l("Confirmez le mot de passe.")),
            EqualTo("password", message=_l("Les deux mots de passe ne sont pas identiques.")),
        ],
        render_kw={"autocomplete": "new-password"},
    )

    def password_context(self) -> list[str]:
        return []

    def validate_password(self, field):
        problem = password_problem(field.data or "", self.password_context())
        if problem:
            raise ValidationError(problem)


class ResetPasswordForm(NewPasswordMixin, BaseForm):
    submit = SubmitField(_l("Enregistrer le mot de passe"))

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user

    def password_context(self) -> list[str]:
        return [self.user.email, self.user.full_name] if self.user else []


class AcceptInvitationForm(NewPasswordMixin, BaseForm):
    full_name = text_field(_l("Nom et prénom"), 120, render_kw={"autocomplete": "name"})
    submit = SubmitField(_l("Rejoindre le portail"))

    def __init__(self, *args, email="", **kwargs):
        super().__init__(*args, **kwargs)
        self.email = email

    def password_context(self) -> list[str]:
        return [self.email, self.full_name.data or ""]


class ChangePasswordForm(NewPasswordMixin, BaseForm):
    current_password = PasswordField(
        _l("Mot de passe actuel"),
        validators=[required(_l("Indiquez votre mot de passe actuel.")), Length(max=MAX_LENGTH)],
        render_kw={"autocomplete": "current-password"},
    )
    submit = SubmitField(_l("Changer le mot de passe"))

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user

    def password_context(self) -> list[str]:
        return [self.user.email, self.user.full_name] if self.user else []


class ProfileForm(BaseForm):
    full_name = text_field(_l("Nom et prénom"), 120, render_kw={"autocomplete": "name"})
    phone = StringField(
        _l("Téléphone"),
        validators=[max_length(30)],
        render_kw={"autocomplete": "tel"},
    )
    submit = SubmitField(_l("Enregistrer"))


class SecondFactorForm(BaseForm):
    code = StringField(
        _l("Code de vérification"),
        validators=[required(_l("Indiquez le code.")), max_length(40)],
        description=_l(
            "Les 6 chiffres affichés par votre application d'authentification, ou l'un de vos "
            "codes de secours."
        ),
        render_kw={"autocomplete": "one-time-code", "inputmode": "numeric", "autofocus": True},
    )
    submit = SubmitField(_l("Valider"))


class EnableTwoFactorForm(BaseForm):
    code = StringField(
        _l("Code affiché par l'application"),
        validators=[required(_l("Indiquez le code à 6 chiffres.")), max_length(40)],
        render_kw={"autocomplete": "one-time-code", "inputmode": "numeric"},
    )
    password = PasswordField(
        _l("Votre mot de passe"),
        validators=[required(_l("Indiquez votre mot de passe.")), max_length(MAX_LENGTH)],
        render_kw={"autocomplete": "current-password"},
    )
    submit = SubmitField(_l("Activer la double authentification"))


class PasswordConfirmForm(BaseForm):
    password = PasswordField(
        _l("Votre mot de passe"),
        validators=[required(_l("Indiquez votre mot de passe.")), max_length(MAX_LENGTH)],
        render_kw={"autocomplete": "current-password"},
    )


class JoinForm(BaseForm):
    submit = SubmitField(_l("Rejoindre l'organisation"))
