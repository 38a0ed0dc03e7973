"""The shared fields read numbers and dates as French people type them, and answer in French."""

import importlib
import pkgutil
from datetime import date
from decimal import Decimal

import pytest
from flask_wtf import FlaskForm
from werkzeug.datastructures import MultiDict
from wtforms import HiddenField, PasswordField, StringField
from wtforms.fields.core import UnboundField
from wtforms.validators import Length

import portal
from portal.forms import (
    BaseForm,
    FrenchDateField,
    FrenchDecimalField,
    FrenchIntegerField,
    FrenchMonthField,
    up_to_today,
    years_around_today,
)


class NumbersForm(BaseForm):
    class Meta:
        csrf = False

    amount = FrenchDecimalField("Montant", low=0, high=10_000)
    count = FrenchIntegerField("Nombre", low=1, high=20)
    day = FrenchDateField("Date", years=(2000, 2100))


def submit(app, **data) -> NumbersForm:
    with app.test_request_context(method="POST"):
        form = NumbersForm(formdata=MultiDict(data))
        form.validate()
        return form


@pytest.mark.parametrize(
    ("typed", "value"),
    [
        ("450,50", Decimal("450.50")),
        ("1 200", Decimal("1200.00")),
        ("1\u00a0200,5", Decimal("1200.50")),
        ("12.346", Decimal("12.35")),
    ],
)
def test_decimals_are_read_the_french_way(app, typed, value):
    form = submit(app, amount=typed)
    assert form.amount.errors == []
    assert form.amount.data == value


@pytest.mark.parametrize("typed", ["abc", "NaN", "Infinity", "12,5,3"])
def test_what_is_not_a_number_gets_a_french_message_and_is_shown_back(app, typed):
    form = submit(app, amount=typed)
    assert form.amount.errors == ["Indiquez un nombre, par exemple 450,50."]
    assert form.amount.data is None
    assert form.amount._value() == typed


def test_bounds_are_checked_once_the_number_is_read(app):
    form = submit(app, amount="-1", count="21")
    assert submit(app, amount="1e999999").amount.errors == ["Indiquez un nombre entre 0 et 10000."]
    assert form.amount.errors == ["Indiquez un nombre entre 0 et 10000."]
    assert form.count.errors == ["Indiquez un nombre entre 1 et 20."]
    assert submit(app, count="dix").count.errors == ["Indiquez un nombre entier."]


def test_empty_fields_are_left_to_the_validators(app):
    form = submit(app, amount="", count="", day="")
    assert (form.amount.data, form.count.data, form.day.data) == (None, None, None)
    assert form.errors == {}


def test_dates_in_french_within_plausible_years(app):
    assert submit(app, day="2026-11-26").day.data == date(2026, 11, 26)
    assert submit(app, day="26/11/2026").day.data == date(2026, 11, 26)  # pasted, French
    assert submit(app, day=" 26.11.2026 ").day.data == date(2026, 11, 26)
    assert submit(app, day="31/02/2026").day.errors == ["Indiquez une date valide (jj/mm/aaaa)."]
    assert submit(app, day="0202-01-01").day.errors == [
        "Indiquez une date entre le 01/01/2000 et le 31/12/2100."
    ]


class NearTodayForm(BaseForm):
    class Meta:
        csrf = False

    meeting_day = FrenchDateField("Date", bounds=years_around_today(2, 3))
    birth_date = FrenchDateField("Naissance", bounds=up_to_today(1900))


def test_a_date_is_bounded_by_what_makes_sense_for_its_field(app):
    today = date.today()
    with app.test_request_context(method="POST"):
        form = NearTodayForm(
            formdata=MultiDict(
                {"meeting_day": f"{today.year + 4}-01-15", "birth_date": f"{today.year + 1}-01-01"}
            )
        )
        assert not form.validate()
        assert form.meeting_day.errors[0].startswith("Indiquez une date entre le ")
        assert form.birth_date.errors == ["Indiquez une date entre le 01/01/1900 et aujourd'hui."]
        form = NearTodayForm(formdata=MultiDict({"meeting_day": f"{today:%d/%m/%Y}"}))
        assert form.validate() and form.meeting_day.data == today


def form_classes() -> set[type]:
    for module in pkgutil.walk_packages(portal.__path__, "portal."):
        if module.name.endswith(".forms"):
            importlib.import_module(module.name)

    def below(cls):
        for sub in cls.__subclasses__():
            yield sub
            yield from below(sub)

    return {form for form in below(FlaskForm) if form.__module__.startswith("portal.")}


def test_every_text_field_states_its_maximum():
    """Text of any length is refused with « N caractères au plus », never stored whole or
    failing in the database. Passwords are bounded by the password policy instead."""
    unbounded = []
    for form in form_classes():
        for name in dir(form):
            field = getattr(form, name, None)
            if not isinstance(field, UnboundField) or not issubclass(
                field.field_class, StringField
            ):
                continue
            validators = field.kwargs.get("validators") or (field.args[1:2] or [[]])[0]
            bounded = any(isinstance(v, Length) and v.max > 0 for v in validators or ())
            if not bounded and not issubclass(field.field_class, PasswordField | HiddenField):
                unbounded.append(f"{form.__module__}.{form.__name__}.{name}")
    assert not unbounded, unbounded


class MonthForm(BaseForm):
    class Meta:
        csrf = False

    month = FrenchMonthField("Mois")


@pytest.mark.parametrize(
    ("typed", "read"),
    [("12/2026", date(2026, 12, 1)), ("3/2026", date(2026, 3, 1)), ("2026-12", date(2026, 12, 1))],
)
def test_a_month_is_read_as_typed_in_france_or_sent_by_a_month_picker(app, typed, read):
    with app.test_request_context(method="POST"):
        form = MonthForm(formdata=MultiDict({"month": typed}))
        assert form.validate() and form.month.data == read


@pytest.mark.parametrize("typed", ["13/2026", "décembre", "2026", "00/2026", "12/0202"])
def test_a_month_that_is_not_one_gets_a_french_message_and_is_kept(app, typed):
    with app.test_request_context(method="POST"):
        form = MonthForm(formdata=MultiDict({"month": typed}))
        assert not form.validate()
        assert form.month.errors == ["Indiquez le mois ainsi : 12/2026."]
        assert form.month._value() == typed
