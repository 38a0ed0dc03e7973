"""IML measures: opened within the programme's capacity, bilans at 6 and 10 months and the
decision at 12, the rent record, alerts, the fiche-bilan for the State service, and who
sees what (the CCAS everything, the social landlord a reduced view, the State the fiche)."""

import html
import threading
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

import pytest
import sqlalchemy as sa

from portal.cases.services import WorkflowError, create_case
from portal.extensions import db
from portal.measures.services import (
    notify_bilans,
    open_measure,
    record_bilan,
    record_rent,
)
from portal.measures.timeline import add_months, first_of_month, months_between
from portal.models import (
    Accommodation,
    AuditAction,
    Bilan,
    BilanKind,
    BilanOutcome,
    Candidacy,
    CandidacyStatus,
    CaseEvent,
    Commune,
    Household,
    HouseholdPublic,
    Measure,
    MeasureEndReason,
    MeasureStatus,
    Meeting,
    MeetingKind,
    Membership,
    Organisation,
    OrganisationKind,
    Programme,
    RentRecord,
    RentStatus,
    Territory,
    Typology,
    Unit,
    UnitStatus,
    User,
    now_utc,
)
from portal.models.housing import BudgetAssessment, HouseholdWish, SupportAssessment
from portal.permissions import can_view_measure, visible_measures_clause
from tests.case_helpers import counting_queries
from tests.conftest import CANARY_NAME, sign_in
from tests.support import (
    audit_events,
    database_rows,
    flashed,
    form_errors,
    fresh_client,
    queued_emails,
    shows_typed_value,
    tagged_pdf_text,
)

TODAY = date.today()
SEVEN_MONTHS_AGO = add_months(TODAY, -7)


@pytest.fixture
def client(app):
    return fresh_client(app)


@dataclass
class Scheme:
    programme: Programme
    commune: Commune
    landlord: Organisation  # a social landlord (bailleur social)
    landlord_user: User
    other_landlord: Organisation
    other_landlord_user: User
    etat: Organisation
    etat_user: User
    unit: Unit
    other_unit: Unit  # the other landlord's


_references = iter(range(1, 100_000))


def make_unit(
    commune, landlord, address="3 rue des Écoles", status=UnitStatus.AVAILABLE, owner=None
):
    unit = Unit(
        private_owner=owner,
        commune=commune,
        address=address,
        typology=Typology.T2,
        surface=Decimal("45"),
        rent=Decimal("420.00"),
        charges=Decimal("35.00"),
        social_landlord=landlord,
        status=status,
    )
    db.session.add(unit)
    db.session.flush()
    return unit


def make_candidacy(world, programme, household=None, status=CandidacyStatus.VALIDATED):
    if household is None:
        household = Household(
            reference=f"CCAS-T-{next(_references):05d}",
            organisation=world.ccas,
            public=HouseholdPublic.HOMME_SEUL,
            accommodation=Accommodation.ALT,
        )
    candidacy = Candidacy(
        household=household,
        programme=programme,
        organisation_id=world.ccas.id,
        siao_id=world.siao.id,
        status=status,
        requested_typology=Typology.T2,
        validated_at=now_utc(),
    )
    db.session.add(candidacy)
    db.session.flush()
    return candidacy


def opened(world, scheme, *, start=SEVEN_MONTHS_AGO, unit=None, candidacy=None, programme=None):
    """A measure opened through the service, committed."""
    programme = programme or scheme.programme
    unit = unit or make_unit(scheme.commune, scheme.landlord)
    candidacy = candidacy or make_candidacy(world, programme)
    measure = open_measure(
        candidacy,
        unit,
        world.ccas_worker,
        {
            "start_date": start,
            "rent": Decimal("420"),
            "charges": Decimal("35"),
            "household_share": Decimal("150"),
            "referent": world.ccas_worker,
        },
    )
    db.session.commit()
    return measure


@pytest.fixture
def scheme(world, make_org, make_user, territory):
    commune = Commune(territory=territory, name="Concarneau")
    programme = Programme(territory=territory, name="IML sortie de structures", capacity=10)
    db.session.add_all([commune, programme])
    landlord = make_org(OrganisationKind.BAILLEUR_SOCIAL, "Finistère Habitat")
    other_landlord = make_org(OrganisationKind.BAILLEUR_SOCIAL, "OPAC Quimper Cornouaille")
    etat = make_org(OrganisationKind.ETAT, "DDETS du Finistère")
    scheme = Scheme(
        programme=programme,
        commune=commune,
        landlord=landlord,
        landlord_user=make_user(landlord, full_name="Marc Bailleur"),
        other_landlord=other_landlord,
        other_landlord_user=make_user(other_landlord, full_name="Odile Opac"),
        etat=etat,
        etat_user=make_user(etat, full_name="Pierre État"),
        unit=make_unit(commune, landlord),
        other_unit=make_unit(commune, other_landlord, "8 quai Carnot"),
    )
    db.session.commit()
    return scheme


def pay_every_month(measure, world, until=TODAY):
    """The rent record of a household that paid every month so far."""
    for month in months_between(measure.start_date, until):
        record_rent(measure, world.ccas_worker, {"month": month, "status": RentStatus.PAID})
    db.session.commit()


def bilan_of(measure, kind) -> Bilan:
    return next(b for b in measure.bilans if b.kind == kind)


def bilan_url(measure, bilan) -> str:
    return f"/measures/{measure.id}/bilans/{bilan.id}"


# A stabilised situation, as the bilan assesses it.
STABLE = {
    "budget_assessment": "maitrise",
    "support_assessment": "en_place",
    "household_wish": "souhaite_le_bail",
}
STABLE_DATA = {
    "budget_assessment": BudgetAssessment.MASTERED,
    "support_assessment": SupportAssessment.IN_PLACE,
    "household_wish": HouseholdWish.WANTS_LEASE,
}


def bilan_form(**fields) -> dict:
    data = {
        "held_on": TODAY.isoformat(),
        "landlord_present": "y",
        "household_present": "y",
        "rent_paid_regularly": "yes",
        **STABLE,
        "summary": "Loyers réguliers, bonne appropriation du logement.",
    }
    data.update(fields)
    return {k: v for k, v in data.items() if v is not None}


# Opening a measure -------------------------------------------------------------------------


