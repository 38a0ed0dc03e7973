"""What RGAA asks of forms and titles, checked on the macros every form goes through:
a refused form's title starts with « Erreur : » and its summary links to each field in error
(8.6, 11.10, 11.11); a field required in one branch only says when (11.10)."""

import re

from flask import render_template_string
from wtforms import StringField, TextAreaField

from portal.forms import BaseForm, RequiredWhen, required
from tests.conftest import sign_in


def test_a_refused_form_says_so_in_its_title_and_links_each_error_to_its_field(client, world):
    sign_in(client, world.coordinator)
    page = client.get("/committees/new").text
    assert not re.search(r"<title>Erreur", page)

    page = client.post("/committees/new", data={"name": ""}).text

    assert re.search(r"<title>Erreur : Nouvelle instance · Portail partenaires</title>", page)
    summary = page[page.index('class="alert alert-error error-summary"') :]
    summary = summary[: summary.index("</div>")]
    links = re.findall(r'<a href="#([^"]+)">([^<]+)</a>', summary)
    assert links, summary
    for field_id, text in links:
        assert f'id="{field_id}"' in page, field_id  # the link leads to the field
        assert " : " in text  # the field's label, then what is wrong
    assert "name" in {field_id for field_id, _text in links}


class BranchForm(BaseForm):
    class Meta:
        csrf = False

    decision = StringField("Décision", validators=[required()])
    reason = TextAreaField("Motif", validators=[RequiredWhen("pour un refus")])
    note = TextAreaField("Note")


def test_a_field_required_in_one_branch_says_when_instead_of_optional(app):
    with app.test_request_context():
        page = render_template_string(
            '{% from "_macros.html" import field %}{{ field(form.reason) }}{{ field(form.note) }}'
            "{{ field(form.decision) }}",
            form=BranchForm(),
        )
    reason, note, decision = page.split('<div class="field')[1:]
    assert "(obligatoire pour un refus)" in reason and "facultatif" not in reason
    assert "(facultatif)" in note
    assert "facultatif" not in decision and "obligatoire" not in decision


def test_an_error_on_a_list_of_people_is_listed_and_leads_to_its_first_field(client, world):
    sign_in(client, world.ccas_worker)
    page = client.post("/cases/households/new", data={"adults": "1", "children": "0"}).text
    summary = page[page.index('class="alert alert-error error-summary"') :]
    summary = summary[: summary.index("</div>")]
    assert "Le formulaire contient 0 erreur" not in summary
    assert '<a href="#persons-0-role">' in summary
    assert 'id="persons-0-role"' in page
