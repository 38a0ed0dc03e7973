"""Tried as an outsider would: documents, reports audiences and notifications
recipients."""

from datetime import date

from portal.extensions import db
from portal.models import BilanKind, Membership, MembershipRole, OrganisationKind
from tests.conftest import sign_in
from tests.test_documents import docx_text, flat, setting  # noqa: F401
from tests.test_measures import held, opened, scheme  # noqa: F401
from tests.test_reports import data  # noqa: F401


def test_the_landlord_s_convocation_does_not_name_the_household_s_referent(
    client,
    world,
    setting,  # noqa: F811
):
    measure, _private, social_user = setting
    referent = measure.referent
    sign_in(client, social_user)
    assert referent.full_name not in client.get(f"/measures/{measure.id}").text  # the rule
    text = flat(docx_text(client, measure, "convocation-proprietaire"))
    assert referent.full_name not in text
    assert referent.email not in text


def test_another_ccas_of_the_territory_does_not_read_this_ccas_s_references_in_the_report(
    client,
    world,
    make_org,
    make_user,
    scheme,  # noqa: F811
):
    measure = opened(world, scheme, unit=scheme.unit)
    held(measure, world, BilanKind.SIX_MONTHS)
    reference = measure.household.reference
    other_ccas = make_org(OrganisationKind.CCAS, "CCAS de Rosporden")
    other_worker = make_user(other_ccas, full_name="Rozenn Autre")
    sign_in(client, world.ccas_worker)
    page = client.get(f"/reports/activity?year={date.today().year}").text
    assert reference in page  # the owner reads it
    sign_in(client, other_worker)
    response = client.get(f"/reports/activity?year={date.today().year}")
    assert response.status_code == 200
    assert reference not in response.text


def test_the_measures_csv_gives_references_only_for_one_s_own_measures(
    client,
    world,
    make_org,
    make_user,
    scheme,  # noqa: F811
):
    measure = opened(world, scheme, unit=scheme.unit)
    reference = measure.household.reference
    other_ccas = make_org(OrganisationKind.CCAS, "CCAS de Rosporden")
    both = make_user(other_ccas, full_name="Rozenn Deux")
    db.session.add(Membership(user=both, organisation=scheme.landlord, role=MembershipRole.MEMBER))
    db.session.commit()
    sign_in(client, both)
    assert reference not in client.get(f"/measures/{measure.id}").text  # the rule
    csv = client.get("/reports/exports/measures.csv").text
    assert reference not in csv


def test_recipients_form_hostile_ids(client, world):
    sign_in(client, world.partner_admin)
    url = f"/organisations/{world.mission_locale.id}/notifications"
    assert client.get(url).status_code == 200
    for value in (str(2**31), str(2**63), "-1", "\x00", "x", str(world.ccas_worker.id)):
        response = client.post(url, data={"user_ids": [value]})
        assert response.status_code in (302, 303, 400), value
    response = client.post(
        url, data=b"user_ids=%ED%A0%80", content_type="application/x-www-form-urlencoded"
    )
    assert response.status_code < 500
    # another organisation's page: refused
    assert client.get(f"/organisations/{world.ccas.id}/notifications").status_code == 403
    assert client.get(f"/organisations/{2**31}/notifications").status_code == 404
    assert client.get(f"/organisations/{2**63}/notifications").status_code in (404,)


def test_a_state_service_elsewhere_does_not_make_a_copil_partner_read_exact_counts(
    client,
    world,
    data,  # noqa: F811
):
    from portal.models import Organisation, Territory
    from tests.test_reports import WITHHELD, YEAR

    elsewhere = Territory(name="Brest Métropole")
    db.session.add(elsewhere)
    db.session.flush()
    brest_state = Organisation(
        name="DDETS (Brest)", kind=OrganisationKind.ETAT, territory=elsewhere
    )
    db.session.add(brest_state)
    db.session.add(
        Membership(user=data.copil_user, organisation=brest_state, role=MembershipRole.MEMBER)
    )
    db.session.commit()
    sign_in(client, data.copil_user)
    page = client.get(f"/reports/activity?year={YEAR}").text
    assert "Rapport d'activité 2025" in page
    assert "La plus courte" not in page  # exact-only: shortest and longest durations
    assert page.count(WITHHELD) > 10
