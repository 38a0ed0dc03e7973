import sqlalchemy as sa
from wtforms import BooleanField, SelectField, SelectMultipleField, SubmitField, TextAreaField
from wtforms.validators import ValidationError
from wtforms.widgets import CheckboxInput, ListWidget

from portal.extensions import db
from portal.forms import (
    BaseForm,
    choices,
    enum_choices,
    max_length,
    record_id,
    required,
    text_field,
)
from portal.i18n import _, _l
from portal.models import Committee, CommitteeKind, Organisation
from portal.organisations.forms import territory_choices


class CheckboxListField(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class CommitteeForm(BaseForm):
    name = text_field(_l("Nom"), 160)
    kind = SelectField(
        _l("Type d'instance"),
        choices=enum_choices(CommitteeKind),
        validators=[required(_l("Choisissez un type."))],
    )
    territory_id = SelectField(
        _l("Territoire"), coerce=record_id, validators=[required(_l("Choisissez un territoire."))]
    )
    description = TextAreaField(_l("Rôle de l'instance"), validators=[max_length(2000)])
    organisation_ids = CheckboxListField(_l("Organisations membres"), coerce=record_id)
    secretariat_id = SelectField(
        _l("Secrétariat"),
        coerce=lambda v: int(v) if v else None,
        description=_l(
            "L'organisation qui programme et anime les réunions : ses administrateurs les "
            "organisent (le CCAS pour le comité technique, le SIAO pour sa commission)."
        ),
    )
    active = BooleanField(_l("Instance active"), default=True)
    submit = SubmitField(_l("Enregistrer"))

    def __init__(self, *args, committee: Committee | None = None, **kwargs):
        super().__init__(*args, obj=committee, **kwargs)
        self.committee = committee
        self.territory_id.choices = territory_choices()
        organisations = list(
            db.session.scalars(
                sa.select(Organisation).where(Organisation.active).order_by(Organisation.name)
            )
        )
        self.organisation_ids.choices = choices(
            (o.id, f"{o.name} ({o.kind.label})") for o in organisations
        )
        self.secretariat_id.choices = choices(
            [("", _("— La coordination —"))] + [(o.id, o.name) for o in organisations]
        )

    def validate_name(self, field):
        query = sa.select(Committee.id).where(
            sa.func.lower(Committee.name) == field.data.lower(),
            Committee.territory_id == self.territory_id.data,
        )
        if self.committee is not None:
            query = query.where(Committee.id != self.committee.id)
        if db.session.scalar(query):
            raise ValidationError(_("Une instance porte déjà ce nom sur ce territoire."))
