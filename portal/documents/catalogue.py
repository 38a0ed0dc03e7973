"""Which documents exist, who may receive them, and their fixed wording by default.

Each document belongs to a wording group (the coordinator edits a group's passages once for
the documents sharing it). Audiences: ``ccas`` (the CCAS running the measure: it reads the
household's file and prints the household's documents) and ``landlord`` (the unit's social
landlord or private owner: never anything about the household but what the lease needs).
"""

from dataclasses import dataclass

from portal.i18n import _l

CCAS = "ccas"
LANDLORD = "landlord"


@dataclass(frozen=True)
class Passage:
    key: str
    label: str
    default: str


@dataclass(frozen=True)
class Wording:
    slug: str
    title: str
    passages: tuple[Passage, ...]


@dataclass(frozen=True)
class Document:
    slug: str
    title: str
    wording: str  # a Wording slug
    audiences: frozenset[str]
    editable: bool  # also as a Word file, to complete or sign
    large_type: bool = False
    description: str = ""


WORDINGS: dict[str, Wording] = {
    w.slug: w
    for w in (
        Wording(
            "guide",
            _l("Guide du ménage"),
            (
                Passage(
                    "intro",
                    _l("Introduction"),
                    _l(
                        "Ce guide explique votre logement et ce qui va se passer pendant "
                        "la première année. Gardez-le près de vous. Si une phrase n'est pas "
                        "claire, demandez à votre référent : il est là pour ça."
                    ),
                ),
                Passage(
                    "sublease",
                    _l("Qu'est-ce que la sous-location ?"),
                    _l(
                        "Le CCAS loue le logement au propriétaire. Le CCAS vous le "
                        "sous-loue : vous habitez chez vous, vous payez chaque mois votre "
                        "part du loyer au CCAS, et le CCAS paie le propriétaire. Pendant ce "
                        "temps, une personne du CCAS vous accompagne : budget, papiers, "
                        "vie dans le logement."
                    ),
                ),
                Passage(
                    "slide",
                    _l("Le glissement du bail"),
                    _l(
                        "Si le loyer est payé régulièrement et que votre situation est "
                        "stable, le bail « glisse » à votre nom : vous devenez locataire en "
                        "titre, sans déménager. Vous payez alors le loyer directement au "
                        "propriétaire. Sinon, la sous-location peut être prolongée, ou "
                        "elle prend fin et le CCAS cherche avec vous une autre solution."
                    ),
                ),
                Passage(
                    "rent",
                    _l("Votre loyer"),
                    _l(
                        "Payez votre part chaque mois, à la date convenue. Si vous avez un "
                        "souci d'argent, prévenez votre référent tout de suite : une "
                        "solution se trouve plus facilement tôt que tard."
                    ),
                ),
                Passage(
                    "contacts",
                    _l("Qui appeler ?"),
                    _l(
                        "Pour une question sur votre loyer, vos papiers ou le glissement "
                        "du bail : votre référent au CCAS. Pour une panne ou une fuite : "
                        "prévenez aussi votre référent, qui voit avec le propriétaire."
                    ),
                ),
            ),
        ),
        Wording(
            "sous-location",
            _l("Contrat de sous-location"),
            (
                Passage(
                    "preamble",
                    _l("Préambule"),
                    _l(
                        "Le CCAS est locataire du logement décrit ci-dessous, avec l'accord "
                        "écrit du propriétaire pour le sous-louer dans le cadre de "
                        "l'intermédiation locative (loi n° 89-462, art. 8). Le présent "
                        "contrat le sous-loue au ménage, à titre de résidence principale."
                    ),
                ),
                Passage(
                    "duration",
                    _l("Durée"),
                    _l(
                        "La sous-location commence à la date indiquée. Elle est faite pour "
                        "préparer le glissement du bail au nom du sous-locataire, décidé "
                        "à 12 mois au plus tard si les conditions sont réunies ; elle peut "
                        "être prolongée."
                    ),
                ),
                Passage(
                    "obligations",
                    _l("Obligations du sous-locataire"),
                    _l(
                        "Le sous-locataire paie sa part du loyer et des charges chaque "
                        "mois, occupe le logement paisiblement, l'entretient, est assuré "
                        "et accepte les rencontres de suivi prévues au calendrier."
                    ),
                ),
                Passage(
                    "support",
                    _l("Accompagnement"),
                    _l(
                        "Le CCAS accompagne le sous-locataire pendant toute la "
                        "sous-location ; un bilan a lieu avec le propriétaire à 6 mois "
                        "et à 10 mois, avant la décision des 12 mois."
                    ),
                ),
            ),
        ),
        Wording(
            "convention",
            _l("Convention entre le CCAS et le propriétaire"),
            (
                Passage(
                    "object",
                    _l("Objet"),
                    _l(
                        "Le propriétaire loue le logement au CCAS, qui le sous-loue à un "
                        "ménage qu'il accompagne (intermédiation locative), en vue du "
                        "glissement du bail au nom de ce ménage."
                    ),
                ),
                Passage(
                    "guarantees",
                    _l("Engagements du CCAS"),
                    _l(
                        "Le CCAS est le locataire : il paie le loyer et les charges chaque "
                        "mois, même en cas de retard du ménage, assure l'accompagnement "
                        "social et reste l'interlocuteur du propriétaire jusqu'au "
                        "glissement du bail."
                    ),
                ),
                Passage(
                    "fees",
                    _l("Frais"),
                    _l(
                        "Aucun frais d'agence ni de mise en location n'est dû : le CCAS "
                        "trouve le ménage et gère la location sans frais pour le "
                        "propriétaire."
                    ),
                ),
                Passage(
                    "slide",
                    _l("Glissement du bail"),
                    _l(
                        "Si le loyer est payé régulièrement et la situation stabilisée, "
                        "le bail glisse au nom du ménage, qui devient le locataire en titre "
                        "du propriétaire ; le CCAS cesse alors d'être locataire. Le "
                        "propriétaire est associé aux bilans."
                    ),
                ),
            ),
        ),
        Wording(
            "glissement",
            _l("Glissement du bail"),
            (
                Passage(
                    "letter",
                    _l("Lettre"),
                    _l(
                        "Madame, Monsieur, le bilan de la sous-location a montré que les "
                        "conditions du glissement du bail sont réunies. Nous vous proposons "
                        "de signer l'avenant ci-dessous : le ménage devient votre locataire "
                        "en titre à la date indiquée, et le CCAS cesse d'être votre "
                        "locataire à la même date."
                    ),
                ),
                Passage(
                    "effects",
                    _l("Ce qui change"),
                    _l(
                        "À compter de cette date, le nouveau locataire paie le loyer et les "
                        "charges directement au propriétaire. Le logement, le loyer et les "
                        "charges restent ceux du bail en cours."
                    ),
                ),
            ),
        ),
        Wording(
            "convocation",
            _l("Convocation au point de situation"),
            (
                Passage(
                    "intro",
                    _l("Introduction"),
                    _l(
                        "Vous êtes invité(e) au point de situation de la sous-location, "
                        "avec le propriétaire, le ménage et le CCAS."
                    ),
                ),
                Passage(
                    "purpose",
                    _l("À quoi sert ce rendez-vous"),
                    _l(
                        "Nous ferons ensemble le point sur le logement et le paiement du "
                        "loyer, et nous parlerons de la suite : poursuite de la "
                        "sous-location ou glissement du bail."
                    ),
                ),
                Passage(
                    "closing",
                    _l("Conclusion"),
                    _l(
                        "Si vous ne pouvez pas venir, prévenez le CCAS au plus tôt pour "
                        "convenir d'une autre date."
                    ),
                ),
            ),
        ),
    )
}

