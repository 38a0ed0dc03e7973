"""Tried as an outsider would: control characters typed in a form never break the Word
export (XML refuses them)."""

import sqlalchemy as sa

from portal.documents.catalogue import WORDINGS
from portal.extensions import db
from portal.models import Unit
from tests.conftest import sign_in
from tests.test_documents import open_in, setting, url  # noqa: F401
from tests.test_measures import make_candidacy, scheme  # noqa: F401
from tests.test_units import unit_form


def test_a_control_character_in_the_wording_does_not_break_the_word_file(
    client,
    world,
    setting,  # noqa: F811
):
    measure = setting[0]
    sign_in(client, world.coordinator)
    texts = {p.key: str(p.default) for p in WORDINGS["glissement"].passages}
    texts["letter"] = "Madame, Monsieur,\x0b le bail glisse.\x1b"
    response = client.post("/documents/wording/glissement", data=texts)
    assert response.status_code in (302, 400)
    sign_in(client, world.ccas_worker)
    assert client.get(url(measure, "glissement-bail", "docx")).status_code == 200


def test_a_control_character_in_a_unit_address_does_not_break_the_word_file(
    client,
    world,
    scheme,  # noqa: F811
):
    sign_in(client, scheme.landlord_user)
    typed = unit_form(scheme.commune, address="4 allée des Mouettes\x0b bât. B\x08")
    response = client.post("/measures/units/new", data=typed)
    if response.status_code == 400:
        return  # refused with a message: held
    unit = db.session.scalars(sa.select(Unit).where(Unit.address.like("4 allée%"))).one()
    from tests.test_measures import opened

    measure = opened(world, scheme, unit=unit)
    response = client.get(url(measure, "convention-proprietaire", "docx"))
    assert response.status_code == 200