def test_the_ccas_opens_a_measure_and_its_bilans_are_scheduled(
    client, world, scheme, make_household
):
    household = make_household(world.ccas, world.ccas_worker)
    case = create_case(
        household,
        world.ccas_worker,
        {"committee_id": world.committee.id, "title": "IML", "question": "T2 ?"},
    )
    candidacy = make_candidacy(world, scheme.programme, household)
    candidacy.case = case
    db.session.commit()
    sign_in(client, world.ccas_worker)

    page = client.get(f"/measures/new?candidacy={candidacy.id}&unit={scheme.unit.id}").text
    assert 'value="420,00"' in page  # the unit's rent is proposed
    response = client.post(
        "/measures/new",
        data={
            "candidacy_id": candidacy.id,
            "unit_id": scheme.unit.id,
            "start_date": "2025-08-31",
            "rent": "420,00",
            "charges": "35",
            "household_share": "150,50",
            "referent_id": world.ccas_worker.id,
        },
    )
    assert response.status_code == 302, form_errors(client.post("/measures/new").text)
    measure = db.session.scalar(sa.select(Measure))
    assert response.location == f"/measures/{measure.id}"
    assert measure.status == MeasureStatus.ACTIVE
    assert measure.household_share == Decimal("150.50")
    assert [(b.kind, b.due_date) for b in measure.bilans] == [
        (BilanKind.SIX_MONTHS, date(2026, 2, 28)),
        (BilanKind.TEN_MONTHS, date(2026, 6, 30)),
        (BilanKind.TWELVE_MONTHS, date(2026, 8, 31)),
    ]
    db.session.refresh(candidacy)
    db.session.refresh(scheme.unit)
    assert candidacy.status == CandidacyStatus.HOUSED
    assert candidacy.events[-1].to_status == CandidacyStatus.HOUSED
    assert scheme.unit.status == UnitStatus.LET
    events = db.session.scalars(sa.select(CaseEvent).where(CaseEvent.case_id == case.id)).all()
    assert any("Mesure IML ouverte" in e.summary for e in events)
    assert audit_events(AuditAction.CREATE, "measure")

    page = client.get(f"/measures/{measure.id}").text
    assert "Aujourd&#39;hui" in page or "Aujourd'hui" in page
    assert "Bilan à 6 mois" in page and "Décision à 12 mois" in page
    assert "28 février 2026" in page
    assert audit_events(AuditAction.VIEW, "household")


def test_opening_beyond_the_programmes_capacity_is_refused_and_changes_nothing(
    client, world, scheme
):
    scheme.programme.capacity = 1
    opened(world, scheme)
    candidacy = make_candidacy(world, scheme.programme)
    db.session.commit()
    sign_in(client, world.ccas_worker)
    before = database_rows()
    form = {
        "candidacy_id": candidacy.id,
        "unit_id": scheme.unit.id,
        "start_date": TODAY.isoformat(),
        "rent": "420",
        "household_share": "150",
        "referent_id": world.ccas_worker.id,
    }
    response = client.post("/measures/new", data=form)
    assert response.status_code == 400
    [error] = form_errors(response.text)
    assert "a atteint sa capacité : 1 mesure(s) en cours sur 1" in error
    assert database_rows() == before
    # Once the first measure's lease slides, the place is free again.
    first = db.session.scalar(sa.select(Measure))
    pay_every_month(first, world)
    record_bilan(
        bilan_of(first, BilanKind.SIX_MONTHS),
        world.ccas_worker,
        {
            "held_on": TODAY,
            "outcome": BilanOutcome.GLISSEMENT,
            "rent_paid_regularly": True,
            **STABLE_DATA,
        },
    )
    db.session.commit()
    assert client.post("/measures/new", data=form).status_code == 302


def test_a_candidacy_not_validated_or_a_unit_in_use_cannot_open_a_measure(world, scheme):
    submitted = make_candidacy(world, scheme.programme, status=CandidacyStatus.SUBMITTED)
    let = make_unit(scheme.commune, scheme.landlord, status=UnitStatus.LET)
    db.session.commit()
    data = {
        "start_date": TODAY,
        "rent": Decimal("400"),
        "household_share": Decimal("100"),
        "referent": world.ccas_worker,
    }
    before = database_rows()
    with pytest.raises(WorkflowError, match="validée par le SIAO"):
        open_measure(submitted, scheme.unit, world.ccas_worker, data)
    db.session.rollback()
    with pytest.raises(WorkflowError, match="pas disponible"):
        open_measure(make_candidacy(world, scheme.programme), let, world.ccas_worker, data)
    db.session.rollback()
    assert database_rows() == before


def test_a_wrong_opening_form_says_what_is_wrong_and_keeps_what_was_typed(client, world, scheme):
    make_candidacy(world, scheme.programme)
    db.session.commit()
    sign_in(client, world.ccas_worker)
    response = client.post(
        "/measures/new",
        data={"start_date": "31/02/2026", "rent": "beaucoup", "household_share": "9999"},
    )
    assert response.status_code == 400
    errors = form_errors(response.text)
    assert "Choisissez la candidature validée par le SIAO." in errors
    assert "Choisissez un logement disponible." in errors
    assert "Indiquez une date valide (jj/mm/aaaa)." in errors
    assert "Indiquez un montant, par exemple 450,50." in errors
    assert "La part du ménage ne peut dépasser le loyer charges comprises." not in errors
    assert "Indiquez un montant entre 0 et 100 000 €." not in errors
    assert shows_typed_value(response.text, "beaucoup")
    assert db.session.scalar(sa.select(sa.func.count(Measure.id))) == 0


def test_only_ccas_staff_of_the_candidacys_organisation_open_measures(client, world, scheme):
    sign_in(client, scheme.landlord_user)
    assert client.get("/measures/new").status_code == 403
    sign_in(client, world.partner_member)
    assert client.get("/measures/new").status_code == 403


