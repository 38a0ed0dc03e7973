"""Demo data: the Concarneau territory described in the field report."""

from datetime import date

import sqlalchemy as sa
from dateutil.relativedelta import relativedelta

from portal.actions.demo import load_demo_actions
from portal.auth.passwords import hash_password
from portal.auth.sessions import second_factor_required
from portal.auth.two_factor import DEMO_TOTP_SECRET
from portal.candidacies.demo import load_demo_candidacies
from portal.cases.services import (
    add_note,
    change_status,
    create_case,
    create_household,
    record_information,
    share_case,
)
from portal.extensions import db
from portal.measures.demo import load_demo_measures
from portal.meetings.demo import load_demo_meetings
from portal.minutes.demo import load_demo_minutes
from portal.models import (
    AccessLevel,
    Accommodation,
    CaseStatus,
    Committee,
    CommitteeKind,
    Commune,
    HouseholdPublic,
    Membership,
    MembershipRole,
    Obstacle,
    Organisation,
    OrganisationKind,
    PersonRole,
    ResourceBracket,
    ResourceType,
    Territory,
    Typology,
    User,
    UserKind,
    now_utc,
)
from portal.owners.demo import load_demo_owners
from portal.reports.demo import load_demo_report_entries
from portal.units.demo import load_demo_programmes

DEMO_PASSWORD = "portail-demo-2026"
TERRITORY = "Concarneau Cornouaille Agglomération"

ORGANISATIONS = [
    ("CCAS de Concarneau", OrganisationKind.CCAS, "accueil@ccas-concarneau.demo"),
    ("Finistère Habitat", OrganisationKind.BAILLEUR_SOCIAL, "contact@finistere-habitat.demo"),
    ("OPAC Quimper Cornouaille", OrganisationKind.BAILLEUR_SOCIAL, None),
    ("Aiguillon", OrganisationKind.BAILLEUR_SOCIAL, None),
    ("Espacil", OrganisationKind.BAILLEUR_SOCIAL, None),
    ("SIAO du Finistère", OrganisationKind.SIAO, "contact@siao29.demo"),
    ("Mission Locale du Pays de Cornouaille", OrganisationKind.MISSION_LOCALE, None),
    ("CDAS de Concarneau", OrganisationKind.DEPARTEMENT, None),
    ("DDETS du Finistère", OrganisationKind.ETAT, None),
    ("Abricôtier Urgence Femmes", OrganisationKind.ASSOCIATION, None),
    ("Concarneau Cornouaille Agglomération", OrganisationKind.AGGLOMERATION, None),
]

# e-mail, name, organisation, role, coordinator
ACCOUNTS = [
    (
        "coordination@ccas-concarneau.demo",
        "Claire Le Goff",
        "CCAS de Concarneau",
        MembershipRole.ADMIN,
        True,
    ),
    (
        "social@ccas-concarneau.demo",
        "Yann Kerlan",
        "CCAS de Concarneau",
        MembershipRole.MEMBER,
        False,
    ),
    ("siao@siao29.demo", "Sophie Le Bihan", "SIAO du Finistère", MembershipRole.ADMIN, False),
    (
        "bailleur@finistere-habitat.demo",
        "Marc Guillou",
        "Finistère Habitat",
        MembershipRole.ADMIN,
        False,
    ),
    (
        "conseil@mission-locale.demo",
        "Léa Morvan",
        "Mission Locale du Pays de Cornouaille",
        MembershipRole.ADMIN,
        False,
    ),
    ("cdas@finistere.demo", "Anne Quéré", "CDAS de Concarneau", MembershipRole.ADMIN, False),
    (
        "asso@abricotier.demo",
        "Nolwenn Tanguy",
        "Abricôtier Urgence Femmes",
        MembershipRole.ADMIN,
        False,
    ),
    ("etat@ddets29.demo", "Pierre Cariou", "DDETS du Finistère", MembershipRole.ADMIN, False),
]

PRIVATE_OWNER = ("proprietaire@exemple.demo", "Jean Le Floch")

COMMITTEES = [
    (
        "Comité technique Parcours logement",
        CommitteeKind.COMITE_TECHNIQUE,
        "Échanger sur les situations complexes avec les bailleurs et les partenaires sociaux, "
        "et rechercher des solutions de façon concertée.",
        [name for name, kind, _ in ORGANISATIONS if kind != OrganisationKind.ETAT],
    ),
    (
        "Comité de pilotage Parcours logement",
        CommitteeKind.COMITE_PILOTAGE,
        "Piloter le parcours logement avec les partenaires institutionnels et associatifs.",
        [name for name, _, _ in ORGANISATIONS],
    ),
    (
        "Commission SIAO Cornouaille",
        CommitteeKind.COMMISSION_SIAO,
        "Valider les candidatures à l'intermédiation locative.",
        ["SIAO du Finistère", "CCAS de Concarneau", "CDAS de Concarneau"],
    ),
]


