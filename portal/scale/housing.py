"""Programmes, units, SIAO candidacies, measures, bilans and rents."""

import bisect
from datetime import timedelta
from decimal import Decimal

from dateutil.relativedelta import relativedelta

from portal.models import (
    Bilan,
    BilanKind,
    BilanOutcome,
    Candidacy,
    CandidacyEvent,
    CandidacyStatus,
    CommitteeKind,
    DpeClass,
    Measure,
    MeasureEndReason,
    MeasureStatus,
    OrganisationKind,
    Programme,
    RefusalReason,
    RentRecord,
    RentStatus,
    Unit,
    UnitStatus,
    candidacy_commune,
)
from portal.scale.generator import ScaleGenerator
from portal.scale.vocabulary import PROGRAMMES, STREETS


def build_housing(gen: ScaleGenerator) -> None:
    rng = gen.rng
    gen.private_units = []
    siao_users = gen.siao.members or [None]
    for t, territory_id in enumerate(gen.territories):
        pool = sorted(gen.candidate_pool.get(t, []))  # by date informed
        households_here = len(pool)
        landlords = [
            o for o in gen.orgs if o.territory == t and o.kind == OrganisationKind.BAILLEUR_SOCIAL
        ]
        commission = gen.past_by_committee.get(
            gen.committees[t][CommitteeKind.COMMISSION_SIAO][0], []
        )
        commission_starts = [m.starts_at for m in commission]
        for name, description, per in PROGRAMMES:
            capacity = max(3, households_here // per)
            programme_id = gen.add(
                Programme,
                territory_id=territory_id,
                name=name,
                description=description,
                capacity=capacity,
                active=True,
                created=gen.start,
            )
            open_count = max(1, int(capacity * 0.85))
            history = max(2, int(capacity * gen.years * 12 / 15))
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
                add_candidacy(
                    gen,
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
    gen: ScaleGenerator,
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
    rng = gen.rng
    # When things happen: a measure open now started in the last 20 months, a finished
    # one earlier; undecided candidacies are recent.
    if status == CandidacyStatus.HOUSED:
        if is_open:
            # Every other open measure has passed its twelve months and was extended.
            gen.open_measures += 1
            extended = gen.open_measures % 2 == 0
            start = gen.today - timedelta(
                days=rng.randint(380, 520) if extended else rng.randint(15, 330)
            )
        else:
            latest = max(gen.start.date() + timedelta(days=200), gen.today - timedelta(days=200))
            start = gen.start.date() + timedelta(
                days=rng.randint(150, max(151, (latest - gen.start.date()).days))
            )
        decided = gen.at(start - timedelta(days=rng.randint(10, 50)), 14)
    elif status in (
        CandidacyStatus.VALIDATED,
        CandidacyStatus.REFUSED,
        CandidacyStatus.WITHDRAWN,
    ):
        decided = gen.now - timedelta(days=rng.randint(5, 400))
    else:
        decided = None
    submitted = (decided or gen.now) - timedelta(days=rng.randint(15, 60))
    if status == CandidacyStatus.DRAFT:
        submitted = None
    created = (submitted or gen.now) - timedelta(days=rng.randint(1, 20))
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
    candidacy_id = gen.add(
        Candidacy,
        household_id=household_id,
        programme_id=programme_id,
        organisation_id=org_id,
        siao_id=gen.siao.id,
        created_by_id=author,
        case_id=case_id,
        status=status,
        siao_number=f"SIAO29-{created.year}-{next_siao_number(gen):05d}",
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
    for commune_id in rng.sample(gen.communes[t], k=rng.randint(1, 2)):
        gen.add(candidacy_commune, candidacy_id=candidacy_id, commune_id=commune_id)
    # Its history, step by step.
    steps = [(None, CandidacyStatus.DRAFT, created, author, org_id)]
    if submitted:
        steps.append((CandidacyStatus.DRAFT, CandidacyStatus.SUBMITTED, submitted, author, org_id))
    if status == CandidacyStatus.MORE_INFO_REQUESTED:
        steps.append(
            (
                CandidacyStatus.SUBMITTED,
                status,
                submitted + timedelta(days=7),
                siao_user,
                gen.siao.id,
            )
        )
    if status in (CandidacyStatus.VALIDATED, CandidacyStatus.REFUSED, CandidacyStatus.HOUSED):
        to = (
            CandidacyStatus.REFUSED
            if status == CandidacyStatus.REFUSED
            else (CandidacyStatus.VALIDATED)
        )
        steps.append((CandidacyStatus.SUBMITTED, to, decided, siao_user, gen.siao.id))
    if status == CandidacyStatus.WITHDRAWN:
        steps.append((CandidacyStatus.SUBMITTED, status, decided, author, org_id))
    for from_status, to_status, when, user, org in steps:
        gen.add(
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
    gen.add(
        CandidacyEvent,
        candidacy_id=candidacy_id,
        from_status=CandidacyStatus.VALIDATED,
        to_status=CandidacyStatus.HOUSED,
        user_id=author,
        organisation_id=org_id,
        comment="Mesure ouverte",
        created=gen.at(start, 10),
    )
    add_measure(
        gen,
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
    gen: ScaleGenerator,
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
    rng = gen.rng
    rent = Decimal(rng.randint(300, 650))
    charges = Decimal(rng.randint(20, 90))
    private = rng.random() < 0.4 or not landlords or not gen.private_units
    private_owner = rng.choice(gen.landlords) if private else None
    months = (gen.today.year - start.year) * 12 + gen.today.month - start.month
    if is_open:
        status = MeasureStatus.EXTENDED if months >= 12 else MeasureStatus.ACTIVE
        end = None
    else:
        gen.closed_measures += 1
        slid = gen.closed_measures % 5 in (0, 1, 3)
        status = MeasureStatus.SLID if slid else MeasureStatus.ENDED
        end = start + relativedelta(
            months=rng.choice((6, 12)) if status == MeasureStatus.SLID else rng.randint(3, 12)
        )
        end = min(end, gen.today - timedelta(days=1))
    unit_status = (
        UnitStatus.LET
        if is_open
        else (UnitStatus.RETURNED if status == MeasureStatus.SLID else UnitStatus.AVAILABLE)
    )
    commune_id = rng.choice(gen.communes[t])
    unit_id = gen.add(
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
        created=gen.at(start - timedelta(days=60)),
        updated=gen.at(end or start),
    )
    if private_owner:
        gen.private_units.append((unit_id, private_owner, commune_id, start, is_open))
    share = (rent + charges) * Decimal("0.35")
    extended_until = start + relativedelta(months=18) if status == MeasureStatus.EXTENDED else None
    measure_id = gen.add(
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
        end_reason=rng.choice(list(MeasureEndReason)) if status == MeasureStatus.ENDED else None,
        created_by_id=referent,
        created=gen.at(start),
        updated=gen.at(end or start),
    )
    # Reviews: at 6, 10 and 12 months, and at the end of a prolongation.
    last = end or gen.today
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
        add_bilan(gen, measure_id, kind, due, held, outcome, referent, extended_until)
        if outcome in (BilanOutcome.GLISSEMENT, BilanOutcome.FIN_DE_MESURE):
            break
    if extended_until and extended_until <= gen.today + timedelta(days=60):
        add_bilan(gen, measure_id, BilanKind.EXTENSION, extended_until, False, None, referent, None)
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
        gen.add(
            RentRecord,
            measure_id=measure_id,
            month=month,
            status=status_rent,
            amount_due=due_amount,
            amount_paid=Decimal("0") if status_rent == RentStatus.UNPAID else due_amount,
            recorded_by_id=referent,
            organisation_id=org_id,
            created=gen.past(gen.at(month + relativedelta(months=1), 11)),
            updated=gen.past(gen.at(month + relativedelta(months=1), 11)),
        )
        month += relativedelta(months=1)


def add_bilan(
    gen: ScaleGenerator, measure_id, kind, due, held, outcome, referent, next_date
) -> None:
    gen.add(
        Bilan,
        measure_id=measure_id,
        kind=kind,
        due_date=due,
        held_on=min(gen.today, due + timedelta(days=gen.rng.randint(-7, 7))) if held else None,
        outcome=outcome,
        rent_paid_regularly=(gen.rng.random() < 0.8) if held else None,
        situation_stabilised=(gen.rng.random() < 0.7) if held else None,
        landlord_present=held,
        household_present=held,
        summary="Loyer réglé, accompagnement poursuivi." if held else "",
        next_date=next_date if outcome == BilanOutcome.PROLONGATION else None,
        end_reason=None,
        meeting_id=None,
        recorded_by_id=referent if held else None,
        alert_sent_at=gen.at(due - timedelta(days=30), 7) if due < gen.today else None,
        overdue_alert_sent_at=gen.past(gen.at(due + timedelta(days=8), 7))
        if not held and due + timedelta(days=7) < gen.today
        else None,
        created=gen.at(due - timedelta(days=180)),
    )


def next_siao_number(gen: ScaleGenerator) -> int:
    gen.siao_numbers += 1
    return gen.siao_numbers
