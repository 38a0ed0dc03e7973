"""A change that was committed is never reported as an error: when what comes after the
commit fails, the person is sent back with « enregistrée », not shown « Erreur du serveur »."""

import html

import pytest
import sqlalchemy as sa

from portal.extensions import db
from portal.models import Commune
from tests.conftest import sign_in
from tests.support import flashed


@pytest.fixture
def app(make_app, request):
    """An app of the test's own (real commits), answering errors as in production, with a
    view that saves a commune, commits or not, then fails."""
    app = make_app(PROPAGATE_EXCEPTIONS=False)

    @app.route("/essai/enregistrer/<int:commit>", methods=["POST"])
    def save_then_fail(commit):
        territory_id = db.session.scalar(sa.select(sa.func.min(Commune.territory_id)))
        db.session.add(Commune(territory_id=territory_id, name="Névez"))
        if commit:
            db.session.commit()
        raise RuntimeError("la page suivante ne s'affiche pas")

    with app.app_context():
        yield app


def saved() -> list[str]:
    db.session.rollback()
    return db.session.scalars(sa.select(Commune.name).where(Commune.name == "Névez")).all()


@pytest.fixture
def signed_in(client, world):
    db.session.add(Commune(territory_id=world.ccas.territory_id, name="Concarneau"))
    db.session.commit()
    sign_in(client, world.ccas_worker)
    return client


def test_a_saved_change_whose_next_page_fails_says_it_is_saved(signed_in):
    response = signed_in.post(
        "/essai/enregistrer/1", headers={"Referer": "http://localhost/cases/?q=x"}
    )

    assert (response.status_code, response.location) == (303, "/cases/?q=x")
    messages = html.unescape(" ".join(flashed(signed_in.get("/").text)))
    assert "Votre modification est enregistrée" in messages
    assert saved() == ["Névez"]


def test_a_failure_before_the_commit_is_an_error_and_saves_nothing(signed_in):
    response = signed_in.post(
        "/essai/enregistrer/0", headers={"Referer": "http://localhost/cases/"}
    )

    assert response.status_code == 500
    assert "Erreur du serveur" in response.text
    assert saved() == []


def test_a_referrer_from_elsewhere_is_not_followed(signed_in):
    response = signed_in.post(
        "/essai/enregistrer/1", headers={"Referer": "https://pirate.exemple/page"}
    )

    assert (response.status_code, response.location) == (303, "/")
