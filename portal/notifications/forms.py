"""The preferences form (one set of radio buttons per kind that concerns the person) and
the organisation's named recipients."""

from wtforms import SubmitField

from portal.candidacies.forms import CheckboxListField, RadioField
from portal.forms import BaseForm, enum_choices, record_id, required
from portal.i18n import _l
from portal.models import NotificationFrequency
from portal.notifications.kinds import Kind


def preferences_form(kinds: list[Kind], current: dict[str, NotificationFrequency], **kwargs):
    """A form with one field per kind, named after it, filled with the person's choices."""

    class PreferencesForm(BaseForm):
        submit = SubmitField(_l("Enregistrer mes choix"))

    for kind in kinds:
        setattr(
            PreferencesForm,
            kind.key,
            RadioField(
                kind.label,
                choices=enum_choices(NotificationFrequency),
                default=current[kind.key].value,
                description=kind.help,
                validators=[required(_l("Choisissez quand recevoir ce message."))],
            ),
        )
    return PreferencesForm(**kwargs)


class RecipientsForm(BaseForm):
    user_ids = CheckboxListField(
        _l("Destinataires des messages adressés à l'organisation"),
        coerce=record_id,
        description=_l(
            "Sans personne cochée, ces messages vont aux administrateurs de l'organisation."
        ),
    )
    submit = SubmitField(_l("Enregistrer les destinataires"))
