"""Demo data of the SIAO candidacies, loaded by `flask demo load` after the programmes."""

from datetime import timedelta

import sqlalchemy as sa

from portal.candidacies.services import change_candidacy_status, create_candidacy
from portal.extensions import db
from portal.models import (
    Committee,
    CommitteeKind,
    Meeting,
    MeetingInvitee,
    MeetingKind,
    RefusalReason,
    now_utc,
)

CCAS = "CCAS de Concarneau"
SIAO = "SIAO du Finistère"
SOCIAL_WORKER = "social@ccas-concarneau.demo"
SIAO_OFFICER = "siao@siao29.demo"
IML = "IML sortie de structures"
DALO = "IML DALO"

# Case title (its household is proposed), programme, path through the workflow as
# (transition, comment, refusal reason), days ago of the last step, readiness notes.
CANDIDACIES = [
    (
        "Orientation vers l'intermédiation locative",
        IML,
        [
            ("submit", "", None),
            ("validate", "Budget stabilisé : validée en commission.", None),
        ],
        40,
        "Loyer résiduel travaillé avec la conseillère ; suivi santé en place.",
    ),
    (
        "Apprentie prête pour un premier logement",
        IML,
        [
            ("submit", "", None),
            ("validate", "Apprentissage en CDI, prête à sortir.", None),
        ],
        12,
        "Épargne de précaution constituée ; atelier savoir-habiter suivi.",
    ),
    (
        "Jeune prêt à sortir, sans garant",
        IML,
        [("submit", "", None)],
        3,
        "Budget travaillé depuis 4 mois, CEJ en cours.",
    ),
    (
        "Dette locative ancienne bloquant l'accès au parc social",
        IML,
        [
            ("submit", "", None),
            (
                "request_more_info",
                "Merci de joindre l'accord du FSL sur le plan d'apurement.",
                None,
            ),
        ],
        6,
        "Plan d'apurement en cours d'instruction par le FSL.",
    ),
    (
        "Famille en ALT, permis de conduire en cours",
        IML,
        [],
        1,
        "Dossier en préparation avec la famille.",
    ),
    (
        "Sortie du logement d'urgence, besoin d'un T2 éloigné",
        DALO,
        [
            ("submit", "", None),
            (
                "refuse",
                "Le ménage n'est pas reconnu prioritaire DALO : orientation vers le "
                "programme IML sortie de structures à étudier.",
                RefusalReason.NOT_ELIGIBLE,
            ),
        ],
        20,
        "Travaille à temps plein ; besoin d'un logement hors du centre-ville.",
    ),
    (
        "Couple à l'hôtel : relogé dans le parc social",
        IML,
        [
            ("submit", "", None),
            ("withdraw", "Relogé directement par un bailleur social.", None),
        ],
        30,
        "",
    ),
]


def commission_meeting(data: dict) -> Meeting | None:
    """A past commission SIAO, where the SIAO took its decisions."""
    committee = db.session.scalar(
        sa.select(Committee).where(Committee.kind == CommitteeKind.COMMISSION_SIAO).limit(1)
    )
    if committee is None:
        return None
    organisations, users = data["organisations"], data["users"]
    meeting = Meeting(
        committee=committee,
        kind=MeetingKind.COMMISSION_SIAO,
        title="Commission SIAO Cornouaille",
        starts_at=now_utc() - timedelta(days=40),
        duration_minutes=90,
        location="SIAO du Finistère, Quimper",
        organiser=users[SIAO_OFFICER],
        invitees=[
            MeetingInvitee(user=users[SIAO_OFFICER], organisation=organisations[SIAO]),
            MeetingInvitee(user=users[SOCIAL_WORKER], organisation=organisations[CCAS]),
        ],
    )
    db.session.add(meeting)
    db.session.flush()
    return meeting


def load_demo_candidacies(data: dict) -> None:
    """Candidacies in every status, for the CCAS's demo households (flushes only)."""
    users = data["users"]
    author, officer = users[SOCIAL_WORKER], users[SIAO_OFFICER]
    cases = {case.title: case for case in data["cases"]}
    programmes = data["programmes"]
    meeting = commission_meeting(data)
    candidacies = []
    for title, programme, path, days_ago, notes in CANDIDACIES:
        case = cases[title]
        household = case.household
        candidacy = create_candidacy(
            household,
            author,
            {
                "programme_id": programmes[programme].id,
                "case_id": case.id,
                "siao_number": f"29-{household.id:05d}",
                "requested_typology": household.typology,
                "commune_ids": [c.id for c in household.communes],
                "budget_worked": bool(notes),
                "rent_capacity": None,
                "support_in_place": "Accompagnement social global par le CCAS.",
                "readiness_notes": notes,
            },
        )
        for name, comment, reason in path:
            actor = officer if name in ("validate", "refuse", "request_more_info") else author
            change_candidacy_status(
                candidacy,
                name,
                actor,
                comment=comment,
                reason=reason,
                meeting=meeting if name == "validate" else None,
                notify=False,
            )
        # Spread the history over the past weeks: the waiting list keeps its order.
        moment = now_utc() - timedelta(days=days_ago)
        for event in candidacy.events:
            event.created = moment
        candidacy.created = candidacy.updated = moment
        for stamp in ("submitted_at", "decided_at", "validated_at"):
            if getattr(candidacy, stamp) is not None:
                setattr(candidacy, stamp, moment)
        candidacies.append(candidacy)
    db.session.flush()
    data["candidacies"] = candidacies
