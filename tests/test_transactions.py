"""The view's one commit (portal/transactions.py): committed when the block ends, rolled
back and recorded when the service refuses, rolled back and raised on anything else."""

import pytest
import sqlalchemy as sa

from portal.extensions import db
from portal.models import Organisation
from portal.storage import UploadRefused
from portal.transactions import commit_unless_refused
from portal.workflow import WorkflowError


def names() -> list[str]:
    db.session.expire_all()
    return list(db.session.scalars(sa.select(Organisation.name).order_by(Organisation.name)))


def test_a_finished_block_is_committed(make_org):
    org = make_org(name="Avant")
    with commit_unless_refused() as outcome:
        org.name = "Après"
    assert not outcome.refused and outcome.message == ""
    db.session.rollback()  # nothing left to undo: the block committed
    assert names() == ["Après"]


def test_a_refusal_is_rolled_back_and_recorded(make_org):
    org = make_org(name="Avant")
    db.session.commit()
    with commit_unless_refused() as outcome:
        org.name = "Après"
        db.session.flush()
        raise WorkflowError("Cette étape n'est pas possible.")
    assert outcome.refused and outcome.message == "Cette étape n'est pas possible."
    assert names() == ["Avant"]


def test_only_the_named_refusals_are_caught(make_org):
    org = make_org(name="Avant")
    db.session.commit()
    with commit_unless_refused(UploadRefused) as outcome:
        org.name = "Après"
        raise UploadRefused("Fichier trop lourd.")
    assert outcome.message == "Fichier trop lourd."
    with pytest.raises(WorkflowError), commit_unless_refused(UploadRefused):
        org.name = "Encore"
        raise WorkflowError("non")
    assert names() == ["Avant"]


def test_a_bug_rolls_back_and_propagates(make_org):
    org = make_org(name="Avant")
    db.session.commit()
    with pytest.raises(RuntimeError), commit_unless_refused():
        org.name = "Après"
        db.session.flush()
        raise RuntimeError("un bogue")
    assert names() == ["Avant"]