def load_demo_data() -> dict[str, object]:
    """Create the territory, its partners, committees and demo accounts (flushes only)."""
    territory = Territory(name=TERRITORY)
    organisations = {
        name: Organisation(name=name, kind=kind, territory=territory, contact_email=email)
        for name, kind, email in ORGANISATIONS
    }
    db.session.add_all([territory, *organisations.values()])
    password_hash = hash_password(DEMO_PASSWORD)
    users = {}
    for email, name, organisation, role, coordinator in ACCOUNTS:
        user = User(
            email=email,
            full_name=name,
            password_hash=password_hash,
            is_coordinator=coordinator,
            email_confirmed_at=now_utc(),
        )
        db.session.add(Membership(user=user, organisation=organisations[organisation], role=role))
        users[email] = user
    private_owner = User(
        email=PRIVATE_OWNER[0],
        full_name=PRIVATE_OWNER[1],
        kind=UserKind.PRIVATE_OWNER,
        password_hash=password_hash,
        email_confirmed_at=now_utc(),
    )
    users[private_owner.email] = private_owner
    db.session.add_all(users.values())
    db.session.flush()
    # Demo accounts that must sign in with a second factor share one documented secret
    # (README); outside demo data it is refused.
    for user in users.values():
        if second_factor_required(user):
            user.totp_secret = DEMO_TOTP_SECRET
            user.totp_enabled_at = now_utc()
    for name, kind, description, members in COMMITTEES:
        # The SIAO runs its commission, the CCAS the others (its coordinator is an admin).
        secretariat = (
            "SIAO du Finistère" if kind == CommitteeKind.COMMISSION_SIAO else "CCAS de Concarneau"
        )
        db.session.add(
            Committee(
                name=name,
                kind=kind,
                territory=territory,
                description=description,
                organisations=[organisations[m] for m in members],
                secretariat=organisations[secretariat],
            )
        )
    db.session.flush()
    cases = load_demo_cases(organisations, users, territory)
    data = {"territory": territory, "organisations": organisations, "users": users, "cases": cases}
    # Meetings come first, then the decisions and actions they gave, then their minutes
    # (approved minutes carry the decisions and actions).
    load_demo_meetings(data)
    load_demo_actions(data)
    load_demo_minutes(data)
    load_demo_owners(data)
    load_demo_programmes(data)
    load_demo_candidacies(data)
    load_demo_measures(data)
    load_demo_report_entries(data)
    return data


# Households and complex cases ------------------------------------------------------------

COMMUNES = [
    "Concarneau",
    "Elliant",
    "Melgven",
    "Névez",
    "Pont-Aven",
    "Rosporden",
    "Saint-Yvi",
    "Tourc'h",
    "Trégunc",
]