@pytest.mark.postgres_only
def test_two_openings_on_the_last_place_at_once_let_exactly_one_through(
    make_app, backend, tmp_path
):
    """Two social workers open a measure on the last place at the same moment: the
    programme's row is locked while counting, so one succeeds and the other is told why."""
    if backend != "postgresql":
        pytest.skip("needs PostgreSQL's row locks and two real connections")
    app = make_app()
    with app.app_context():
        place = Territory(name="Cornouaille")
        ccas = Organisation(name="CCAS", kind=OrganisationKind.CCAS, territory=place)
        siao = Organisation(name="SIAO", kind=OrganisationKind.SIAO, territory=place)
        landlord = Organisation(
            name="Bailleur", kind=OrganisationKind.BAILLEUR_SOCIAL, territory=place
        )
        workers = [User(email=f"ts{i}@exemple.fr", full_name=f"TS {i}") for i in range(2)]
        db.session.add_all(Membership(user=w, organisation=ccas) for w in workers)
        commune = Commune(territory=place, name="Concarneau")
        programme = Programme(territory=place, name="IML", capacity=1)
        db.session.add_all([commune, programme])
        ids = []
        for number in range(2):
            household = Household(
                reference=f"CCAS-PG-{number}",
                organisation=ccas,
                public=HouseholdPublic.HOMME_SEUL,
                accommodation=Accommodation.ALT,
            )
            candidacy = Candidacy(
                household=household,
                programme=programme,
                organisation=ccas,
                siao=siao,
                status=CandidacyStatus.VALIDATED,
                requested_typology=Typology.T1,
            )
            unit = make_unit(commune, landlord, f"{number} rue du Port")
            db.session.add(candidacy)
            db.session.flush()
            ids.append((candidacy.id, unit.id, workers[number].id))
        db.session.commit()

    barrier = threading.Barrier(2)
    results: list[str] = []
    errors: list[BaseException] = []

    def open_one(candidacy_id, unit_id, user_id):
        try:
            with app.app_context():
                candidacy = db.session.get(Candidacy, candidacy_id)
                unit = db.session.get(Unit, unit_id)
                worker = db.session.get(User, user_id)
                barrier.wait(timeout=10)
                try:
                    open_measure(
                        candidacy,
                        unit,
                        worker,
                        {
                            "start_date": TODAY,
                            "rent": Decimal("400"),
                            "household_share": Decimal("100"),
                            "referent": worker,
                        },
                    )
                    threading.Event().wait(0.3)  # hold the lock: the other one must wait
                    db.session.commit()
                    results.append("opened")
                except WorkflowError as error:
                    db.session.rollback()
                    results.append(str(error))
                finally:
                    db.session.remove()
        except BaseException as error:  # reported in the main thread
            errors.append(error)

    threads = [threading.Thread(target=open_one, args=args) for args in ids]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not any(thread.is_alive() for thread in threads)
    assert errors == []
    assert sorted(results)[-1] == "opened"
    assert results.count("opened") == 1
    assert "a atteint sa capacité" in next(r for r in results if r != "opened")
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count(Measure.id))) == 1


# Bilans and their outcomes -----------------------------------------------------------------


def test_a_slide_at_six_months_ends_the_measure_with_success(client, world, scheme):
    measure = opened(world, scheme)
    pay_every_month(measure, world)
    six = bilan_of(measure, BilanKind.SIX_MONTHS)
    sign_in(client, world.ccas_worker)
    response = client.post(bilan_url(measure, six), data=bilan_form(outcome="glissement"))
    assert response.status_code == 302
    db.session.refresh(measure)
    assert measure.status == MeasureStatus.SLID
    assert measure.end_date == TODAY
    assert measure.unit.status == UnitStatus.RETURNED
    assert measure.candidacy.status == CandidacyStatus.HOUSED
    # The bilans still to come no longer take place.
    assert [b.kind for b in measure.bilans] == [BilanKind.SIX_MONTHS]
    six = measure.bilans[0]
    assert six.outcome == BilanOutcome.GLISSEMENT
    assert six.landlord_present and six.household_present
    assert six.recorded_by == world.ccas_worker
    assert "Glissement du bail" in client.get(bilan_url(measure, six)).text


def test_poursuite_at_six_months_keeps_the_ten_and_twelve_month_steps(world, scheme):
    measure = opened(world, scheme)
    record_bilan(
        bilan_of(measure, BilanKind.SIX_MONTHS),
        world.ccas_worker,
        {"held_on": TODAY, "outcome": BilanOutcome.POURSUITE},
    )
    db.session.commit()
    assert measure.status == MeasureStatus.ACTIVE
    assert measure.unit.status == UnitStatus.LET
    assert [b.kind for b in measure.bilans if not b.is_done] == [
        BilanKind.TEN_MONTHS,
        BilanKind.TWELVE_MONTHS,
    ]


def held(measure, world, *kinds):
    """Hold the measure's first bilans: poursuite at 6 months, a review at 10."""
    outcomes = {BilanKind.SIX_MONTHS: BilanOutcome.POURSUITE, BilanKind.TEN_MONTHS: None}
    for kind in kinds:
        record_bilan(
            bilan_of(measure, kind),
            world.ccas_worker,
            {"held_on": TODAY, "outcome": outcomes[kind]},
        )
    db.session.commit()


def test_the_ten_month_bilan_is_a_review_that_decides_nothing(client, world, scheme):
    measure = opened(world, scheme, start=add_months(TODAY, -11))
    held(measure, world, BilanKind.SIX_MONTHS)
    ten = bilan_of(measure, BilanKind.TEN_MONTHS)
    before = database_rows()
    with pytest.raises(WorkflowError, match="point d'étape"):
        record_bilan(ten, world.ccas_worker, {"held_on": TODAY, "outcome": BilanOutcome.GLISSEMENT})
    db.session.rollback()
    assert database_rows() == before
    sign_in(client, world.ccas_worker)
    # The form offers no outcome at 10 months: a forged one is ignored, not applied.
    response = client.post(
        bilan_url(measure, ten), data=bilan_form(outcome="glissement", rent_paid_regularly="no")
    )
    assert response.status_code == 302
    db.session.refresh(measure)
    assert measure.status == MeasureStatus.ACTIVE
    ten = bilan_of(measure, BilanKind.TEN_MONTHS)
    assert ten.is_done and ten.outcome is None
    # The 12-month decision may not « continue »: that was the 6-month choice.
    with pytest.raises(WorkflowError, match="ne peut pas décider"):
        record_bilan(
            bilan_of(measure, BilanKind.TWELVE_MONTHS),
            world.ccas_worker,
            {"held_on": TODAY, "outcome": BilanOutcome.POURSUITE},
        )


REFUSALS = [
    # (bilan, outcome and fields, message)
    (BilanKind.SIX_MONTHS, {"outcome": "prolongation"}, "Choisissez une des suites proposées."),
    (BilanKind.SIX_MONTHS, {"outcome": None}, "Choisissez la suite donnée à la mesure."),
    (
        BilanKind.TWELVE_MONTHS,
        {"outcome": "glissement"},
        "Enregistrez d'abord le bilan à 6 mois.",
    ),
]


@pytest.mark.parametrize(("kind", "fields", "message"), REFUSALS)
def test_refused_bilans_say_why_and_change_nothing(client, world, scheme, kind, fields, message):
    measure = opened(world, scheme, start=add_months(TODAY, -13))
    sign_in(client, world.ccas_worker)
    before = database_rows()
    response = client.post(bilan_url(measure, bilan_of(measure, kind)), data=bilan_form(**fields))
    assert response.status_code == 400
    assert message in form_errors(response.text)
    assert database_rows() == before


