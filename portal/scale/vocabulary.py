"""The words of the synthetic territory: places, names, and the texts of cases, decisions and
actions."""

from portal.models import (
    DecisionKind,
    OfferStatus,
)

TERRITORIES = [
    "Concarneau Cornouaille Agglomération",
    "Quimper Bretagne Occidentale",
    "Pays de Morlaix",
    "Brest métropole",
    "Quimperlé Communauté",
    "Pays de Landerneau-Daoulas",
    "Haut Pays Bigouden",
    "Pays Fouesnantais",
    "Poher communauté",
    "Presqu'île de Crozon-Aulne maritime",
    "Pays d'Iroise",
    "Douarnenez Communauté",
    "Pays des Abers",
    "Monts d'Arrée Communauté",
    "Cap Sizun - Pointe du Raz",
    "Pleyben-Châteaulin-Porzay",
]
COMMUNES = [
    "Concarneau", "Trégunc", "Rosporden", "Pont-Aven", "Névez", "Elliant", "Melgven",
    "Saint-Yvi", "Quimper", "Ergué-Gabéric", "Briec", "Plogonnec", "Guengat", "Pluguffan",
    "Morlaix", "Saint-Martin-des-Champs", "Plourin-lès-Morlaix", "Taulé", "Carantec",
    "Brest", "Guipavas", "Plougastel-Daoulas", "Le Relecq-Kerhuon", "Gouesnou", "Bohars",
    "Quimperlé", "Moëlan-sur-Mer", "Clohars-Carnoët", "Scaër", "Bannalec", "Mellac",
    "Landerneau", "Daoulas", "Plouédern", "La Forest-Landerneau", "Pont-l'Abbé",
    "Plonéour-Lanvern", "Loctudy", "Le Guilvinec", "Fouesnant", "Bénodet", "Clohars-Fouesnant",
    "Carhaix-Plouguer", "Callac", "Crozon", "Camaret-sur-Mer", "Saint-Renan", "Plouzané",
    "Douarnenez", "Pouldergat", "Lannilis", "Plabennec", "Huelgoat", "Audierne", "Châteaulin",
    "Pleyben",
]  # fmt: skip
FIRST_NAMES = [
    "Camille", "Yann", "Nolwenn", "Erwan", "Maëlle", "Gaël", "Sophie", "Kevin", "Léa", "Tristan",
    "Anne", "Pierre", "Marie", "Julien", "Aurélie", "Loïc", "Morgane", "Ronan", "Céline", "Hugo",
    "Inès", "Mathis", "Chloé", "Nathan", "Sarah", "Lucas", "Emma", "Yannick", "Gwenaëlle", "Tanguy",
    "Fatima", "Mohamed", "Aïcha", "Karim", "Amina", "Ibrahim", "Olena", "Dmytro", "Ana", "Jon",
]  # fmt: skip
LAST_NAMES = [
    "Le Goff", "Kerlan", "Le Bihan", "Guillou", "Morvan", "Quéré", "Tanguy", "Cariou", "Le Floch",
    "Le Gall", "Riou", "Le Roux", "Jaouen", "Quiniou", "Le Corre", "Salaün", "Le Meur", "Hénaff",
    "Bozec", "Le Bras", "Thomas", "Martin", "Bernard", "Petit", "Durand", "Moreau", "Lefebvre",
    "Garcia", "Diallo", "Benali", "Kovalenko", "Nguyen", "Da Silva", "Lemoine", "Fontaine",
]  # fmt: skip
CASE_TITLES = [
    "Relogement bloqué après une sortie de CHRS",
    "Dette locative ancienne freinant l'accès au logement",
    "Recherche d'un T2 proche du lieu de travail",
    "Sortie d'hébergement d'urgence à préparer",
    "Jeune sans ressources stables en recherche de logement",
    "Famille hébergée à l'hôtel depuis plusieurs mois",
    "Femme victime de violences : mise à l'abri puis logement",
    "Accompagnement budgétaire avant une entrée dans les lieux",
    "Mutation demandée pour sur-occupation",
    "Demande de logement adapté à la mobilité réduite",
]
CASE_QUESTIONS = [
    "Quel bailleur peut proposer un logement adapté dans les trois prochains mois ?",
    "Un accompagnement renforcé est-il possible avant l'orientation vers l'IML ?",
    "Le plan d'apurement de la dette permet-il une nouvelle proposition de logement ?",
    "Quelle orientation proposer compte tenu des ressources actuelles ?",
    "Qui peut accompagner le ménage dans ses démarches administratives ?",
]
NOTES = [
    "Rendez-vous fait avec le ménage, dossier complet.",
    "Le bailleur étudie une proposition sur le secteur demandé.",
    "Plan d'apurement signé, premiers versements effectués.",
    "Ressources stabilisées depuis deux mois (CDD prolongé).",
    "Visite du logement prévue la semaine prochaine.",
    "Le ménage souhaite rester sur la commune pour la scolarité des enfants.",
    "Point fait avec la référente du CDAS : accompagnement maintenu.",
]
DECISION_TEXTS = {
    DecisionKind.ORIENTATION_IML: "Orientation vers l'intermédiation locative (bail glissant).",
    DecisionKind.HOUSING_PROPOSAL: "Proposition d'un logement du contingent par le bailleur.",
    DecisionKind.REINFORCED_SUPPORT: "Mise en place d'un accompagnement renforcé pendant six mois.",
    DecisionKind.PARTNER_MOBILISATION: "Mobilisation de la Mission Locale et du CDAS.",
    DecisionKind.ADJOURNED: "Ajourné : informations complémentaires attendues.",
    DecisionKind.EXTENSION: "Prolongation de la mesure de six mois.",
    DecisionKind.LEASE_SLIDE: "Glissement du bail au profit du ménage.",
    DecisionKind.CLOSURE: "Clôture de la situation : solution de logement trouvée.",
    DecisionKind.OTHER: "Point à revoir lors du prochain comité.",
}
ACTION_TEXTS = [
    "Transmettre le diagnostic social au bailleur",
    "Organiser une visite du logement avec le ménage",
    "Vérifier l'ouverture des droits APL",
    "Contacter le FSL pour l'aide à l'entrée dans les lieux",
    "Faire le point sur le plan d'apurement",
    "Proposer un rendez-vous budget au ménage",
    "Envoyer la demande SI-SIAO mise à jour",
]
STREETS = [
    "rue de la Gare",
    "rue Jean Jaurès",
    "avenue de la Mer",
    "rue des Écoles",
    "place de l'Église",
    "rue du Port",
    "allée des Tilleuls",
    "boulevard Kennedy",
]
PROGRAMMES = [
    ("IML sortie de structures", "Bail glissant pour les ménages sortant d'hébergement.", 60),
    ("IML DALO", "Bail glissant pour les ménages reconnus prioritaires DALO.", 150),
]
PIPELINE = [
    OfferStatus.DRAFT,
    OfferStatus.NEW,
    OfferStatus.FIRST_CONTACT,
    OfferStatus.VISIT_PLANNED,
    OfferStatus.VISITED,
    OfferStatus.FINANCIAL_PROPOSAL,
    OfferStatus.AGREEMENT_SIGNED,
    OfferStatus.AVAILABLE,
    OfferStatus.ALLOCATED,
]
