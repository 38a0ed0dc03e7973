"""A form sent twice creates one thing: the second request lands on the first one's result.
(``test_form_explorer`` checks that every form of the portal carries its key.)"""

import re
import threading

import pytest
import sqlalchemy as sa

from portal.extensions import db
from portal.models import CaseNote, Household, SubmissionKey
from tests.case_helpers import another_household, household_data
from tests.conftest import sign_in
from tests.support import fresh_client

KEY = "cle-de-soumission-0123456789"


def households() -> list[str]:
    db.session.expire_all()
    return db.session.scalars(sa.select(Household.reference).order_by(Household.id)).all()


def test_each_post_form_carries_a_new_key(client, world):
    sign_in(client, world.ccas_worker)
    keys = [
        re.findall(r'name="submission_key" value="([^"]+)"', client.get(path).text)
        for path in ("/cases/households/new", "/cases/households/new")
    ]
    # The household form and the header's sign-out form, each with its own key, new at
    # each rendering.
    assert len(keys[0]) == len(keys[1]) == 2
    assert len(set(keys[0]) | set(keys[1])) == 4


def test_a_form_sent_twice_creates_one_household_and_lands_on_it(client, world):
    sign_in(client, world.ccas_worker)
    data = household_data(submission_key=KEY)

    first = client.post("/cases/households/new", data=data)
    again = client.post("/cases/households/new", data=data)

    assert first.status_code == 302
    assert (again.status_code, again.location) == (303, first.location)
    assert len(households()) == 1
    page = client.get(again.location).text
    assert "il n&#39;a été pris en compte qu&#39;une fois" in page
    # A new rendering of the form has a new key: a second household is another submission.
    other = household_data(**another_household())
    assert client.post("/cases/households/new", data=other).status_code == 302
    assert len(households()) == 2


def test_a_refused_submission_keeps_its_key_for_the_corrected_one(client, world):
    sign_in(client, world.ccas_worker)

    refused = client.post(
        "/cases/households/new", data=household_data(adults="-3", submission_key=KEY)
    )
    assert refused.status_code == 200
    assert households() == []
    assert db.session.get(SubmissionKey, KEY) is None

    accepted = client.post("/cases/households/new", data=household_data(submission_key=KEY))
    assert accepted.status_code == 302
    assert len(households()) == 1


def test_someone_else_s_key_is_not_a_repetition(app, client, world):
    sign_in(client, world.ccas_worker)
    client.post("/cases/households/new", data=household_data(submission_key=KEY))
    other = fresh_client(app)
    sign_in(other, world.coordinator)

    response = other.post("/cases/households/new", data=household_data(submission_key=KEY))

    assert response.status_code == 409
    assert "Ce formulaire a déjà été envoyé" in response.text
    assert len(households()) == 1


def test_a_note_sent_twice_is_posted_once(client, world, case_world):
    sign_in(client, world.ccas_worker)
    path = f"/cases/{case_world.case.id}/notes"
    data = {"body": "Rendez-vous pris au CCAS.", "submission_key": KEY}

    answers = [client.post(path, data=data) for _ in range(3)]

    assert [a.status_code for a in answers] == [302, 303, 303]
    assert len({a.location for a in answers}) == 1
    bodies = db.session.scalars(
        sa.select(CaseNote.body).where(CaseNote.case_id == case_world.case.id)
    ).all()
    assert bodies.count("Rendez-vous pris au CCAS.") == 1


@pytest.mark.fresh_app
def test_two_requests_at_once_create_one_household(backend, app, world):
    """A double click: both requests arrive before either has answered."""
    if backend == "sqlite":
        pytest.skip("in-memory SQLite has one connection: PostgreSQL orders the two")
    clients = [fresh_client(app) for _ in range(2)]
    for client in clients:
        sign_in(client, world.ccas_worker)
    data = household_data(submission_key=KEY)
    start = threading.Barrier(2)
    answers = []

    def send(client):
        start.wait()
        answers.append(client.post("/cases/households/new", data=data))

    threads = [threading.Thread(target=send, args=(c,)) for c in clients]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    assert sorted(a.status_code for a in answers) == [302, 303]
    assert len({a.location for a in answers}) == 1
    assert len(households()) == 1


def test_a_double_click_on_sign_out_lands_on_the_sign_in_page_twice(client, world):
    sign_in(client, world.ccas_worker)
    data = {"submission_key": KEY}

    first = client.post("/logout", data=data)
    again = client.post("/logout", data=data)

    assert first.status_code == 302
    assert (again.status_code, again.location) == (303, first.location)
