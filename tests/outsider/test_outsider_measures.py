"""Tried as an outsider would: the candidacy and measure consistency rules."""

import sqlalchemy as sa

from portal.extensions import db
from portal.models import Commune, Measure, OrganisationKind, Territory
from tests.conftest import sign_in
from tests.test_measures import make_candidacy, make_unit, scheme  # noqa: F401


def opening(candidacy, unit, referent, **overrides):
    data = {
        "candidacy_id": candidacy.id,
        "unit_id": unit.id,
        "start_date": "2026-08-31",
        "rent": "420,00",
        "charges": "35",
        "household_share": "150,50",
        "referent_id": referent.id,
    }
    data.update(overrides)
    return data


def test_a_measure_does_not_open_in_a_unit_of_another_territory(
    client,
    world,
    make_user,
    scheme,  # noqa: F811
):
    elsewhere = Territory(name="Brest Métropole")
    far = Commune(territory=elsewhere, name="Brest")
    db.session.add_all([elsewhere, far])
    db.session.flush()
    from portal.models import Organisation

    brest_landlord = Organisation(
        name="Brest Métropole Habitat", kind=OrganisationKind.BAILLEUR_SOCIAL, territory=elsewhere
    )
    db.session.add(brest_landlord)
    db.session.flush()
    unit = make_unit(far, brest_landlord, "1 rue de Siam")
    candidacy = make_candidacy(world, scheme.programme)
    db.session.commit()
    sign_in(client, world.ccas_worker)
    page = client.get("/measures/new").text
    response = client.post("/measures/new", data=opening(candidacy, unit, world.ccas_worker))
    opened = db.session.scalar(sa.select(sa.func.count(Measure.id)))
    assert (response.status_code, opened) == (400, 0)
    assert "1 rue de Siam" not in page


def test_opening_form_hostile_ids(client, world, scheme):  # noqa: F811
    candidacy = make_candidacy(world, scheme.programme)
    db.session.commit()
    sign_in(client, world.ccas_worker)
    for field in ("candidacy_id", "unit_id", "referent_id"):
        for value in (str(2**31), str(2**63), "-1", "\x00", "1\x00", "٣"):
            data = opening(candidacy, scheme.unit, world.ccas_worker, **{field: value})
            response = client.post("/measures/new", data=data)
            assert response.status_code == 400, (field, value)
    for value in ("1e309", "9" * 400, "NaN", "-0", "Infinity", "１２"):
        data = opening(candidacy, scheme.unit, world.ccas_worker, rent=value)
        assert client.post("/measures/new", data=data).status_code == 400, value
    assert client.get(f"/measures/new?candidacy={2**63}&unit=%ED%A0%80").status_code == 200
    assert db.session.scalar(sa.select(sa.func.count(Measure.id))) == 0
