"""Form pieces shared by every feature: trimmed text and messages in French."""

import enum
from collections.abc import Iterable

from flask_wtf import FlaskForm
from wtforms import EmailField, FieldList, FormField, SelectChoice, StringField, SubmitField
from wtforms.validators import DataRequired, Email, Length, Optional

from portal.i18n import _l


def strip(value):
    """Trim, and drop NUL characters: no keyboard types them and PostgreSQL refuses them."""
    return value.replace("\x00", "").strip() if isinstance(value, str) else value


def optional_int(value):
    """Coerce a select's value to an id; the empty placeholder stays None."""
    return int(value) if value not in (None, "") else None


def lower(value):
    return value.lower() if isinstance(value, str) else value


class BaseForm(FlaskForm):
    """Every text value is trimmed (and rid of NUL characters) before validation."""

    class Meta:
        def bind_field(self, form, unbound_field, options):
            filters = unbound_field.kwargs.get("filters", [])
            takes_filters = not issubclass(unbound_field.field_class, FieldList | FormField)
            if takes_filters and strip not in filters:
                unbound_field.kwargs["filters"] = [strip, *filters]
            return unbound_field.bind(form=form, **options)


def choices(pairs: Iterable[tuple[object, str]]) -> list[SelectChoice]:
    return [SelectChoice(value, label) for value, label in pairs]


def enum_choices(enum_class: type[enum.Enum]) -> list[SelectChoice]:
    """Options for an enum whose members have a French ``label``."""
    return [SelectChoice(member.value, member.lazy_label) for member in enum_class]


def required(message: str = _l("Ce champ est obligatoire.")) -> DataRequired:
    return DataRequired(message=message)


def max_length(maximum: int) -> Length:
    # WTForms fills in %(max)d.
    return Length(max=maximum, message=_l("%(max)d caractères au plus."))


def text_field(label: str, maximum: int, *, optional: bool = False, **kwargs) -> StringField:
    validators = [Optional() if optional else required(), max_length(maximum)]
    return StringField(label, validators=validators, **kwargs)


def email_field(
    label: str = _l("Adresse e-mail"), *, optional: bool = False, **kwargs
) -> EmailField:
    return EmailField(
        label,
        filters=[lower],
        validators=[
            Optional() if optional else required(_l("Indiquez une adresse e-mail.")),
            max_length(254),
            Email(message=_l("Cette adresse e-mail n'est pas valide."), check_deliverability=False),
        ],
        render_kw={"autocomplete": "email"},
        **kwargs,
    )


class ConfirmForm(BaseForm):
    """A bare form behind a POST button: it carries the CSRF token."""

    submit = SubmitField(_l("Confirmer"))
