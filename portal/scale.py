"""Territory-scale synthetic data for load tests and benchmarks (`flask demo scale`).

Everything is written with bulk Core inserts (one executemany per table and chunk) and ids
chosen here, so that 20 000 households take seconds rather than minutes. The data follows
the rules the portal relies on: a household is informed before its situation is shared, a
unit has exactly one owner, a candidacy with a measure is "housed", open measures stay
within their programme's capacity, and every date lies in the past ``years`` up to today
(a few meetings and due dates lie ahead, as in real life).
"""

import bisect
import hashlib
import json
import random
import unicodedata
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal

import sqlalchemy as sa
from dateutil.relativedelta import relativedelta

from portal import models
from portal.auth.passwords import hash_password
from portal.auth.two_factor import DEMO_TOTP_SECRET
from portal.cases.services import REFERENCE_PREFIX
from portal.demo import DEMO_PASSWORD
from portal.extensions import db
from portal.models import (
    AccessLevel,
    Accommodation,
    ActionStatus,
    AgendaItem,
    Attendance,
    AuditAction,
    AuditEvent,
    Bilan,
    BilanKind,
    BilanOutcome,
    Candidacy,
    CandidacyEvent,
    CandidacyStatus,
    Case,
    CaseEvent,
    CaseEventKind,
    CaseNote,
    CaseParticipant,
    CaseStatus,
    Committee,
    CommitteeKind,
    Commune,
    Decision,
    DecisionKind,
    DecisionPosition,
    DpeClass,
    FollowUpAction,
    Household,
    HouseholdIdentity,
    HouseholdObstacle,
    HouseholdPerson,
    HouseholdPublic,
    InformationRecord,
    Invitation,
    InvitationResponse,
    LandlordOffer,
    Measure,
    MeasureEndReason,
    MeasureStatus,
    Meeting,
    MeetingInvitee,
    MeetingKind,
    MeetingStatus,
    Membership,
    MembershipRole,
    Minutes,
    MinutesRevision,
    MinutesStatus,
    Obstacle,
    OfferReason,
    OfferStatus,
    OfferStatusChange,
    Organisation,
    OrganisationKind,
    OwnerKind,
    PersonRole,
    PreferredScheme,
    Programme,
    RefusalReason,
    RentRecord,
    RentStatus,
    ResourceBracket,
    ResourceType,
    Territory,
    Typology,
    Unit,
    UnitStatus,
    User,
    UserKind,
    candidacy_commune,
    committee_organisation,
    decision_organisation,
    household_commune,
    now_utc,
)
from portal.models.meetings import new_uid
from portal.models.people import new_session_token

# The benchmark signs in as this CCAS social worker (password: SCALE_PASSWORD).
BENCH_EMAIL = "bench-ccas@exemple.fr"
SCALE_PASSWORD = DEMO_PASSWORD

PRESETS = {
    "territory": {"households": 5_000, "years": 3, "organisations": 50, "users": 300},
    "department": {"households": 50_000, "years": 5, "organisations": 200, "users": 1_500},
}

CHUNK_HOUSEHOLDS = 2_500
# A comité technique examines about ten situations; the generator keeps agendas that size.
MAX_CASES_PER_MEETING = 12
INSERT_BATCH = 5_000

TERRITORIES = [
    "Concarneau Cornouaille Agglomération",
    "Quimper Bretagne Occidentale",
    "Pays de Morlaix",
    "Brest métropole",
    "Quimperlé Communauté",
    "Pays de Landerneau-Daoulas",
    "Haut Pays Bigouden",
    "Pays Fouesnantais",
    "Poher communauté",
    "Presqu'île de Crozon-Aulne maritime",
    "Pays d'Iroise",
    "Douarnenez Communauté",
    "Pays des Abers",
    "Monts d'Arrée Communauté",
    "Cap Sizun - Pointe du Raz",
    "Pleyben-Châteaulin-Porzay",
]
COMMUNES = [
    "Concarneau", "Trégunc", "Rosporden", "Pont-Aven", "Névez", "Elliant", "Melgven",
    "Saint-Yvi", "Quimper", "Ergué-Gabéric", "Briec", "Plogonnec", "Guengat", "Pluguffan",
    "Morlaix", "Saint-Martin-des-Champs", "Plourin-lès-Morlaix", "Taulé", "Carantec",
    "Brest", "Guipavas", "Plougastel-Daoulas", "Le Relecq-Kerhuon", "Gouesnou", "Bohars",
    "Quimperlé", "Moëlan-sur-Mer", "Clohars-Carnoët", "Scaër", "Bannalec", "Mellac",
    "Landerneau", "Daoulas", "Plouédern", "La Forest-Landerneau", "Pont-l'Abbé",
    "Plonéour-Lanvern", "Loctudy", "Le Guilvinec", "Fouesnant", "Bénodet", "Clohars-Fouesnant",
    "Carhaix-Plouguer", "Callac", "Crozon", "Camaret-sur-Mer", "Saint-Renan", "Plouzané",
    "Douarnenez", "Pouldergat", "Lannilis", "Plabennec", "Huelgoat", "Audierne", "Châteaulin",
    "Pleyben",
]  # fmt: skip
FIRST_NAMES = [
    "Camille", "Yann", "Nolwenn", "Erwan", "Maëlle", "Gaël", "Sophie", "Kevin", "Léa", "Tristan",
    "Anne", "Pierre", "Marie", "Julien", "Aurélie", "Loïc", "Morgane", "Ronan", "Céline", "Hugo",
    "Inès", "Mathis", "Chloé", "Nathan", "Sarah", "Lucas", "Emma", "Yannick", "Gwenaëlle", "Tanguy",
    "Fatima", "Mohamed", "Aïcha", "Karim", "Amina", "Ibrahim", "Olena", "Dmytro", "Ana", "Jon",
]  # fmt: skip
LAST_NAMES = [
    "Le Goff", "Kerlan", "Le Bihan", "Guillou", "Morvan", "Quéré", "Tanguy", "Cariou", "Le Floch",
    "Le Gall", "Riou", "Le Roux", "Jaouen", "Quiniou", "Le Corre", "Salaün", "Le Meur", "Hénaff",
    "Bozec", "Le Bras", "Thomas", "Martin", "Bernard", "Petit", "Durand", "Moreau", "Lefebvre",
    "Garcia", "Diallo", "Benali", "Kovalenko", "Nguyen", "Da Silva", "Lemoine", "Fontaine",
]  # fmt: skip
CASE_TITLES = [
    "Relogement bloqué après une sortie de CHRS",
    "Dette locative ancienne freinant l'accès au logement",
    "Recherche d'un T2 proche du lieu de travail",
    "Sortie d'hébergement d'urgence à préparer",
    "Jeune sans ressources stables en recherche de logement",
    "Famille hébergée à l'hôtel depuis plusieurs mois",
    "Femme victime de violences : mise à l'abri puis logement",
    "Accompagnement budgétaire avant une entrée dans les lieux",
    "Mutation demandée pour sur-occupation",
    "Demande de logement adapté à la mobilité réduite",
]
CASE_QUESTIONS = [
    "Quel bailleur peut proposer un logement adapté dans les trois prochains mois ?",
    "Un accompagnement renforcé est-il possible avant l'orientation vers l'IML ?",
    "Le plan d'apurement de la dette permet-il une nouvelle proposition de logement ?",
    "Quelle orientation proposer compte tenu des ressources actuelles ?",
    "Qui peut accompagner le ménage dans ses démarches administratives ?",
]
NOTES = [
    "Rendez-vous fait avec le ménage, dossier complet.",
    "Le bailleur étudie une proposition sur le secteur demandé.",
    "Plan d'apurement signé, premiers versements effectués.",
    "Ressources stabilisées depuis deux mois (CDD prolongé).",
    "Visite du logement prévue la semaine prochaine.",
    "Le ménage souhaite rester sur la commune pour la scolarité des enfants.",
    "Point fait avec la référente du CDAS : accompagnement maintenu.",
]
DECISION_TEXTS = {
    DecisionKind.ORIENTATION_IML: "Orientation vers l'intermédiation locative (bail glissant).",
    DecisionKind.HOUSING_PROPOSAL: "Proposition d'un logement du contingent par le bailleur.",
    DecisionKind.REINFORCED_SUPPORT: "Mise en place d'un accompagnement renforcé pendant six mois.",
    DecisionKind.PARTNER_MOBILISATION: "Mobilisation de la Mission Locale et du CDAS.",
    DecisionKind.ADJOURNED: "Ajourné : informations complémentaires attendues.",
    DecisionKind.EXTENSION: "Prolongation de la mesure de six mois.",
    DecisionKind.LEASE_SLIDE: "Glissement du bail au profit du ménage.",
    DecisionKind.CLOSURE: "Clôture de la situation : solution de logement trouvée.",
    DecisionKind.OTHER: "Point à revoir lors du prochain comité.",
}
ACTION_TEXTS = [
    "Transmettre le diagnostic social au bailleur",
    "Organiser une visite du logement avec le ménage",
    "Vérifier l'ouverture des droits APL",
    "Contacter le FSL pour l'aide à l'entrée dans les lieux",
    "Faire le point sur le plan d'apurement",
    "Proposer un rendez-vous budget au ménage",
    "Envoyer la demande SI-SIAO mise à jour",
]
STREETS = [
    "rue de la Gare",
    "rue Jean Jaurès",
    "avenue de la Mer",
    "rue des Écoles",
    "place de l'Église",
    "rue du Port",
    "allée des Tilleuls",
    "boulevard Kennedy",
]
PROGRAMMES = [
    ("IML sortie de structures", "Bail glissant pour les ménages sortant d'hébergement.", 60),
    ("IML DALO", "Bail glissant pour les ménages reconnus prioritaires DALO.", 150),
]
PIPELINE = [
    OfferStatus.DRAFT,
    OfferStatus.NEW,
    OfferStatus.FIRST_CONTACT,
    OfferStatus.VISIT_PLANNED,
    OfferStatus.VISITED,
    OfferStatus.FINANCIAL_PROPOSAL,
    OfferStatus.AGREEMENT_SIGNED,
    OfferStatus.AVAILABLE,
    OfferStatus.ALLOCATED,
]


