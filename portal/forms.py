"""Form pieces shared by every feature: trimmed text and messages in French."""

import re
from collections.abc import Iterable
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING

from flask_wtf import FlaskForm

# SelectChoice is new in WTForms 3.3, which its stubs (3.2) do not know yet.
from wtforms import (  # type: ignore[attr-defined]
    DateField,
    DecimalField,
    EmailField,
    FieldList,
    FormField,
    IntegerField,
    SelectChoice,
    SelectField,
    StringField,
    SubmitField,
)
from wtforms.validators import DataRequired, Email, Length, NumberRange, Optional, ValidationError
from wtforms.widgets import TextInput

from portal.i18n import _, _l

if TYPE_CHECKING:
    from portal.models.base import LabelledEnum

BAD_DATE = _l("Indiquez une date valide (jj/mm/aaaa).")


# Control characters no keyboard types (NUL, vertical tab, backspace…): PostgreSQL refuses
# NUL and XML (the Word documents) refuses them all. Tabs and line breaks stay.
CONTROL_CHARACTERS = dict.fromkeys(c for c in range(32) if chr(c) not in "\t\n\r")


def strip(value):
    """Trim, and drop the control characters no keyboard types."""
    return value.translate(CONTROL_CHARACTERS).strip() if isinstance(value, str) else value


# Ids are PostgreSQL integers: a larger value is no id of ours (and SQLite refuses it
# outright, as an error, where it should be a wrong choice).
MAX_ID = 2**31 - 1


def record_id(value) -> int:
    """Coerce a choice's value to a record id; what cannot be one is refused as a value
    that is not a number is."""
    number = int(value)
    if not -MAX_ID - 1 <= number <= MAX_ID:  # a negative one is a wrong choice, said so
        raise ValueError(f"not an id: {value!r}")
    return number


def optional_int(value):
    """Coerce a select's value to an id; the empty placeholder stays None."""
    return record_id(value) if value not in (None, "") else None


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


def enum_choices(enum_class: "type[LabelledEnum]") -> list[SelectChoice]:
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


# Numbers, dates and lists typed by people, with French messages (WTForms' are English) -------


def _normalised_number(text: str) -> str:
    """« 1 200,50 » (spaces, non-breaking spaces, decimal comma) → « 1200.50 »."""
    return text.replace("\u00a0", "").replace("\u202f", "").replace(" ", "").replace(",", ".")


class FrenchDecimalField(DecimalField):
    """A decimal typed the French way (« 450,50 », « 1 200 »), finite, within optional bounds,
    kept to the cent. A text box: a number box refuses the decimal comma in some browsers.
    What was typed is shown back as typed when the form is refused."""

    widget = TextInput()

    def __init__(
        self,
        label=None,
        validators=None,
        *,
        low=None,
        high=None,
        invalid=_l("Indiquez un nombre, par exemple 450,50."),
        **kwargs,
    ):
        self.low = None if low is None else Decimal(low)
        self.high = None if high is None else Decimal(high)
        self.invalid = invalid
        kwargs.setdefault("render_kw", {"inputmode": "decimal", "autocomplete": "off"})
        kwargs.setdefault("places", 2)
        super().__init__(label, validators, **kwargs)

    def _value(self):
        if self.raw_data:
            return self.raw_data[0]
        return super()._value().replace(".", ",")

    def process_formdata(self, valuelist):
        self.data = None
        if not valuelist or not str(valuelist[0]).strip():
            return  # left empty: the validators say whether it may be
        try:
            value = Decimal(_normalised_number(str(valuelist[0]))[:40])
        except (InvalidOperation, ValueError):
            raise ValueError(str(self.invalid)) from None
        if not value.is_finite():  # « NaN », « Infinity »
            raise ValueError(str(self.invalid))
        self.data = value

    def post_validate(self, form, validation_stopped):
        if self.data is None or self.errors:
            return
        if (self.low is not None and self.data < self.low) or (
            self.high is not None and self.data > self.high
        ):
            self.errors.append(
                _("Indiquez un nombre entre %(low)s et %(high)s.", low=self.low, high=self.high)
            )
        else:
            self.data = self.data.quantize(Decimal("0.01"))


class FrenchIntegerField(IntegerField):
    """A whole number, within optional bounds, with French messages."""

    widget = TextInput()

    def __init__(self, label=None, validators=None, *, low=None, high=None, **kwargs):
        self.low, self.high = low, high
        kwargs.setdefault("render_kw", {"inputmode": "numeric"})
        super().__init__(label, validators, **kwargs)

    def process_formdata(self, valuelist):
        self.data = None
        if not valuelist or not str(valuelist[0]).strip():
            return
        try:
            self.data = int(_normalised_number(str(valuelist[0]))[:12])
        except ValueError:
            raise ValueError(_("Indiquez un nombre entier.")) from None

    def post_validate(self, form, validation_stopped):
        if self.data is None or self.errors:
            return
        if (self.low is not None and self.data < self.low) or (
            self.high is not None and self.data > self.high
        ):
            self.errors.append(
                _("Indiquez un nombre entre %(low)s et %(high)s.", low=self.low, high=self.high)
            )


def within(minimum, maximum, message) -> NumberRange:
    """A range check with its own message, silent when the value could not be read (that was
    said already)."""

    class Within(NumberRange):
        def __call__(self, form, field):
            if field.data is not None:
                super().__call__(form, field)

    return Within(minimum, maximum, message)


# A list filter takes any real date: an extreme one filters, it is not an error.
FILTER_YEARS = (1, 9999)

