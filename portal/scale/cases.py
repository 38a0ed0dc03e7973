"""Cases put to the committees: agenda items, decisions, follow-up actions, notes."""

import bisect
from datetime import timedelta

from portal.models import (
    AccessLevel,
    ActionStatus,
    AgendaItem,
    AuditAction,
    AuditEvent,
    Case,
    CaseEvent,
    CaseEventKind,
    CaseNote,
    CaseParticipant,
    CaseStatus,
    CommitteeKind,
    Decision,
    DecisionPosition,
    FollowUpAction,
    decision_organisation,
)
from portal.scale.generator import MeetingInfo, Org, ScaleGenerator
from portal.scale.vocabulary import ACTION_TEXTS, CASE_QUESTIONS, CASE_TITLES, DECISION_TEXTS, NOTES

# A comité technique examines about ten situations; the generator keeps agendas that size.
MAX_CASES_PER_MEETING = 12


def least_busy(gen: ScaleGenerator, meetings: list[MeetingInfo]) -> MeetingInfo | None:
    """Of a few meetings drawn at random, the one with the shortest agenda."""
    if not meetings:
        return None
    return min(gen.rng.choices(meetings, k=4), key=lambda m: m.positions)


def plan_case(gen: ScaleGenerator, org: Org) -> dict:
    """A case's status and dates, chosen from its committee's calendar."""
    rng = gen.rng
    t = org.territory
    kind = CommitteeKind.COMITE_TECHNIQUE
    ct_id, ct_members = gen.committees[t][kind]
    siao_id, siao_members = gen.committees[t][CommitteeKind.COMMISSION_SIAO]
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
    gen.case_sequence += 1
    if gen.case_sequence <= len(order):
        status = order[gen.case_sequence - 1]
    else:
        status = rng.choices(order, (10, 12, 5, 15, 58))[0]
    past = gen.past_by_committee.get(committee_id, [])
    future = gen.future_by_committee.get(committee_id, [])
    plan = {"committee": committee_id, "status": status, "meeting": None, "closed": None}
    meeting = None
    if status == CaseStatus.ON_AGENDA:
        meeting = least_busy(gen, future[:3])
    elif status in (CaseStatus.DECIDED, CaseStatus.CLOSED) and past:
        # Decisions still being carried out date from the last twelve months.
        low = 0
        if status == CaseStatus.DECIDED:
            low = bisect.bisect_left(gen.past_starts[committee_id], gen.now - timedelta(days=365))
        meeting = least_busy(gen, past[min(low, len(past) - 1) :])
    if status in (CaseStatus.ON_AGENDA, CaseStatus.DECIDED, CaseStatus.CLOSED) and (
        meeting is None or meeting.positions - 2 >= MAX_CASES_PER_MEETING
    ):
        status = plan["status"] = CaseStatus.SUBMITTED  # no room on the agenda
    if status == CaseStatus.DRAFT:
        plan["created"] = gen.now - timedelta(days=rng.uniform(0.5, 60))
        plan["submitted"] = None
    elif status == CaseStatus.SUBMITTED:
        plan["submitted"] = gen.now - timedelta(days=rng.uniform(0.5, 40))
    elif status == CaseStatus.ON_AGENDA:
        plan["meeting"] = meeting
        plan["submitted"] = gen.now - timedelta(days=rng.uniform(1, 30))
    else:
        plan["meeting"] = meeting
        plan["submitted"] = max(
            gen.start + timedelta(days=12),
            meeting.starts_at - timedelta(days=rng.uniform(3, 25)),
        )
        if status == CaseStatus.CLOSED:
            room = (gen.now - meeting.starts_at).total_seconds()
            plan["closed"] = meeting.starts_at + timedelta(seconds=rng.uniform(0.1, 0.9) * room)
    if plan["submitted"] is not None:
        plan["created"] = max(
            gen.start + timedelta(days=11),
            plan["submitted"] - timedelta(days=rng.uniform(0, 12)),
        )
    return plan


