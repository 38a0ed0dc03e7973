"""The activity report, the indicators and the exports (issue 6).

A small territory, built with the models, whose every figure is computed by hand below
(year 2025, so that « today » never moves the figures); the same figures come out of the
services, the page and the PDF; outside the CCAS counts of 1 to 4 read « < 5 » and nothing
names a household; the number of queries does not grow with the data.
"""

import csv
import io
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
import sqlalchemy as sa

from portal.extensions import db
from portal.models import (
    Accommodation,
    ActionStatus,
    AgendaItem,
    AuditAction,
    Bilan,
    BilanKind,
    BilanOutcome,
    Candidacy,
    CandidacyStatus,
    Case,
    CaseStatus,
    Committee,
    CommitteeKind,
    Commune,
    Decision,
    DecisionKind,
    FollowUpAction,
    Household,
    HouseholdObstacle,
    HouseholdPerson,
    HouseholdPublic,
    Measure,
    MeasureEndReason,
    MeasureStatus,
    Meeting,
    MeetingInvitee,
    MeetingKind,
    MeetingStatus,
    Obstacle,
    OfferReason,
    OfferStatus,
    OfferStatusChange,
    OrganisationKind,
    OwnerOffer,
    Programme,
    ResourceBracket,
    ResourceType,
    Territory,
    Typology,
    Unit,
)
from portal.reports.activity import build_activity_report
from portal.reports.indicators import build_indicators
from portal.reports.scope import make_scope
from tests.conftest import CANARY_NAME, sign_in
from tests.support import audit_events, tagged_pdf_text

YEAR = 2025
END = date(2025, 12, 31)
FREE_TEXT = "Texte libre confidentiel canari"
SIAO_NUMBER = "SIAO-CANARI-0042"


def at(day: date, hour: int = 10) -> datetime:
    return datetime(day.year, day.month, day.day, hour, tzinfo=UTC)


@dataclass
class Territory2025:
    programme: Programme  # IML sortie de structures
    dalo: Programme
    households: dict
    measures: dict
    etat_user: object
    copil_user: object


class Builder:
    """Small factories over the models: every object of the dataset, nothing more."""

    def __init__(self, world, territory):
        self.world = world
        self.territory = territory
        self.commune = Commune(territory=territory, name="Concarneau")
        db.session.add(self.commune)
        self.social = None
        self.count = 0

    def household(self, public, accommodation, since, *, adults=1, children=0, org=None, **kw):
        self.count += 1
        household = Household(
            reference=f"CCAS-2025-{self.count:04d}",
            organisation=org or self.world.ccas,
            public=public,
            accommodation=accommodation,
            accommodation_since=since,
            adults=adults,
            children=children,
            situation_notes=FREE_TEXT,
            **kw,
        )
        db.session.add(household)
        return household

    def person(self, household, birth_date, first="Anne", last="Martin"):
        household.persons.append(
            HouseholdPerson(first_name=first, last_name=last, birth_date=birth_date)
        )

    def unit(self, created, *, private_owner=None, commune=None):
        unit = Unit(
            commune=commune or self.commune,
            address="12 rue des Canaris",
            typology=Typology.T2,
            surface=Decimal("40"),
            rent=Decimal("420"),
            social_landlord=None if private_owner else self.social,
            private_owner=private_owner,
            created=at(created),
            notes=FREE_TEXT,
        )
        db.session.add(unit)
        return unit

    def measure(
        self,
        household,
        programme,
        start,
        *,
        status=MeasureStatus.ACTIVE,
        validated=None,
        end=None,
        end_reason=None,
        unit=None,
        org=None,
        **kw,
    ):
        candidacy = Candidacy(
            household=household,
            programme=programme,
            organisation=org or self.world.ccas,
            siao=self.world.siao,
            status=CandidacyStatus.HOUSED,
            requested_typology=Typology.T2,
            siao_number=SIAO_NUMBER,
            readiness_notes=FREE_TEXT,
            validated_at=datetime.combine(validated, datetime.min.time(), UTC)
            if validated
            else None,
        )
        measure = Measure(
            candidacy=candidacy,
            programme=programme,
            unit=unit or self.unit(date(2023, 1, 1)),
            household=household,
            organisation=org or self.world.ccas,
            start_date=start,
            rent=Decimal("420"),
            household_share=Decimal("150"),
            status=status,
            end_date=end,
            end_reason=end_reason,
            **kw,
        )
        db.session.add(measure)
        return measure

    def bilan(self, measure, kind, due, held=None, outcome=None, **kw):
        measure.bilans.append(
            Bilan(kind=kind, due_date=due, held_on=held, outcome=outcome, summary=FREE_TEXT, **kw)
        )

    def offer(self, owner, steps, *, status, reason=None, submitted=None, signed=None):
        """``steps``: (status, day, reason) in order."""
        offer = OwnerOffer(
            owner=owner,
            status=status,
            reason=reason,
            reason_comment=FREE_TEXT,
            address="3 impasse des Canaris",
            commune=self.commune,
            typology=Typology.T2,
            surface=Decimal("38.5"),
            rent=Decimal("480"),
            submitted_at=at(submitted) if submitted else None,
            agreement_signed_at=at(signed) if signed else None,
        )
        previous = None
        for to_status, day, why in steps:
            offer.status_changes.append(
                OfferStatusChange(
                    from_status=previous,
                    to_status=to_status,
                    reason=why,
                    created=at(day),
                    comment=FREE_TEXT,
                )
            )
            previous = to_status
        db.session.add(offer)
        return offer


