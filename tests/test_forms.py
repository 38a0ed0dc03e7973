"""The shared fields read numbers and dates as French people type them, and answer in French."""

from datetime import date
from decimal import Decimal

import pytest
from werkzeug.datastructures import MultiDict

from portal.forms import BaseForm, FrenchDateField, FrenchDecimalField, FrenchIntegerField


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
    assert submit(app, day="26/11/2026").day.errors == ["Indiquez une date valide (jj/mm/aaaa)."]
    assert submit(app, day="0202-01-01").day.errors == ["Indiquez une date entre 2000 et 2100."]