def ascii_slug(text: str) -> str:
    plain = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return "".join(c if c.isalnum() else "-" for c in plain.lower()).strip("-")


def sizes(households: int, organisations: int | None = None, users: int | None = None) -> dict:
    """Organisations, users and territories grow with the number of households."""
    organisations = organisations or min(200, max(12, 10 + households // 125))
    users = users or min(1_500, max(30, organisations * 6))
    territories = min(len(TERRITORIES), max(2, organisations // 16))
    return {"organisations": organisations, "users": users, "territories": territories}


@dataclass
class Org:
    id: int
    kind: OrganisationKind
    territory: int  # index
    members: list[int] = field(default_factory=list)  # active member user ids
    admins: list[int] = field(default_factory=list)


@dataclass
class MeetingInfo:
    id: int
    committee: int
    territory: int
    kind: MeetingKind
    starts_at: datetime
    cancelled: bool
    organiser: int
    members: list[int]  # organisation ids of the committee
    positions: int = 2  # next agenda position (0 and 1 are the standing items)


class ScaleGenerator:
    def __init__(
        self,
        households: int,
        years: int,
        *,
        organisations: int | None = None,
        users: int | None = None,
        seed: int = 2026,
    ):
        self.n_households = households
        self.years = years
        self.size = sizes(households, organisations, users)
        self.rng = random.Random(seed)
        self.now = now_utc().replace(microsecond=0)
        self.today = self.now.date()
        self.start = self.now - timedelta(days=365 * years)
        self.rows: dict[sa.Table, list[dict]] = defaultdict(list)
        self.next_ids: dict[str, int] = defaultdict(lambda: 1)
        self.counts: dict[str, int] = defaultdict(int)
        self.password_hash = hash_password(SCALE_PASSWORD)  # once: argon2 is slow on purpose
        self.reference_numbers: dict[str, int] = defaultdict(int)
        self.audit_users: list[int] = []
        # Rare cases show up at least once, even in a tiny territory: these count them.
        self.firsts: set[str] = set()
        self.open_measures = 0
        self.closed_measures = 0
        self.offer_units = 0
        self.siao_numbers = 0
        self.case_sequence = 0
        self.memberships: set[tuple[int, int]] = set()
        # CCAS households informed, by territory: those a candidacy may propose.
        self.candidate_pool: dict[int, list[tuple]] = defaultdict(list)
        self.owner_weights: list[float] = []

    # Plumbing ------------------------------------------------------------------------------

    def new_id(self, table: sa.Table) -> int:
        value = self.next_ids[table.name]
        self.next_ids[table.name] = value + 1
        return value

    def add(self, model_or_table, **values) -> int | None:
        table = getattr(model_or_table, "__table__", model_or_table)
        if "id" in table.c and "id" not in values:
            values["id"] = self.new_id(table)
        self.rows[table].append(values)
        return values.get("id")

    def flush(self) -> None:
        """Insert what was gathered, parents before children, in batches."""
        connection = db.session.connection()
        for table in db.metadata.sorted_tables:
            rows = self.rows.pop(table, None)
            if not rows:
                continue
            # executemany needs the same keys in every row: group rows by their key set.
            groups: dict[tuple, list[dict]] = defaultdict(list)
            for row in rows:
                groups[tuple(sorted(row))].append(row)
            for group in groups.values():
                for i in range(0, len(group), INSERT_BATCH):
                    connection.execute(table.insert(), group[i : i + INSERT_BATCH])
            self.counts[table.name] += len(rows)

    def between(self, low: datetime, high: datetime) -> datetime:
        if high <= low:
            return low
        span = (high - low).total_seconds()
        return low + timedelta(seconds=int(self.rng.random() * span))

    def at(self, day: date, hour: int = 9) -> datetime:
        return datetime.combine(day, time(hour, self.rng.choice((0, 15, 30, 45))), tzinfo=UTC)

    def person_name(self) -> tuple[str, str]:
        return self.rng.choice(FIRST_NAMES), self.rng.choice(LAST_NAMES)

    def past(self, moment: datetime) -> datetime:
        """What has happened cannot be later than now."""
        return min(moment, self.now)

    def first(self, what: str) -> bool:
        """True the first time only."""
        if what in self.firsts:
            return False
        self.firsts.add(what)
        return True

    def pick_member(self, org: Org) -> int | None:
        return self.rng.choice(org.members) if org.members else None

    # Run -----------------------------------------------------------------------------------

    def run(self) -> dict[str, int]:
        self.build_structure()
        self.flush()
        self.build_meetings()
        self.flush()
        done = 0
        while done < self.n_households:
            batch = min(CHUNK_HOUSEHOLDS, self.n_households - done)
            for _ in range(batch):
                self.build_household()
            done += batch
            self.flush()
        self.build_minutes()
        self.build_housing()
        self.build_offers()
        self.build_logins()
        self.flush()
        fix_sequences()
        return dict(self.counts)

    # Territories, organisations, committees, people ----------------------------------------

    def build_structure(self) -> None:
        rng = self.rng
        n_terr = self.size["territories"]
        created = self.start - timedelta(days=30)
        self.territories: list[int] = []
        self.communes: list[list[int]] = []
        self.commune_names: dict[int, str] = {}
        per_territory = max(6, len(COMMUNES) // n_terr)
        for t in range(n_terr):
            self.territories.append(self.add(Territory, name=TERRITORIES[t], created=created))
            ids = []
            for k in range(per_territory):
                name = COMMUNES[(t * per_territory + k) % len(COMMUNES)]
                commune_id = self.add(Commune, territory_id=self.territories[t], name=name)
                self.commune_names[commune_id] = name
                ids.append(commune_id)
            self.communes.append(ids)

        # Department-wide partners sit in the first territory; each territory has its own
        # CCAS, CDAS, Mission Locale, agglomeration, social landlord and association.
        plan: list[tuple[OrganisationKind, int]] = [
            (OrganisationKind.SIAO, 0),
            (OrganisationKind.ETAT, 0),
        ]
        local = [
            OrganisationKind.CCAS,
            OrganisationKind.DEPARTEMENT,
            OrganisationKind.MISSION_LOCALE,
            OrganisationKind.AGGLOMERATION,
            OrganisationKind.BAILLEUR_SOCIAL,
            OrganisationKind.ASSOCIATION,
        ]
        plan += [(kind, t) for t in range(n_terr) for kind in local]
        extra_kinds = [OrganisationKind.ASSOCIATION] * 4 + [OrganisationKind.CCAS] * 3
        extra_kinds += [OrganisationKind.BAILLEUR_SOCIAL] * 2 + [OrganisationKind.MISSION_LOCALE]
        for i in range(max(0, self.size["organisations"] - len(plan))):
            plan.append((extra_kinds[i % len(extra_kinds)], i % n_terr))

        self.orgs: list[Org] = []
        self.main_ccas: dict[int, Org] = {}
        self.siao: Org | None = None
        names: set[str] = set()
        for kind, t in plan:
            commune = self.commune_names[rng.choice(self.communes[t])]
            base = {
                OrganisationKind.CCAS: f"CCAS de {commune}",
                OrganisationKind.SIAO: "SIAO du Finistère",
                OrganisationKind.ETAT: "DDETS du Finistère",
                OrganisationKind.DEPARTEMENT: f"CDAS de {commune}",
                OrganisationKind.MISSION_LOCALE: f"Mission Locale de {commune}",
                OrganisationKind.AGGLOMERATION: TERRITORIES[t],
                OrganisationKind.BAILLEUR_SOCIAL: f"{rng.choice(('Habitat', 'Logis', 'Foyer'))} "
                f"{commune}",
                OrganisationKind.ASSOCIATION: f"{rng.choice(('Entraide', 'Accueil', 'Solidarité'))}"
                f" {commune}",
            }[kind]
            name, n = base, 1
            while name in names:
                n += 1
                name = f"{base} {n}"
            names.add(name)
            org_id = self.add(
                Organisation,
                name=name,
                kind=kind,
                territory_id=self.territories[t],
                contact_email=f"contact@{ascii_slug(name)}.exemple.fr",
                active=True,
                created=created,
            )
            org = Org(org_id, kind, t)
            self.orgs.append(org)
            if kind == OrganisationKind.CCAS and t not in self.main_ccas:
                self.main_ccas[t] = org
            if kind == OrganisationKind.SIAO:
                self.siao = org
        self.org_by_id = {o.id: o for o in self.orgs}

        # Committees: each territory has the three instances of the scheme.
        self.committees: dict[int, dict[CommitteeKind, tuple[int, list[int]]]] = {}
        wide = [o.id for o in self.orgs if o.kind in (OrganisationKind.SIAO, OrganisationKind.ETAT)]
        for t in range(n_terr):
            here = [o for o in self.orgs if o.territory == t]
            members = {
                CommitteeKind.COMITE_TECHNIQUE: sorted({o.id for o in here} | set(wide)),
                CommitteeKind.COMITE_PILOTAGE: sorted(
                    {
                        o.id
                        for o in here
                        if o.kind
                        in (
                            OrganisationKind.DEPARTEMENT,
                            OrganisationKind.AGGLOMERATION,
                            OrganisationKind.BAILLEUR_SOCIAL,
                        )
                    }
                    | {self.main_ccas[t].id}
                    | set(wide)
                ),
                CommitteeKind.COMMISSION_SIAO: sorted(
                    {
                        o.id
                        for o in here
                        if o.kind in (OrganisationKind.CCAS, OrganisationKind.ASSOCIATION)
                    }
                    | {self.siao.id}
                ),
            }
            self.committees[t] = {}
            for kind, org_ids in members.items():
                committee_id = self.add(
                    Committee,
                    name=f"{kind.label} — {TERRITORIES[t]}",
                    kind=kind,
                    territory_id=self.territories[t],
                    description=f"{kind.label} du territoire {TERRITORIES[t]}.",
                    active=True,
                    created=created,
                )
                for org_id in org_ids:
                    self.add(
                        committee_organisation, committee_id=committee_id, organisation_id=org_id
                    )
                self.committees[t][kind] = (committee_id, org_ids)

        # Staff: at least two per organisation, more in the CCAS.
        weights = [4 if o.kind == OrganisationKind.CCAS else 1 for o in self.orgs]
        staff_orgs = [o for o in self.orgs for _ in range(2)]
        staff_orgs += rng.choices(
            self.orgs, weights, k=max(0, self.size["users"] - len(staff_orgs) - 1)
        )
        bench_org = self.main_ccas[0]
        self.coordinators: dict[int, int] = {}
        self.bench_user = self.add_user(
            BENCH_EMAIL, "Camille Bench", bench_org, MembershipRole.MEMBER, created
        )
        for org in staff_orgs:
            first, last = self.person_name()
            number = self.next_ids["user_account"]
            email = f"{ascii_slug(first)}.{ascii_slug(last)}.{number}@exemple.fr"
            role = MembershipRole.ADMIN if not org.admins else MembershipRole.MEMBER
            coordinator = org is self.main_ccas.get(org.territory) and not org.admins
            user_id = self.add_user(
                email, f"{first} {last}", org, role, created, coordinator=coordinator
            )
            if coordinator:
                self.coordinators[org.territory] = user_id
        # A few people work for two organisations; a few memberships have ended.
        staff = [(u, o) for o in self.orgs for u in o.members if u != self.bench_user]
        for user_id, org in rng.sample(staff, k=len(staff) // 20):
            other = rng.choice(self.orgs)
            if other is not org and user_id not in other.members:
                self.add_membership(user_id, other, MembershipRole.MEMBER, created)
        for user_id, _org in rng.sample(staff, k=max(1, len(staff) // 50)):
            former = rng.choice(self.orgs)  # where they worked before
            if user_id not in former.members:
                self.add_membership(user_id, former, MembershipRole.MEMBER, created, ended=True)

        # Invitations: most accepted long ago, a few still waiting for an answer.
        for i, org in enumerate(self.orgs[: max(2, len(self.orgs) // 5)]):
            sent = self.now - timedelta(days=2 if i % 2 else 400)
            first, last = self.person_name()
            self.add(
                Invitation,
                email=f"invitation.{i + 1}@exemple.fr",
                full_name=f"{first} {last}",
                organisation_id=org.id,
                role=MembershipRole.MEMBER,
                invited_by_id=org.admins[0] if org.admins else None,
                nonce=new_session_token(),
                created=sent,
                expires_at=sent + timedelta(days=7),
                accepted_at=None if i % 2 else sent + timedelta(days=1),
                revoked_at=None,
            )

        # Private landlords: accounts of their own, without any membership.
        self.landlords = []
        for _ in range(max(6, self.n_households // 60)):
            first, last = self.person_name()
            number = self.next_ids["user_account"]
            self.landlords.append(
                self.add(
                    User,
                    email=f"proprietaire.{number}@exemple.fr",
                    full_name=f"{first} {last}",
                    phone="06 12 34 56 78",
                    kind=UserKind.LANDLORD,
                    password_hash=self.password_hash,
                    is_coordinator=False,
                    active=True,
                    links_nonce=new_session_token(),
                    email_confirmed_at=self.between(self.start, self.now),
                    created=self.start,
                )
            )

    def add_user(self, email, full_name, org, role, created, *, coordinator=False) -> int:
        # Every generated account has the demo second factor (README): staff of a CCAS or a
        # SIAO, admins and coordinators must give one to sign in, the benchmark's too.
        user_id = self.add(
            User,
            email=email,
            full_name=full_name,
            phone=None,
            kind=UserKind.STAFF,
            password_hash=self.password_hash,
            is_coordinator=coordinator,
            active=True,
            links_nonce=new_session_token(),
            totp_secret=DEMO_TOTP_SECRET,
            totp_enabled_at=created,
            totp_last_step=None,
            email_confirmed_at=created,
            created=created,
        )
        self.add_membership(user_id, org, role, created)
        self.audit_users.append(user_id)
        return user_id

    def add_membership(self, user_id, org, role, created, *, ended=False) -> None:
        if (user_id, org.id) in self.memberships:
            return
        self.memberships.add((user_id, org.id))
        self.add(
            Membership,
            user_id=user_id,
            organisation_id=org.id,
            role=role,
            active=not ended,
            started_on=created.date(),
            ended_on=self.today - timedelta(days=self.rng.randint(30, 300)) if ended else None,
            created=created,
        )
        if not ended:
            org.members.append(user_id)
            if role == MembershipRole.ADMIN:
                org.admins.append(user_id)

    # Meetings ------------------------------------------------------------------------------

    def build_meetings(self) -> None:
        """Every committee's calendar over the period, and a few meetings ahead."""
        rng = self.rng
        self.meetings: list[MeetingInfo] = []
        self.past_by_committee: dict[int, list[MeetingInfo]] = defaultdict(list)
        self.future_by_committee: dict[int, list[MeetingInfo]] = defaultdict(list)
        per_territory = self.n_households / len(self.territories)
        cases_per_committee = per_territory * 0.9 / 2
        first = self.start + timedelta(days=20)
        span_days = (self.now - first).days
        for t, committees in self.committees.items():
            for kind, (committee_id, member_ids) in committees.items():
                if kind == CommitteeKind.COMITE_PILOTAGE:
                    count = max(2, 4 * self.years)
                else:
                    count = max(12 * self.years, int(cases_per_committee / 7))
                step = span_days / count
                days = [first + timedelta(days=step * i) for i in range(count)]
                days += [self.now + timedelta(days=step * (i + 0.5)) for i in range(3)]
                for day in days:
                    starts = self.at(day.date(), rng.choice((8, 12, 13)))
                    if starts.date() == self.today:
                        starts += timedelta(days=1)
                    past = starts < self.now
                    info = MeetingInfo(
                        id=0,
                        committee=committee_id,
                        territory=t,
                        kind=MeetingKind(kind.value),
                        starts_at=starts,
                        cancelled=past and (rng.random() < 0.04 or self.first("cancelled")),
                        organiser=self.coordinators.get(t) or self.main_ccas[t].admins[0],
                        members=member_ids,
                    )
                    self.add_meeting(info)
                    target = self.past_by_committee if past else self.future_by_committee
                    if not info.cancelled:
                        target[committee_id].append(info)
        # A few "points de situation" with a landlord and the household, on the CT calendar.
        for t in self.committees:
            committee_id, member_ids = self.committees[t][CommitteeKind.COMITE_TECHNIQUE]
            for _ in range(max(1, self.years * 2)):
                info = MeetingInfo(
                    0,
                    committee_id,
                    t,
                    MeetingKind.POINT_DE_SITUATION,
                    self.at(self.between(first, self.now).date(), 9),
                    False,
                    self.coordinators.get(t) or self.main_ccas[t].admins[0],
                    member_ids,
                )
                self.add_meeting(info)
        for store in (self.past_by_committee, self.future_by_committee):
            for infos in store.values():
                infos.sort(key=lambda m: m.starts_at)
        self.past_starts = {
            c: [m.starts_at for m in ms] for c, ms in self.past_by_committee.items()
        }

    def add_meeting(self, info: MeetingInfo) -> None:
        rng = self.rng
        past = info.starts_at < self.now
        info.id = self.add(
            Meeting,
            committee_id=info.committee,
            kind=info.kind,
            title=f"{info.kind.label} du {info.starts_at:%d/%m/%Y}",
            starts_at=info.starts_at,
            duration_minutes=120,
            location=f"Salle du conseil, {self.commune_names[self.communes[info.territory][0]]}",
            video_link="",
            status=MeetingStatus.CANCELLED if info.cancelled else MeetingStatus.PLANNED,
            organiser_id=info.organiser,
            uid=new_uid(),
            sequence=1 if info.cancelled else 0,
            reminder_sent_at=info.starts_at - timedelta(days=2) if past else None,
            created=self.past(info.starts_at - timedelta(days=30)),
            updated=self.past(info.starts_at - timedelta(days=30)),
        )
        self.meetings.append(info)
        # One person per member organisation; the CCAS sends its coordinator and the bench
        # social worker too.
        invited: set[int] = set()
        for org_id in info.members:
            org = self.org_by_id[org_id]
            people = [self.pick_member(org)]
            if org is self.main_ccas.get(info.territory):
                people += [info.organiser]
                if info.territory == 0:
                    people.append(self.bench_user)
            for user_id in people:
                if user_id is None or user_id in invited:
                    continue
                invited.add(user_id)
                draw = rng.random()
                if not past:
                    response = (
                        InvitationResponse.ACCEPTED if draw < 0.5 else InvitationResponse.PENDING
                    )
                else:
                    response = (
                        InvitationResponse.ACCEPTED
                        if draw < 0.75
                        else InvitationResponse.DECLINED
                        if draw < 0.85
                        else InvitationResponse.EXCUSED
                        if draw < 0.95
                        else InvitationResponse.PENDING
                    )
                attendance = None
                if past and not info.cancelled:
                    attendance = {
                        InvitationResponse.ACCEPTED: Attendance.PRESENT,
                        InvitationResponse.EXCUSED: Attendance.EXCUSED,
                    }.get(response, Attendance.ABSENT)
                self.add(
                    MeetingInvitee,
                    meeting_id=info.id,
                    user_id=user_id,
                    organisation_id=org_id,
                    response=response,
                    opinion="Avis favorable à l'orientation proposée."
                    if response == InvitationResponse.EXCUSED
                    else "",
                    responded_at=None
                    if response == InvitationResponse.PENDING
                    else self.past(info.starts_at - timedelta(days=rng.randint(1, 10))),
                    attendance=attendance,
                )
        standing = (
            ["Bilan d'activité du dispositif", "Point sur les programmes IML"]
            if info.kind == MeetingKind.COMITE_PILOTAGE
            else ["Tour de table des partenaires", "Suivi des décisions précédentes"]
        )
        for position, title in enumerate(standing):
            self.add(
                AgendaItem,
                meeting_id=info.id,
                position=position,
                title=title,
                duration_minutes=15,
                presenter_organisation_id=self.main_ccas[info.territory].id,
                case_id=None,
                notes="Échanges entre partenaires." if past and not info.cancelled else "",
            )

    def build_minutes(self) -> None:
        """Minutes of the meetings held: approved, except the latest ones."""
        latest = {c: ms[-1].id for c, ms in self.past_by_committee.items() if ms}
        for info in self.meetings:
            if info.starts_at >= self.now or info.cancelled:
                continue
            draw = self.rng.random()
            if info.id in latest.values():
                # The last meeting's minutes are still being written or approved.
                status = MinutesStatus.DRAFT if info.committee % 2 else MinutesStatus.SUBMITTED
            else:
                status = MinutesStatus.APPROVED if draw < 0.97 else MinutesStatus.SUBMITTED
            written = self.past(info.starts_at + timedelta(days=2))
            approved = status == MinutesStatus.APPROVED
            notes = "Présents : voir la feuille d'émargement. Les situations ont été examinées."
            content_hash = hashlib.sha256(notes.encode()).hexdigest() if approved else None
            minutes_id = self.add(
                Minutes,
                meeting_id=info.id,
                general_notes=notes,
                status=status,
                version=2 if approved else 1,
                updated_by_id=info.organiser,
                updated=written,
                approved_by_id=info.organiser if approved else None,
                approved_at=self.past(written + timedelta(days=5)) if approved else None,
                content_hash=content_hash,
            )
            if approved and (self.rng.random() < 0.03 or self.first("revision")):
                self.add(
                    MinutesRevision,
                    minutes_id=minutes_id,
                    content=json.dumps({"general_notes": notes, "items": {}}),
                    content_hash=content_hash,
                    approved_by_id=info.organiser,
                    approved_at=self.past(written + timedelta(days=3)),
                    reopened_by_id=info.organiser,
                    reopened_at=self.past(written + timedelta(days=4)),
                    reason="Correction d'une décision mal retranscrite.",
                )

    # Households and cases ------------------------------------------------------------------

    def household_owner(self) -> Org:
        if not self.owner_weights:
            for org in self.orgs:
                weight = {
                    OrganisationKind.CCAS: 6,
                    OrganisationKind.ASSOCIATION: 3,
                    OrganisationKind.DEPARTEMENT: 3,
                    OrganisationKind.MISSION_LOCALE: 2,
                }.get(org.kind, 0.3)
                if org is self.main_ccas.get(org.territory):
                    weight *= 4  # the territory's main CCAS carries most situations
                self.owner_weights.append(weight if org.members else 0)
        return self.rng.choices(self.orgs, self.owner_weights)[0]

    def least_busy(self, meetings: list[MeetingInfo]) -> MeetingInfo | None:
        """Of a few meetings drawn at random, the one with the shortest agenda."""
        if not meetings:
            return None
        return min(self.rng.choices(meetings, k=4), key=lambda m: m.positions)

    def build_household(self) -> None:
        rng = self.rng
        org = self.household_owner()
        t = org.territory
        cases = []
        draw = rng.random()
        n_cases = 0 if draw < 0.15 else 1 if draw < 0.9 else 2
        for _ in range(n_cases):
            cases.append(self.plan_case(org))
        earliest = min([c["created"] for c in cases], default=self.between(self.start, self.now))
        created = max(
            self.start, earliest - timedelta(days=rng.randint(10, 90), seconds=rng.randint(0, 3600))
        )
        informed = bool(cases and any(c["status"] != CaseStatus.DRAFT for c in cases))
        informed = informed or rng.random() < 0.8
        author = self.pick_member(org)
        public = rng.choice(list(HouseholdPublic))
        adults = 2 if public in (HouseholdPublic.COUPLE, HouseholdPublic.FAMILLE) else 1
        children = (
            rng.randint(1, 4)
            if public in (HouseholdPublic.FAMILLE, HouseholdPublic.FAMILLE_MONOPARENTALE)
            else 0
        )
        ages = sorted(rng.randint(0, 17) for _ in range(children))
        prefix = f"{REFERENCE_PREFIX[org.kind]}-{created.year}-"
        self.reference_numbers[prefix] += 1
        typology = [Typology.T1, Typology.T2, Typology.T3, Typology.T4, Typology.T5][
            min(4, adults - 1 + children)
        ]
        household_id = self.add(
            Household,
            reference=f"{prefix}{self.reference_numbers[prefix]:03d}",
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
        for commune_id in rng.sample(self.communes[t], k=rng.randint(1, 3)):
            self.add(household_commune, household_id=household_id, commune_id=commune_id)
        for obstacle in rng.sample(list(Obstacle), k=rng.randint(0, 3)):
            self.add(HouseholdObstacle, household_id=household_id, obstacle=obstacle)
        self.add(
            HouseholdIdentity,
            household_id=household_id,
            phone=f"06 {rng.randint(10, 99)} {rng.randint(10, 99)} {rng.randint(10, 99)} "
            f"{rng.randint(10, 99)}",
            email="",
            address=f"{rng.randint(1, 80)} {rng.choice(STREETS)}",
        )
        first, last = self.person_name()
        year = created.year
        born = date(
            year
            - (
                rng.randint(18, 25)
                if public == HouseholdPublic.JEUNE_18_25
                else rng.randint(26, 60)
            ),
            rng.randint(1, 12),
            rng.randint(1, 28),
        )
        self.add(
            HouseholdPerson,
            household_id=household_id,
            role=PersonRole.DEMANDEUR,
            first_name=first,
            last_name=last,
            birth_date=born,
        )
        if adults == 2:
            self.add(
                HouseholdPerson,
                household_id=household_id,
                role=PersonRole.CONJOINT,
                first_name=rng.choice(FIRST_NAMES),
                last_name=last,
                birth_date=born + timedelta(days=rng.randint(-2000, 2000)),
            )
        for age in ages:
            self.add(
                HouseholdPerson,
                household_id=household_id,
                role=PersonRole.ENFANT,
                first_name=rng.choice(FIRST_NAMES),
                last_name=last,
                birth_date=date(year - age, rng.randint(1, 12), rng.randint(1, 28)),
            )
        self.add(
            AuditEvent,
            created=created,
            user_id=author,
            organisation_id=org.id,
            action=AuditAction.CREATE,
            object_type="household",
            object_id=household_id,
            summary=f"Dossier {prefix}{self.reference_numbers[prefix]:03d} créé",
            ip_address=None,
        )
        informed_on = None
        if informed:
            informed_on = min(self.today, (created + timedelta(days=rng.randint(0, 7))).date())
            self.add(
                InformationRecord,
                household_id=household_id,
                informed_on=informed_on,
                informed_by_id=author,
                what_is_shared="Situation, composition et identité du ménage",
                shared_with="Partenaires du comité technique et SIAO",
                # Some cases are shared with full access, and CCAS households go to the SIAO.
                allows_identity=True,
                created=self.at(informed_on, 10),
            )
        last_case = None
        for plan in cases:
            last_case = self.add_case(household_id, org, plan, author)
        if informed and org.kind == OrganisationKind.CCAS:
            self.candidate_pool[t].append(
                (informed_on, household_id, org.id, typology, author, last_case)
            )

    def plan_case(self, org: Org) -> dict:
        """A case's status and dates, chosen from its committee's calendar."""
        rng = self.rng
        t = org.territory
        kind = CommitteeKind.COMITE_TECHNIQUE
        ct_id, ct_members = self.committees[t][kind]
        siao_id, siao_members = self.committees[t][CommitteeKind.COMMISSION_SIAO]
        committee_id = ct_id
        if org.id in siao_members and rng.random() < 0.25:
            committee_id = siao_id
        order = [
            CaseStatus.DRAFT,
            CaseStatus.SUBMITTED,
            CaseStatus.ON_AGENDA,
            CaseStatus.DECIDED,
            CaseStatus.CLOSED,
        ]
        self.case_sequence += 1
        if self.case_sequence <= len(order):
            status = order[self.case_sequence - 1]
        else:
            status = rng.choices(order, (10, 12, 5, 15, 58))[0]
        past = self.past_by_committee.get(committee_id, [])
        future = self.future_by_committee.get(committee_id, [])
        plan = {"committee": committee_id, "status": status, "meeting": None, "closed": None}
        meeting = None
        if status == CaseStatus.ON_AGENDA:
            meeting = self.least_busy(future[:3])
        elif status in (CaseStatus.DECIDED, CaseStatus.CLOSED) and past:
            # Decisions still being carried out date from the last twelve months.
            low = 0
            if status == CaseStatus.DECIDED:
                low = bisect.bisect_left(
                    self.past_starts[committee_id], self.now - timedelta(days=365)
                )
            meeting = self.least_busy(past[min(low, len(past) - 1) :])
        if status in (CaseStatus.ON_AGENDA, CaseStatus.DECIDED, CaseStatus.CLOSED) and (
            meeting is None or meeting.positions - 2 >= MAX_CASES_PER_MEETING
        ):
            status = plan["status"] = CaseStatus.SUBMITTED  # no room on the agenda
        if status == CaseStatus.DRAFT:
            plan["created"] = self.now - timedelta(days=rng.uniform(0.5, 60))
            plan["submitted"] = None
        elif status == CaseStatus.SUBMITTED:
            plan["submitted"] = self.now - timedelta(days=rng.uniform(0.5, 40))
        elif status == CaseStatus.ON_AGENDA:
            plan["meeting"] = meeting
            plan["submitted"] = self.now - timedelta(days=rng.uniform(1, 30))
        else:
            plan["meeting"] = meeting
            plan["submitted"] = max(
                self.start + timedelta(days=12),
                meeting.starts_at - timedelta(days=rng.uniform(3, 25)),
            )
            if status == CaseStatus.CLOSED:
                room = (self.now - meeting.starts_at).total_seconds()
                plan["closed"] = meeting.starts_at + timedelta(seconds=rng.uniform(0.1, 0.9) * room)
        if plan["submitted"] is not None:
            plan["created"] = max(
                self.start + timedelta(days=11),
                plan["submitted"] - timedelta(days=rng.uniform(0, 12)),
            )
        return plan

    def add_case(self, household_id: int, org: Org, plan: dict, author: int | None) -> int:
        rng = self.rng
        t = org.territory
        status = plan["status"]
        created, submitted, meeting = plan["created"], plan["submitted"], plan["meeting"]
        if org is self.main_ccas.get(0) and rng.random() < 0.5:
            author = self.bench_user
        last_change = (
            plan["closed"]
            or (meeting.starts_at if meeting and meeting.starts_at < self.now else submitted)
            or created
        )
        title = rng.choice(CASE_TITLES)
        case_id = self.add(
            Case,
            household_id=household_id,
            organisation_id=org.id,
            committee_id=plan["committee"],
            created_by_id=author,
            title=title,
            question=rng.choice(CASE_QUESTIONS),
            status=status,
            created=created,
            submitted_at=submitted,
            closed_at=plan["closed"],
            updated=last_change,
        )

        def event(kind, when, summary, *, user=author, org_id=org.id, internal=False):
            self.add(
                CaseEvent,
                case_id=case_id,
                kind=kind,
                user_id=user,
                organisation_id=org_id,
                summary=summary,
                internal=internal,
                created=when,
            )

        event(CaseEventKind.CREATED, created, "Situation créée")
        self.add(
            AuditEvent,
            created=self.past(created + timedelta(minutes=5)),
            user_id=author,
            organisation_id=org.id,
            action=AuditAction.VIEW,
            object_type="household",
            object_id=household_id,
            summary="Consultation du dossier (identité et situation)",
            ip_address="10.0.0.1",
        )
        if submitted is None:
            return case_id
        event(CaseEventKind.STATUS, submitted, "Soumise au comité")
        end = plan["closed"] or self.now
        partners = [o for o in self.orgs if o.territory == t and o is not org and o.members]
        for partner in rng.sample(partners, k=min(len(partners), rng.choice((0, 1, 1, 2, 3)))):
            level = AccessLevel.FULL if rng.random() < 0.4 else AccessLevel.SITUATION
            shared = self.between(submitted, min(end, submitted + timedelta(days=7)))
            self.add(
                CaseParticipant,
                case_id=case_id,
                organisation_id=partner.id,
                level=level,
                reason="Suivi social du ménage",
                added_by_id=author,
                created=shared,
            )
            event(CaseEventKind.SHARED, shared, f"Partagée avec l'organisation n° {partner.id}")
            partner_user = self.pick_member(partner)
            self.add(
                AuditEvent,
                created=self.past(shared + timedelta(hours=2)),
                user_id=partner_user,
                organisation_id=partner.id,
                action=AuditAction.VIEW,
                object_type="household",
                object_id=household_id,
                summary="Consultation de la situation (pseudonymisée)",
                ip_address="10.0.0.2",
            )
            if rng.random() < 0.6:
                when = self.between(shared, end)
                self.add(
                    CaseNote,
                    case_id=case_id,
                    author_id=partner_user,
                    organisation_id=partner.id,
                    body=rng.choice(NOTES),
                    internal=False,
                    created=when,
                )
                event(
                    CaseEventKind.NOTE, when, "Note ajoutée", user=partner_user, org_id=partner.id
                )
        for _ in range(rng.randint(0, 3)):
            internal = rng.random() < 0.2
            when = self.between(submitted, end)
            self.add(
                CaseNote,
                case_id=case_id,
                author_id=author,
                organisation_id=org.id,
                body=rng.choice(NOTES),
                internal=internal,
                created=when,
            )
            event(
                CaseEventKind.NOTE,
                when,
                "Note interne ajoutée" if internal else "Note ajoutée",
                internal=internal,
            )
        if meeting is None:
            return case_id
        on_agenda = self.past(
            min(
                meeting.starts_at - timedelta(days=1),
                max(submitted, meeting.starts_at - timedelta(days=2)),
            )
        )
        event(CaseEventKind.STATUS, on_agenda, "Inscrite à l'ordre du jour")
        event(CaseEventKind.MEETING, on_agenda, f"Inscrite à « {meeting.kind.label} »")
        item_id = self.add(
            AgendaItem,
            meeting_id=meeting.id,
            position=meeting.positions,
            title=title,
            duration_minutes=15,
            presenter_organisation_id=org.id,
            case_id=case_id,
            notes="Situation présentée, échanges entre partenaires."
            if meeting.starts_at < self.now
            else "",
        )
        meeting.positions += 1
        if status not in (CaseStatus.DECIDED, CaseStatus.CLOSED):
            return case_id
        decided = meeting.starts_at + timedelta(hours=1)
        kind = rng.choices(list(DECISION_TEXTS), (5, 3, 3, 3, 2, 1, 1, 2, 1))[0]
        decision_id = self.add(
            Decision,
            meeting_id=meeting.id,
            agenda_item_id=item_id,
            case_id=case_id,
            kind=kind,
            text=DECISION_TEXTS[kind],
            created_by_id=meeting.organiser,
            created=decided,
        )
        takers = {org.id, *rng.sample(meeting.members, k=min(2, len(meeting.members)))}
        for org_id in takers:
            self.add(decision_organisation, decision_id=decision_id, organisation_id=org_id)
        if rng.random() < 0.05 or self.first("position"):
            dissent = rng.choice(meeting.members)
            self.add(
                DecisionPosition,
                decision_id=decision_id,
                organisation_id=dissent,
                position="Réserve : ressources à confirmer avant l'entrée.",
            )
        event(CaseEventKind.STATUS, decided, "Décision prise", user=meeting.organiser)
        event(CaseEventKind.DECISION, decided, DECISION_TEXTS[kind], user=meeting.organiser)
        for _ in range(rng.choice((0, 1, 1, 2))):
            self.add_action(case_id, org, meeting, decision_id, status, plan["closed"])
        if status == CaseStatus.CLOSED:
            event(CaseEventKind.STATUS, plan["closed"], "Close")
        return case_id

    def add_action(self, case_id, org, meeting, decision_id, case_status, closed) -> None:
        rng = self.rng
        responsible = org if rng.random() < 0.6 else self.org_by_id[rng.choice(meeting.members)]
        user_id = self.pick_member(responsible) if rng.random() < 0.7 else None
        if responsible is self.main_ccas.get(0) and rng.random() < 0.5:
            user_id = self.bench_user
        due = (meeting.starts_at + timedelta(days=rng.randint(14, 60))).date()
        draw = rng.random()
        if case_status == CaseStatus.CLOSED:
            status = ActionStatus.DONE if draw < 0.85 else ActionStatus.CANCELLED
        elif due < self.today:
            # Most late actions get done; a few stay open and show as overdue.
            status = (
                ActionStatus.OPEN
                if draw < 0.12 or self.first("overdue")
                else ActionStatus.DONE
                if draw < 0.9
                else ActionStatus.CANCELLED
            )
        else:
            status = ActionStatus.OPEN if draw < 0.8 else ActionStatus.DONE
        created = meeting.starts_at + timedelta(hours=1, minutes=30)
        closed_at = None
        if status != ActionStatus.OPEN:
            closed_at = self.between(created, min(closed or self.now, self.at(due, 17)))
        closer = (user_id or self.pick_member(responsible)) if closed_at else None
        self.add(
            FollowUpAction,
            meeting_id=meeting.id,
            committee_id=meeting.committee,
            decision_id=decision_id,
            case_id=case_id,
            description=rng.choice(ACTION_TEXTS),
            organisation_id=responsible.id,
            user_id=user_id,
            due_on=due,
            status=status,
            closing_note="Fait."
            if status == ActionStatus.DONE
            else ("Plus nécessaire." if status == ActionStatus.CANCELLED else ""),
            closed_at=closed_at,
            closed_by_id=closer,
            overdue_notified_at=self.past(self.at(due + timedelta(days=1), 7))
            if status == ActionStatus.OPEN and due < self.today
            else None,
            created=created,
        )
        self.add(
            CaseEvent,
            case_id=case_id,
            kind=CaseEventKind.ACTION,
            user_id=meeting.organiser,
            organisation_id=org.id,
            summary="Action de suivi créée",
            internal=False,
            created=created,
        )

    # Programmes, units, candidacies, measures ----------------------------------------------

    def build_housing(self) -> None:
        rng = self.rng
        self.private_units: list[tuple[int, int, int, datetime, bool]] = []  # unit, owner, …
        siao_users = self.siao.members or [None]
        for t, territory_id in enumerate(self.territories):
            pool = sorted(self.candidate_pool.get(t, []))  # by date informed
            households_here = len(pool)
            landlords = [
                o
                for o in self.orgs
                if o.territory == t and o.kind == OrganisationKind.BAILLEUR_SOCIAL
            ]
            commission = self.past_by_committee.get(
                self.committees[t][CommitteeKind.COMMISSION_SIAO][0], []
            )
            commission_starts = [m.starts_at for m in commission]
            for name, description, per in PROGRAMMES:
                capacity = max(3, households_here // per)
                programme_id = self.add(
                    Programme,
                    territory_id=territory_id,
                    name=name,
                    description=description,
                    capacity=capacity,
                    active=True,
                    created=self.start,
                )
                open_count = max(1, int(capacity * 0.85))
                history = max(2, int(capacity * self.years * 12 / 15))
                slots = [CandidacyStatus.HOUSED] * (open_count + history)
                others = [
                    CandidacyStatus.DRAFT,
                    CandidacyStatus.SUBMITTED,
                    CandidacyStatus.MORE_INFO_REQUESTED,
                    CandidacyStatus.VALIDATED,
                    CandidacyStatus.REFUSED,
                    CandidacyStatus.WITHDRAWN,
                ]
                weights = (1, 2, 1, 2, 3, 1)
                for status, weight in zip(others, weights, strict=True):
                    slots += [status] * max(1, int(capacity * weight * 0.25))
                # One of each status first, so that even a tiny territory shows them all.
                firsts = [CandidacyStatus.HOUSED, *others]
                rest = slots[:]
                for status in firsts:
                    rest.remove(status)
                rng.shuffle(rest)
                opened = 0
                for status in firsts + rest:
                    if not pool:
                        break
                    is_open = status == CandidacyStatus.HOUSED and opened < open_count
                    opened += is_open
                    self.add_candidacy(
                        t,
                        programme_id,
                        status,
                        is_open,
                        pool,
                        landlords,
                        commission,
                        commission_starts,
                        siao_users,
                    )

    def add_candidacy(
        self,
        t,
        programme_id,
        status,
        is_open,
        pool,
        landlords,
        commission,
        commission_starts,
        siao_users,
    ) -> None:
        rng = self.rng
        # When things happen: a measure open now started in the last 20 months, a finished
        # one earlier; undecided candidacies are recent.
        if status == CandidacyStatus.HOUSED:
            if is_open:
                # Every other open measure has passed its twelve months and was extended.
                self.open_measures += 1
                extended = self.open_measures % 2 == 0
                start = self.today - timedelta(
                    days=rng.randint(380, 520) if extended else rng.randint(15, 330)
                )
            else:
                latest = max(
                    self.start.date() + timedelta(days=200), self.today - timedelta(days=200)
                )
                start = self.start.date() + timedelta(
                    days=rng.randint(150, max(151, (latest - self.start.date()).days))
                )
            decided = self.at(start - timedelta(days=rng.randint(10, 50)), 14)
        elif status in (
            CandidacyStatus.VALIDATED,
            CandidacyStatus.REFUSED,
            CandidacyStatus.WITHDRAWN,
        ):
            decided = self.now - timedelta(days=rng.randint(5, 400))
        else:
            decided = None
        submitted = (decided or self.now) - timedelta(days=rng.randint(15, 60))
        if status == CandidacyStatus.DRAFT:
            submitted = None
        created = (submitted or self.now) - timedelta(days=rng.randint(1, 20))
        # The household was informed before anything was sent to the SIAO.
        limit = created.date() - timedelta(days=1)
        index = bisect.bisect_right(pool, (limit, 1 << 60)) - 1
        if index < 0:
            return
        informed_on, household_id, org_id, typology, author, case_id = pool.pop(
            rng.randint(max(0, index - 200), index)
        )
        meeting_id = None
        if decided is not None and commission:
            where = bisect.bisect_right(commission_starts, decided) - 1
            if where >= 0 and decided - commission[where].starts_at < timedelta(days=45):
                meeting_id = commission[where].id
                decided = commission[where].starts_at + timedelta(hours=1)
        siao_user = rng.choice(siao_users)
        candidacy_id = self.add(
            Candidacy,
            household_id=household_id,
            programme_id=programme_id,
            organisation_id=org_id,
            siao_id=self.siao.id,
            created_by_id=author,
            case_id=case_id,
            status=status,
            siao_number=f"SIAO29-{created.year}-{self.next_siao_number():05d}",
            requested_typology=typology,
            budget_worked=rng.random() < 0.7,
            rent_capacity=Decimal(rng.randint(150, 450)),
            support_in_place="Accompagnement social du CCAS",
            readiness_notes="Prêt à sortir, budget travaillé avec la conseillère.",
            submitted_at=submitted,
            decided_at=decided,
            validated_at=decided
            if status in (CandidacyStatus.VALIDATED, CandidacyStatus.HOUSED)
            else None,
            decided_by_id=siao_user if decided else None,
            decision_meeting_id=meeting_id,
            refusal_reason=rng.choice(list(RefusalReason))
            if status == CandidacyStatus.REFUSED
            else None,
            decision_comment="",
            created=created,
            updated=decided or submitted or created,
        )
        for commune_id in rng.sample(self.communes[t], k=rng.randint(1, 2)):
            self.add(candidacy_commune, candidacy_id=candidacy_id, commune_id=commune_id)
        # Its history, step by step.
        steps = [(None, CandidacyStatus.DRAFT, created, author, org_id)]
        if submitted:
            steps.append(
                (CandidacyStatus.DRAFT, CandidacyStatus.SUBMITTED, submitted, author, org_id)
            )
        if status == CandidacyStatus.MORE_INFO_REQUESTED:
            steps.append(
                (
                    CandidacyStatus.SUBMITTED,
                    status,
                    submitted + timedelta(days=7),
                    siao_user,
                    self.siao.id,
                )
            )
        if status in (CandidacyStatus.VALIDATED, CandidacyStatus.REFUSED, CandidacyStatus.HOUSED):
            to = (
                CandidacyStatus.REFUSED
                if status == CandidacyStatus.REFUSED
                else (CandidacyStatus.VALIDATED)
            )
            steps.append((CandidacyStatus.SUBMITTED, to, decided, siao_user, self.siao.id))
        if status == CandidacyStatus.WITHDRAWN:
            steps.append((CandidacyStatus.SUBMITTED, status, decided, author, org_id))
        for from_status, to_status, when, user, org in steps:
            self.add(
                CandidacyEvent,
                candidacy_id=candidacy_id,
                from_status=from_status,
                to_status=to_status,
                user_id=user,
                organisation_id=org,
                comment="",
                created=when,
            )
        if status != CandidacyStatus.HOUSED:
            return
        self.add(
            CandidacyEvent,
            candidacy_id=candidacy_id,
            from_status=CandidacyStatus.VALIDATED,
            to_status=CandidacyStatus.HOUSED,
            user_id=author,
            organisation_id=org_id,
            comment="Mesure ouverte",
            created=self.at(start, 10),
        )
        self.add_measure(
            t,
            programme_id,
            candidacy_id,
            household_id,
            org_id,
            typology,
            author,
            start,
            is_open,
            landlords,
        )

    def add_measure(
        self,
        t,
        programme_id,
        candidacy_id,
        household_id,
        org_id,
        typology,
        referent,
        start,
        is_open,
        landlords,
    ) -> None:
        rng = self.rng
        rent = Decimal(rng.randint(300, 650))
        charges = Decimal(rng.randint(20, 90))
        private = rng.random() < 0.4 or not landlords or not self.private_units
        private_owner = rng.choice(self.landlords) if private else None
        months = (self.today.year - start.year) * 12 + self.today.month - start.month
        if is_open:
            status = MeasureStatus.EXTENDED if months >= 12 else MeasureStatus.ACTIVE
            end = None
        else:
            self.closed_measures += 1
            slid = self.closed_measures % 5 in (0, 1, 3)
            status = MeasureStatus.SLID if slid else MeasureStatus.ENDED
            end = start + relativedelta(
                months=rng.choice((6, 12)) if status == MeasureStatus.SLID else rng.randint(3, 12)
            )
            end = min(end, self.today - timedelta(days=1))
        unit_status = (
            UnitStatus.LET
            if is_open
            else (UnitStatus.RETURNED if status == MeasureStatus.SLID else UnitStatus.AVAILABLE)
        )
        commune_id = rng.choice(self.communes[t])
        unit_id = self.add(
            Unit,
            commune_id=commune_id,
            address=f"{rng.randint(1, 120)} {rng.choice(STREETS)}",
            typology=typology,
            surface=Decimal(rng.randint(18, 90)),
            rooms=max(1, int(typology.value[1])),
            floor=rng.randint(0, 5),
            lift=rng.random() < 0.3,
            accessible=rng.random() < 0.15,
            rent=rent,
            charges=charges,
            dpe_class=rng.choice(list(DpeClass)[:6]),
            available_from=start - timedelta(days=rng.randint(5, 40)),
            status=unit_status,
            landlord_organisation_id=None if private_owner else rng.choice(landlords).id,
            private_landlord_id=private_owner,
            notes="",
            created_by_id=referent,
            created=self.at(start - timedelta(days=60)),
            updated=self.at(end or start),
        )
        if private_owner:
            self.private_units.append((unit_id, private_owner, commune_id, start, is_open))
        share = (rent + charges) * Decimal("0.35")
        extended_until = (
            start + relativedelta(months=18) if status == MeasureStatus.EXTENDED else None
        )
        measure_id = self.add(
            Measure,
            candidacy_id=candidacy_id,
            programme_id=programme_id,
            unit_id=unit_id,
            household_id=household_id,
            organisation_id=org_id,
            referent_id=referent,
            start_date=start,
            rent=rent,
            charges=charges,
            household_share=share.quantize(Decimal("0.01")),
            status=status,
            extended_until=extended_until,
            end_date=end,
            end_reason=rng.choice(list(MeasureEndReason))
            if status == MeasureStatus.ENDED
            else None,
            created_by_id=referent,
            created=self.at(start),
            updated=self.at(end or start),
        )
        # Reviews: at 6, 10 and 12 months, and at the end of a prolongation.
        last = end or self.today
        reviews = [
            (BilanKind.SIX_MONTHS, 6),
            (BilanKind.TEN_MONTHS, 10),
            (BilanKind.TWELVE_MONTHS, 12),
        ]
        for kind, after in reviews:
            due = start + relativedelta(months=after)
            if due > last + timedelta(days=60):
                break
            held = due <= last and (not is_open or rng.random() < 0.9)
            outcome = None
            if held:
                final = kind == BilanKind.TWELVE_MONTHS or (end and due + timedelta(days=31) >= end)
                if final and status == MeasureStatus.SLID:
                    outcome = BilanOutcome.GLISSEMENT
                elif final and status == MeasureStatus.ENDED:
                    outcome = BilanOutcome.FIN_DE_MESURE
                elif final and status == MeasureStatus.EXTENDED:
                    outcome = BilanOutcome.PROLONGATION
                else:
                    outcome = BilanOutcome.POURSUITE
            self.add_bilan(measure_id, kind, due, held, outcome, referent, extended_until)
            if outcome in (BilanOutcome.GLISSEMENT, BilanOutcome.FIN_DE_MESURE):
                break
        if extended_until and extended_until <= self.today + timedelta(days=60):
            self.add_bilan(
                measure_id, BilanKind.EXTENSION, extended_until, False, None, referent, None
            )
        # Rent, month by month, until the end of the measure.
        month = start.replace(day=1)
        while month <= last.replace(day=1):
            draw = rng.random()
            status_rent = (
                RentStatus.PAID
                if draw < 0.85
                else RentStatus.LATE
                if draw < 0.95
                else RentStatus.UNPAID
            )
            due_amount = share.quantize(Decimal("0.01"))
            self.add(
                RentRecord,
                measure_id=measure_id,
                month=month,
                status=status_rent,
                amount_due=due_amount,
                amount_paid=Decimal("0") if status_rent == RentStatus.UNPAID else due_amount,
                recorded_by_id=referent,
                organisation_id=org_id,
                created=self.past(self.at(month + relativedelta(months=1), 11)),
                updated=self.past(self.at(month + relativedelta(months=1), 11)),
            )
            month += relativedelta(months=1)

    def add_bilan(self, measure_id, kind, due, held, outcome, referent, next_date) -> None:
        self.add(
            Bilan,
            measure_id=measure_id,
            kind=kind,
            due_date=due,
            held_on=min(self.today, due + timedelta(days=self.rng.randint(-7, 7)))
            if held
            else None,
            outcome=outcome,
            rent_paid_regularly=(self.rng.random() < 0.8) if held else None,
            situation_stabilised=(self.rng.random() < 0.7) if held else None,
            landlord_present=held,
            household_present=held,
            summary="Loyer réglé, accompagnement poursuivi." if held else "",
            next_date=next_date if outcome == BilanOutcome.PROLONGATION else None,
            end_reason=None,
            meeting_id=None,
            recorded_by_id=referent if held else None,
            alert_sent_at=self.at(due - timedelta(days=30), 7) if due < self.today else None,
            overdue_alert_sent_at=self.past(self.at(due + timedelta(days=8), 7))
            if not held and due + timedelta(days=7) < self.today
            else None,
            created=self.at(due - timedelta(days=180)),
        )

    # Private landlords' offers -------------------------------------------------------------

    def build_offers(self) -> None:
        rng = self.rng
        ccas_staff = [u for org in self.main_ccas.values() for u in org.members] or [None]
        # Units from private owners came through an offer, which reached "allocated" (let)
        # or "available" (back on the market).
        for unit_id, owner, commune_id, start, is_open in self.private_units:
            final = OfferStatus.ALLOCATED if is_open else OfferStatus.AVAILABLE
            self.add_offer(
                owner,
                final,
                commune_id,
                unit_id,
                self.at(start) - timedelta(days=150),
                rng.choice(ccas_staff),
            )
        others = [s for s in OfferStatus if s not in (OfferStatus.ALLOCATED,)]
        count = max(len(others), self.n_households // 40)
        communes = [c for ids in self.communes for c in ids]
        for i in range(count):
            final = others[i] if i < len(others) else rng.choice(others)
            begun = self.now - timedelta(days=rng.randint(10, 365 * self.years - 20))
            owner, commune_id, unit_id = rng.choice(self.landlords), rng.choice(communes), None
            if final == OfferStatus.AVAILABLE:
                # An available offer has become a unit the CCAS may rent; every other one
                # is being proposed to a household.
                self.offer_units += 1
                offered = self.offer_units % 2 == 1
                typology = rng.choice(list(Typology)[:4])
                unit_id = self.add(
                    Unit,
                    commune_id=commune_id,
                    address=f"{rng.randint(1, 120)} {rng.choice(STREETS)}",
                    typology=typology,
                    surface=Decimal(rng.randint(18, 90)),
                    rooms=int(typology.value[1]),
                    floor=rng.randint(0, 4),
                    lift=False,
                    accessible=False,
                    rent=Decimal(rng.randint(300, 650)),
                    charges=Decimal(rng.randint(20, 90)),
                    dpe_class=DpeClass.D,
                    available_from=self.today + timedelta(days=rng.randint(0, 60)),
                    status=UnitStatus.OFFERED if offered else UnitStatus.AVAILABLE,
                    landlord_organisation_id=None,
                    private_landlord_id=owner,
                    notes="",
                    created_by_id=None,
                    created=begun,
                    updated=begun,
                )
            self.add_offer(owner, final, commune_id, unit_id, begun, rng.choice(ccas_staff))

    def add_offer(self, owner, final, commune_id, unit_id, begun, assignee) -> None:
        rng = self.rng
        if final in (OfferStatus.BLOCKED, OfferStatus.REFUSED):
            stop = rng.randint(1, 5)
            path = PIPELINE[: stop + 1] + [final]
        else:
            path = PIPELINE[: PIPELINE.index(final) + 1]
        span = max(timedelta(days=2), min(self.now, begun + timedelta(days=300)) - begun)
        moments = sorted(begun + span * rng.random() for _ in path)
        moments[0] = begun
        reason = (
            rng.choice(list(OfferReason))
            if final in (OfferStatus.BLOCKED, OfferStatus.REFUSED)
            else None
        )
        typology = rng.choice(list(Typology)[:4])
        signed = next(
            (m for s, m in zip(path, moments, strict=True) if s == OfferStatus.AGREEMENT_SIGNED),
            None,
        )
        visit = next(
            (m for s, m in zip(path, moments, strict=True) if s == OfferStatus.VISIT_PLANNED), None
        )
        submitted = moments[1] if len(path) > 1 else None
        offer_id = self.add(
            LandlordOffer,
            owner_id=owner,
            status=final,
            reason=reason,
            reason_comment="Travaux d'isolation à prévoir." if reason else "",
            owner_kind=OwnerKind.COMPANY if rng.random() < 0.15 else OwnerKind.PERSON,
            company_name="",
            contact_phone="06 98 76 54 32",
            consent_to_contact=True,
            address=f"{rng.randint(1, 120)} {rng.choice(STREETS)}",
            commune_id=commune_id,
            typology=typology,
            surface=Decimal(rng.randint(18, 90)),
            main_room_surface=Decimal(rng.randint(9, 25)),
            ceiling_height=Decimal("2.50"),
            rooms=max(1, int(typology.value[1])),
            floor=rng.randint(0, 4),
            lift=rng.random() < 0.3,
            accessible=rng.random() < 0.1,
            rent=Decimal(rng.randint(300, 650)),
            charges=Decimal(rng.randint(20, 90)),
            dpe_class=rng.choice(list(DpeClass)[:6]),
            dpe_number="",
            furnished=rng.random() < 0.2,
            available_from=(begun + timedelta(days=60)).date(),
            vacant_since=(begun - timedelta(days=30)).date(),
            preferred_scheme=rng.choice(list(PreferredScheme)),
            assigned_to_id=assignee if final != OfferStatus.DRAFT else None,
            visit_at=visit + timedelta(days=5) if visit else None,
            unit_id=unit_id,
            submitted_at=submitted,
            agreement_signed_at=signed,
            status_changed_at=moments[-1],
            created=begun,
            updated=moments[-1],
        )
        previous = None
        for status, moment in zip(path, moments, strict=True):
            self.add(
                OfferStatusChange,
                offer_id=offer_id,
                from_status=previous,
                to_status=status,
                reason=reason if status == final else None,
                user_id=owner if status in (OfferStatus.DRAFT, OfferStatus.NEW) else assignee,
                comment="",
                created=moment,
            )
            previous = status
        self.add_offer_extras(offer_id, owner, assignee, path, moments)

    def add_offer_extras(self, offer_id, owner, assignee, path, moments) -> None:
        """Messages and the visit checklist, when the landlords feature has these tables."""
        rng = self.rng
        message = getattr(models, "OfferMessage", None)
        if message is not None and len(path) > 2:
            for author, internal, body in (
                (assignee, False, "Bonjour, pouvons-nous convenir d'une visite ?"),
                (owner, False, "Oui, je suis disponible en semaine."),
                (assignee, True, "Propriétaire réactif, logement bien situé."),
            )[: rng.randint(1, 3)]:
                self.add(
                    message,
                    offer_id=offer_id,
                    author_id=author,
                    internal=internal,
                    body=body,
                    created=self.between(moments[1], moments[-1]),
                )
        checklist = getattr(models, "VisitChecklist", None)
        if checklist is not None and OfferStatus.VISITED in path:
            decent = OfferStatus.AGREEMENT_SIGNED in path or rng.random() < 0.7
            items = {name: decent or rng.random() < 0.7 for name, _label in checklist.ITEMS}
            self.add(
                checklist,
                offer_id=offer_id,
                result=models.VisitResult.DECENT if decent else models.VisitResult.MINOR_WORKS,
                comment="",
                checked_by_id=assignee,
                updated=moments[path.index(OfferStatus.VISITED)],
                **items,
            )

    def next_siao_number(self) -> int:
        self.siao_numbers += 1
        return self.siao_numbers

    # Sign-ins --------------------------------------------------------------------------------

    def build_logins(self) -> None:
        """A sign-in trail: about two a month for each person."""
        for user_id in self.audit_users:
            for _ in range(self.rng.randint(self.years * 12, self.years * 36)):
                self.add(
                    AuditEvent,
                    created=self.between(self.start, self.now),
                    user_id=user_id,
                    organisation_id=None,
                    action=AuditAction.LOGIN,
                    object_type="user",
                    object_id=user_id,
                    summary="Connexion",
                    ip_address="10.0.0.3",
                )


def fix_sequences() -> None:
    """Ids were chosen here: move PostgreSQL's sequences past them."""
    if db.engine.dialect.name != "postgresql":
        return
    for table in db.metadata.sorted_tables:
        if "id" in table.c and table.c.id.primary_key and table.c.id.autoincrement:
            db.session.execute(
                sa.text(
                    f"SELECT setval(pg_get_serial_sequence('\"{table.name}\"', 'id'), "
                    f'COALESCE((SELECT MAX(id) FROM "{table.name}"), 0) + 1, false)'
                )
            )


def database_is_empty() -> bool:
    return not (
        db.session.scalar(sa.select(sa.func.count(User.id)))
        or db.session.scalar(sa.select(sa.func.count(Organisation.id)))
    )


def generate(households: int, years: int, **options) -> dict[str, int]:
    """Fill an empty database (flushes only; the caller commits). Returns rows per table."""
    if not database_is_empty():
        raise ValueError("the scale data is generated in an empty database only")  # ids from 1
    return ScaleGenerator(households, years, **options).run()