def test_the_lease_slides_at_twelve_months_only_when_both_conditions_hold(client, world, scheme):
    measure = opened(world, scheme, start=add_months(TODAY, -13))
    held(measure, world, BilanKind.SIX_MONTHS, BilanKind.TEN_MONTHS)
    twelve = bilan_of(measure, BilanKind.TWELVE_MONTHS)
    sign_in(client, world.ccas_worker)
    before = database_rows()
    pay_every_month(measure, world)
    before = database_rows()
    for conditions in (
        {"household_wish": "pas_pret"},
        {"budget_assessment": "fragile"},
        {"support_assessment": "a_organiser"},
        {"support_assessment": ""},
        {"rent_paid_regularly": ""},
        {"rent_paid_regularly": "no"},
    ):
        response = client.post(
            bilan_url(measure, twelve), data=bilan_form(outcome="glissement", **conditions)
        )
        assert response.status_code == 400
        assert any("loyer est payé régulièrement" in e for e in form_errors(response.text))
        assert database_rows() == before
    response = client.post(bilan_url(measure, twelve), data=bilan_form(outcome="glissement"))
    assert response.status_code == 302
    db.session.refresh(measure)
    assert measure.status == MeasureStatus.SLID
    assert measure.unit.status == UnitStatus.RETURNED


def test_prolongation_then_end_of_measure_with_a_coded_reason(client, world, scheme):
    measure = opened(world, scheme, start=add_months(TODAY, -13))
    held(measure, world, BilanKind.SIX_MONTHS, BilanKind.TEN_MONTHS)
    twelve = bilan_of(measure, BilanKind.TWELVE_MONTHS)
    sign_in(client, world.ccas_worker)
    before = database_rows()
    for fields, message in (
        ({"next_date": ""}, "Indiquez la date de la nouvelle décision."),
        ({"next_date": TODAY.isoformat()}, "La nouvelle date de décision doit suivre"),
    ):
        response = client.post(
            bilan_url(measure, twelve), data=bilan_form(outcome="prolongation", **fields)
        )
        assert response.status_code == 400
        assert any(e.startswith(message) for e in form_errors(response.text)), message
        assert database_rows() == before
    until = TODAY + timedelta(days=90)
    response = client.post(
        bilan_url(measure, twelve),
        data=bilan_form(
            outcome="prolongation",
            rent_paid_regularly="no",
            household_wish="pas_pret",
            next_date=until,
        ),
    )
    assert response.status_code == 302
    db.session.refresh(measure)
    assert measure.status == MeasureStatus.EXTENDED
    assert measure.extended_until == until
    extension = bilan_of(measure, BilanKind.EXTENSION)
    assert extension.due_date == until and not extension.is_done

    # The extension's decision offers the same three outcomes; an end needs its reason.
    before = database_rows()
    response = client.post(bilan_url(measure, extension), data=bilan_form(outcome="fin_de_mesure"))
    assert response.status_code == 400
    assert "Indiquez le motif de fin de mesure." in form_errors(response.text)
    assert database_rows() == before
    response = client.post(
        bilan_url(measure, extension),
        data=bilan_form(
            outcome="fin_de_mesure", end_reason="back_to_shelter", rent_paid_regularly="no"
        ),
    )
    assert response.status_code == 302
    db.session.refresh(measure)
    assert measure.status == MeasureStatus.ENDED
    assert measure.end_reason == MeasureEndReason.BACK_TO_SHELTER
    assert measure.unit.status == UnitStatus.RETURNED

    # A closed measure takes no more bilans, and a held bilan is not recorded twice.
    before = database_rows()
    response = client.post(bilan_url(measure, extension), data=bilan_form(outcome="glissement"))
    assert response.status_code == 400
    assert any("La mesure est close" in e for e in flashed(response.text))
    assert database_rows() == before


@pytest.mark.parametrize("kind", [BilanKind.TWELVE_MONTHS, BilanKind.EXTENSION])
@pytest.mark.parametrize(
    ("outcome", "status", "unit_status"),
    [
        (BilanOutcome.GLISSEMENT, MeasureStatus.SLID, UnitStatus.RETURNED),
        (BilanOutcome.PROLONGATION, MeasureStatus.EXTENDED, UnitStatus.LET),
        (BilanOutcome.FIN_DE_MESURE, MeasureStatus.ENDED, UnitStatus.RETURNED),
    ],
)
def test_each_decision_bilan_offers_the_three_outcomes(
    world, scheme, kind, outcome, status, unit_status
):
    measure = opened(world, scheme, start=add_months(TODAY, -15))
    held(measure, world, BilanKind.SIX_MONTHS, BilanKind.TEN_MONTHS)
    decision = bilan_of(measure, BilanKind.TWELVE_MONTHS)
    if kind == BilanKind.EXTENSION:
        record_bilan(
            decision,
            world.ccas_worker,
            {
                "held_on": decision.due_date,
                "outcome": BilanOutcome.PROLONGATION,
                "next_date": TODAY - timedelta(days=1),
            },
        )
        db.session.commit()
        decision = bilan_of(measure, BilanKind.EXTENSION)
    pay_every_month(measure, world)
    record_bilan(
        decision,
        world.ccas_worker,
        {
            "held_on": TODAY,
            "outcome": outcome,
            "rent_paid_regularly": True,
            **STABLE_DATA,
            "next_date": TODAY + timedelta(days=60),
            "end_reason": MeasureEndReason.REHOUSED_ELSEWHERE,
        },
    )
    db.session.commit()
    assert measure.status == status
    assert measure.unit.status == unit_status
    assert measure.candidacy.status == CandidacyStatus.HOUSED
    if outcome == BilanOutcome.PROLONGATION:
        assert measure.extended_until == TODAY + timedelta(days=60)
        assert [b.due_date for b in measure.bilans if not b.is_done] == [measure.extended_until]
    else:
        assert measure.end_date == TODAY
        assert all(b.is_done for b in measure.bilans)
    if outcome == BilanOutcome.FIN_DE_MESURE:
        assert measure.end_reason == MeasureEndReason.REHOUSED_ELSEWHERE


def test_a_held_bilan_is_not_recorded_twice(world, scheme):
    measure = opened(world, scheme)
    six = bilan_of(measure, BilanKind.SIX_MONTHS)
    held(measure, world, BilanKind.SIX_MONTHS)
    with pytest.raises(WorkflowError, match="déjà enregistré"):
        record_bilan(six, world.ccas_worker, {"held_on": TODAY, "outcome": BilanOutcome.POURSUITE})


def test_a_bilan_is_recorded_once_held(client, world, scheme):
    measure = opened(world, scheme)
    sign_in(client, world.ccas_worker)
    six = bilan_of(measure, BilanKind.SIX_MONTHS)
    tomorrow = (TODAY + timedelta(days=1)).isoformat()
    response = client.post(
        bilan_url(measure, six), data=bilan_form(outcome="poursuite", held_on=tomorrow)
    )
    assert response.status_code == 400
    assert any("sa date est passée" in e for e in form_errors(response.text))