def build_2025(world, territory, make_org, make_user) -> Territory2025:
    b = Builder(world, territory)
    b.social = make_org(OrganisationKind.BAILLEUR_SOCIAL, "Finistère Habitat")
    etat = make_org(OrganisationKind.ETAT, "DDETS du Finistère")
    association = make_org(OrganisationKind.ASSOCIATION, "Abricôtier")
    db.session.add(
        Committee(
            name="Comité de pilotage",
            kind=CommitteeKind.COMITE_PILOTAGE,
            territory=territory,
            organisations=[world.ccas, etat, association],
        )
    )
    programme = Programme(territory=territory, name="IML sortie de structures", capacity=10)
    dalo = Programme(territory=territory, name="IML DALO", capacity=5)
    db.session.add_all([programme, dalo])

    # Households followed in 2025 ------------------------------------------------------------
    h1 = b.household(
        HouseholdPublic.FEMME_SEULE,
        Accommodation.CHRS_URGENCE,
        date(2024, 7, 1),
        resource_type=ResourceType.RSA,
        resource_bracket=ResourceBracket.LT_500,
    )
    first, last = CANARY_NAME.split()
    b.person(h1, date(1990, 5, 4), first, last)
    h2 = b.household(
        HouseholdPublic.FAMILLE_MONOPARENTALE,
        Accommodation.ALT,
        date(2024, 1, 1),
        children=2,
        resource_type=ResourceType.SALAIRE,
        resource_bracket=ResourceBracket.FROM_800,
    )
    b.person(h2, date(1985, 1, 1))
    b.person(h2, date(2015, 6, 1))
    b.person(h2, date(2008, 3, 1))
    h3 = b.household(
        HouseholdPublic.COUPLE,
        Accommodation.HOTEL,
        date(2025, 1, 1),
        adults=2,
        resource_type=ResourceType.AAH,
        resource_bracket=ResourceBracket.FROM_500,
    )
    b.person(h3, date(2000, 2, 1))
    b.person(h3, date(1960, 1, 1))
    h4 = b.household(HouseholdPublic.HOMME_SEUL, Accommodation.CHRS_URGENCE, date(2023, 1, 1))
    b.person(h4, None)
    h1.obstacles = [
        HouseholdObstacle(obstacle=Obstacle.DETTES),
        HouseholdObstacle(obstacle=Obstacle.BUDGET),
    ]
    h2.obstacles = [HouseholdObstacle(obstacle=Obstacle.DETTES)]
    h3.obstacles = [HouseholdObstacle(obstacle=Obstacle.SANTE)]

    # Households without IML ------------------------------------------------------------------
    h5 = b.household(HouseholdPublic.FEMME_SEULE, Accommodation.CHRS_URGENCE, date(2024, 1, 1))
    h6 = b.household(HouseholdPublic.HOMME_SEUL, Accommodation.HOTEL, date(2025, 10, 1))
    h7 = b.household(HouseholdPublic.JEUNE_18_25, Accommodation.SANS_SOLUTION, date(2025, 1, 1))
    # Outside the year, and outside the territory.
    h8 = b.household(HouseholdPublic.FEMME_SEULE, Accommodation.ALT, date(2021, 1, 1))
    h9 = b.household(HouseholdPublic.COUPLE, Accommodation.ALT, date(2025, 1, 1), adults=2)
    elsewhere = Territory(name="Pays de Quimperlé")
    ccas_elsewhere = make_org(OrganisationKind.CCAS, "CCAS de Quimperlé", place=elsewhere)
    h10 = b.household(
        HouseholdPublic.FEMME_SEULE, Accommodation.ALT, date(2024, 1, 1), org=ccas_elsewhere
    )

    # Measures ----------------------------------------------------------------------------------
    m1 = b.measure(
        h1,
        programme,
        date(2024, 9, 1),
        status=MeasureStatus.SLID,
        end=date(2025, 3, 10),
        validated=date(2024, 8, 1),
    )
    b.bilan(m1, BilanKind.SIX_MONTHS, date(2025, 3, 1), date(2025, 3, 1), BilanOutcome.GLISSEMENT)
    m2 = b.measure(h2, programme, date(2025, 3, 1), validated=date(2025, 2, 1))
    b.bilan(m2, BilanKind.SIX_MONTHS, date(2025, 9, 1), date(2025, 9, 5), BilanOutcome.POURSUITE)
    b.bilan(m2, BilanKind.TEN_MONTHS, date(2026, 1, 1))
    m3 = b.measure(
        h3,
        dalo,
        date(2025, 1, 15),
        status=MeasureStatus.ENDED,
        end=date(2025, 11, 15),
        end_reason=MeasureEndReason.BACK_TO_SHELTER,
        validated=date(2025, 1, 5),
    )
    b.bilan(m3, BilanKind.SIX_MONTHS, date(2025, 7, 15), date(2025, 7, 15), BilanOutcome.POURSUITE)
    b.bilan(
        m3,
        BilanKind.TEN_MONTHS,
        date(2025, 11, 15),
        date(2025, 11, 15),
        BilanOutcome.FIN_DE_MESURE,
        end_reason=MeasureEndReason.BACK_TO_SHELTER,
    )
    m4 = b.measure(
        h4,
        programme,
        date(2023, 6, 1),
        status=MeasureStatus.EXTENDED,
        extended_until=date(2026, 6, 1),
    )
    b.bilan(
        m4, BilanKind.TWELVE_MONTHS, date(2024, 6, 1), date(2024, 6, 1), BilanOutcome.PROLONGATION
    )
    b.bilan(m4, BilanKind.EXTENSION, date(2025, 6, 1), date(2025, 6, 1), BilanOutcome.PROLONGATION)
    b.bilan(m4, BilanKind.EXTENSION, date(2025, 12, 1))  # overdue on 31 December
    b.measure(h8, programme, date(2022, 1, 1), status=MeasureStatus.SLID, end=date(2022, 12, 31))
    b.measure(h9, dalo, date(2026, 2, 1))
    commune_elsewhere = Commune(territory=elsewhere, name="Quimperlé")
    db.session.add(commune_elsewhere)
    b.measure(
        h10,
        Programme(territory=elsewhere, name="IML Quimperlé", capacity=3),
        date(2025, 5, 1),
        org=ccas_elsewhere,
        unit=b.unit(date(2023, 1, 1), commune=commune_elsewhere),
    )
    # A validated candidacy still waiting for a unit on 31 December.
    db.session.add(
        Candidacy(
            household=h7,
            programme=programme,
            organisation=world.ccas,
            siao=world.siao,
            status=CandidacyStatus.VALIDATED,
            requested_typology=Typology.T1,
            validated_at=datetime(2025, 12, 1, tzinfo=UTC),
        )
    )

    # Cases, meetings, decisions, actions --------------------------------------------------
    def case(household, status=CaseStatus.DECIDED, closed=None):
        made = Case(
            household=household,
            organisation=world.ccas,
            committee=world.committee,
            title=FREE_TEXT,
            question=FREE_TEXT,
            status=status,
            closed_at=closed,
        )
        db.session.add(made)
        return made

    c5 = case(h5, CaseStatus.CLOSED, datetime(2025, 7, 1, tzinfo=UTC))
    c1 = case(h1)
    c2 = case(h2)

    def meeting(day, items, status=MeetingStatus.PLANNED):
        made = Meeting(
            committee=world.committee,
            kind=MeetingKind.COMITE_TECHNIQUE,
            title="Comité",
            starts_at=at(day, 9),
            status=status,
            organiser=world.coordinator,
            invitees=[MeetingInvitee(user=etat_user, organisation=etat)],
            agenda_items=[
                AgendaItem(position=i, title=FREE_TEXT, case=c) for i, c in enumerate(items)
            ],
        )
        db.session.add(made)
        return made

    etat_user = make_user(etat, full_name="Agent DDETS")
    copil_user = make_user(association, full_name="Membre copil")
    march = meeting(date(2025, 3, 10), [c5, None])
    june = meeting(date(2025, 6, 10), [c5, c1])
    cancelled = meeting(date(2025, 9, 1), [c2], MeetingStatus.CANCELLED)

    def decision(held, kind, on_case=None):
        made = Decision(meeting=held, kind=kind, text=FREE_TEXT, case=on_case)
        db.session.add(made)
        return made

    orientation = decision(march, DecisionKind.ORIENTATION_IML, c5)
    decision(june, DecisionKind.CLOSURE, c5)
    decision(june, DecisionKind.ADJOURNED)
    decision(cancelled, DecisionKind.LEASE_SLIDE)

    def action(due, status=ActionStatus.OPEN, closed=None):
        db.session.add(
            FollowUpAction(
                meeting=march,
                committee_id=world.committee.id,
                decision=orientation,
                description=FREE_TEXT,
                organisation=world.ccas,
                due_on=due,
                status=status,
                closed_at=closed,
                closing_note=FREE_TEXT,
            )
        )

    action(date(2025, 4, 1), ActionStatus.DONE, at(date(2025, 3, 30)))
    action(date(2025, 4, 1), ActionStatus.DONE, at(date(2025, 4, 1), 15))
    action(date(2025, 5, 1), ActionStatus.DONE, at(date(2025, 5, 3)))
    action(date(2025, 6, 1), ActionStatus.CANCELLED, at(date(2025, 5, 20)))
    action(date(2025, 7, 1))
    action(date(2026, 1, 15))

    # Units and offers -------------------------------------------------------------------------
    owner = make_user(landlord=True, full_name="Propriétaire Privé")
    b.unit(date(2025, 2, 1))
    b.unit(date(2024, 12, 1))
    b.unit(date(2025, 5, 1), private_owner=owner)
    b.unit(date(2025, 8, 1), private_owner=owner)
    S = OfferStatus
    b.offer(
        owner,
        [
            (S.NEW, date(2025, 1, 10), None),
            (S.FIRST_CONTACT, date(2025, 1, 20), None),
            (S.VISIT_PLANNED, date(2025, 2, 1), None),
            (S.VISITED, date(2025, 2, 10), None),
            (S.FINANCIAL_PROPOSAL, date(2025, 2, 20), None),
            (S.AGREEMENT_SIGNED, date(2025, 3, 1), None),
            (S.AVAILABLE, date(2025, 3, 15), None),
        ],
        status=S.AVAILABLE,
        submitted=date(2025, 1, 10),
        signed=date(2025, 3, 1),
    )
    b.offer(
        owner,
        [
            (S.NEW, date(2025, 4, 1), None),
            (S.FIRST_CONTACT, date(2025, 4, 11), None),
            (S.BLOCKED, date(2025, 5, 1), OfferReason.RENT_ABOVE_CEILING),
        ],
        status=S.BLOCKED,
        reason=OfferReason.RENT_ABOVE_CEILING,
        submitted=date(2025, 4, 1),
    )
    b.offer(
        owner,
        [(S.NEW, date(2025, 6, 1), None), (S.REFUSED, date(2025, 6, 5), OfferReason.OWNER_REFUSED)],
        status=S.REFUSED,
        reason=OfferReason.OWNER_REFUSED,
        submitted=date(2025, 6, 1),
    )
    b.offer(
        owner,
        [
            (S.NEW, date(2024, 11, 1), None),
            (S.FIRST_CONTACT, date(2024, 12, 1), None),
            (S.VISIT_PLANNED, date(2025, 1, 5), None),
        ],
        status=S.VISIT_PLANNED,
        submitted=date(2024, 11, 1),
    )
    b.offer(owner, [], status=S.DRAFT)
    db.session.commit()
    return Territory2025(
        programme,
        dalo,
        {1: h1, 2: h2, 3: h3, 4: h4, 5: h5, 6: h6},
        {1: m1, 2: m2, 3: m3, 4: m4},
        etat_user,
        copil_user,
    )


