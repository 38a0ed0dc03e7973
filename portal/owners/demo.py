"""Demo data of the private owners' feature, loaded after the decisions and actions:
the rules with their sources, example ceilings, and the demo owner's offers at several
stages (one blocked with its reason, one available with its unit)."""

from datetime import date, timedelta
from decimal import Decimal

import sqlalchemy as sa

from portal.extensions import db
from portal.models import (
    Commune,
    DpeClass,
    OfferMessage,
    OfferReason,
    OfferStatus,
    OfferStatusChange,
    OwnerKind,
    OwnerOffer,
    PreferredScheme,
    Typology,
    VisitChecklist,
    VisitResult,
    now_utc,
)
from portal.owners.services import create_unit, seed_example_ceilings, seed_rules

OWNER = "proprietaire@exemple.demo"
STAFF = "social@ccas-concarneau.demo"
S = OfferStatus

# address, commune, typology, surface, rent, charges, DPE, scheme, path of stages with the
# days ago each was reached, (reason, comment) when blocked.
OFFERS = [
    (
        "12 rue Vauban",
        "Concarneau",
        Typology.T2,
        "42.50",
        "480",
        "35",
        DpeClass.D,
        PreferredScheme.SUBLEASE,
        [(S.NEW, 3)],
        None,
    ),
    (
        "4 place de l'Église",
        "Trégunc",
        Typology.T1,
        "28",
        "360",
        "20",
        DpeClass.C,
        PreferredScheme.UNKNOWN,
        [(S.NEW, 30), (S.FIRST_CONTACT, 25), (S.VISIT_PLANNED, 20)],
        None,
    ),
    (
        "7 chemin de Kerandon",
        "Rosporden",
        Typology.T3,
        "61",
        "590",
        "40",
        DpeClass.E,
        PreferredScheme.MANDATE,
        [(S.NEW, 70), (S.FIRST_CONTACT, 62), (S.VISIT_PLANNED, 55), (S.VISITED, 48)],
        (OfferReason.WORKS_NEEDED, "Menuiseries à remplacer et VMC à installer avant la location."),
    ),
    (
        "2 quai Carnot",
        "Concarneau",
        Typology.T2,
        "38",
        "430",
        "30",
        DpeClass.C,
        PreferredScheme.SUBLEASE,
        [
            (S.NEW, 150),
            (S.FIRST_CONTACT, 145),
            (S.VISIT_PLANNED, 138),
            (S.VISITED, 130),
            (S.FINANCIAL_PROPOSAL, 120),
            (S.AGREEMENT_SIGNED, 95),
            (S.AVAILABLE, 90),
        ],
        None,
    ),
]


def load_demo_owners(data: dict) -> None:
    """Flushes only, like the other demo loaders."""
    seed_rules()
    communes = {c.name: c for c in db.session.scalars(sa.select(Commune))}
    seed_example_ceilings(communes.values())
    owner = data["users"][OWNER]
    staff = data["users"][STAFF]
    now = now_utc()
    offers = []
    for row in OFFERS:
        address, commune, typology, surface, rent, charges, dpe, scheme, path, block = row
        offer = OwnerOffer(
            owner=owner,
            status=S.DRAFT,
            owner_kind=OwnerKind.PERSON,
            contact_phone="06 12 34 56 78",
            consent_to_contact=True,
            address=address,
            commune=communes.get(commune),
            typology=typology,
            surface=Decimal(surface),
            main_room_surface=Decimal("14"),
            ceiling_height=Decimal("2.50"),
            rooms=int(typology.value[1]),
            floor=1,
            rent=Decimal(rent),
            charges=Decimal(charges),
            dpe_class=dpe,
            dpe_number="2429E1234567X",
            available_from=date.today() + timedelta(days=30),
            vacant_since=date.today() - timedelta(days=60),
            preferred_scheme=scheme,
            assigned_to=staff if len(path) > 1 else None,
            created=now - timedelta(days=path[0][1] + 1),
        )
        db.session.add(offer)
        db.session.flush()
        history = [(None, S.DRAFT, path[0][1] + 1)]
        previous = S.DRAFT
        for status, days in path:
            history.append((previous, status, days))
            previous = status
        if block is not None:
            history.append((previous, S.BLOCKED, 40))
        for from_status, to_status, days in history:
            db.session.add(
                OfferStatusChange(
                    offer=offer,
                    from_status=from_status,
                    to_status=to_status,
                    reason=block[0] if to_status == S.BLOCKED else None,
                    comment=block[1] if to_status == S.BLOCKED else "",
                    user_id=None if to_status in (S.DRAFT, S.NEW) else staff.id,
                    created=now - timedelta(days=days),
                )
            )
        offer.status = history[-1][1]
        offer.status_changed_at = now - timedelta(days=history[-1][2])
        offer.submitted_at = now - timedelta(days=path[0][1])
        if block is not None:
            offer.reason, offer.reason_comment = block
        if S.VISIT_PLANNED in dict(path):
            offer.visit_at = (
                now + timedelta(days=5)
                if offer.status == S.VISIT_PLANNED
                else (now - timedelta(days=dict(path)[S.VISIT_PLANNED] - 3))
            )
        if S.VISITED in dict(path):
            offer.checklist = VisitChecklist(
                main_room=True,
                heating=True,
                water=True,
                electricity_gas=block is None,
                ventilation=block is None,
                light=True,
                kitchen=True,
                bathroom=True,
                weather_tight=block is None,
                result=VisitResult.DECENT if block is None else VisitResult.NOT_DECENT,
                comment="" if block is None else "Fenêtres non étanches, pas de VMC.",
                checked_by_id=staff.id,
            )
        if S.AGREEMENT_SIGNED in dict(path):
            offer.agreement_signed_at = now - timedelta(days=dict(path)[S.AGREEMENT_SIGNED])
        if offer.status == S.AVAILABLE:
            db.session.flush()
            create_unit(offer, staff)
        offers.append(offer)
    db.session.add_all(
        [
            OfferMessage(
                offer=offers[1],
                author=owner,
                body="Bonjour, je serai présent pour la visite. Le logement est libre.",
                created=now - timedelta(days=22),
            ),
            OfferMessage(
                offer=offers[1],
                author=staff,
                body="Merci ! Je passerai avec le relevé des compteurs et la grille de décence.",
                created=now - timedelta(days=21),
            ),
            OfferMessage(
                offer=offers[2],
                author=staff,
                internal=True,
                body="Le propriétaire attend des devis : relancer dans un mois.",
                created=now - timedelta(days=39),
            ),
        ]
    )
    # One draft, being filled in.
    draft = OwnerOffer(owner=owner, status=S.DRAFT, consent_to_contact=True)
    db.session.add(draft)
    db.session.flush()
    db.session.add(OfferStatusChange(offer=draft, from_status=None, to_status=S.DRAFT))
    db.session.flush()
    data["landlord_offers"] = [*offers, draft]
