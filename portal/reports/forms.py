from datetime import date

from wtforms import SelectField, ValidationError

from portal.forms import BaseForm, choices
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
