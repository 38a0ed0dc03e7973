"""Tried as an outsider would: candidacies made by a person of several organisations."""

import sqlalchemy as sa

from portal.extensions import db
from portal.models import (
    Candidacy,
    Commune,
    Membership,
    MembershipRole,
    Organisation,
    OrganisationKind,
    Programme,
    Territory,
)
from tests.conftest import sign_in
from tests.test_candidacies import commune, form_data, programme  # noqa: F401


def test_a_candidacy_is_made_for_a_programme_of_the_household_s_territory(
    client,
    world,
    make_household,
    make_user,
    commune,  # noqa: F811
):
    elsewhere = Territory(name="Brest Métropole")
    db.session.add(elsewhere)
    db.session.flush()
    brest_org = Organisation(
        name="Association brestoise", kind=OrganisationKind.ASSOCIATION, territory=elsewhere
    )
    brest_programme = Programme(territory=elsewhere, name="IML Brest", capacity=3)
    db.session.add_all([brest_org, brest_programme, Commune(name="Brest", territory=elsewhere)])
    db.session.flush()
    worker = world.ccas_worker
    db.session.add(Membership(user=worker, organisation=brest_org, role=MembershipRole.MEMBER))
    db.session.commit()
    household = make_household(world.ccas, worker)
    sign_in(client, worker)
    response = client.post("/siao/new", data=form_data(household, brest_programme, commune))
    made = db.session.scalars(sa.select(Candidacy)).all()
    assert response.status_code == 400 and made == [], [
        (c.programme.name, c.siao.name) for c in made
    ]


def test_a_candidacy_is_made_by_the_ccas_for_its_own_households_only(
    client,
    world,
    make_household,
    make_user,
    programme,  # noqa: F811
    commune,  # noqa: F811
):
    both = make_user(world.ccas, full_name="Nina Deux")
    db.session.add(
        Membership(user=both, organisation=world.mission_locale, role=MembershipRole.MEMBER)
    )
    db.session.commit()
    ml_household = make_household(world.mission_locale, world.partner_member)
    sign_in(client, both)
    response = client.post("/siao/new", data=form_data(ml_household, programme, commune))
    made = db.session.scalars(sa.select(Candidacy)).all()
    assert made == [] or all(c.organisation.kind == OrganisationKind.CCAS for c in made), [
        (c.organisation.name, response.status_code) for c in made
    ]