def add_case(
    gen: ScaleGenerator, household_id: int, org: Org, plan: dict, author: int | None
) -> int:
    rng = gen.rng
    t = org.territory
    status = plan["status"]
    created, submitted, meeting = plan["created"], plan["submitted"], plan["meeting"]
    if org is gen.main_ccas.get(0) and rng.random() < 0.5:
        author = gen.bench_user
    last_change = (
        plan["closed"]
        or (meeting.starts_at if meeting and meeting.starts_at < gen.now else submitted)
        or created
    )
    title = rng.choice(CASE_TITLES)
    case_id = gen.add(
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
        gen.add(
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
    gen.add(
        AuditEvent,
        created=gen.past(created + timedelta(minutes=5)),
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
    end = plan["closed"] or gen.now
    partners = [o for o in gen.orgs if o.territory == t and o is not org and o.members]
    for partner in rng.sample(partners, k=min(len(partners), rng.choice((0, 1, 1, 2, 3)))):
        level = AccessLevel.FULL if rng.random() < 0.4 else AccessLevel.SITUATION
        shared = gen.between(submitted, min(end, submitted + timedelta(days=7)))
        gen.add(
            CaseParticipant,
            case_id=case_id,
            organisation_id=partner.id,
            level=level,
            reason="Suivi social du ménage",
            added_by_id=author,
            created=shared,
        )
        event(CaseEventKind.SHARED, shared, f"Partagée avec l'organisation n° {partner.id}")
        partner_user = gen.pick_member(partner)
        gen.add(
            AuditEvent,
            created=gen.past(shared + timedelta(hours=2)),
            user_id=partner_user,
            organisation_id=partner.id,
            action=AuditAction.VIEW,
            object_type="household",
            object_id=household_id,
            summary="Consultation de la situation (pseudonymisée)",
            ip_address="10.0.0.2",
        )
        if rng.random() < 0.6:
            when = gen.between(shared, end)
            gen.add(
                CaseNote,
                case_id=case_id,
                author_id=partner_user,
                organisation_id=partner.id,
                body=rng.choice(NOTES),
                internal=False,
                created=when,
            )
            event(CaseEventKind.NOTE, when, "Note ajoutée", user=partner_user, org_id=partner.id)
    for _ in range(rng.randint(0, 3)):
        internal = rng.random() < 0.2
        when = gen.between(submitted, end)
        gen.add(
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
    on_agenda = gen.past(
        min(
            meeting.starts_at - timedelta(days=1),
            max(submitted, meeting.starts_at - timedelta(days=2)),
        )
    )
    event(CaseEventKind.STATUS, on_agenda, "Inscrite à l'ordre du jour")
    event(CaseEventKind.MEETING, on_agenda, f"Inscrite à « {meeting.kind.label} »")
    item_id = gen.add(
        AgendaItem,
        meeting_id=meeting.id,
        position=meeting.positions,
        title=title,
        duration_minutes=15,
        presenter_organisation_id=org.id,
        case_id=case_id,
        notes="Situation présentée, échanges entre partenaires."
        if meeting.starts_at < gen.now
        else "",
    )
    meeting.positions += 1
    if status not in (CaseStatus.DECIDED, CaseStatus.CLOSED):
        return case_id
    decided = meeting.starts_at + timedelta(hours=1)
    kind = rng.choices(list(DECISION_TEXTS), (5, 3, 3, 3, 2, 1, 1, 2, 1))[0]
    decision_id = gen.add(
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
        gen.add(decision_organisation, decision_id=decision_id, organisation_id=org_id)
    if rng.random() < 0.05 or gen.first("position"):
        dissent = rng.choice(meeting.members)
        gen.add(
            DecisionPosition,
            decision_id=decision_id,
            organisation_id=dissent,
            position="Réserve : ressources à confirmer avant l'entrée.",
        )
    event(CaseEventKind.STATUS, decided, "Décision prise", user=meeting.organiser)
    event(CaseEventKind.DECISION, decided, DECISION_TEXTS[kind], user=meeting.organiser)
    for _ in range(rng.choice((0, 1, 1, 2))):
        add_action(gen, case_id, org, meeting, decision_id, status, plan["closed"])
    if status == CaseStatus.CLOSED:
        event(CaseEventKind.STATUS, plan["closed"], "Close")
    return case_id


def add_action(
    gen: ScaleGenerator, case_id, org, meeting, decision_id, case_status, closed
) -> None:
    rng = gen.rng
    responsible = org if rng.random() < 0.6 else gen.org_by_id[rng.choice(meeting.members)]
    user_id = gen.pick_member(responsible) if rng.random() < 0.7 else None
    if responsible is gen.main_ccas.get(0) and rng.random() < 0.5:
        user_id = gen.bench_user
    due = (meeting.starts_at + timedelta(days=rng.randint(14, 60))).date()
    draw = rng.random()
    if case_status == CaseStatus.CLOSED:
        status = ActionStatus.DONE if draw < 0.85 else ActionStatus.CANCELLED
    elif due < gen.today:
        # Most late actions get done; a few stay open and show as overdue.
        status = (
            ActionStatus.OPEN
            if draw < 0.12 or gen.first("overdue")
            else ActionStatus.DONE
            if draw < 0.9
            else ActionStatus.CANCELLED
        )
    else:
        status = ActionStatus.OPEN if draw < 0.8 else ActionStatus.DONE
    created = meeting.starts_at + timedelta(hours=1, minutes=30)
    closed_at = None
    if status != ActionStatus.OPEN:
        closed_at = gen.between(created, min(closed or gen.now, gen.at(due, 17)))
    closer = (user_id or gen.pick_member(responsible)) if closed_at else None
    gen.add(
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
        overdue_notified_at=gen.past(gen.at(due + timedelta(days=1), 7))
        if status == ActionStatus.OPEN and due < gen.today
        else None,
        created=created,
    )
    gen.add(
        CaseEvent,
        case_id=case_id,
        kind=CaseEventKind.ACTION,
        user_id=meeting.organiser,
        organisation_id=org.id,
        summary="Action de suivi créée",
        internal=False,
        created=created,
    )