def test_bilans_and_outcomes_go_on_the_households_case_timeline(world, scheme, make_household):
    household = make_household(world.ccas, world.ccas_worker)
    case = create_case(
        household,
        world.ccas_worker,
        {"committee_id": world.committee.id, "title": "IML", "question": "?"},
    )
    # No case on the candidacy: the household's latest case carries the history.
    measure = opened(world, scheme, candidacy=make_candidacy(world, scheme.programme, household))
    held(measure, world, BilanKind.SIX_MONTHS)
    summaries = [
        e.summary
        for e in db.session.scalars(sa.select(CaseEvent).where(CaseEvent.case_id == case.id))
    ]
    assert any("Mesure IML ouverte" in s for s in summaries)
    assert any("Bilan à 6 mois tenu" in s and "poursuite" in s for s in summaries)


# The slide conditions are evidence -----------------------------------------------------------


def record_months(measure, world, statuses, paid=None):
    """Rent record from the first month: one status per month (amounts paid optional)."""
    for offset, status in enumerate(statuses):
        record_rent(
            measure,
            world.ccas_worker,
            {
                "month": add_months(first_of_month(measure.start_date), offset),
                "status": status,
                "amount_paid": (paid or {}).get(offset),
            },
        )
    db.session.commit()


def test_the_bilan_reads_rent_regularity_from_the_rent_record(client, world, scheme):
    measure = opened(world, scheme)
    six = bilan_of(measure, BilanKind.SIX_MONTHS)
    sign_in(client, world.ccas_worker)
    record_months(measure, world, [RentStatus.PAID] * 6)
    page = html.unescape(client.get(bilan_url(measure, six)).text)
    assert "Le relevé des loyers montre un paiement régulier." in page
    assert '<option selected value="yes">' in page  # the record's answer, proposed

    late, unpaid = RentStatus.LATE, RentStatus.UNPAID
    record_months(measure, world, [RentStatus.PAID, late, unpaid], paid={2: Decimal("20")})
    page = html.unescape(client.get(bilan_url(measure, six)).text)
    assert "6 mois renseigné(s) : 4 payé(s), 1 payé(s) en retard, 1 impayé(s)." in page
    assert "Reste dû : 130,00\u00a0€." in page
    assert "Paiement non régulier" in page
    assert "1 mois impayé(s), 130,00\u00a0€ restant dû" in page
    assert '<option selected value="no">' in page


def test_regular_rent_stated_over_arrears_needs_a_written_reason(client, world, scheme):
    measure = opened(world, scheme)
    record_months(measure, world, [RentStatus.PAID, RentStatus.UNPAID, *[RentStatus.PAID] * 4])
    six = bilan_of(measure, BilanKind.SIX_MONTHS)
    sign_in(client, world.ccas_worker)
    before = database_rows()
    for outcome in ("poursuite", "glissement"):
        response = client.post(
            bilan_url(measure, six),
            data=bilan_form(outcome=outcome, summary="Bilan partagé avec le bailleur."),
        )
        assert response.status_code == 400
        error = html.unescape(response.text)
        assert '<p class="error" id="rent_regularity_justification-error">' in error
        assert "1 mois impayé(s), 150,00\u00a0€ restant dû" in error
        assert "expliquez pourquoi" in error
        assert shows_typed_value(response.text, "Bilan partagé avec le bailleur.")
        assert database_rows() == before
    # « No » needs no reason.
    reason = "Impayé de mars dû au retard de l'APL, régularisé par le rappel de mai."
    response = client.post(
        bilan_url(measure, six),
        data=bilan_form(outcome="poursuite", rent_regularity_justification=reason),
    )
    assert response.status_code == 302
    db.session.refresh(six)
    assert six.rent_paid_regularly is True
    assert six.rent_regularity_justification == reason
    page = html.unescape(client.get(bilan_url(measure, six)).text)
    assert reason in page
    sign_in(client, scheme.etat_user)
    assert reason in html.unescape(client.get(bilan_url(measure, six) + "/fiche").text)


def test_a_record_that_shows_regularity_keeps_no_reason_and_no_answers_need_none(world, scheme):
    measure = opened(world, scheme)
    pay_every_month(measure, world)
    six = bilan_of(measure, BilanKind.SIX_MONTHS)
    record_bilan(
        six,
        world.ccas_worker,
        {
            "held_on": TODAY,
            "outcome": BilanOutcome.POURSUITE,
            "rent_paid_regularly": True,
            "rent_regularity_justification": "Rien à justifier.",
        },
    )
    assert six.rent_regularity_justification == ""
    # Months left blank are not evidence either.
    other = opened(world, scheme)
    with pytest.raises(WorkflowError, match="aucun mois renseigné"):
        record_bilan(
            bilan_of(other, BilanKind.SIX_MONTHS),
            world.ccas_worker,
            {"held_on": TODAY, "outcome": BilanOutcome.POURSUITE, "rent_paid_regularly": True},
        )
    db.session.rollback()
    record_months(other, world, [RentStatus.PAID] * 3)
    with pytest.raises(WorkflowError, match="4 mois passé\\(s\\) non renseigné\\(s\\)"):
        record_bilan(
            bilan_of(other, BilanKind.SIX_MONTHS),
            world.ccas_worker,
            {"held_on": TODAY, "outcome": BilanOutcome.POURSUITE, "rent_paid_regularly": True},
        )


@pytest.mark.parametrize(
    ("assessment", "stabilised"),
    [
        ({}, True),
        ({"budget_assessment": BudgetAssessment.IMPROVING}, True),
        ({"support_assessment": SupportAssessment.NOT_NEEDED}, True),
        ({"budget_assessment": BudgetAssessment.FRAGILE}, False),
        ({"support_assessment": SupportAssessment.TO_ORGANISE}, False),
        ({"household_wish": HouseholdWish.NOT_READY}, False),
        ({"household_wish": HouseholdWish.WANTS_OTHER}, False),
        ({"household_wish": None}, None),
    ],
)
def test_the_stabilisation_is_a_structured_assessment_that_the_slide_needs(
    world, scheme, assessment, stabilised
):
    measure = opened(world, scheme, start=add_months(TODAY, -13))
    held(measure, world, BilanKind.SIX_MONTHS, BilanKind.TEN_MONTHS)
    pay_every_month(measure, world)
    twelve = bilan_of(measure, BilanKind.TWELVE_MONTHS)
    data = {"held_on": TODAY, "rent_paid_regularly": True, **STABLE_DATA, **assessment}
    if not stabilised:
        before = database_rows()
        with pytest.raises(WorkflowError, match="situation stabilisée : budget tenu"):
            record_bilan(twelve, world.ccas_worker, {**data, "outcome": BilanOutcome.GLISSEMENT})
        db.session.rollback()
        assert database_rows() == before
        data |= {"outcome": BilanOutcome.PROLONGATION, "next_date": TODAY + timedelta(days=90)}
    else:
        data |= {"outcome": BilanOutcome.GLISSEMENT}
    record_bilan(twelve, world.ccas_worker, data)
    db.session.commit()
    assert twelve.situation_stabilised is stabilised
    expected = {**STABLE_DATA, **assessment}
    assert twelve.budget_assessment == expected["budget_assessment"]
    assert twelve.household_wish == expected["household_wish"]
    assert measure.status == (MeasureStatus.SLID if stabilised else MeasureStatus.EXTENDED)


