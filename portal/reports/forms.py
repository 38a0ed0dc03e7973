from datetime import date
from decimal import Decimal

from wtforms import SelectField, TextAreaField, ValidationError
from wtforms.validators import InputRequired

from portal.forms import (
    BaseForm,
    FrenchDecimalField,
    choices,
    max_length,
    optional_int,
    required,
    text_field,
)
from portal.i18n import _, _l
from portal.models import Programme

FIRST_YEAR = 2020


def lenient_int(value):
    """A select's value as an int; what is not a number stays as typed, to be refused by
    the field's validator with a French message."""
    if value in (None, ""):
        return None
    try:
        return int(value)
    except (TypeError, ValueError):
        return value


class ReportFilterForm(BaseForm):
    """Year and programme of the activity report (GET, no CSRF)."""

    class Meta:
        csrf = False

    year = SelectField(_l("Année"), coerce=lenient_int, validate_choice=False)
    programme = SelectField(_l("Programme"), coerce=lenient_int, validate_choice=False)

    def __init__(self, *args, programmes: list[Programme], today: date, **kwargs):
        super().__init__(*args, **kwargs)
        self.years = list(range(today.year, FIRST_YEAR - 1, -1))
        self.programmes = {p.id: p for p in programmes}
        self.year.choices = choices((y, str(y)) for y in self.years)
        self.programme.choices = choices(
            [("", _("Tous les programmes")), *((p.id, p.name) for p in programmes)]
        )

    def validate_year(self, field):
        if field.data is None:
            field.data = self.years[0]
        elif field.data not in self.years:
            raise ValidationError(
                _(
                    "Choisissez une année entre %(first)s et %(last)s.",
                    first=self.years[-1],
                    last=self.years[0],
                )
            )

    def validate_programme(self, field):
        if field.data is not None and field.data not in self.programmes:
            raise ValidationError(_("Choisissez un programme de la liste."))

    @property
    def chosen_programme(self) -> Programme | None:
        return self.programmes.get(self.programme.data)


class ProgrammeChoiceMixin:
    """A programme among those the coordinator reports on."""

    programme_id: SelectField  # declared by each form that mixes this in

    def set_programmes(self, programmes: list[Programme]) -> None:
        self.programmes = {p.id: p for p in programmes}
        self.programme_id.choices = choices(
            [("", _("Choisissez un programme")), *((p.id, p.name) for p in programmes)]
        )

    def validate_programme_id(self, field):
        if field.data not in self.programmes:
            raise ValidationError(_("Choisissez un programme de la liste."))

    @property
    def programme(self) -> Programme:
        return self.programmes[self.programme_id.data]


class FundingLineForm(ProgrammeChoiceMixin, BaseForm):
    """One funding line of a programme's year: its source and amount."""

    programme_id = SelectField(
        _l("Programme"), coerce=optional_int, validators=[required(_l("Choisissez un programme."))]
    )
    source = text_field(
        _l("Source du financement"),
        160,
        description=_l("Par exemple « BOP 177 – État (DDETS) » ou « Bourse aux initiatives »."),
    )
    amount = FrenchDecimalField(
        _l("Montant pour l'année (€)"),
        validators=[InputRequired(_l("Indiquez le montant."))],
        low=Decimal("0"),
        high=Decimal("99999999.99"),
        invalid=_l("Indiquez un montant en euros, par exemple 22 000."),
    )

    def __init__(self, *args, programmes: list[Programme], **kwargs):
        super().__init__(*args, **kwargs)
        self.set_programmes(programmes)


ANALYSIS_HINT = _l(
    "Ce texte est imprimé dans le rapport, y compris dans la version diffusée : parlez du "
    "dispositif, ne citez aucun ménage ni aucune situation reconnaissable."
)


class AnalysisForm(ProgrammeChoiceMixin, BaseForm):
    """The coordinator's written analysis of a programme's year."""

    programme_id = SelectField(
        _l("Programme"), coerce=optional_int, validators=[required(_l("Choisissez un programme."))]
    )
    difficulties = TextAreaField(
        _l("Difficultés"), validators=[max_length(4000)], description=ANALYSIS_HINT
    )
    levers = TextAreaField(_l("Leviers"), validators=[max_length(4000)])
    perspectives = TextAreaField(_l("Perspectives"), validators=[max_length(4000)])

    def __init__(self, *args, programmes: list[Programme], **kwargs):
        super().__init__(*args, **kwargs)
        self.set_programmes(programmes)
