"""Territories, communes, organisations, committees, people and their sign-ins."""

import unicodedata
from datetime import timedelta

from portal.auth.two_factor import DEMO_TOTP_SECRET
from portal.models import (
    AuditAction,
    AuditEvent,
    Committee,
    CommitteeKind,
    Commune,
    Invitation,
    Membership,
    MembershipRole,
    Organisation,
    OrganisationKind,
    Territory,
    User,
    UserKind,
    committee_organisation,
)
from portal.models.people import new_session_token
from portal.scale.generator import BENCH_EMAIL, Org, ScaleGenerator
from portal.scale.vocabulary import COMMUNES, TERRITORIES


def ascii_slug(text: str) -> str:
    plain = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return "".join(c if c.isalnum() else "-" for c in plain.lower()).strip("-")


def build_structure(gen: ScaleGenerator) -> None:
    rng = gen.rng
    n_terr = gen.size["territories"]
    created = gen.start - timedelta(days=30)
    gen.territories = []
    gen.communes = []
    gen.commune_names = {}
    per_territory = max(6, len(COMMUNES) // n_terr)
    for t in range(n_terr):
        gen.territories.append(gen.add(Territory, name=TERRITORIES[t], created=created))
        ids = []
        for k in range(per_territory):
            name = COMMUNES[(t * per_territory + k) % len(COMMUNES)]
            commune_id = gen.add(Commune, territory_id=gen.territories[t], name=name)
            gen.commune_names[commune_id] = name
            ids.append(commune_id)
        gen.communes.append(ids)

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
    for i in range(max(0, gen.size["organisations"] - len(plan))):
        plan.append((extra_kinds[i % len(extra_kinds)], i % n_terr))

    gen.orgs = []
    gen.main_ccas = {}
    gen.siao = None
    names: set[str] = set()
    for kind, t in plan:
        commune = gen.commune_names[rng.choice(gen.communes[t])]
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
        org_id = gen.add(
            Organisation,
            name=name,
            kind=kind,
            territory_id=gen.territories[t],
            contact_email=f"contact@{ascii_slug(name)}.exemple.fr",
            active=True,
            created=created,
        )
        org = Org(org_id, kind, t)
        gen.orgs.append(org)
        if kind == OrganisationKind.CCAS and t not in gen.main_ccas:
            gen.main_ccas[t] = org
        if kind == OrganisationKind.SIAO:
            gen.siao = org
    gen.org_by_id = {o.id: o for o in gen.orgs}

    # Committees: each territory has the three instances of the scheme.
    gen.committees = {}
    wide = [o.id for o in gen.orgs if o.kind in (OrganisationKind.SIAO, OrganisationKind.ETAT)]
    for t in range(n_terr):
        here = [o for o in gen.orgs if o.territory == t]
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
                | {gen.main_ccas[t].id}
                | set(wide)
            ),
            CommitteeKind.COMMISSION_SIAO: sorted(
                {
                    o.id
                    for o in here
                    if o.kind in (OrganisationKind.CCAS, OrganisationKind.ASSOCIATION)
                }
                | {gen.siao.id}
            ),
        }
        gen.committees[t] = {}
        for kind, org_ids in members.items():
            committee_id = gen.add(
                Committee,
                name=f"{kind.label} — {TERRITORIES[t]}",
                kind=kind,
                territory_id=gen.territories[t],
                description=f"{kind.label} du territoire {TERRITORIES[t]}.",
                active=True,
                created=created,
            )
            for org_id in org_ids:
                gen.add(committee_organisation, committee_id=committee_id, organisation_id=org_id)
            gen.committees[t][kind] = (committee_id, org_ids)

    # Staff: at least two per organisation, more in the CCAS.
    weights = [4 if o.kind == OrganisationKind.CCAS else 1 for o in gen.orgs]
    staff_orgs = [o for o in gen.orgs for _ in range(2)]
    staff_orgs += rng.choices(gen.orgs, weights, k=max(0, gen.size["users"] - len(staff_orgs) - 1))
    bench_org = gen.main_ccas[0]
    gen.coordinators = {}
    gen.bench_user = add_user(
        gen, BENCH_EMAIL, "Camille Bench", bench_org, MembershipRole.MEMBER, created
    )
    for org in staff_orgs:
        first, last = gen.person_name()
        number = gen.next_ids["user_account"]
        email = f"{ascii_slug(first)}.{ascii_slug(last)}.{number}@exemple.fr"
        role = MembershipRole.ADMIN if not org.admins else MembershipRole.MEMBER
        coordinator = org is gen.main_ccas.get(org.territory) and not org.admins
        user_id = add_user(
            gen, email, f"{first} {last}", org, role, created, coordinator=coordinator
        )
        if coordinator:
            gen.coordinators[org.territory] = user_id
    # A few people work for two organisations; a few memberships have ended.
    staff = [(u, o) for o in gen.orgs for u in o.members if u != gen.bench_user]
    for user_id, org in rng.sample(staff, k=len(staff) // 20):
        other = rng.choice(gen.orgs)
        if other is not org and user_id not in other.members:
            add_membership(gen, user_id, other, MembershipRole.MEMBER, created)
    for user_id, _org in rng.sample(staff, k=max(1, len(staff) // 50)):
        former = rng.choice(gen.orgs)  # where they worked before
        if user_id not in former.members:
            add_membership(gen, user_id, former, MembershipRole.MEMBER, created, ended=True)

    # Invitations: most accepted long ago, a few still waiting for an answer.
    for i, org in enumerate(gen.orgs[: max(2, len(gen.orgs) // 5)]):
        sent = gen.now - timedelta(days=2 if i % 2 else 400)
        first, last = gen.person_name()
        gen.add(
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

    # Private owners: accounts of their own, without any membership.
    gen.landlords = []
    for _ in range(max(6, gen.n_households // 60)):
        first, last = gen.person_name()
        number = gen.next_ids["user_account"]
        gen.landlords.append(
            gen.add(
                User,
                email=f"proprietaire.{number}@exemple.fr",
                full_name=f"{first} {last}",
                phone="06 12 34 56 78",
                kind=UserKind.PRIVATE_OWNER,
                password_hash=gen.password_hash,
                is_coordinator=False,
                active=True,
                links_nonce=new_session_token(),
                email_confirmed_at=gen.between(gen.start, gen.now),
                created=gen.start,
            )
        )


def add_user(
    gen: ScaleGenerator, email, full_name, org, role, created, *, coordinator=False
) -> int:
    # Every generated account has the demo second factor (README): staff of a CCAS or a
    # SIAO, admins and coordinators must give one to sign in, the benchmark's too.
    user_id = gen.add(
        User,
        email=email,
        full_name=full_name,
        phone=None,
        kind=UserKind.STAFF,
        password_hash=gen.password_hash,
        is_coordinator=coordinator,
        active=True,
        links_nonce=new_session_token(),
        totp_secret=DEMO_TOTP_SECRET,
        totp_enabled_at=created,
        totp_last_step=None,
        email_confirmed_at=created,
        created=created,
    )
    add_membership(gen, user_id, org, role, created)
    gen.audit_users.append(user_id)
    return user_id


def add_membership(gen: ScaleGenerator, user_id, org, role, created, *, ended=False) -> None:
    if (user_id, org.id) in gen.memberships:
        return
    gen.memberships.add((user_id, org.id))
    gen.add(
        Membership,
        user_id=user_id,
        organisation_id=org.id,
        role=role,
        active=not ended,
        started_on=created.date(),
        ended_on=gen.today - timedelta(days=gen.rng.randint(30, 300)) if ended else None,
        created=created,
    )
    if not ended:
        org.members.append(user_id)
        if role == MembershipRole.ADMIN:
            org.admins.append(user_id)


def build_logins(gen: ScaleGenerator) -> None:
    """A sign-in trail: about two a month for each person."""
    for user_id in gen.audit_users:
        for _ in range(gen.rng.randint(gen.years * 12, gen.years * 36)):
            gen.add(
                AuditEvent,
                created=gen.between(gen.start, gen.now),
                user_id=user_id,
                organisation_id=None,
                action=AuditAction.LOGIN,
                object_type="user",
                object_id=user_id,
                summary="Connexion",
                ip_address="10.0.0.3",
            )
