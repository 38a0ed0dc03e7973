"""Demo data of the SIAO candidacies, loaded by `flask demo load` after the programmes."""

from datetime import date, timedelta

import sqlalchemy as sa

from portal.candidacies.services import change_candidacy_status, create_candidacy
from portal.cases.services import record_information
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
                "Reconnue prioritaire DALO, mais le contingent préfectoral lui propose un T2 "
                "en bail direct : orientation vers ce relogement.",
                RefusalReason.OTHER_ORIENTATION,
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


# What some candidacies add: the DALO recognition, the hotel stay, and why a household is
# proposed outside the situations its programme is for.
EXTRAS = {
    "Sortie du logement d'urgence, besoin d'un T2 éloigné": {
        "dalo_recognised_days_ago": 75,
        "dalo_decision_reference": "COMED 29-2026-0183",
    },
    "Couple à l'hôtel : relogé dans le parc social": {
        "in_hotel": True,
        "situation_justification": "Couple sorti du CHRS urgence faute de place, hébergé à "
        "l'hôtel par le 115 depuis ; budget travaillé avec le CCAS pendant son séjour au CHRS.",
    },
}


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
    today = date.today()
    for title, programme, path, days_ago, notes in CANDIDACIES:
        case = cases[title]
        household = case.household
        extras = EXTRAS.get(title, {})
        if path and not household.allows_identity_sharing:
            # Before the SIAO reads its identity, the household agreed to it: a new dated
            # record, the earlier one stays in the file's history.
            record_information(
                household,
                author,
                {
                    "informed_on": max(
                        today - timedelta(days=days_ago + 2),
                        household.current_information.informed_on,
                    ),
                    "what_is_shared": "Situation et identité du ménage, pour la candidature IML",
                    "shared_with": "SIAO du Finistère",
                    "allows_identity": True,
                },
            )
        dalo_days = extras.get("dalo_recognised_days_ago")
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
                "dalo_recognised_on": today - timedelta(days=dalo_days) if dalo_days else None,
                "dalo_decision_reference": extras.get("dalo_decision_reference", ""),
                "situation_justification": extras.get("situation_justification", ""),
                "in_hotel": extras.get("in_hotel", False),
                "hotel_since": household.accommodation_since if extras.get("in_hotel") else None,
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