@pytest.fixture
def data(world, territory, make_org, make_user):
    return build_2025(world, territory, make_org, make_user)


def report_for(data, territory, programme=None):
    programmes = [data.programme, data.dalo]
    return build_activity_report(
        make_scope(YEAR, programmes, {territory.id}, programme), today=date(2026, 6, 1)
    )


def counts(breakdown) -> dict:
    return {row.key: row.count for row in breakdown.rows if row.count}


# Every figure, by hand -----------------------------------------------------------------------


def test_households_profiles_and_resources(data, territory):
    report = report_for(data, territory)
    assert report.reference_day == END
    h = report.households
    assert (h.followed, h.entered, h.left) == (4, 2, 2)
    assert counts(report.publics) == {
        "femme_seule": 1,
        "famille_monoparentale": 1,
        "couple": 1,
        "homme_seul": 1,
    }
    assert report.publics.base == 4
    assert counts(report.composition) == {"single": 2, "single_parent": 1, "couple": 1}
    # Ages on 31 December 2025: 35; 40, 10, 17; 25, 65; unknown.
    assert counts(report.age_bands) == {
        "lt_18": 2,
        "18_25": 1,
        "26_39": 1,
        "40_59": 1,
        "gte_60": 1,
        "unknown": 1,
    }
    assert counts(report.resource_types) == {"rsa": 1, "salaire": 1, "aah": 1, "": 1}
    assert counts(report.resource_brackets) == {"lt_500": 1, "500_800": 1, "800_1100": 1, "": 1}