# owner, (first name, last name, birth year), public, accommodation, months in it, adults,
# children ages, resources, typology, communes, obstacles, informed, committee, status,
# title, question, shares [(organisation, level, reason)], notes [(author, body, internal)]
HOUSEHOLDS = [
    dict(
        owner="CCAS de Concarneau",
        person=("Kevin", "Le Du", 2004),
        public=HouseholdPublic.JEUNE_18_25,
        accommodation=Accommodation.CHRS_URGENCE,
        months=8,
        resources=(ResourceType.CEJ, ResourceBracket.FROM_500),
        typology=Typology.T1,
        communes=["Concarneau", "Trégunc"],
        obstacles=[Obstacle.EMPLOI, Obstacle.BUDGET],
        committee="Comité technique Parcours logement",
        status=CaseStatus.SUBMITTED,
        title="Jeune prêt à sortir, sans garant",
        question="Prêt à sortir du CHRS, budget travaillé depuis 4 mois. Quel bailleur peut "
        "proposer un T1 sur Concarneau avec la sous-location du CCAS ?",
        shares=[("Mission Locale du Pays de Cornouaille", AccessLevel.SITUATION, "Suivi CEJ")],
        notes=[
            (
                "conseil@mission-locale.demo",
                "Le CEJ se termine en mars : une formation qualifiante est envisagée à Quimper.",
                False,
            ),
        ],
    ),
    dict(
        owner="CCAS de Concarneau",
        person=("Sandrine", "Morel", 1988),
        public=HouseholdPublic.FEMME_SEULE,
        violence=True,
        accommodation=Accommodation.URGENCE_FEMMES,
        months=5,
        resources=(ResourceType.SALAIRE, ResourceBracket.FROM_1100),
        typology=Typology.T2,
        communes=["Concarneau", "Rosporden"],
        obstacles=[Obstacle.DEMARCHES],
        committee="Comité technique Parcours logement",
        status=CaseStatus.ON_AGENDA,
        title="Sortie du logement d'urgence, besoin d'un T2 éloigné",
        question="Travaille à temps plein, souhaite un T2 hors du centre-ville pour sa sécurité. "
        "Une proposition rapide est-elle possible ?",
        shares=[
            ("Abricôtier Urgence Femmes", AccessLevel.FULL, "Accompagnement spécialisé"),
            ("Finistère Habitat", AccessLevel.SITUATION, "Proposition de logement"),
        ],
        notes=[
            (
                "bailleur@finistere-habitat.demo",
                "Un T2 se libère à Rosporden en février : "
                "nous pouvons le présenter en commission d'attribution.",
                False,
            ),
            (
                "social@ccas-concarneau.demo",
                "Point de vigilance sur l'adresse : ne pas la communiquer hors du CCAS.",
                True,
            ),
        ],
    ),
    dict(
        owner="CCAS de Concarneau",
        person=("Aurélie", "Guéguen", 1991),
        children=[4, 9],
        public=HouseholdPublic.FAMILLE_MONOPARENTALE,
        accommodation=Accommodation.ALT,
        months=14,
        resources=(ResourceType.RSA, ResourceBracket.FROM_800),
        typology=Typology.T3,
        communes=["Concarneau"],
        obstacles=[Obstacle.DETTES, Obstacle.MOBILITE],
        committee="Comité technique Parcours logement",
        status=CaseStatus.DECIDED,
        title="Dette locative ancienne bloquant l'accès au parc social",
        question="Une dette de 1 800 € chez un ancien bailleur bloque les propositions. Un "
        "plan d'apurement avec le FSL peut-il lever le blocage ?",
        shares=[("CDAS de Concarneau", AccessLevel.FULL, "Dossier FSL")],
        notes=[
            ("cdas@finistere.demo", "Dossier FSL déposé, passage en commission le 12.", False),
        ],
    ),
    dict(
        owner="CCAS de Concarneau",
        person=("Gérard", "Tanguy", 1969),
        public=HouseholdPublic.HOMME_SEUL,
        accommodation=Accommodation.PENSION_DE_FAMILLE,
        months=30,
        resources=(ResourceType.AAH, ResourceBracket.FROM_800),
        typology=Typology.T1,
        communes=["Concarneau"],
        obstacles=[Obstacle.ISOLEMENT, Obstacle.SAVOIR_HABITER],
        informed=False,
        committee="Comité technique Parcours logement",
        status=CaseStatus.DRAFT,
        title="Sortie de pension de famille après 2 ans et demi",
        question="Souhaite un logement autonome proche de ses repères. Quel accompagnement "
        "prévoir pour sécuriser le bailleur ?",
    ),
    dict(
        owner="CCAS de Concarneau",
        person=("Julien", "Riou", 1985),
        second=("Marion", "Riou", 1987),
        public=HouseholdPublic.COUPLE,
        accommodation=Accommodation.HOTEL,
        months=3,
        resources=(ResourceType.CHOMAGE, ResourceBracket.FROM_1100),
        typology=Typology.T2,
        communes=["Concarneau", "Melgven"],
        obstacles=[],
        committee="Comité technique Parcours logement",
        status=CaseStatus.CLOSED,
        title="Couple à l'hôtel : relogé dans le parc social",
        question="Peut-on éviter de prolonger les nuitées d'hôtel ?",
        shares=[("OPAC Quimper Cornouaille", AccessLevel.SITUATION, "Proposition T2")],
    ),
    dict(
        owner="Mission Locale du Pays de Cornouaille",
        person=("Inès", "Bouvier", 2005),
        public=HouseholdPublic.JEUNE_18_25,
        accommodation=Accommodation.SANS_SOLUTION,
        months=1,
        resources=(ResourceType.SANS_RESSOURCES, ResourceBracket.LT_500),
        typology=Typology.T1,
        communes=["Concarneau", "Rosporden"],
        obstacles=[Obstacle.EMPLOI, Obstacle.DEMARCHES],
        committee="Comité technique Parcours logement",
        status=CaseStatus.SUBMITTED,
        title="Jeune sans solution d'hébergement",
        question="Hébergée chez des amis, plus de solution à la fin du mois. Une place en ALT "
        "est-elle possible en attendant le CEJ ?",
        shares=[("CCAS de Concarneau", AccessLevel.FULL, "Hébergement d'urgence")],
    ),
    dict(
        owner="CDAS de Concarneau",
        person=("Yannick", "Cadiou", 1979),
        second=("Sophie", "Cadiou", 1982),
        children=[2, 6, 11],
        public=HouseholdPublic.FAMILLE,
        accommodation=Accommodation.HOTEL,
        months=2,
        resources=(ResourceType.SALAIRE, ResourceBracket.GTE_1500),
        typology=Typology.T4,
        communes=["Concarneau", "Trégunc", "Névez"],
        obstacles=[Obstacle.DETTES],
        committee="Comité technique Parcours logement",
        status=CaseStatus.ON_AGENDA,
        title="Famille de cinq à l'hôtel depuis deux mois",
        question="Expulsion après une séparation des revenus. Quelle solution pour un T4 ?",
        shares=[
            ("CCAS de Concarneau", AccessLevel.SITUATION, "Mobilisation IML"),
            ("OPAC Quimper Cornouaille", AccessLevel.SITUATION, "Recherche T4"),
        ],
    ),
    dict(
        owner="Abricôtier Urgence Femmes",
        person=("Nadia", "Benali", 1995),
        children=[3],
        public=HouseholdPublic.FAMILLE_MONOPARENTALE,
        violence=True,
        accommodation=Accommodation.URGENCE_FEMMES,
        months=4,
        resources=(ResourceType.PRESTATIONS_FAMILIALES, ResourceBracket.FROM_800),
        typology=Typology.T2,
        communes=["Pont-Aven", "Névez"],
        obstacles=[Obstacle.DEMARCHES, Obstacle.ISOLEMENT],
        committee="Comité technique Parcours logement",
        status=CaseStatus.SUBMITTED,
        title="Mère et enfant, relogement loin de l'ancien domicile",
        question="Recherche un T2 à Pont-Aven ou Névez. Un bailleur a-t-il une vacance ?",
    ),
    dict(
        owner="CCAS de Concarneau",
        person=("Patrick", "Le Gall", 1972),
        public=HouseholdPublic.HOMME_SEUL,
        accommodation=Accommodation.CHRS_URGENCE,
        months=11,
        resources=(ResourceType.RSA, ResourceBracket.LT_500),
        typology=Typology.T1,
        communes=["Concarneau"],
        obstacles=[Obstacle.BUDGET, Obstacle.SANTE],
        committee="Commission SIAO Cornouaille",
        status=CaseStatus.SUBMITTED,
        title="Orientation vers l'intermédiation locative",
        question="Budget stabilisé, loyer résiduel travaillé. Orientation vers une mesure IML "
        "sortie de structures ?",
        shares=[("SIAO du Finistère", AccessLevel.SITUATION, "Avis de la commission")],
    ),
    dict(
        owner="CCAS de Concarneau",
        person=("Thomas", "Kerbrat", 1990),
        second=("Laura", "Kerbrat", 1992),
        children=[1],
        public=HouseholdPublic.FAMILLE,
        accommodation=Accommodation.ALT,
        months=6,
        resources=(ResourceType.SALAIRE, ResourceBracket.FROM_1100),
        typology=Typology.T3,
        communes=["Trégunc", "Concarneau"],
        obstacles=[Obstacle.MOBILITE],
        committee="Comité technique Parcours logement",
        status=CaseStatus.DRAFT,
        title="Famille en ALT, permis de conduire en cours",
        question="Trouver un T3 desservi par les transports : quelles communes privilégier ?",
    ),
    dict(
        owner="CCAS de Concarneau",
        person=("Maëlys", "Jaouen", 2003),
        public=HouseholdPublic.JEUNE_18_25,
        accommodation=Accommodation.ALT,
        months=9,
        resources=(ResourceType.SALAIRE, ResourceBracket.FROM_800),
        typology=Typology.T1,
        communes=["Concarneau"],
        obstacles=[Obstacle.SAVOIR_HABITER],
        committee="Comité technique Parcours logement",
        status=CaseStatus.DECIDED,
        title="Apprentie prête pour un premier logement",
        question="Apprentie en CDI depuis 3 mois. Glissement possible après une sous-location ?",
        shares=[("Mission Locale du Pays de Cornouaille", AccessLevel.FULL, "Référente")],
    ),
    dict(
        owner="CCAS de Concarneau",
        person=("Bernard", "Coant", 1958),
        public=HouseholdPublic.HOMME_SEUL,
        accommodation=Accommodation.CHRS_URGENCE,
        months=40,
        resources=(ResourceType.RETRAITE, ResourceBracket.FROM_800),
        typology=Typology.T1,
        communes=["Concarneau"],
        obstacles=[Obstacle.SANTE],
        committee="Comité technique Parcours logement",
        status=CaseStatus.CLOSED,
        closed_months_ago=30,
        title="Entrée en résidence autonomie",
        question="Une place en résidence autonomie est-elle envisageable ?",
    ),
]


