import sqlalchemy as sa
from wtforms import BooleanField, SelectField, SubmitField
from wtforms.validators import ValidationError

from portal.extensions import db
from portal.forms import (
    BaseForm,
    choices,
    email_field,
    enum_choices,
    record_id,
    required,
    text_field,
)
from portal.i18n import _, _l
from portal.models import (
    Membership,
    MembershipRole,
    Organisation,
    OrganisationKind,
    Territory,
    User,
)


def territory_choices():
    territories = db.session.scalars(sa.select(Territory).order_by(Territory.name))
    return choices((t.id, t.name) for t in territories)


class TerritoryForm(BaseForm):
    name = text_field(_l("Nom du territoire"), 120)
    submit = SubmitField(_l("Créer le territoire"))

    def validate_name(self, field):
        same_name = sa.func.lower(Territory.name) == field.data.lower()
        if db.session.scalar(sa.select(Territory.id).where(same_name)):
            raise ValidationError(_("Ce territoire existe déjà."))


class OrganisationForm(BaseForm):
    name = text_field(_l("Nom"), 160)
    kind = SelectField(
        _l("Type d'organisation"),
        choices=enum_choices(OrganisationKind),
        validators=[required(_l("Choisissez un type."))],
    )
    territory_id = SelectField(
        _l("Territoire"), coerce=record_id, validators=[required(_l("Choisissez un territoire."))]
    )
    contact_email = email_field(_l("Adresse e-mail de contact"), optional=True)
    active = BooleanField(_l("Organisation active"), default=True)
    submit = SubmitField(_l("Enregistrer"))

    def __init__(self, *args, organisation: Organisation | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.organisation = organisation
        self.territory_id.choices = territory_choices()

    def validate_name(self, field):
        query = sa.select(Organisation.id).where(
            sa.func.lower(Organisation.name) == field.data.lower()
        )
        if self.organisation is not None:
            query = query.where(Organisation.id != self.organisation.id)
        if db.session.scalar(query):
            raise ValidationError(_("Une organisation porte déjà ce nom."))


class InvitationForm(BaseForm):
    full_name = text_field(_l("Nom et prénom"), 120)
    email = email_field()
    role = SelectField(
        _l("Rôle"),
        choices=enum_choices(MembershipRole),
        default=MembershipRole.MEMBER.value,
        validators=[required()],
    )
    submit = SubmitField(_l("Envoyer l'invitation"))

    def __init__(self, *args, organisation: Organisation, first_admin: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        self.organisation = organisation
        if first_admin:
            # The coordinator invites an organisation's first admin, and nobody else.
            self.role.choices = choices([(MembershipRole.ADMIN.value, MembershipRole.ADMIN.label)])
            self.role.data = MembershipRole.ADMIN.value
            self.role.description = _l(
                "La coordination invite le premier administrateur ; ensuite, l'organisation "
                "invite elle-même ses membres."
            )

    def validate_email(self, field):
        already = db.session.scalar(
            sa.select(Membership.id)
            .join(User, Membership.user_id == User.id)
            .where(
                User.email == field.data,
                Membership.organisation_id == self.organisation.id,
                Membership.active.is_(True),
            )
        )
        if already:
            raise ValidationError(_("Cette personne est déjà membre de l'organisation."))
        # Nothing else is said about the address: whether it has an account (a private
        # landlord's, a partner's) is not for the inviting admin to learn.


class RoleForm(BaseForm):
    role = SelectField(_l("Rôle"), choices=enum_choices(MembershipRole), validators=[required()])
    submit = SubmitField(_l("Changer le rôle"))


class ActingOrganisationForm(BaseForm):
    """The header's organisation switcher, for people with several organisations."""

    organisation_id = SelectField(_l("Vous agissez pour"), coerce=record_id)
    submit = SubmitField(_l("Changer"))

    def __init__(self, *args, organisations: list[Organisation], **kwargs):
        super().__init__(*args, **kwargs)
        self.organisation_id.choices = choices((o.id, o.name) for o in organisations)