def test_follow_up_outcomes_and_obstacles(data, territory):
    report = report_for(data, territory)
    # 1 Sep 2024 → 10 Mar 2025: 190 days; 1 Mar → 31 Dec 2025: 305; 15 Jan → 15 Nov 2025:
    # 304; 1 Jun 2023 → 31 Dec 2025: 944.
    follow_up = report.follow_up
    assert follow_up.count == 4
    assert follow_up.average == pytest.approx((190 + 305 + 304 + 944) / 4, abs=0.1)
    assert (follow_up.minimum, follow_up.maximum) == (190, 944)
    assert counts(Breakdown_of(follow_up.buckets)) == {"6_12": 3, "gte_18": 1}
    o = report.outcomes
    assert (o.slid_at_6, o.slid_at_12, o.slid_after_extension) == (1, 0, 0)
    assert (o.continued_at_6, o.extended, o.ended) == (2, 1, 1)
    assert counts(o.end_reasons) == {"back_to_shelter": 1}
    assert counts(report.obstacles) == {"dettes": 2, "budget": 1, "sante": 1}
    assert report.obstacles.base == 4


def Breakdown_of(rows):
    from portal.reports.aggregates import Breakdown

    return Breakdown(rows, 0)


def test_shelter_stays_with_and_without_iml(data, territory):
    shelter = report_for(data, territory).shelter
    # ALT 1 Jan 2024 → measure 1 Mar 2025: 425 days; hotel 1 Jan → 15 Jan 2025: 14 days.
    assert (shelter.iml.count, shelter.iml.average) == (2, 219.5)
    # CHRS 1 Jan 2024 → case closed on 1 Jul 2025 (02:00 in Paris): 547 days.
    assert (shelter.closed_without_iml.count, shelter.closed_without_iml.average) == (1, 547)
    # Hotel since 1 Oct 2025, still there on 31 December: 91 days (not « sans solution »).
    assert (shelter.staying_without_iml.count, shelter.staying_without_iml.average) == (1, 91)


