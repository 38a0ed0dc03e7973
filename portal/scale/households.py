"""Households (identity, people, obstacles, information) and who holds their file."""

from datetime import date, timedelta

from portal.cases.services import REFERENCE_PREFIX
from portal.models import (
    Accommodation,
    AuditAction,
    AuditEvent,
    CaseStatus,
    Household,
    HouseholdIdentity,
    HouseholdObstacle,
    HouseholdPerson,
    HouseholdPublic,
    InformationRecord,
    Obstacle,
    OrganisationKind,
    PersonRole,
    ResourceBracket,
    ResourceType,
    Typology,
    household_commune,
)
from portal.scale.cases import add_case, plan_case
from portal.scale.generator import Org, ScaleGenerator
from portal.scale.vocabulary import FIRST_NAMES, STREETS


def household_owner(gen: ScaleGenerator) -> Org:
    if not gen.owner_weights:
        for org in gen.orgs:
            weight = {
                OrganisationKind.CCAS: 6,
                OrganisationKind.ASSOCIATION: 3,
                OrganisationKind.DEPARTEMENT: 3,
                OrganisationKind.MISSION_LOCALE: 2,
            }.get(org.kind, 0.3)
            if org is gen.main_ccas.get(org.territory):
                weight *= 4  # the territory's main CCAS carries most situations
            gen.owner_weights.append(weight if org.members else 0)
    return gen.rng.choices(gen.orgs, gen.owner_weights)[0]


def build_household(gen: ScaleGenerator) -> None:
    rng = gen.rng
    org = household_owner(gen)
    t = org.territory
    cases = []
    draw = rng.random()
    n_cases = 0 if draw < 0.15 else 1 if draw < 0.9 else 2
    for _ in range(n_cases):
        cases.append(plan_case(gen, org))
    earliest = min([c["created"] for c in cases], default=gen.between(gen.start, gen.now))
    created = max(
        gen.start, earliest - timedelta(days=rng.randint(10, 90), seconds=rng.randint(0, 3600))
    )
    informed = bool(cases and any(c["status"] != CaseStatus.DRAFT for c in cases))
    informed = informed or rng.random() < 0.8
    author = gen.pick_member(org)
    public = rng.choice(list(HouseholdPublic))
    adults = 2 if public in (HouseholdPublic.COUPLE, HouseholdPublic.FAMILLE) else 1
    children = (
        rng.randint(1, 4)
        if public in (HouseholdPublic.FAMILLE, HouseholdPublic.FAMILLE_MONOPARENTALE)
        else 0
    )
    ages = sorted(rng.randint(0, 17) for _ in range(children))
    prefix = f"{REFERENCE_PREFIX[org.kind]}-{created.year}-"
    gen.reference_numbers[prefix] += 1
    typology = [Typology.T1, Typology.T2, Typology.T3, Typology.T4, Typology.T5][
        min(4, adults - 1 + children)
    ]
    household_id = gen.add(
        Household,
        reference=f"{prefix}{gen.reference_numbers[prefix]:03d}",
        organisation_id=org.id,
        created_by_id=author,
        adults=adults,
        children=children,
        children_ages=", ".join(str(a) for a in ages),
        public=public,
        victim_of_violence=public == HouseholdPublic.FEMME_SEULE and rng.random() < 0.3,
        accommodation=rng.choice(list(Accommodation)),
        accommodation_since=(created - timedelta(days=rng.randint(20, 700))).date(),
        resource_type=rng.choice(list(ResourceType)),
        resource_bracket=rng.choice(list(ResourceBracket)),
        typology=typology,
        situation_notes="Suivi régulier, démarches de logement engagées.",
        created=created,
        updated=created,
        anonymised_at=None,
    )
    for commune_id in rng.sample(gen.communes[t], k=rng.randint(1, 3)):
        gen.add(household_commune, household_id=household_id, commune_id=commune_id)
    for obstacle in rng.sample(list(Obstacle), k=rng.randint(0, 3)):
        gen.add(HouseholdObstacle, household_id=household_id, obstacle=obstacle)
    gen.add(
        HouseholdIdentity,
        household_id=household_id,
        phone=f"06 {rng.randint(10, 99)} {rng.randint(10, 99)} {rng.randint(10, 99)} "
        f"{rng.randint(10, 99)}",
        email="",
        address=f"{rng.randint(1, 80)} {rng.choice(STREETS)}",
    )
    first, last = gen.person_name()
    year = created.year
    born = date(
        year
        - (rng.randint(18, 25) if public == HouseholdPublic.JEUNE_18_25 else rng.randint(26, 60)),
        rng.randint(1, 12),
        rng.randint(1, 28),
    )
    gen.add(
        HouseholdPerson,
        household_id=household_id,
        role=PersonRole.DEMANDEUR,
        first_name=first,
        last_name=last,
        birth_date=born,
    )
    if adults == 2:
        gen.add(
            HouseholdPerson,
            household_id=household_id,
            role=PersonRole.CONJOINT,
            first_name=rng.choice(FIRST_NAMES),
            last_name=last,
            birth_date=born + timedelta(days=rng.randint(-2000, 2000)),
        )
    for age in ages:
        gen.add(
            HouseholdPerson,
            household_id=household_id,
            role=PersonRole.ENFANT,
            first_name=rng.choice(FIRST_NAMES),
            last_name=last,
            birth_date=date(year - age, rng.randint(1, 12), rng.randint(1, 28)),
        )
    gen.add(
        AuditEvent,
        created=created,
        user_id=author,
        organisation_id=org.id,
        action=AuditAction.CREATE,
        object_type="household",
        object_id=household_id,
        summary=f"Dossier {prefix}{gen.reference_numbers[prefix]:03d} créé",
        ip_address=None,
    )
    informed_on = None
    if informed:
        informed_on = min(gen.today, (created + timedelta(days=rng.randint(0, 7))).date())
        gen.add(
            InformationRecord,
            household_id=household_id,
            informed_on=informed_on,
            informed_by_id=author,
            what_is_shared="Situation, composition et identité du ménage",
            shared_with="Partenaires du comité technique et SIAO",
            # Some cases are shared with full access, and CCAS households go to the SIAO.
            allows_identity=True,
            created=gen.at(informed_on, 10),
        )
    last_case = None
    for plan in cases:
        last_case = add_case(gen, household_id, org, plan, author)
    if informed and org.kind == OrganisationKind.CCAS:
        gen.candidate_pool[t].append(
            (informed_on, household_id, org.id, typology, author, last_case)
        )
