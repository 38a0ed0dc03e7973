"""Demo data of the IML measures, loaded by `flask demo load` after the candidacies.

Seven measures in progress out of the ten of « IML sortie de structures », one at each
stage (just started, 6-month bilan due within two weeks, one overdue, continued after 6
months, waiting for the 12-month decision, extended), plus a lease that slid and a measure
that ended. Each has its own household, SIAO candidacy (validated, then housed) and unit.
"""

from datetime import date, timedelta
from decimal import Decimal

import sqlalchemy as sa
from dateutil.relativedelta import relativedelta

from portal.cases.services import create_household, record_information
from portal.extensions import db
from portal.measures.services import open_measure, record_bilan, record_rent
from portal.measures.timeline import add_months, first_of_month
from portal.models import (
    Accommodation,
    BilanKind,
    BilanOutcome,
    Candidacy,
    CandidacyEvent,
    CandidacyStatus,
    Commune,
    HouseholdPublic,
    MeasureEndReason,
    Organisation,
    PersonRole,
    Programme,
    RentStatus,
    Typology,
    Unit,
    now_utc,
)
from portal.models.housing import BudgetAssessment, HouseholdWish, SupportAssessment

CCAS = "CCAS de Concarneau"
SIAO = "SIAO du Finistère"
SOCIAL_WORKER = "social@ccas-concarneau.demo"
SIAO_OFFICER = "siao@siao29.demo"
PROGRAMME = "IML sortie de structures"

# Stage → (first name, last name, public, adults, children, accommodation, landlord, address,
# commune, typology, rent, charges, household share, start of the sublease, bilans held
# [(kind, outcome, extra)], months paid late, months unpaid).
# Dates are relative to today so that the alerts always have something to say.


def stages(today: date) -> list[dict]:
    return [
        dict(
            person=("Mathis", "Le Corre", 2003),
            public=HouseholdPublic.JEUNE_18_25,
            accommodation=Accommodation.CHRS_URGENCE,
            landlord="Finistère Habitat",
            address="5 rue Vauban",
            commune="Concarneau",
            typology=Typology.T1,
            rent="285",
            charges="38",
            share="95",
            start=today - timedelta(days=12),
        ),
        dict(
            person=("Gwenaëlle", "Riou", 1988),
            public=HouseholdPublic.FAMILLE_MONOPARENTALE,
            children=2,
            accommodation=Accommodation.ALT,
            landlord="OPAC Quimper Cornouaille",
            address="14 résidence des Glénan",
            commune="Concarneau",
            typology=Typology.T3,
            rent="410",
            charges="62",
            share="140",
            start=add_months(today + timedelta(days=9), -6),  # 6-month bilan within 14 days
            late=[2],
        ),
        dict(
            person=("Thierry", "Moal", 1975),
            public=HouseholdPublic.HOMME_SEUL,
            accommodation=Accommodation.PENSION_DE_FAMILLE,
            landlord="Finistère Habitat",
            address="3 impasse des Courlis",
            commune="Trégunc",
            typology=Typology.T1,
            rent="270",
            charges="35",
            share="80",
            start=add_months(today - timedelta(days=5), -6),  # 6-month bilan overdue
            late=[1, 4],
            unpaid=[5],
        ),
        dict(
            person=("Anaïs", "Guéguen", 1996),
            public=HouseholdPublic.FEMME_SEULE,
            violence=True,
            accommodation=Accommodation.URGENCE_FEMMES,
            landlord="Finistère Habitat",
            address="9 rue de Kerauret",
            commune="Rosporden",
            typology=Typology.T2,
            rent="330",
            charges="45",
            share="110",
            start=add_months(today, -8),
            held=[(BilanKind.SIX_MONTHS, BilanOutcome.POURSUITE, {})],
            late=[3],
        ),
        dict(
            person=("Karim", "Benali", 1984),
            second=("Soizic", "Benali", 1987),
            public=HouseholdPublic.COUPLE,
            accommodation=Accommodation.HOTEL,
            landlord="Aiguillon",
            address="21 avenue de la Gare",
            commune="Concarneau",
            typology=Typology.T2,
            rent="355",
            charges="50",
            share="160",
            start=add_months(today, -11) + timedelta(days=10),
            hotel=True,
            justification="Couple sorti du CHRS urgence faute de place, à l'hôtel par le 115 "
            "depuis ; budget travaillé avec le CCAS pendant son séjour au CHRS.",
            held=[
                (BilanKind.SIX_MONTHS, BilanOutcome.POURSUITE, {}),
                (BilanKind.TEN_MONTHS, None, {}),
            ],
        ),
        dict(
            person=("Ronan", "Cadiou", 1999),
            public=HouseholdPublic.JEUNE_18_25,
            accommodation=Accommodation.ALT,
            landlord="Espacil",
            address="2 rue du Moros",
            commune="Concarneau",
            typology=Typology.T1,
            rent="290",
            charges="40",
            share="90",
            start=add_months(today, -14),
            held=[
                (BilanKind.SIX_MONTHS, BilanOutcome.POURSUITE, {}),
                (BilanKind.TEN_MONTHS, None, {}),
                (
                    BilanKind.TWELVE_MONTHS,
                    BilanOutcome.PROLONGATION,
                    {
                        "next_date": today + relativedelta(months=3),
                        "support_assessment": SupportAssessment.TO_ORGANISE,
                        "stabilisation_notes": "Relais Mission Locale à organiser avant le "
                        "glissement ; le ménage le souhaite.",
                    },
                ),
            ],
            late=[6, 9, 10],
        ),
        dict(
            person=("Sylvie", "Le Gall", 1969),
            public=HouseholdPublic.FEMME_SEULE,
            accommodation=Accommodation.CHRS_URGENCE,
            landlord="OPAC Quimper Cornouaille",
            address="7 place Saint-Guénolé",
            commune="Concarneau",
            typology=Typology.T2,
            rent="320",
            charges="48",
            share="105",
            start=add_months(today, -3),
        ),
        # Closed: they no longer count against the capacity.
        dict(
            person=("Yannick", "Jaouen", 1980),
            second=("Morgane", "Jaouen", 1983),
            public=HouseholdPublic.FAMILLE,
            children=1,
            accommodation=Accommodation.ALT,
            landlord="Finistère Habitat",
            address="16 rue des Sardiniers",
            commune="Concarneau",
            typology=Typology.T3,
            rent="420",
            charges="65",
            share="175",
            start=add_months(today, -13),
            held=[
                (BilanKind.SIX_MONTHS, BilanOutcome.POURSUITE, {}),
                (BilanKind.TEN_MONTHS, None, {}),
                (BilanKind.TWELVE_MONTHS, BilanOutcome.GLISSEMENT, {}),
            ],
            late=[2],
        ),
        dict(
            person=("Julien", "Hascoët", 1991),
            public=HouseholdPublic.HOMME_SEUL,
            accommodation=Accommodation.SANS_SOLUTION,
            landlord="Aiguillon",
            address="4 chemin de Lanriec",
            commune="Concarneau",
            typology=Typology.T1,
            rent="275",
            charges="36",
            share="85",
            start=add_months(today, -16),
            justification="Sorti de la maison relais sans solution après une rupture "
            "d'hébergement chez un tiers ; accompagné par le CCAS depuis trois ans.",
            held=[
                (BilanKind.SIX_MONTHS, BilanOutcome.POURSUITE, {}),
                (
                    BilanKind.TEN_MONTHS,
                    None,
                    {"rent_paid_regularly": False, "budget_assessment": BudgetAssessment.FRAGILE},
                ),
                (
                    BilanKind.TWELVE_MONTHS,
                    BilanOutcome.PROLONGATION,
                    {
                        "next_date": add_months(today, -2),
                        "rent_paid_regularly": False,
                        "budget_assessment": BudgetAssessment.FRAGILE,
                    },
                ),
                (
                    BilanKind.EXTENSION,
                    BilanOutcome.FIN_DE_MESURE,
                    {
                        "end_reason": MeasureEndReason.BACK_TO_SHELTER,
                        "rent_paid_regularly": False,
                        "budget_assessment": BudgetAssessment.FRAGILE,
                        "household_wish": HouseholdWish.NOT_READY,
                    },
                ),
            ],
            late=[3, 5],
            unpaid=[8, 9, 10, 11],
        ),
    ]