def test_the_bilan_page_and_the_fiche_show_the_assessment(client, world, scheme):
    measure = opened(world, scheme)
    pay_every_month(measure, world)
    six = bilan_of(measure, BilanKind.SIX_MONTHS)
    sign_in(client, world.ccas_worker)
    notes = "Budget suivi avec la conseillère ESF, relais CDAS en place."
    response = client.post(
        bilan_url(measure, six),
        data=bilan_form(
            outcome="poursuite", budget_assessment="en_progres", stabilisation_notes=notes
        ),
    )
    assert response.status_code == 302
    page = html.unescape(client.get(bilan_url(measure, six)).text)
    assert "Budget en voie de maîtrise" in page and notes in page
    assert "Relais en place (CDAS, ASLL, Mission Locale…)" in page
    sign_in(client, scheme.etat_user)
    fiche = html.unescape(client.get(bilan_url(measure, six) + "/fiche").text)
    assert "Le ménage souhaite devenir locataire en titre" in fiche
    assert "Budget en voie de maîtrise" in fiche


def test_a_slide_before_six_months_needs_a_reason_and_is_flagged(client, world, scheme):
    # Eleven days after moving in, a lease slide with both conditions left blank.
    measure = opened(world, scheme, start=TODAY - timedelta(days=11))
    six = bilan_of(measure, BilanKind.SIX_MONTHS)
    sign_in(client, world.ccas_worker)
    page = html.unescape(client.get(bilan_url(measure, six)).text)
    assert "Pourquoi un glissement avant 6 mois ?" in page
    before = database_rows()
    blank = {"rent_paid_regularly": "", **dict.fromkeys(STABLE, "")}
    response = client.post(bilan_url(measure, six), data=bilan_form(outcome="glissement", **blank))
    assert response.status_code == 400
    assert any("Le bail ne glisse que si" in e for e in form_errors(response.text))
    assert database_rows() == before

    record_months(measure, world, [RentStatus.PAID])
    before = database_rows()
    response = client.post(bilan_url(measure, six), data=bilan_form(outcome="glissement"))
    assert response.status_code == 400
    errors = html.unescape(response.text)
    assert '<p class="error" id="early_slide_justification-error">' in errors
    assert "après 11 jours de sous-location, avant les 6 mois du dispositif" in errors
    assert database_rows() == before
    assert not db.session.get(Measure, measure.id).slid_early

    reason = "Le bailleur propose le bail direct : ressources stables, accord de la commission."
    response = client.post(
        bilan_url(measure, six),
        data=bilan_form(outcome="glissement", early_slide_justification=reason),
    )
    assert response.status_code == 302
    db.session.expire_all()
    measure = db.session.get(Measure, measure.id)
    assert measure.status == MeasureStatus.SLID
    [six] = measure.bilans
    assert six.early_slide and six.early_slide_justification == reason
    assert measure.slid_early
    page = html.unescape(client.get(bilan_url(measure, six)).text)
    assert "Avant 6 mois (11 jours de sous-location)" in page and reason in page
    sign_in(client, scheme.etat_user)
    fiche = html.unescape(client.get(bilan_url(measure, six) + "/fiche").text)
    assert "Glissement anticipé, après 11 jours de sous-location (avant 6 mois)." in fiche
    # The social landlord sees that the lease slid early, not why (the household's affair).
    sign_in(client, scheme.landlord_user)
    page = html.unescape(client.get(bilan_url(measure, six)).text)
    assert "Avant 6 mois (11 jours de sous-location)" in page
    assert reason not in page and "Souhait du ménage" not in page
    # From six months on, a slide is not early and keeps no such reason.
    later = opened(world, scheme)
    pay_every_month(later, world)
    record_bilan(
        bilan_of(later, BilanKind.SIX_MONTHS),
        world.ccas_worker,
        {
            "held_on": TODAY,
            "outcome": BilanOutcome.GLISSEMENT,
            "rent_paid_regularly": True,
            "early_slide_justification": "Sans objet.",
            **STABLE_DATA,
        },
    )
    assert not later.slid_early and later.bilans[0].early_slide_justification == ""


# Rent record -------------------------------------------------------------------------------


def test_rent_is_recorded_month_by_month_by_the_ccas_or_the_social_landlord(client, world, scheme):
    measure = opened(world, scheme, unit=scheme.unit)
    first_month = SEVEN_MONTHS_AGO.replace(day=1)
    sign_in(client, world.ccas_worker)
    response = client.post(
        f"/measures/{measure.id}/rent",
        data={"month": first_month.strftime("%Y-%m"), "status": "paid"},
    )
    assert response.status_code == 302
    [record] = measure.rent_records
    assert (record.amount_due, record.amount_paid) == (Decimal("150.00"), Decimal("150.00"))
    assert record.organisation_id == world.ccas.id

    # The landlord corrects the same month: still one row.
    landlord = fresh_client(client.application)
    sign_in(landlord, scheme.landlord_user)
    page = landlord.get(f"/measures/{measure.id}/rent?month={first_month:%Y-%m}").text
    assert 'value="paid" checked' in page or "checked" in page
    response = landlord.post(
        f"/measures/{measure.id}/rent",
        data={"month": f"{first_month:%m/%Y}", "status": "late", "amount_paid": "100,00"},
    )  # a month typed the French way
    assert response.status_code == 302
    db.session.expire_all()
    [record] = db.session.scalars(sa.select(RentRecord)).all()
    assert record.status == RentStatus.LATE
    assert record.amount_paid == Decimal("100.00")
    assert record.organisation_id == scheme.landlord.id

    # Months before the start or not yet begun are refused.
    for month in (add_months(first_month, -1), add_months(TODAY, 1)):
        response = client.post(
            f"/measures/{measure.id}/rent", data={"month": f"{month:%Y-%m}", "status": "paid"}
        )
        assert response.status_code == 400
    response = client.post(f"/measures/{measure.id}/rent", data={"month": "mars"})
    assert response.status_code == 400
    assert "Indiquez si le loyer a été payé." in form_errors(response.text)
    assert "Indiquez le mois ainsi : 12/2026." in form_errors(response.text)
    assert 'value="mars"' in response.text  # what was typed is kept

    # Another landlord never sees the measure.
    other = fresh_client(client.application)
    sign_in(other, scheme.other_landlord_user)
    assert other.get(f"/measures/{measure.id}/rent").status_code == 404