DATE_FORMATS = ("%Y-%m-%d", "%d/%m/%Y", "%d-%m-%Y", "%d.%m.%Y")


def years_around_today(before: int, after: int):
    """Bounds for a date that makes sense only near today (a meeting, a deadline)."""

    def bounds() -> tuple[date, date]:
        today = date.today()
        return today.replace(year=today.year - before, day=min(today.day, 28)), today.replace(
            year=today.year + after, day=min(today.day, 28)
        )

    return bounds


def up_to_today(first_year: int):
    """Bounds for a date of the past (a birth, an entry into a shelter)."""
    return lambda: (date(first_year, 1, 1), date.today())


class FrenchDateField(DateField):
    """A date, from the browser's date picker (YYYY-MM-DD) or typed or pasted the French way
    (« 31/12/2026 »), with a French message, within the bounds that make sense for the field:
    « 0202 » typed for « 2020 » is refused rather than stored. ``years`` gives fixed years,
    ``bounds`` a function answering the first and last date allowed today."""

    def __init__(self, label=None, validators=None, *, years=(1900, 2100), bounds=None, **kwargs):
        first, last = years
        self.bounds = bounds or (lambda: (date(first, 1, 1), date(last, 12, 31)))
        kwargs.setdefault("format", list(DATE_FORMATS))
        super().__init__(label, validators, **kwargs)

    def process_formdata(self, valuelist):
        if not valuelist:
            return
        if not "".join(valuelist).strip():
            self.data = None  # left empty: the validators say whether it may be
            return
        try:
            super().process_formdata([" ".join(valuelist).strip()[:40]])
        except ValueError:
            raise ValueError(str(BAD_DATE)) from None

    def post_validate(self, form, validation_stopped):
        if self.data is None or self.errors:
            return
        first, last = self.bounds()
        if not first <= self.data <= last:
            if last == date.today():
                message = _(
                    "Indiquez une date entre le %(first)s et aujourd'hui.",
                    first=f"{first:%d/%m/%Y}",
                )
            else:
                message = _(
                    "Indiquez une date entre le %(first)s et le %(last)s.",
                    first=f"{first:%d/%m/%Y}",
                    last=f"{last:%d/%m/%Y}",
                )
            self.errors.append(message)


class ChoiceField(SelectField):
    """A select whose unknown value gets a French message."""

    def process_formdata(self, valuelist):
        try:
            super().process_formdata(valuelist)
        except ValueError:
            raise ValueError(_("Choisissez une valeur de la liste.")) from None

    def pre_validate(self, form):
        try:
            super().pre_validate(form)
        except ValidationError:
            raise ValidationError(_("Choisissez une valeur de la liste.")) from None


class RequiredWhen:
    """Marks a field that is required in one branch of the form only (its ``validate_<name>``
    says when): its label then says « obligatoire pour un refus », not « facultatif »."""

    def __init__(self, when: str):
        self.field_flags = {"required_when": when}

    def __call__(self, form, field):
        pass  # the form's own validate_<name> checks the branch


def first_input(field) -> str:
    """Where an error summary's link leads: the field, or the first field of a list or
    group (which has no input of its own)."""
    if isinstance(field, FieldList) and field.entries:
        return first_input(field.entries[0])
    if isinstance(field, FormField):
        return first_input(next(iter(field.form)))
    return field.id


def error_links(form) -> list[tuple[str | None, str, str]]:
    """Each field in error, as the error summary lists it (id, label, messages), nested
    fields included, then the form's own errors (no field)."""
    found = []

    def visit(fields):
        for field in fields:
            if isinstance(field, FormField):
                visit(field.form)
                own = getattr(field.form, "form_errors", [])
            elif isinstance(field, FieldList):
                visit(field.entries)
                own = [e for e in field.errors if isinstance(e, str)]  # the list's own
            else:
                own = field.errors
            if own:
                messages = " ".join(str(e) for e in own)
                found.append((first_input(field), str(field.label.text), messages))

    visit(form)
    found += [(None, "", str(message)) for message in getattr(form, "form_errors", [])]
    return found


class FrenchMonthField(DateField):
    """A month typed « 12/2026 » (or « 2026-12 », as a month picker sends it), read as the
    first day of that month. A text box: ``type="month"`` is a bare text box in Firefox and
    Safari that refuses « 12/2026 »."""

    widget = TextInput()
    PATTERNS = (
        re.compile(r"^(?P<month>\d{1,2})\s*[/.\-]\s*(?P<year>\d{4})$"),
        re.compile(r"^(?P<year>\d{4})\s*[/.\-]\s*(?P<month>\d{1,2})$"),
    )

    def __init__(self, label=None, validators=None, *, invalid=None, **kwargs):
        self.invalid = invalid or _l("Indiquez le mois ainsi : 12/2026.")
        kwargs.setdefault("render_kw", {"inputmode": "numeric", "placeholder": "mm/aaaa"})
        super().__init__(label, validators, **kwargs)

    def _value(self):
        if self.raw_data:
            return self.raw_data[0]
        return f"{self.data:%m/%Y}" if self.data else ""

    def process_formdata(self, valuelist):
        self.data = None
        text = " ".join(valuelist).strip()[:20] if valuelist else ""
        if not text:
            return
        for pattern in self.PATTERNS:
            found = pattern.match(text)
            if found and 1 <= int(found["month"]) <= 12 and 1900 <= int(found["year"]) <= 2100:
                self.data = date(int(found["year"]), int(found["month"]), 1)
                return
        raise ValueError(str(self.invalid))