def load_demo_cases(organisations: dict, users: dict, territory) -> list:
    """About a dozen households and cases, in every status, shared in different ways."""
    communes = {name: Commune(name=name, territory=territory) for name in COMMUNES}
    db.session.add_all(communes.values())
    db.session.flush()
    committees = {c.name: c for c in db.session.scalars(sa.select(Committee))}
    owners = {
        "CCAS de Concarneau": users["social@ccas-concarneau.demo"],
        "Mission Locale du Pays de Cornouaille": users["conseil@mission-locale.demo"],
        "CDAS de Concarneau": users["cdas@finistere.demo"],
        "Abricôtier Urgence Femmes": users["asso@abricotier.demo"],
    }
    today = date.today()
    cases = []
    for spec in HOUSEHOLDS:
        author = owners[spec["owner"]]
        first, last, year = spec["person"]
        persons = [
            {
                "role": PersonRole.DEMANDEUR,
                "first_name": first,
                "last_name": last,
                "birth_date": date(year, 3, 14),
            }
        ]
        if "second" in spec:
            first2, last2, year2 = spec["second"]
            persons.append(
                {
                    "role": PersonRole.CONJOINT,
                    "first_name": first2,
                    "last_name": last2,
                    "birth_date": date(year2, 9, 2),
                }
            )
        children = spec.get("children", [])
        resource_type, bracket = spec["resources"]
        household = create_household(
            organisations[spec["owner"]],
            author,
            {
                "adults": len(persons),
                "children": len(children),
                "children_ages": ", ".join(str(age) for age in children),
                "public": spec["public"],
                "victim_of_violence": spec.get("violence", False),
                "accommodation": spec["accommodation"],
                "accommodation_since": today - relativedelta(months=spec["months"]),
                "resource_type": resource_type,
                "resource_bracket": bracket,
                "typology": spec["typology"],
                "commune_ids": [communes[name].id for name in spec["communes"]],
                "obstacles": [o.value for o in spec["obstacles"]],
                "situation_notes": "",
                "persons": persons,
                "phone": "06 00 00 00 00",
            },
        )
        if spec.get("informed", True):
            # Its identity leaves the owner only where a partner is given full access.
            identity = any(level == AccessLevel.FULL for _o, level, _r in spec.get("shares", []))
            record_information(
                household,
                author,
                {
                    "informed_on": today - relativedelta(months=1),
                    "what_is_shared": "Situation et identité du ménage, question au comité"
                    if identity
                    else "Situation du ménage sans identité, question au comité",
                    "shared_with": "Partenaires du comité technique et du SIAO",
                    "allows_identity": identity,
                },
            )
        case = create_case(
            household,
            author,
            {
                "committee_id": committees[spec["committee"]].id,
                "title": spec["title"],
                "question": spec["question"],
            },
        )
        for path in STATUS_PATHS[spec["status"]]:
            change_status(case, path, author)
        for organisation, level, reason in spec.get("shares", []):
            share_case(case, organisations[organisation], level, reason, author, notify=False)
        for email, body, internal in spec.get("notes", []):
            add_note(case, users[email], body, internal)
        if "closed_months_ago" in spec:
            case.closed_at = now_utc() - relativedelta(months=spec["closed_months_ago"])
        cases.append(case)
    db.session.flush()
    return cases


STATUS_PATHS = {
    CaseStatus.DRAFT: [],
    CaseStatus.SUBMITTED: ["submit"],
    CaseStatus.ON_AGENDA: ["submit", "put_on_agenda"],
    CaseStatus.DECIDED: ["submit", "put_on_agenda", "mark_decided"],
    CaseStatus.CLOSED: ["submit", "put_on_agenda", "mark_decided", "close"],
}
