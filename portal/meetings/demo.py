"""Demo data of the meetings feature, loaded by `flask demo load` after the cases."""

from datetime import datetime, time, timedelta

import sqlalchemy as sa
from flask_babel import format_date

from portal.cases.services import add_event
from portal.extensions import db
from portal.local_time import PARIS
from portal.meetings.services import (
    add_agenda_item,
    answer_invitation,
    attendance_guess,
    name_co_organiser,
    propose_case,
    schedule_meeting,
    when,
)
from portal.models import (
    AgendaItem,
    CaseEventKind,
    CaseStatus,
    Committee,
    InvitationResponse,
    MeetingKind,
    OrganisationKind,
    ProposalOrigin,
    now_utc,
)

COMMITTEE = "Comité technique Parcours logement"
COORDINATOR = "coordination@ccas-concarneau.demo"
PLACE = "CCAS de Concarneau, salle du conseil — 2 rue Courcy, Concarneau"

# Who answers what to the next comité technique (the others have not answered yet).
NEXT_ANSWERS = {
    "coordination@ccas-concarneau.demo": (InvitationResponse.ACCEPTED, ""),
    "social@ccas-concarneau.demo": (InvitationResponse.ACCEPTED, ""),
    "bailleur@finistere-habitat.demo": (InvitationResponse.ACCEPTED, ""),
    "siao@siao29.demo": (InvitationResponse.ACCEPTED, ""),
    "cdas@finistere.demo": (InvitationResponse.DECLINED, ""),
    "conseil@mission-locale.demo": (
        InvitationResponse.EXCUSED,
        "Pour le jeune sans garant : la Mission Locale peut mobiliser la garantie Visale et "
        "l'aide au premier loyer du FAJ. Il est prêt à sortir ; nous soutenons une "
        "orientation vers l'intermédiation locative.",
    ),
}


def at(days: int, hour: int, minute: int = 0) -> datetime:
    """A Paris time, ``days`` from today (the next working day when it is a weekend)."""
    day = (now_utc().astimezone(PARIS) + timedelta(days=days)).date()
    while day.weekday() >= 5:
        day += timedelta(days=1)
    return datetime.combine(day, time(hour, minute), tzinfo=PARIS)


