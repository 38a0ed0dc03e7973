"""Demo data: the Concarneau territory described in the field report."""

from portal.auth.passwords import hash_password
from portal.extensions import db
from portal.models import (
    Committee,
    CommitteeKind,
    Membership,
    MembershipRole,
    Organisation,
    OrganisationKind,
    Territory,
    User,
    UserKind,
    now_utc,
)

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

LANDLORD = ("proprietaire@exemple.demo", "Jean Le Floch")

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
    landlord = User(
        email=LANDLORD[0],
        full_name=LANDLORD[1],
        kind=UserKind.LANDLORD,
        password_hash=password_hash,
        email_confirmed_at=now_utc(),
    )
    users[landlord.email] = landlord
    db.session.add_all(users.values())
    for name, kind, description, members in COMMITTEES:
        db.session.add(
            Committee(
                name=name,
                kind=kind,
                territory=territory,
                description=description,
                organisations=[organisations[m] for m in members],
            )
        )
    db.session.flush()
    return {"territory": territory, "organisations": organisations, "users": users}