def test_committee_decisions_and_actions(data, territory):
    c = report_for(data, territory).committee
    assert (c.meetings, c.cases_discussed) == (2, 2)  # the cancelled meeting does not count
    assert counts(c.decisions) == {"orientation_iml": 1, "closure": 1, "adjourned": 1}
    assert (c.actions_due, c.actions_done, c.actions_done_on_time) == (5, 3, 2)
    assert (c.actions_cancelled, c.actions_overdue, c.actions_open) == (1, 1, 1)


def test_landlord_partnership(data, territory):
    landlords = report_for(data, territory).landlords
    assert (landlords.social_units, landlords.private_units) == (1, 2)
    assert landlords.offers_received == 3
    assert counts(landlords.reached) == {
        "new": 3,
        "first_contact": 2,
        "visit_planned": 2,
        "visited": 1,
        "financial_proposal": 1,
        "agreement_signed": 1,
        "available": 1,
        "blocked": 1,
        "refused": 1,
    }
    assert counts(landlords.current) == {
        "visit_planned": 1,
        "available": 1,
        "blocked": 1,
        "refused": 1,
    }
    assert counts(landlords.stop_reasons) == {"rent_above_ceiling": 1, "owner_refused": 1}
    stages = {s.key: (s.count, s.average_days) for s in landlords.stage_durations}
    assert stages["new"] == (3, pytest.approx((10 + 10 + 4) / 3, abs=0.1))
    assert stages["first_contact"] == (3, pytest.approx((12 + 20 + 35) / 3, abs=0.1))
    assert stages["visit_planned"] == (1, 9)
    assert stages["financial_proposal"] == (1, 9)
    assert stages["agreement_signed"] == (1, 14)
    assert stages["available"] == (0, None)
    assert (landlords.offer_to_agreement.count, landlords.offer_to_agreement.average) == (1, 50)


