"""Private owners' offers of their homes, from the first contact to the lease."""

from datetime import timedelta
from decimal import Decimal

from portal import models
from portal.models import (
    DpeClass,
    OfferReason,
    OfferStatus,
    OfferStatusChange,
    OwnerKind,
    OwnerOffer,
    PreferredScheme,
    Typology,
    Unit,
    UnitStatus,
)
from portal.scale.generator import ScaleGenerator
from portal.scale.vocabulary import PIPELINE, STREETS


def build_offers(gen: ScaleGenerator) -> None:
    rng = gen.rng
    ccas_staff = [u for org in gen.main_ccas.values() for u in org.members] or [None]
    # Units from private owners came through an offer, which reached "allocated" (let)
    # or "available" (back on the market).
    for unit_id, owner, commune_id, start, is_open in gen.private_units:
        final = OfferStatus.ALLOCATED if is_open else OfferStatus.AVAILABLE
        add_offer(
            gen,
            owner,
            final,
            commune_id,
            unit_id,
            gen.at(start) - timedelta(days=150),
            rng.choice(ccas_staff),
        )
    others = [s for s in OfferStatus if s not in (OfferStatus.ALLOCATED,)]
    count = max(len(others), gen.n_households // 40)
    communes = [c for ids in gen.communes for c in ids]
    for i in range(count):
        final = others[i] if i < len(others) else rng.choice(others)
        begun = gen.now - timedelta(days=rng.randint(10, 365 * gen.years - 20))
        owner, commune_id, unit_id = rng.choice(gen.landlords), rng.choice(communes), None
        if final == OfferStatus.AVAILABLE:
            # An available offer has become a unit the CCAS may rent; every other one
            # is being proposed to a household.
            gen.offer_units += 1
            offered = gen.offer_units % 2 == 1
            typology = rng.choice(list(Typology)[:4])
            unit_id = gen.add(
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
                available_from=gen.today + timedelta(days=rng.randint(0, 60)),
                status=UnitStatus.OFFERED if offered else UnitStatus.AVAILABLE,
                landlord_organisation_id=None,
                private_landlord_id=owner,
                notes="",
                created_by_id=None,
                created=begun,
                updated=begun,
            )
        add_offer(gen, owner, final, commune_id, unit_id, begun, rng.choice(ccas_staff))


def add_offer(gen: ScaleGenerator, owner, final, commune_id, unit_id, begun, assignee) -> None:
    rng = gen.rng
    if final in (OfferStatus.BLOCKED, OfferStatus.REFUSED):
        stop = rng.randint(1, 5)
        path = PIPELINE[: stop + 1] + [final]
    else:
        path = PIPELINE[: PIPELINE.index(final) + 1]
    span = max(timedelta(days=2), min(gen.now, begun + timedelta(days=300)) - begun)
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
    offer_id = gen.add(
        OwnerOffer,
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
        gen.add(
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
    add_offer_extras(gen, offer_id, owner, assignee, path, moments)


def add_offer_extras(gen: ScaleGenerator, offer_id, owner, assignee, path, moments) -> None:
    """Messages and the visit checklist, when the landlords feature has these tables."""
    rng = gen.rng
    message = getattr(models, "OfferMessage", None)
    if message is not None and len(path) > 2:
        for author, internal, body in (
            (assignee, False, "Bonjour, pouvons-nous convenir d'une visite ?"),
            (owner, False, "Oui, je suis disponible en semaine."),
            (assignee, True, "Propriétaire réactif, logement bien situé."),
        )[: rng.randint(1, 3)]:
            gen.add(
                message,
                offer_id=offer_id,
                author_id=author,
                internal=internal,
                body=body,
                created=gen.between(moments[1], moments[-1]),
            )
    checklist = getattr(models, "VisitChecklist", None)
    if checklist is not None and OfferStatus.VISITED in path:
        decent = OfferStatus.AGREEMENT_SIGNED in path or rng.random() < 0.7
        items = {name: decent or rng.random() < 0.7 for name, _label in checklist.ITEMS}
        gen.add(
            checklist,
            offer_id=offer_id,
            result=models.VisitResult.DECENT if decent else models.VisitResult.MINOR_WORKS,
            comment="",
            checked_by_id=assignee,
            updated=moments[path.index(OfferStatus.VISITED)],
            **items,
        )