def test_the_bilans_show_the_rent_record(client, world, scheme):
    measure = opened(world, scheme)
    start = SEVEN_MONTHS_AGO.replace(day=1)
    for offset, status, paid in (
        (0, RentStatus.PAID, None),
        (1, RentStatus.LATE, Decimal("150")),
        (2, RentStatus.UNPAID, Decimal("20")),
        (3, RentStatus.PAID, None),
    ):
        record_rent(
            measure,
            world.ccas_worker,
            {"month": add_months(start, offset), "status": status, "amount_paid": paid},
        )
    db.session.commit()
    sign_in(client, world.ccas_worker)
    page = client.get(bilan_url(measure, bilan_of(measure, BilanKind.SIX_MONTHS))).text
    assert "4 mois renseigné(s) : 2 payé(s), 1 payé(s) en retard, 1 impayé(s)." in page
    assert "Reste dû : 130,00\u00a0€." in page


# Who sees what -----------------------------------------------------------------------------


def test_the_social_landlord_sees_only_measures_in_its_units_and_no_identity(
    client, world, scheme, make_household
):
    household = make_household(world.ccas, world.ccas_worker)
    mine = opened(
        world,
        scheme,
        unit=scheme.unit,
        candidacy=make_candidacy(world, scheme.programme, household),
    )
    other = opened(world, scheme, unit=scheme.other_unit)
    held(mine, world, BilanKind.SIX_MONTHS)
    sign_in(client, scheme.landlord_user)
    listing = client.get("/measures/").text
    assert f"/measures/{mine.id}" in listing
    assert f"/measures/{other.id}" not in listing
    assert client.get(f"/measures/{other.id}").status_code == 404
    for url in (f"/measures/{mine.id}", bilan_url(mine, bilan_of(mine, BilanKind.SIX_MONTHS))):
        page = client.get(url).text
        assert CANARY_NAME not in page
        assert household.reference not in page
        assert "Loyers réguliers" not in page  # the summary stays with the CCAS
        assert world.ccas_worker.full_name not in page  # nor the referent
    assert "Poursuite de la mesure" in page  # the outcome and dates are shared
    # The landlord records rent but does not run bilans.
    response = client.post(bilan_url(mine, bilan_of(mine, BilanKind.TEN_MONTHS)), data=bilan_form())
    assert response.status_code == 403
    fiche = f"{bilan_url(mine, bilan_of(mine, BilanKind.SIX_MONTHS))}/fiche"
    assert client.get(fiche).status_code == 404


def test_the_fiche_bilan_is_pseudonymised_and_goes_to_the_state_service_of_the_territory(
    client, world, scheme, make_household, make_org, make_user
):
    household = make_household(world.ccas, world.ccas_worker)
    measure = opened(world, scheme, candidacy=make_candidacy(world, scheme.programme, household))
    record_rent(measure, world.ccas_worker, {"month": SEVEN_MONTHS_AGO, "status": RentStatus.LATE})
    held(measure, world, BilanKind.SIX_MONTHS)
    six = bilan_of(measure, BilanKind.SIX_MONTHS)
    ten = bilan_of(measure, BilanKind.TEN_MONTHS)
    sign_in(client, scheme.etat_user)
    assert client.get(f"/measures/{measure.id}").status_code == 404
    assert client.get(f"{bilan_url(measure, ten)}/fiche").status_code == 404  # not held
    page = client.get(f"{bilan_url(measure, six)}/fiche").text
    assert household.reference in page and "Concarneau" in page
    assert "1 payé(s) en retard" in page
    response = client.get(f"{bilan_url(measure, six)}/fiche.pdf")
    assert response.status_code == 200
    assert response.mimetype == "application/pdf"
    text = tagged_pdf_text(response.data, "Fiche-bilan")
    assert "Fiche-bilan" in text and household.reference in text
    assert "Poursuite de la mesure" in text
    for secret in (CANARY_NAME, "Zéphyrine", "Canardeau", "06 11 22 33 44", "1990"):
        assert secret not in text
    assert world.ccas_worker.full_name not in text
    assert audit_events(AuditAction.EXPORT, "bilan")

    elsewhere = make_org(
        OrganisationKind.ETAT, "DDETS du Morbihan", place=Territory(name="Morbihan")
    )
    stranger = fresh_client(client.application)
    sign_in(stranger, make_user(elsewhere))
    assert stranger.get(f"{bilan_url(measure, six)}/fiche").status_code == 404


def test_the_predicate_and_its_sql_twin_agree(world, scheme, make_user):
    measures = [opened(world, scheme, unit=scheme.unit), opened(world, scheme)]
    measures.append(opened(world, scheme, unit=scheme.other_unit))
    readers = [
        world.ccas_worker,
        world.coordinator,
        world.partner_member,
        world.siao_officer,
        world.outsider,
        world.landlord,
        scheme.landlord_user,
        scheme.other_landlord_user,
        scheme.etat_user,
    ]
    for reader in readers:
        listed = set(
            db.session.scalars(sa.select(Measure.id).where(visible_measures_clause(reader)))
        )
        expected = {m.id for m in measures if can_view_measure(reader, m)}
        assert listed == expected, reader.full_name
    assert {m.id for m in measures} == set(
        db.session.scalars(sa.select(Measure.id).where(visible_measures_clause(world.ccas_worker)))
    )


def test_the_list_filters_and_costs_the_same_queries_for_5_or_50_measures(client, world, scheme):
    scheme.programme.capacity = 100

    def private_unit(number):
        # A private owner's flat: the list names its owner too.
        return make_unit(scheme.commune, None, f"{number} rue du Port", owner=world.landlord)

    for number in range(5):
        opened(world, scheme, unit=private_unit(number) if number == 0 else None)
    sign_in(client, world.ccas_worker)
    client.get("/measures/")  # warm up: the session and the form
    with counting_queries() as few:
        assert client.get("/measures/").status_code == 200
    for number in range(45):
        unit = private_unit(number) if number % 3 == 0 else None
        opened(world, scheme, unit=unit, start=TODAY - timedelta(days=3))
    with counting_queries() as many:
        page = client.get("/measures/?page=2").text
    assert len(many) == len(few)
    assert "Page 2 sur 2" in page

    soon = client.get("/measures/?bilan=soon").text
    assert "0 mesure" in soon
    overdue = client.get("/measures/?bilan=overdue").text
    assert "5 mesures" in overdue  # the five opened seven months ago: 6-month bilan late
    assert "50 mesures" in client.get(f"/measures/?programme={scheme.programme.id}").text
    assert "0 mesure" in client.get("/measures/?status=slid").text