def test_fiches_of_the_year_and_programme_filter(data, territory):
    report = report_for(data, territory)
    assert [(f.measure_id, f.held_on) for f in report.fiches] == [
        (data.measures[1].id, date(2025, 3, 1)),
        (data.measures[4].id, date(2025, 6, 1)),
        (data.measures[3].id, date(2025, 7, 15)),
        (data.measures[2].id, date(2025, 9, 5)),
        (data.measures[3].id, date(2025, 11, 15)),
    ]
    dalo = report_for(data, territory, data.dalo)
    assert (dalo.households.followed, dalo.households.entered, dalo.households.left) == (1, 1, 1)
    assert counts(dalo.publics) == {"couple": 1}
    assert len(dalo.fiches) == 2


def test_indicators(data, territory):
    scope = make_scope(YEAR, [data.programme, data.dalo], {territory.id})
    i = build_indicators(scope, today=END)
    assert [(p.name, p.capacity, p.in_use) for p in i.programmes] == [
        ("IML DALO", 5, 1),
        ("IML sortie de structures", 10, 2),
    ]
    # Validated 1 Feb → in on 1 Mar 2025: 28 days; 5 Jan → 15 Jan: 10 days.
    assert (i.validation_to_move_in.count, i.validation_to_move_in.average) == (2, 19)
    assert (i.waiting, i.waiting_days) == (1, 30)
    assert (i.bilans_due_soon, i.bilans_overdue, i.actions_overdue) == (1, 1, 1)
    assert counts(i.pipeline) == {"visit_planned": 1, "available": 1}
    assert i.blocked == 1
    assert [p.month for p in i.trend] == [f"2025-{m:02d}" for m in range(1, 13)]
    assert [p.open_measures for p in i.trend] == [3] * 10 + [2, 2]
    assert [p.entries for p in i.trend] == [1, 0, 1] + [0] * 9
    assert [p.exits for p in i.trend] == [0, 0, 1] + [0] * 7 + [1, 0]
    assert [p.offers for p in i.trend] == [1, 0, 0, 1, 0, 1] + [0] * 6


# Pages, masking, PDF ------------------------------------------------------------------------


WITHHELD = '<td class="num">s</td>'


def test_ccas_staff_read_exact_figures_and_the_reading_is_audited(client, world, data):
    sign_in(client, world.ccas_worker)
    page = client.get(f"/reports/activity?year={YEAR}").get_data(as_text=True)
    assert "Rapport d'activité 2025" in page
    assert WITHHELD not in page and "&lt; 5" not in page
    assert 'role="img"' in page and "<title id=" in page and "<desc id=" in page
    assert data.households[1].reference in page  # the CCAS sees the fiches' references
    assert CANARY_NAME not in page and FREE_TEXT not in page
    events = audit_events(AuditAction.VIEW, "activity_report")
    assert [e.user_id for e in events] == [world.ccas_worker.id]
    assert "version exacte" in events[0].summary


def test_the_state_reads_exact_counts_without_references(client, world, data):
    sign_in(client, data.etat_user)
    page = client.get(f"/reports/activity?year={YEAR}").get_data(as_text=True)
    assert WITHHELD not in page
    assert "La plus courte" in page  # exact: the shortest and longest durations too
    for household in data.households.values():
        assert household.reference not in page
    assert CANARY_NAME not in page and FREE_TEXT not in page and SIAO_NUMBER not in page


def test_partners_read_protected_figures_without_references(client, world, data):
    sign_in(client, data.copil_user)
    # Asking for the exact version changes nothing: nobody gets more than their audience.
    page = client.get(f"/reports/activity?year={YEAR}&audience=exact").get_data(as_text=True)
    assert page.count(WITHHELD) > 10
    for household in data.households.values():
        assert household.reference not in page
    assert CANARY_NAME not in page and FREE_TEXT not in page and SIAO_NUMBER not in page
    # Bars of withheld counts are not drawn; the shortest durations are not given; the list
    # of fiche-bilans is the State's.
    assert "La plus courte" not in page
    assert "/fiche" not in page and "Mesure n°" not in page


def test_fiche_links_go_to_the_ccas_and_the_state_service_only(client, world, data, territory):
    fiches = report_for(data, territory).fiches
    links = [f"/measures/{f.measure_id}/bilans/{f.bilan_id}/fiche" for f in fiches]
    assert links
    for reader, sees_links in [
        (world.ccas_worker, True),
        (data.etat_user, True),
        (data.copil_user, False),
    ]:
        sign_in(client, reader)
        page = client.get(f"/reports/activity?year={YEAR}").get_data(as_text=True)
        assert "Fiches-bilans de l'année" in page
        assert [link in page for link in links] == [sees_links] * len(links), reader.email


