"""Demo data of the actions feature, loaded by `flask demo load` after the cases."""

from datetime import date, timedelta

from portal.actions.services import close_action, create_action, record_decision
from portal.models import ActionStatus, DecisionKind

CCAS = "CCAS de Concarneau"
FINISTERE_HABITAT = "Finistère Habitat"
CDAS = "CDAS de Concarneau"
SIAO = "SIAO du Finistère"
SOCIAL_WORKER = "social@ccas-concarneau.demo"
LANDLORD = "bailleur@finistere-habitat.demo"

# Per past comité technique, one decision per case on its agenda, in order:
# (kind, text, organisations, differing positions, actions); an action is
# (organisation, person's e-mail or None, description, due in days from today, outcome).
PAST_COMMITTEES = {
    "ct_past_1": [
        (
            DecisionKind.PARTNER_MOBILISATION,
            "Le CDAS instruit une demande d'aide du FSL pour le plan d'apurement de la dette ; "
            "Finistère Habitat réexamine la demande de logement dès l'accord du FSL.",
            [CCAS, CDAS, FINISTERE_HABITAT],
            [
                (
                    CDAS,
                    "Le CDAS aurait préféré une orientation directe vers un logement d'insertion.",
                )
            ],
            [
                (
                    CDAS,
                    None,
                    "Instruire la demande d'aide du FSL (plan d'apurement de la dette)",
                    -40,
                    (ActionStatus.DONE, "Aide du FSL accordée en commission ; plan signé."),
                ),
                (
                    FINISTERE_HABITAT,
                    LANDLORD,
                    "Réexaminer la demande de logement (T2 à Concarneau) avec le plan du FSL",
                    -12,
                    None,
                ),
            ],
        ),
        (
            DecisionKind.HOUSING_PROPOSAL,
            "Finistère Habitat propose un T2 à Concarneau, libre le mois prochain ; le CCAS "
            "prépare l'entrée dans les lieux pour mettre fin aux nuitées d'hôtel.",
            [CCAS, FINISTERE_HABITAT, SIAO],
            [],
            [
                (
                    FINISTERE_HABITAT,
                    LANDLORD,
                    "Organiser la visite du logement avec le couple",
                    -30,
                    (ActionStatus.DONE, "Visite faite ; le couple accepte le logement."),
                ),
                (
                    CCAS,
                    SOCIAL_WORKER,
                    "Demander au SIAO la prolongation des nuitées d'hôtel",
                    -20,
                    (
                        ActionStatus.CANCELLED,
                        "Le couple entre dans le logement avant la fin des nuitées : plus de "
                        "prolongation à demander.",
                    ),
                ),
            ],
        ),
    ],
    "ct_past_2": [
        (
            DecisionKind.ORIENTATION_IML,
            "Orientation vers l'intermédiation locative « sortie de structures » : le budget "
            "est travaillé, l'emploi est stable et un glissement du bail est envisageable.",
            [CCAS, SIAO, FINISTERE_HABITAT],
            [],
            [
                (
                    CCAS,
                    SOCIAL_WORKER,
                    "Préparer la candidature IML pour la commission SIAO (numéro SI-SIAO, "
                    "notes de préparation)",
                    -5,
                    None,
                ),
                (
                    SIAO,
                    "siao@siao29.demo",
                    "Inscrire la candidature à la prochaine commission SIAO",
                    10,
                    None,
                ),
            ],
        ),
        (
            DecisionKind.OTHER,
            "Orientation vers une résidence autonomie : le CCAS dépose le dossier d'admission, "
            "le CDAS transmet son évaluation de l'autonomie.",
            [CCAS, CDAS],
            [],
            [
                (
                    CCAS,
                    SOCIAL_WORKER,
                    "Déposer le dossier d'admission en résidence autonomie",
                    -8,
                    (ActionStatus.DONE, "Dossier déposé ; admission prononcée."),
                ),
                (CDAS, None, "Transmettre l'évaluation de l'autonomie au CCAS", -3, None),
            ],
        ),
    ],
}


def load_demo_actions(data: dict) -> None:
    """Add this feature's demo objects; ``data`` holds what was loaded before (flushes only).

    Decisions and actions on the two past comités techniques: some done, one cancelled,
    some overdue, one still to come. Without case items on their agenda, the decisions
    are recorded on the meeting itself.
    """
    meetings = data.get("meetings") or {}
    organisations = data.get("organisations") or {}
    users = data.get("users") or {}
    coordinator = users.get("coordination@ccas-concarneau.demo")
    today = date.today()
    for key, specs in PAST_COMMITTEES.items():
        meeting = meetings.get(key)
        if meeting is None:
            continue
        case_items = [item for item in meeting.agenda_items if item.case is not None]
        for index, (kind, text, names, positions, actions) in enumerate(specs):
            decision = record_decision(
                meeting,
                coordinator,
                kind=kind,
                text=text,
                organisations=[organisations[n] for n in names if n in organisations],
                positions=[(organisations[n], p) for n, p in positions if n in organisations],
                agenda_item=case_items[index] if index < len(case_items) else None,
                notify=False,
            )
            for name, email, description, due_in, outcome in actions:
                if name not in organisations:
                    continue
                action = create_action(
                    meeting,
                    coordinator,
                    description=description,
                    organisation=organisations[name],
                    user=users.get(email) if email else None,
                    due_on=today + timedelta(days=due_in),
                    decision=decision,
                    notify=False,
                )
                if outcome is not None:
                    status, note = outcome
                    close_action(action, users.get(email) or coordinator, status, note)