# Alerts ----------------------------------------------------------------------------------


def test_bilan_alerts_are_emailed_once_even_when_the_job_runs_twice(world, scheme):
    world.ccas.contact_email = "accueil@ccas.fr"
    due_soon = opened(world, scheme, start=add_months(TODAY + timedelta(days=10), -6))
    late = opened(world, scheme, start=add_months(TODAY - timedelta(days=3), -6))
    opened(world, scheme, start=TODAY)  # nothing due for six months
    db.session.commit()

    assert notify_bilans(TODAY) == 2
    db.session.commit()
    assert notify_bilans(TODAY) == 0
    db.session.commit()

    emails = queued_emails()
    assert sorted(e.recipient for e in emails) == sorted(
        [world.ccas_worker.email, "accueil@ccas.fr"] * 2
    )
    soon_mail = next(e for e in emails if "à tenir" in e.subject)
    assert due_soon.household.reference in soon_mail.subject
    assert "dans 10 jours" in soon_mail.text_body
    late_mail = next(e for e in emails if e.subject.startswith("En retard"))
    assert "3 jours de retard" in late_mail.text_body
    assert f"/measures/{late.id}/bilans/" in late_mail.text_body
    assert CANARY_NAME not in soon_mail.text_body + late_mail.text_body

    # Ten days later, the bilan that was due soon is late in turn: told once more.
    later = TODAY + timedelta(days=11)
    assert notify_bilans(later) == 1
    db.session.commit()
    assert notify_bilans(later) == 0
    assert len(queued_emails()) == 6


def test_flask_reminders_send_also_sends_the_bilan_alerts(app, world, scheme):
    opened(world, scheme, start=add_months(TODAY - timedelta(days=3), -6))
    runner = app.test_cli_runner()
    first = runner.invoke(args=["reminders", "send"])
    assert first.exit_code == 0, first.output
    assert "1 alerte(s) de bilan IML." in first.output
    second = runner.invoke(args=["reminders", "send"])
    assert "0 alerte(s) de bilan IML." in second.output
    assert [e.recipient for e in queued_emails()] == [world.ccas_worker.email]


def test_the_dashboard_shows_bilans_due_and_overdue_to_ccas_staff(client, world, scheme):
    measure = opened(world, scheme, start=add_months(TODAY - timedelta(days=3), -6))
    sign_in(client, world.ccas_worker)
    page = client.get("/").text
    assert "Bilans des mesures IML" in page
    assert f"/measures/{measure.id}/bilans/" in page
    assert "En retard" in page
    sign_in(client, world.partner_member)
    assert "Bilans des mesures IML" not in client.get("/").text


# Point de situation ------------------------------------------------------------------------


def test_a_bilan_is_scheduled_as_a_point_de_situation_with_the_landlord(client, world, scheme):
    measure = opened(world, scheme, unit=scheme.unit, start=add_months(TODAY, -5))
    six = bilan_of(measure, BilanKind.SIX_MONTHS)
    sign_in(client, world.coordinator)
    response = client.post(
        f"{bilan_url(measure, six)}/meeting",
        data={"day": six.due_date.isoformat(), "time": "10:00", "location": "Au logement"},
    )
    assert response.status_code == 302
    db.session.refresh(six)
    meeting = db.session.get(Meeting, six.meeting_id)
    assert meeting.kind == MeetingKind.POINT_DE_SITUATION
    assert meeting.committee == world.committee
    invited = {i.user for i in meeting.invitees}
    assert {world.ccas_worker, world.coordinator, scheme.landlord_user} <= invited
    assert scheme.other_landlord_user not in invited
    assert queued_emails(scheme.landlord_user.email)
    # A second point for the same bilan is refused with a message.
    response = client.post(
        f"{bilan_url(measure, six)}/meeting",
        data={"day": six.due_date.isoformat(), "time": "11:00", "location": "CCAS"},
    )
    assert response.status_code == 400
    assert any("déjà prévu" in e for e in flashed(response.text))
    assert "Le bilan est enregistré." not in flashed(response.text)


# Demo data -------------------------------------------------------------------------------


def test_the_demo_has_measures_at_every_stage_within_the_capacity(app):
    from portal.demo import load_demo_data

    data = load_demo_data()
    db.session.commit()
    programme = db.session.scalar(
        sa.select(Programme).where(Programme.name == "IML sortie de structures")
    )
    measures = db.session.scalars(
        sa.select(Measure).where(Measure.programme_id == programme.id)
    ).all()
    statuses = [m.status for m in measures]
    assert sum(m.is_open for m in measures) == 7 and programme.capacity == 10
    assert statuses.count(MeasureStatus.EXTENDED) == 1
    assert statuses.count(MeasureStatus.SLID) == 1
    assert statuses.count(MeasureStatus.ENDED) == 1
    pending = [b for m in measures if m.is_open for b in m.bilans if not b.is_done]
    assert any(TODAY <= b.due_date <= TODAY + timedelta(days=14) for b in pending)
    assert any(b.due_date < TODAY for b in pending)
    assert all(m.candidacy.status == CandidacyStatus.HOUSED for m in measures)
    assert all(m.unit.status == UnitStatus.LET for m in measures if m.is_open)
    records = db.session.scalars(sa.select(RentRecord)).all()
    assert any(r.status == RentStatus.LATE for r in records)
    assert len(data["measures"]) == 9
    # The alerts job has something to say about them.
    assert notify_bilans(TODAY) >= 2


def test_a_fiche_bilan_lists_the_bilans_held_before_it_only(client, world, scheme):
    measure = opened(world, scheme, start=add_months(TODAY, -11))
    held(measure, world, BilanKind.SIX_MONTHS)
    six = bilan_of(measure, BilanKind.SIX_MONTHS)
    six.held_on = TODAY - timedelta(days=120)
    db.session.commit()
    held(measure, world, BilanKind.TEN_MONTHS)
    ten = bilan_of(measure, BilanKind.TEN_MONTHS)
    sign_in(client, scheme.etat_user)

    earlier = client.get(f"{bilan_url(measure, six)}/fiche").text
    later = client.get(f"{bilan_url(measure, ten)}/fiche").text

    assert "Bilans précédents" not in earlier
    assert "Bilan à 10 mois" not in earlier.split("<h1", 1)[1].split("</h1>", 1)[1]
    assert "Bilans précédents" in later and "Bilan à 6 mois —" in later