def test_pdf_follows_the_audience_and_the_coordinator_exports_the_protected_version(
    client, world, data
):
    sign_in(client, world.coordinator)
    response = client.get(f"/reports/activity.pdf?year={YEAR}")
    assert response.status_code == 200
    assert response.mimetype == "application/pdf"
    exact = tagged_pdf_text(response.data, "Rapport d'activité 2025")
    assert "Version exacte" in exact and "Version protégée" not in exact
    response = client.get(f"/reports/activity.pdf?year={YEAR}&audience=protected")
    assert "diffusion" in response.headers["Content-Disposition"]
    text = tagged_pdf_text(response.data, "Rapport d'activité 2025")
    assert "Version protégée" in text
    assert text.count("\ns\n") + text.count(" s ") > 5
    for document in (exact, text):
        assert CANARY_NAME not in document and FREE_TEXT not in document
    for household in data.households.values():
        assert household.reference not in text
    summaries = [e.summary for e in audit_events(AuditAction.EXPORT, "activity_report")]
    assert ["exacte" in s for s in summaries] == [True, False]
    # A partner's PDF is protected whatever it asks.
    sign_in(client, data.copil_user)
    response = client.get(f"/reports/activity.pdf?year={YEAR}&audience=exact")
    assert "Version protégée" in tagged_pdf_text(response.data, "Rapport d'activité 2025")


def test_the_comite_de_pilotage_reads_the_indicators_masked(client, data):
    sign_in(client, data.copil_user)
    response = client.get("/reports/indicators")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "&lt; 5" in page and "IML DALO" in page
    # Month by month, a small count would follow from one month to the next: totals only.
    assert "Mesures en cours en fin de mois" not in page and "chart-trend" not in page
    sign_in(client, data.etat_user)
    page = client.get("/reports/indicators").get_data(as_text=True)
    assert "Mesures en cours en fin de mois" in page and "&lt; 5" not in page


def test_a_bad_year_or_programme_is_refused_in_french(client, world, data):
    sign_in(client, world.ccas_worker)
    response = client.get("/reports/activity?year=1999")
    assert response.status_code == 400
    assert "Choisissez une année" in response.get_data(as_text=True)
    response = client.get("/reports/activity?year=abc&programme=999999")
    assert response.status_code == 400
    assert "Choisissez un programme" in response.get_data(as_text=True)


def test_programmes_of_another_territory_are_not_offered(client, world, data):
    other = db.session.scalar(sa.select(Programme).where(Programme.name == "IML Quimperlé"))
    sign_in(client, world.ccas_worker)
    assert client.get(f"/reports/activity?year={YEAR}&programme={other.id}").status_code == 400
    sign_in(client, world.coordinator)
    assert client.get(f"/reports/activity?year={YEAR}&programme={other.id}").status_code == 200


# Exports --------------------------------------------------------------------------------------


def read_csv(response) -> list[list[str]]:
    raw = response.data
    assert raw.startswith("\ufeff".encode())
    return list(csv.reader(io.StringIO(raw.decode("utf-8-sig")), delimiter=";"))


EXPORTS = ("measures", "candidacies", "decisions", "offers")


def test_ccas_exports_hold_what_the_ccas_sees(client, world, data):
    sign_in(client, world.coordinator)
    measures = read_csv(client.get("/reports/exports/measures.csv"))
    assert measures[0][:3] == ["N° de mesure", "Programme", "Référence du ménage"]
    references = {row[2] for row in measures[1:]}
    assert data.households[1].reference in references
    assert len(measures) == 1 + 6  # the CCAS's measures, not Quimperlé's
    candidacies = read_csv(client.get("/reports/exports/candidacies.csv"))
    assert len(candidacies) == 1 + 7
    decisions = read_csv(client.get("/reports/exports/decisions.csv"))
    # Six actions of the March decision, and the three decisions without action.
    assert len(decisions) == 1 + 6 + 3
    on_time = [row[-1] for row in decisions[1:] if row[9] == "Faite"]
    assert sorted(on_time) == ["non", "oui", "oui"]
    offers = read_csv(client.get("/reports/exports/offers.csv"))
    assert len(offers) == 1 + 4  # the draft was never sent
    assert len(audit_events(AuditAction.EXPORT)) == 4
    for name in EXPORTS:
        text = client.get(f"/reports/exports/{name}.csv").data.decode()
        assert CANARY_NAME not in text and "Canaris" not in text


