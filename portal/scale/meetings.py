"""Meetings of the committees, their invitations, agendas and minutes."""

import hashlib
import json
from collections import defaultdict
from datetime import timedelta

from portal.models import (
    AgendaItem,
    Attendance,
    CommitteeKind,
    InvitationResponse,
    Meeting,
    MeetingInvitee,
    MeetingKind,
    MeetingStatus,
    Minutes,
    MinutesRevision,
    MinutesStatus,
)
from portal.models.meetings import new_uid
from portal.scale.generator import MeetingInfo, ScaleGenerator


def build_meetings(gen: ScaleGenerator) -> None:
    """Every committee's calendar over the period, and a few meetings ahead."""
    rng = gen.rng
    gen.meetings = []
    gen.past_by_committee = defaultdict(list)
    gen.future_by_committee = defaultdict(list)
    per_territory = gen.n_households / len(gen.territories)
    cases_per_committee = per_territory * 0.9 / 2
    first = gen.start + timedelta(days=20)
    span_days = (gen.now - first).days
    for t, committees in gen.committees.items():
        for kind, (committee_id, member_ids) in committees.items():
            if kind == CommitteeKind.COMITE_PILOTAGE:
                count = max(2, 4 * gen.years)
            else:
                count = max(12 * gen.years, int(cases_per_committee / 7))
            step = span_days / count
            days = [first + timedelta(days=step * i) for i in range(count)]
            days += [gen.now + timedelta(days=step * (i + 0.5)) for i in range(3)]
            for day in days:
                starts = gen.at(day.date(), rng.choice((8, 12, 13)))
                if starts.date() == gen.today:
                    starts += timedelta(days=1)
                past = starts < gen.now
                info = MeetingInfo(
                    id=0,
                    committee=committee_id,
                    territory=t,
                    kind=MeetingKind(kind.value),
                    starts_at=starts,
                    cancelled=past and (rng.random() < 0.04 or gen.first("cancelled")),
                    organiser=gen.coordinators.get(t) or gen.main_ccas[t].admins[0],
                    members=member_ids,
                )
                add_meeting(gen, info)
                target = gen.past_by_committee if past else gen.future_by_committee
                if not info.cancelled:
                    target[committee_id].append(info)
    # A few "points de situation" with a landlord and the household, on the CT calendar.
    for t in gen.committees:
        committee_id, member_ids = gen.committees[t][CommitteeKind.COMITE_TECHNIQUE]
        for _ in range(max(1, gen.years * 2)):
            info = MeetingInfo(
                0,
                committee_id,
                t,
                MeetingKind.POINT_DE_SITUATION,
                gen.at(gen.between(first, gen.now).date(), 9),
                False,
                gen.coordinators.get(t) or gen.main_ccas[t].admins[0],
                member_ids,
            )
            add_meeting(gen, info)
    for store in (gen.past_by_committee, gen.future_by_committee):
        for infos in store.values():
            infos.sort(key=lambda m: m.starts_at)
    gen.past_starts = {c: [m.starts_at for m in ms] for c, ms in gen.past_by_committee.items()}


def add_meeting(gen: ScaleGenerator, info: MeetingInfo) -> None:
    rng = gen.rng
    past = info.starts_at < gen.now
    info.id = gen.add(
        Meeting,
        committee_id=info.committee,
        kind=info.kind,
        title=f"{info.kind.label} du {info.starts_at:%d/%m/%Y}",
        starts_at=info.starts_at,
        duration_minutes=120,
        location=f"Salle du conseil, {gen.commune_names[gen.communes[info.territory][0]]}",
        video_link="",
        status=MeetingStatus.CANCELLED if info.cancelled else MeetingStatus.PLANNED,
        organiser_id=info.organiser,
        uid=new_uid(),
        sequence=1 if info.cancelled else 0,
        reminder_sent_at=info.starts_at - timedelta(days=2) if past else None,
        created=gen.past(info.starts_at - timedelta(days=30)),
        updated=gen.past(info.starts_at - timedelta(days=30)),
    )
    gen.meetings.append(info)
    # One person per member organisation; the CCAS sends its coordinator and the bench
    # social worker too.
    invited: set[int] = set()
    for org_id in info.members:
        org = gen.org_by_id[org_id]
        people = [gen.pick_member(org)]
        if org is gen.main_ccas.get(info.territory):
            people += [info.organiser]
            if info.territory == 0:
                people.append(gen.bench_user)
        for user_id in people:
            if user_id is None or user_id in invited:
                continue
            invited.add(user_id)
            draw = rng.random()
            if not past:
                response = InvitationResponse.ACCEPTED if draw < 0.5 else InvitationResponse.PENDING
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
            gen.add(
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
                else gen.past(info.starts_at - timedelta(days=rng.randint(1, 10))),
                attendance=attendance,
            )
    standing = (
        ["Bilan d'activité du dispositif", "Point sur les programmes IML"]
        if info.kind == MeetingKind.COMITE_PILOTAGE
        else ["Tour de table des partenaires", "Suivi des décisions précédentes"]
    )
    for position, title in enumerate(standing):
        gen.add(
            AgendaItem,
            meeting_id=info.id,
            position=position,
            title=title,
            duration_minutes=15,
            presenter_organisation_id=gen.main_ccas[info.territory].id,
            case_id=None,
            notes="Échanges entre partenaires." if past and not info.cancelled else "",
        )


def build_minutes(gen: ScaleGenerator) -> None:
    """Minutes of the meetings held: approved, except the latest ones."""
    latest = {c: ms[-1].id for c, ms in gen.past_by_committee.items() if ms}
    for info in gen.meetings:
        if info.starts_at >= gen.now or info.cancelled:
            continue
        draw = gen.rng.random()
        if info.id in latest.values():
            # The last meeting's minutes are still being written or approved.
            status = MinutesStatus.DRAFT if info.committee % 2 else MinutesStatus.SUBMITTED
        else:
            status = MinutesStatus.APPROVED if draw < 0.97 else MinutesStatus.SUBMITTED
        written = gen.past(info.starts_at + timedelta(days=2))
        approved = status == MinutesStatus.APPROVED
        notes = "Présents : voir la feuille d'émargement. Les situations ont été examinées."
        content_hash = hashlib.sha256(notes.encode()).hexdigest() if approved else None
        minutes_id = gen.add(
            Minutes,
            meeting_id=info.id,
            general_notes=notes,
            status=status,
            version=2 if approved else 1,
            updated_by_id=info.organiser,
            updated=written,
            approved_by_id=info.organiser if approved else None,
            approved_at=gen.past(written + timedelta(days=5)) if approved else None,
            content_hash=content_hash,
        )
        if approved and (gen.rng.random() < 0.03 or gen.first("revision")):
            gen.add(
                MinutesRevision,
                minutes_id=minutes_id,
                content=json.dumps({"general_notes": notes, "items": {}}),
                content_hash=content_hash,
                approved_by_id=info.organiser,
                approved_at=gen.past(written + timedelta(days=3)),
                reopened_by_id=info.organiser,
                reopened_at=gen.past(written + timedelta(days=4)),
                reason="Correction d'une décision mal retranscrite.",
            )