def load_demo_meetings(data: dict) -> None:
    """Add this feature's demo objects; ``data`` holds what was loaded before (flushes only)."""
    organisations = data["organisations"]
    users = data["users"]
    coordinator = users[COORDINATOR]
    committee = db.session.scalar(sa.select(Committee).where(Committee.name == COMMITTEE))
    cases = {case.title: case for case in data["cases"]}
    members = [o.id for o in committee.organisations]

    def meeting(title, kind, days, hour, organisation_ids, location=PLACE, video=""):
        if kind == MeetingKind.COMITE_TECHNIQUE:
            title = f"{title} — {format_date(at(days, hour), 'MMMM yyyy')}"
        return schedule_meeting(
            committee,
            coordinator,
            {
                "kind": kind,
                "title": title,
                "starts_at": at(days, hour),
                "duration_minutes": 150 if kind == MeetingKind.COMITE_TECHNIQUE else 60,
                "location": location,
                "video_link": video,
                "organisation_ids": organisation_ids,
                "user_ids": [],
            },
            notify=False,
        )

    past_1 = meeting("Comité technique", MeetingKind.COMITE_TECHNIQUE, -61, 14, members)
    past_2 = meeting("Comité technique", MeetingKind.COMITE_TECHNIQUE, -30, 14, members)
    upcoming = meeting("Comité technique", MeetingKind.COMITE_TECHNIQUE, 10, 14, members)
    point = meeting(
        "Point de situation — bail glissant",
        MeetingKind.POINT_DE_SITUATION,
        5,
        10,
        [organisations["CCAS de Concarneau"].id, organisations["Finistère Habitat"].id],
        location="",
        video="https://visio.exemple.demo/point-situation",
    )

    # Past meetings: everyone came but one excused partner; their cases were discussed.
    for past, titles in (
        (
            past_1,
            [
                "Dette locative ancienne bloquant l'accès au parc social",
                "Couple à l'hôtel : relogé dans le parc social",
            ],
        ),
        (
            past_2,
            [
                "Apprentie prête pour un premier logement",
                "Entrée en résidence autonomie",
            ],
        ),
    ):
        for invitee in past.invitees:
            excused = invitee.user.email == "cdas@finistere.demo" and past is past_1
            answer_invitation(
                past,
                invitee.user,
                InvitationResponse.EXCUSED if excused else InvitationResponse.ACCEPTED,
                "Accord pour l'orientation proposée." if excused else "",
            )
            invitee.attendance = attendance_guess(invitee)
        add_past_items(past, [cases[t] for t in titles if t in cases], coordinator)
        past.agenda_items.append(
            AgendaItem(
                position=len(past.agenda_items),
                title="Logements disponibles chez les bailleurs",
                duration_minutes=20,
                presenter=organisations["Finistère Habitat"],
            )
        )

    # The next comité technique: its agenda and the answers received so far.
    for title in (
        "Sortie du logement d'urgence, besoin d'un T2 éloigné",
        "Famille de cinq à l'hôtel depuis deux mois",
        "Jeune prêt à sortir, sans garant",
    ):
        if title not in cases:
            continue
        case = cases[title]
        if case.organisation.kind == OrganisationKind.CCAS or case.status != CaseStatus.SUBMITTED:
            # The CCAS's own cases, or cases already agreed: on the agenda with the
            # agreement of the organisation that follows them.
            add_agenda_item(
                upcoming,
                {"case": case, "duration_minutes": 20},
                coordinator,
                agreed_by=case.created_by,
            )
        else:
            # Another partner's case: the organisers ask, the partner has not answered yet.
            propose_case(upcoming, case, coordinator, ProposalOrigin.ORGANISER)
    add_agenda_item(
        upcoming,
        {
            "title": "Bilan du parcours : mesures en cours et logements captés",
            "duration_minutes": 30,
            "presenter": organisations["CCAS de Concarneau"],
        },
        coordinator,
    )
    # The CCAS social worker co-organises the next comité with the coordinator.
    social = users["social@ccas-concarneau.demo"]
    for organised in (upcoming, point):
        name_co_organiser(organised, social, organisations["CCAS de Concarneau"], coordinator)
    for invitee in upcoming.invitees:
        if invitee.user.email in NEXT_ANSWERS:
            response, opinion = NEXT_ANSWERS[invitee.user.email]
            answer_invitation(upcoming, invitee.user, response, opinion)

    add_agenda_item(
        point,
        {
            "title": "Point de situation avec le bailleur et le ménage : paiement du loyer "
            "et perspective de glissement du bail",
            "duration_minutes": 45,
            "presenter": organisations["CCAS de Concarneau"],
        },
        coordinator,
    )
    for invitee in point.invitees:
        answer_invitation(point, invitee.user, InvitationResponse.ACCEPTED, "")

    db.session.flush()
    data["meetings"] = {
        "ct_past_1": past_1,
        "ct_past_2": past_2,
        "ct_next": upcoming,
        "point": point,
    }


def add_past_items(meeting, cases, actor) -> None:
    """Cases already decided were on the agenda of a past meeting: recorded as history."""
    for case in cases:
        if case.status not in (CaseStatus.DECIDED, CaseStatus.CLOSED):
            continue
        meeting.agenda_items.append(
            AgendaItem(
                position=len(meeting.agenda_items),
                title="Étude de situation",
                duration_minutes=20,
                presenter=case.organisation,
                case=case,
            )
        )
        add_event(
            case,
            CaseEventKind.MEETING,
            f"Examinée en réunion : {meeting.title} du {when(meeting)}",
            actor,
        )
    db.session.flush()