DOCUMENTS: dict[str, Document] = {
    d.slug: d
    for d in (
        Document(
            "guide-menage",
            _l("Guide du ménage : votre logement et votre calendrier"),
            "guide",
            frozenset({CCAS}),
            editable=False,
            large_type=True,
            description=_l("À remettre au ménage : gros caractères, à imprimer."),
        ),
        Document(
            "contrat-sous-location",
            _l("Contrat de sous-location"),
            "sous-location",
            frozenset({CCAS}),
            editable=True,
            description=_l("Entre le CCAS et le ménage, à signer."),
        ),
        Document(
            "convention-proprietaire",
            _l("Convention entre le CCAS et le propriétaire"),
            "convention",
            frozenset({CCAS, LANDLORD}),
            editable=True,
            description=_l("Avec les montants de la mesure, à signer."),
        ),
        Document(
            "glissement-bail",
            _l("Glissement du bail : lettre et avenant"),
            "glissement",
            frozenset({CCAS, LANDLORD}),
            editable=True,
            description=_l("À la décision des 12 mois, à compléter et signer."),
        ),
        Document(
            "convocation-menage",
            _l("Convocation au point de situation — pour le ménage"),
            "convocation",
            frozenset({CCAS}),
            editable=True,
        ),
        Document(
            "convocation-proprietaire",
            _l("Convocation au point de situation — pour le propriétaire"),
            "convocation",
            frozenset({CCAS, LANDLORD}),
            editable=True,
        ),
    )
}

FORMATS = ("pdf", "docx")