# The situation as the bilans assess it, unless a stage says otherwise.
STABLE = {
    "budget_assessment": BudgetAssessment.MASTERED,
    "support_assessment": SupportAssessment.IN_PLACE,
    "household_wish": HouseholdWish.WANTS_LEASE,
}

SUMMARIES = {
    BilanKind.SIX_MONTHS: "Installation réussie ; loyer résiduel réglé, budget suivi chaque mois.",
    BilanKind.TEN_MONTHS: "Point d'étape : démarches de droit commun engagées, relation au "
    "bailleur sereine.",
    BilanKind.TWELVE_MONTHS: "Décision prise avec le bailleur et le ménage au vu du suivi des "
    "loyers et de l'accompagnement.",
    BilanKind.EXTENSION: "Fin de prolongation : décision partagée avec le bailleur.",
}


def load_demo_measures(data: dict) -> None:
    """Measures at every stage of the timeline, with their bilans and rents (flushes)."""
    users = data["users"]
    organisations = data["organisations"]
    worker, officer = users[SOCIAL_WORKER], users[SIAO_OFFICER]
    ccas, siao = organisations[CCAS], organisations[SIAO]
    territory = data["territory"]
    programme = db.session.scalar(
        sa.select(Programme).where(Programme.territory == territory, Programme.name == PROGRAMME)
    )
    if programme is None:  # the programmes' demo did not run: nothing to hang measures on
        return
    communes = {
        c.name: c
        for c in db.session.scalars(sa.select(Commune).where(Commune.territory == territory))
    }
    today = date.today()
    measures = []
    for spec in stages(today):
        household = demo_household(ccas, worker, spec, today)
        candidacy = housed_candidacy(household, programme, ccas, siao, worker, officer, spec)
        unit = Unit(
            social_landlord=organisations[spec["landlord"]],
            address=spec["address"],
            commune=communes[spec["commune"]],
            typology=spec["typology"],
            surface=Decimal({"T1": "30", "T2": "46", "T3": "64"}[spec["typology"].value]),
            rooms=max(int(spec["typology"].value[1]), 1),
            rent=Decimal(spec["rent"]),
            charges=Decimal(spec["charges"]),
            available_from=spec["start"],
        )
        db.session.add(unit)
        db.session.flush()
        measure = open_measure(
            candidacy,
            unit,
            worker,
            {
                "start_date": spec["start"],
                "rent": unit.rent,
                "charges": unit.charges,
                "household_share": Decimal(spec["share"]),
                "referent": worker,
            },
        )
        demo_rents(measure, worker, spec, today)
        for kind, outcome, extra in spec.get("held", []):
            bilan = next(b for b in measure.bilans if b.kind == kind and not b.is_done)
            record_bilan(
                bilan,
                worker,
                {
                    "held_on": bilan.due_date,
                    "outcome": outcome,
                    "landlord_present": True,
                    "household_present": True,
                    "rent_paid_regularly": extra.get("rent_paid_regularly", True),
                    **{**STABLE, **extra},
                    "summary": SUMMARIES[kind],
                    "next_date": extra.get("next_date"),
                    "end_reason": extra.get("end_reason"),
                },
            )
        measures.append(measure)
    db.session.flush()
    data["measures"] = measures