def test_exports_for_the_state_hold_no_reference_nor_free_text(client, data):
    sign_in(client, data.etat_user)
    for name in EXPORTS:
        response = client.get(f"/reports/exports/{name}.csv")
        assert response.status_code == 200
        text = response.data.decode("utf-8-sig")
        assert CANARY_NAME not in text and FREE_TEXT not in text and SIAO_NUMBER not in text
        for household in data.households.values():
            assert household.reference not in text
    decisions = read_csv(client.get("/reports/exports/decisions.csv"))
    assert "Décision" not in decisions[0] and len(decisions) > 1  # invited to the meetings


# Scale: the number of queries does not grow with the data ---------------------------------


def grow(world, territory, programme, size: int) -> None:
    """``size`` more households, each with a measure, a bilan, an offer and an action."""
    commune = db.session.scalar(sa.select(Commune).where(Commune.territory_id == territory.id))
    social = db.session.scalar(
        sa.select(Unit.social_landlord_id).where(Unit.social_landlord_id.isnot(None)).limit(1)
    )
    owner = db.session.scalar(sa.select(OwnerOffer.owner_id).limit(1))
    meeting = db.session.scalar(sa.select(Meeting).limit(1))
    start = db.session.scalar(sa.select(sa.func.count(Household.id)))
    for n in range(start, start + size):
        household = Household(
            reference=f"GROW-{n:05d}",
            organisation=world.ccas,
            public=HouseholdPublic.COUPLE,
            accommodation=Accommodation.ALT,
            accommodation_since=date(2024, 1, 1),
            adults=2,
            persons=[HouseholdPerson(first_name="A", last_name="B", birth_date=date(1980, 1, 1))],
            obstacles=[HouseholdObstacle(obstacle=Obstacle.EMPLOI)],
        )
        unit = Unit(
            commune=commune,
            address="x",
            typology=Typology.T3,
            surface=Decimal(50),
            rent=Decimal(500),
            social_landlord_id=social,
            created=at(date(2025, 3, 1)),
        )
        measure = Measure(
            candidacy=Candidacy(
                household=household,
                programme=programme,
                organisation=world.ccas,
                siao=world.siao,
                requested_typology=Typology.T3,
                validated_at=at(date(2025, 1, 1)),
            ),
            programme=programme,
            unit=unit,
            household=household,
            organisation=world.ccas,
            start_date=date(2025, 2, 1),
            rent=Decimal(500),
            household_share=Decimal(100),
            bilans=[
                Bilan(
                    kind=BilanKind.SIX_MONTHS,
                    due_date=date(2025, 8, 1),
                    held_on=date(2025, 8, 1),
                    outcome=BilanOutcome.GLISSEMENT,
                )
            ],
        )
        offer = OwnerOffer(
            owner_id=owner,
            status=OfferStatus.FIRST_CONTACT,
            commune=commune,
            submitted_at=at(date(2025, 2, 1)),
            status_changes=[
                OfferStatusChange(to_status=OfferStatus.NEW, created=at(date(2025, 2, 1))),
                OfferStatusChange(
                    to_status=OfferStatus.FIRST_CONTACT, created=at(date(2025, 2, 5))
                ),
            ],
        )
        action = FollowUpAction(
            meeting=meeting,
            committee_id=meeting.committee_id,
            description="x",
            organisation=world.ccas,
            due_on=date(2025, 9, 1),
        )
        db.session.add_all([measure, offer, action])
    db.session.commit()


def count_queries(callable_) -> int:
    executed = []

    def listener(conn, cursor, statement, *args):
        executed.append(statement)

    sa.event.listen(db.engine, "before_cursor_execute", listener)
    try:
        callable_()
    finally:
        sa.event.remove(db.engine, "before_cursor_execute", listener)
    return len(executed)


def test_query_count_does_not_grow_with_the_data(client, world, territory, data):
    scope = make_scope(YEAR, [data.programme, data.dalo], {territory.id})
    sign_in(client, world.ccas_worker)

    def measure_all():
        return (
            count_queries(lambda: build_activity_report(scope)),
            count_queries(lambda: build_indicators(scope)),
            count_queries(lambda: client.get(f"/reports/activity?year={YEAR}")),
            count_queries(lambda: client.get("/reports/indicators")),
        )

    grow(world, territory, data.programme, 3)
    measure_all()  # warm-up: caches filled on a first request do not count
    small = measure_all()
    grow(world, territory, data.programme, 30)
    measure_all()  # the closed year's stored report is computed again once (data changed)
    large = measure_all()
    assert small == large
    assert report_for(data, territory).households.followed == 4 + 33