def demo_household(ccas: Organisation, worker, spec: dict, today: date):
    first, last, year = spec["person"]
    persons = [
        {
            "role": PersonRole.DEMANDEUR,
            "first_name": first,
            "last_name": last,
            "birth_date": date(year, 6, 11),
        }
    ]
    if "second" in spec:
        first2, last2, year2 = spec["second"]
        persons.append(
            {
                "role": PersonRole.CONJOINT,
                "first_name": first2,
                "last_name": last2,
                "birth_date": date(year2, 1, 23),
            }
        )
    household = create_household(
        ccas,
        worker,
        {
            "adults": len(persons),
            "children": spec.get("children", 0),
            "public": spec["public"],
            "victim_of_violence": spec.get("violence", False),
            "accommodation": spec["accommodation"],
            "accommodation_since": spec["start"] - relativedelta(months=9),
            "typology": spec["typology"],
            "situation_notes": "",
            "persons": persons,
            "phone": "06 00 00 00 00",
        },
    )
    record_information(
        household,
        worker,
        {
            "informed_on": spec["start"] - relativedelta(months=2),
            "what_is_shared": "Identité pour le SIAO (candidature IML) ; situation sans "
            "identité pour le bailleur et les services de l'État (fiche-bilan)",
            "shared_with": "SIAO, bailleur du logement, services de l'État (fiche-bilan)",
            "allows_identity": True,
        },
    )
    return household


def housed_candidacy(household, programme, ccas, siao, worker, officer, spec) -> Candidacy:
    """The SIAO validated it some weeks before the sublease began."""
    validated = spec["start"] - timedelta(days=21)
    moment = now_utc().replace(year=validated.year, month=validated.month, day=validated.day)
    candidacy = Candidacy(
        household=household,
        programme=programme,
        organisation_id=ccas.id,
        siao_id=siao.id,
        created_by=worker,
        status=CandidacyStatus.VALIDATED,
        siao_number=f"29-{household.id:05d}",
        requested_typology=spec["typology"],
        situation_justification=spec.get("justification", ""),
        in_hotel=spec.get("hotel", False),
        hotel_since=household.accommodation_since if spec.get("hotel") else None,
        budget_worked=True,
        support_in_place="Accompagnement social global par le CCAS.",
        readiness_notes="Budget travaillé, prêt à sortir vers le logement.",
        submitted_at=moment - timedelta(days=14),
        decided_at=moment,
        validated_at=moment,
        decided_by=officer,
        created=moment - timedelta(days=20),
    )
    candidacy.events = [
        CandidacyEvent(
            from_status=CandidacyStatus.DRAFT,
            to_status=CandidacyStatus.SUBMITTED,
            user=worker,
            organisation_id=ccas.id,
            created=moment - timedelta(days=14),
        ),
        CandidacyEvent(
            from_status=CandidacyStatus.SUBMITTED,
            to_status=CandidacyStatus.VALIDATED,
            user=officer,
            organisation_id=siao.id,
            comment="Validée en commission SIAO.",
            created=moment,
        ),
    ]
    db.session.add(candidacy)
    db.session.flush()
    return candidacy


def demo_rents(measure, worker, spec: dict, today: date) -> None:
    """Every past month of the measure: paid, except the late and unpaid ones."""
    month = first_of_month(measure.start_date)
    last = first_of_month(today) - relativedelta(months=1)
    index = 0
    while month <= last:
        status = RentStatus.PAID
        paid = None
        if index in spec.get("late", []):
            status = RentStatus.LATE
        if index in spec.get("unpaid", []):
            status, paid = RentStatus.UNPAID, Decimal("0")
        record_rent(measure, worker, {"month": month, "status": status, "amount_paid": paid})
        month = add_months(month, 1)
        index += 1
