"""The registry: every column that can hold text about a household, with the rows that
belong to a given household, and every other text column of the schema with the reason
it holds none. Erasure and export read it; nothing else lists these columns.

A *part* is one table seen from one household: a select of its rows (household id →
``select(Model)``), the text columns to erase and export, the other columns exported as
they are (dates, amounts, statuses, coded reasons), and how erasure treats the rows:

- ``DELETE``: the rows go (contact details, notes, files, e-mails);
- ``REPLACE``: each non-empty text value is replaced whole, the row and its codes stay;
- ``PASSAGES``: text shared with other households (a meeting's minutes, a partner's
  general opinion): only the paragraphs that mention this household are replaced;
- ``KEEP``: no text, only figures the reports count (rents, measures).

One model can appear in two parts: an agenda item about the household's case is its own
(``REPLACE``), another item of the same meeting only mentions it (``PASSAGES``).
"""

import enum
import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import date
from operator import attrgetter

import sqlalchemy as sa

from portal import permissions
from portal.extensions import Model, db
from portal.i18n import _l
from portal.models import (
    ActionNote,
    AgendaItem,
    AgendaProposal,
    AuditEvent,
    Bilan,
    Candidacy,
    CandidacyEvent,
    Case,
    CaseAttachment,
    CaseEvent,
    CaseNote,
    CaseParticipant,
    Decision,
    DecisionPosition,
    FollowUpAction,
    Household,
    HouseholdIdentity,
    HouseholdPerson,
    InformationRecord,
    ItemOpinion,
    Measure,
    Meeting,
    MeetingInvitee,
    Minutes,
    MinutesRevision,
    OutgoingEmail,
    RentRecord,
    household_email,
)
from portal.outbox.services import TEMPLATE_LABELS

PLACEHOLDER = "[anonymisé]"


class Erasure(enum.Enum):
    DELETE = "delete"
    REPLACE = "replace"
    PASSAGES = "passages"
    KEEP = "keep"


@dataclass(frozen=True)
class Text:
    """A column that can hold text about the household."""

    name: str
    label: str
    erased_to: str = PLACEHOLDER  # REPLACE: what a non-empty value becomes
    in_document: bool = True  # shown in the PDF (an e-mail's HTML copy is not)
    # A value that is not plain text (a JSON copy of minutes) finds and redacts its own
    # passages: (value, mentions) -> list of passages, and -> redacted value.
    passages: Callable | None = None
    redact: Callable | None = None


@dataclass(frozen=True)
class Detail:
    """A column exported as it is: ``path`` is an attribute, dotted through relationships,
    or a function of the row."""

    key: str
    label: str
    path: str | Callable | None = None

    def value(self, row):
        path = self.path or self.key
        return path(row) if callable(path) else attrgetter(path)(row)


@dataclass(frozen=True)
class Part:
    key: str  # the export's section key
    title: str
    model: type[Model]
    rows: Callable[[int], sa.Select]  # household id -> select of the rows
    erasure: Erasure
    text: tuple[Text, ...] = ()
    details: tuple[Detail, ...] = ()
    # Export: the rows the owning organisation may read (household -> SQL condition).
    readable: Callable | None = None
    # Export: the ids of rows whose text is about other households too (a meeting's
    # invitation with its agenda): listed, their text withheld.
    shared_rows: Callable[[int], sa.Select] | None = None
    # Erasure: columns the reports still need, kept in a coarser form.
    coarsen: dict[str, Callable] = field(default_factory=dict)
    # Erasure of DELETE rows: called before they go; returns the stored files to delete
    # once the transaction has committed.
    before_delete: Callable | None = None


# How to reach a household's rows -----------------------------------------------------------


def case_ids(household_id: int) -> sa.Select:
    return sa.select(Case.id).where(Case.household_id == household_id)


def candidacy_ids(household_id: int) -> sa.Select:
    return sa.select(Candidacy.id).where(Candidacy.household_id == household_id)


def measure_ids(household_id: int) -> sa.Select:
    return sa.select(Measure.id).where(Measure.household_id == household_id)


def bilan_ids(household_id: int) -> sa.Select:
    return sa.select(Bilan.id).where(Bilan.measure_id.in_(measure_ids(household_id)))


def item_ids(household_id: int) -> sa.Select:
    """Agenda items about one of the household's cases."""
    return sa.select(AgendaItem.id).where(AgendaItem.case_id.in_(case_ids(household_id)))


def decision_ids(household_id: int) -> sa.Select:
    return sa.select(Decision.id).where(
        sa.or_(
            Decision.case_id.in_(case_ids(household_id)),
            Decision.agenda_item_id.in_(item_ids(household_id)),
        )
    )


def action_ids(household_id: int) -> sa.Select:
    return sa.select(FollowUpAction.id).where(
        sa.or_(
            FollowUpAction.case_id.in_(case_ids(household_id)),
            FollowUpAction.decision_id.in_(decision_ids(household_id)),
        )
    )


def meeting_ids(household_id: int) -> sa.Select:
    """The meetings where the household was on the agenda, decided upon or reviewed."""
    cases = case_ids(household_id)
    met = sa.union(
        sa.select(AgendaItem.meeting_id).where(AgendaItem.case_id.in_(cases)),
        sa.select(Decision.meeting_id).where(Decision.case_id.in_(cases)),
        sa.select(FollowUpAction.meeting_id).where(FollowUpAction.case_id.in_(cases)),
        sa.select(AgendaProposal.meeting_id).where(AgendaProposal.case_id.in_(cases)),
        sa.select(Candidacy.decision_meeting_id).where(Candidacy.household_id == household_id),
        sa.select(Bilan.meeting_id).where(Bilan.measure_id.in_(measure_ids(household_id))),
    ).subquery()
    return sa.select(met.c[0]).where(met.c[0].is_not(None))


def minutes_ids(household_id: int) -> sa.Select:
    return sa.select(Minutes.id).where(Minutes.meeting_id.in_(meeting_ids(household_id)))


def email_ids(household_id: int) -> sa.Select:
    return sa.select(household_email.c.email_id).where(
        household_email.c.household_id == household_id
    )


def emails_about_others(household_id: int) -> sa.Select:
    return sa.select(household_email.c.email_id).where(
        household_email.c.email_id.in_(email_ids(household_id)),
        household_email.c.household_id != household_id,
    )


def audited(object_type: str, ids: sa.Select) -> sa.ColumnElement[bool]:
    return sa.and_(AuditEvent.object_type == object_type, AuditEvent.object_id.in_(ids))


def about_household(household_id: int) -> sa.ColumnElement[bool]:
    """Audit events about the household or one of its objects: its access log."""
    return sa.or_(
        sa.and_(AuditEvent.object_type == "household", AuditEvent.object_id == household_id),
        audited("case", case_ids(household_id)),
        audited("candidacy", candidacy_ids(household_id)),
        audited("measure", measure_ids(household_id)),
        audited("bilan", bilan_ids(household_id)),
        audited("decision", decision_ids(household_id)),
        audited("follow_up_action", action_ids(household_id)),
    )


def link_email(email: OutgoingEmail, household_ids) -> None:
    """Record that a queued e-mail is about these households (its text names them): it is
    erased with them, and listed in their right-of-access export."""
    ids = sorted({i for i in household_ids if i is not None})
    if ids:
        db.session.execute(
            sa.insert(household_email), [{"household_id": i, "email_id": email.id} for i in ids]
        )


def households_at_meeting(meeting_id: int) -> list[int]:
    """The households a meeting dealt with (the inverse of ``meeting_ids``): its title and
    agenda may name any of them, so every e-mail about the meeting is about each."""
    cases = sa.select(Case.household_id)
    met = sa.union(
        cases.join(AgendaItem, AgendaItem.case_id == Case.id).where(
            AgendaItem.meeting_id == meeting_id
        ),
        cases.join(Decision, Decision.case_id == Case.id).where(Decision.meeting_id == meeting_id),
        cases.join(FollowUpAction, FollowUpAction.case_id == Case.id).where(
            FollowUpAction.meeting_id == meeting_id
        ),
        cases.join(AgendaProposal, AgendaProposal.case_id == Case.id).where(
            AgendaProposal.meeting_id == meeting_id
        ),
        sa.select(Candidacy.household_id).where(Candidacy.decision_meeting_id == meeting_id),
        sa.select(Measure.household_id)
        .join(Bilan, Bilan.measure_id == Measure.id)
        .where(Bilan.meeting_id == meeting_id),
    )
    return list(db.session.scalars(met))


def link_meeting_email(email: OutgoingEmail, meeting_id: int) -> None:
    link_email(email, households_at_meeting(meeting_id))


# What says a passage is about the household ------------------------------------------------

PARAGRAPH_BREAK = re.compile(r"(\n[ \t]*\n)")


def alone(literal: str) -> str:
    """``literal`` as a whole word (names may start or end with a hyphen or an accent)."""
    return rf"(?<!\w){re.escape(literal)}(?!\w)"


@dataclass(frozen=True)
class Mentions:
    """What makes a passage of shared text about the household, read before anything is
    erased: its reference, its people's last names, its e-mail address, phone number and
    postal address. A first name alone is too common to decide it. Also the ids of its
    cases, agenda items, decisions and actions, for the frozen copies of minutes."""

    pattern: re.Pattern
    case_ids: frozenset[int]
    item_ids: frozenset[int]
    decision_ids: frozenset[int]
    action_ids: frozenset[int]

    @classmethod
    def of(cls, household: Household) -> "Mentions":
        words = [alone(household.reference)]
        words += [alone(p.last_name.strip()) for p in household.persons if p.last_name.strip()]
        identity = household.identity
        if identity is not None:
            if identity.email.strip():
                words.append(re.escape(identity.email.strip()))
            digits = re.sub(r"\D", "", identity.phone)
            if len(digits) >= 6:
                words.append(r"[\s.-]?".join(digits))
            if len(identity.address.strip()) >= 8:
                words.append(re.escape(identity.address.strip()))

        def ids(select: sa.Select) -> frozenset[int]:
            return frozenset(db.session.scalars(select))

        return cls(
            pattern=re.compile("|".join(words), re.IGNORECASE),
            case_ids=ids(case_ids(household.id)),
            item_ids=ids(item_ids(household.id)),
            decision_ids=ids(decision_ids(household.id)),
            action_ids=ids(action_ids(household.id)),
        )

    def found_in(self, text: str | None) -> bool:
        return bool(text) and self.pattern.search(text) is not None

    def passages(self, text: str | None) -> list[str]:
        """The paragraphs of ``text`` that mention the household."""
        return [p.strip() for p in PARAGRAPH_BREAK.split(text or "") if self.found_in(p)]

    def redact(self, text: str | None) -> str:
        """``text`` with each paragraph that mentions the household replaced."""
        pieces = PARAGRAPH_BREAK.split(text or "")
        return "".join(
            PLACEHOLDER if index % 2 == 0 and self.found_in(piece) else piece
            for index, piece in enumerate(pieces)
        )


# A frozen copy of approved minutes (MinutesRevision.content, the JSON of
# portal.minutes.services.canonical_content): erased by the same rules as the live minutes.


def minutes_copy_texts(data: dict, mentions: Mentions):
    """(holder, key, own) for each text of the copy: the household's own texts are
    replaced whole, the others lose the passages that mention it."""
    yield data, "general_notes", False
    for item in data.get("items", []):
        own = item["id"] in mentions.item_ids or item.get("case_id") in mentions.case_ids
        yield item, "title", own
        yield item, "notes", own
    for decision in data.get("decisions", []):
        own = (
            decision["id"] in mentions.decision_ids
            or decision.get("case_id") in mentions.case_ids
            or decision.get("agenda_item_id") in mentions.item_ids
        )
        yield decision, "text", own
        for position in decision.get("positions", []):
            yield position, 1, own
    for action in data.get("actions", []):
        own = (
            action["id"] in mentions.action_ids
            or action.get("case_id") in mentions.case_ids
            or action.get("decision_id") in mentions.decision_ids
        )
        yield action, "description", own


def redact_minutes_copy(content: str, mentions: Mentions) -> str:
    data = json.loads(content)
    for holder, key, own in minutes_copy_texts(data, mentions):
        if holder[key]:
            holder[key] = PLACEHOLDER if own else mentions.redact(holder[key])
    return json.dumps(data, ensure_ascii=False)


def minutes_copy_passages(content: str, mentions: Mentions) -> list[str]:
    found: list[str] = []
    for holder, key, own in minutes_copy_texts(json.loads(content), mentions):
        if holder[key]:
            found += [holder[key]] if own else mentions.passages(holder[key])
    return found


def mid_year(born: date | None) -> date | None:
    """A birth date reduced to its year: the reports count people by age band."""
    return None if born is None else date(born.year, 7, 1)


def stored_files(attachments) -> list[str]:
    return [attachment.stored_name for attachment in attachments]


def forget_email_links(emails) -> list[str]:
    """Every household's link to these e-mails goes with them (SQLite does not cascade)."""
    db.session.execute(
        sa.delete(household_email).where(household_email.c.email_id.in_([e.id for e in emails]))
    )
    return []


# The registry ------------------------------------------------------------------------------

WHEN = Detail("created", _l("Date"))
CASE = Detail("case_id", _l("Situation n°"))
MEETING = Detail("meeting", _l("Réunion"))
MEETING_DATE = Detail("meeting_date", _l("Date de la réunion"), "meeting.starts_at")
ORGANISATION = Detail("organisation", _l("Organisation"))
PERSON = Detail("user", _l("Personne"))


def owned_items(household_id: int) -> sa.Select:
    return sa.select(AgendaItem).where(AgendaItem.id.in_(item_ids(household_id)))


def owned_decisions(household_id: int) -> sa.Select:
    return sa.select(Decision).where(Decision.id.in_(decision_ids(household_id)))


def owned_actions(household_id: int) -> sa.Select:
    return sa.select(FollowUpAction).where(FollowUpAction.id.in_(action_ids(household_id)))


def other_item_ids(household_id: int) -> sa.Select:
    """The other points of the household's meetings (other cases, general points)."""
    return sa.select(AgendaItem.id).where(
        AgendaItem.meeting_id.in_(meeting_ids(household_id)),
        AgendaItem.id.not_in(item_ids(household_id)),
    )


def other_decision_ids(household_id: int) -> sa.Select:
    return sa.select(Decision.id).where(
        Decision.meeting_id.in_(meeting_ids(household_id)),
        Decision.id.not_in(decision_ids(household_id)),
    )


def other_action_ids(household_id: int) -> sa.Select:
    return sa.select(FollowUpAction.id).where(
        FollowUpAction.meeting_id.in_(meeting_ids(household_id)),
        FollowUpAction.id.not_in(action_ids(household_id)),
    )


def other_case_ids(household_id: int) -> sa.Select:
    """The other cases discussed in the household's meetings: their timelines copy those
    meetings' titles, decisions, actions and action notes, which may mention it."""
    meetings = meeting_ids(household_id)
    cases = sa.union(
        sa.select(AgendaItem.case_id).where(AgendaItem.meeting_id.in_(meetings)),
        sa.select(Decision.case_id).where(Decision.meeting_id.in_(meetings)),
        sa.select(FollowUpAction.case_id).where(FollowUpAction.meeting_id.in_(meetings)),
    ).subquery()
    case_id = cases.c[0]
    return sa.select(case_id).where(case_id.is_not(None), case_id.not_in(case_ids(household_id)))


ITEMS = Part(
    "points_a_l_ordre_du_jour",
    _l("Passages en réunion"),
    AgendaItem,
    owned_items,
    Erasure.REPLACE,
    (Text("title", _l("Intitulé")), Text("notes", _l("Notes du compte rendu"))),
    (MEETING, MEETING_DATE, CASE, Detail("presenter", _l("Présenté par"))),
)
OPINIONS = Part(
    "avis_ecrits",
    _l("Avis écrits des partenaires excusés"),
    ItemOpinion,
    lambda h: sa.select(ItemOpinion).where(ItemOpinion.agenda_item_id.in_(item_ids(h))),
    Erasure.REPLACE,
    (Text("text", _l("Avis")),),
    (
        Detail("agenda_item_id", _l("Point n°")),
        Detail("organisation", _l("Organisation"), "invitee.organisation"),
    ),
)
DECISIONS = Part(
    "decisions",
    _l("Décisions"),
    Decision,
    owned_decisions,
    Erasure.REPLACE,
    (Text("text", _l("Décision")),),
    (
        MEETING,
        MEETING_DATE,
        CASE,
        Detail("kind", _l("Nature")),
        Detail("organisations", _l("Organisations parties à la décision")),
    ),
)
POSITIONS = Part(
    "positions",
    _l("Positions des partenaires"),
    DecisionPosition,
    lambda h: sa.select(DecisionPosition).where(DecisionPosition.decision_id.in_(decision_ids(h))),
    Erasure.REPLACE,
    (Text("position", _l("Position")),),
    (Detail("decision_id", _l("Décision n°")), ORGANISATION),
)
ACTIONS = Part(
    "actions_de_suivi",
    _l("Actions de suivi"),
    FollowUpAction,
    owned_actions,
    Erasure.REPLACE,
    (Text("description", _l("Action")), Text("closing_note", _l("Note de clôture"))),
    (
        MEETING,
        CASE,
        Detail("decision_id", _l("Décision n°")),
        Detail("organisation", _l("Confiée à")),
        Detail("user", _l("Personne responsable")),
        Detail("due_on", _l("Échéance")),
        Detail("status", _l("Statut")),
        Detail("closed_at", _l("Close le")),
    ),
)
ACTION_NOTES = Part(
    "notes_des_actions",
    _l("Notes sur les actions de suivi"),
    ActionNote,
    lambda h: sa.select(ActionNote).where(ActionNote.action_id.in_(action_ids(h))),
    Erasure.REPLACE,
    (Text("text", _l("Note")),),
    (Detail("action_id", _l("Action n°")), WHEN, ORGANISATION, PERSON),
)


CASE_EVENTS = Part(
    "historique_des_situations",
    _l("Historique des situations"),
    CaseEvent,
    lambda h: sa.select(CaseEvent).where(CaseEvent.case_id.in_(case_ids(h))),
    Erasure.REPLACE,
    (Text("summary", _l("Détail")),),
    (CASE, WHEN, Detail("kind", _l("Événement")), ORGANISATION),
    readable=lambda household: permissions.organisation_case_events_clause(
        household.organisation_id
    ),
)


def mentioning(part: Part, key: str, title: str, rows: Callable[[int], sa.Select]) -> Part:
    """The same table seen from the household's meetings: rows about other cases (or
    none) whose text may mention it."""
    return replace(part, key=key, title=title, rows=rows, erasure=Erasure.PASSAGES)


PARTS: tuple[Part, ...] = (
    Part(
        "menage",
        _l("Le ménage"),
        Household,
        lambda h: sa.select(Household).where(Household.id == h),
        Erasure.REPLACE,
        (
            Text("situation_notes", _l("Observations sur la situation"), erased_to=""),
            Text("children_ages", _l("Âges des enfants"), erased_to=""),
        ),
        (
            Detail("reference", _l("Référence")),
            ORGANISATION,
            Detail("adults", _l("Adultes")),
            Detail("children", _l("Enfants")),
            Detail("public", _l("Public")),
            Detail("victim_of_violence", _l("Victime de violences")),
            Detail("accommodation", _l("Hébergement actuel")),
            Detail("accommodation_since", _l("Hébergé depuis le")),
            Detail("resource_type", _l("Ressources")),
            Detail("resource_bracket", _l("Tranche de ressources")),
            Detail("typology", _l("Typologie recherchée")),
            Detail("communes", _l("Communes souhaitées")),
            Detail("obstacles", _l("Freins"), "obstacle_values"),
            Detail("created", _l("Dossier créé le")),
            Detail("anonymised_at", _l("Anonymisé le")),
        ),
    ),
    Part(
        "coordonnees",
        _l("Coordonnées"),
        HouseholdIdentity,
        lambda h: sa.select(HouseholdIdentity).where(HouseholdIdentity.household_id == h),
        Erasure.DELETE,
        (
            Text("phone", _l("Téléphone")),
            Text("email", _l("Adresse e-mail")),
            Text("address", _l("Adresse")),
        ),
    ),
    Part(
        "personnes",
        _l("Personnes du ménage"),
        HouseholdPerson,
        lambda h: sa.select(HouseholdPerson).where(HouseholdPerson.household_id == h),
        Erasure.REPLACE,
        (
            Text("first_name", _l("Prénom"), erased_to=""),
            Text("last_name", _l("Nom"), erased_to=""),
        ),
        (Detail("role", _l("Rôle")), Detail("birth_date", _l("Date de naissance"))),
        coarsen={"birth_date": mid_year},
    ),
    Part(
        "informations_du_menage",
        _l("Information du ménage sur le partage de sa situation"),
        InformationRecord,
        lambda h: sa.select(InformationRecord).where(InformationRecord.household_id == h),
        Erasure.REPLACE,
        (
            Text("what_is_shared", _l("Ce qui est partagé"), erased_to=""),
            Text("shared_with", _l("Avec qui"), erased_to=""),
        ),
        (
            Detail("informed_on", _l("Informé le")),
            Detail("informed_by", _l("Par")),
            Detail("allows_identity", _l("Identité transmise")),
        ),
    ),
    Part(
        "situations",
        _l("Situations présentées au comité"),
        Case,
        lambda h: sa.select(Case).where(Case.household_id == h),
        Erasure.REPLACE,
        (
            Text("title", _l("Titre"), erased_to="Situation anonymisée"),
            Text("question", _l("Question aux partenaires"), erased_to=""),
        ),
        (
            Detail("committee", _l("Instance")),
            ORGANISATION,
            Detail("status", _l("Statut")),
            Detail("created", _l("Créée le")),
            Detail("submitted_at", _l("Soumise le")),
            Detail("closed_at", _l("Close le")),
        ),
    ),
    Part(
        "partages",
        _l("Partages des situations"),
        CaseParticipant,
        # Each row names its partner: their organisations loaded with the rows.
        lambda h: (
            sa.select(CaseParticipant)
            .where(CaseParticipant.case_id.in_(case_ids(h)))
            .options(sa.orm.joinedload(CaseParticipant.organisation))
        ),
        Erasure.REPLACE,
        (Text("reason", _l("Motif du partage"), erased_to=""),),
        (CASE, ORGANISATION, Detail("level", _l("Niveau d'accès")), WHEN),
    ),
    Part(
        "notes",
        _l("Notes de la discussion"),
        CaseNote,
        lambda h: sa.select(CaseNote).where(CaseNote.case_id.in_(case_ids(h))),
        Erasure.DELETE,
        (Text("body", _l("Note")),),
        (
            CASE,
            WHEN,
            Detail("author", _l("Auteur")),
            ORGANISATION,
            Detail("internal", _l("Note interne")),
        ),
        readable=lambda household: permissions.organisation_notes_clause(household.organisation_id),
    ),
    Part(
        "pieces_jointes",
        _l("Pièces jointes"),
        CaseAttachment,
        lambda h: sa.select(CaseAttachment).where(CaseAttachment.case_id.in_(case_ids(h))),
        Erasure.DELETE,
        (Text("filename", _l("Nom du fichier")),),
        (
            CASE,
            Detail("content_type", _l("Type")),
            Detail("size", _l("Taille (octets)")),
            Detail("created", _l("Déposée le")),
            Detail("uploaded_by", _l("Déposée par")),
        ),
        before_delete=stored_files,
    ),
    CASE_EVENTS,
    ITEMS,
    OPINIONS,
    DECISIONS,
    POSITIONS,
    ACTIONS,
    ACTION_NOTES,
    Part(
        "candidatures",
        _l("Candidatures au SIAO"),
        Candidacy,
        lambda h: sa.select(Candidacy).where(Candidacy.household_id == h),
        Erasure.REPLACE,
        (
            Text("siao_number", _l("Numéro de demande SI-SIAO"), erased_to=""),
            Text("support_in_place", _l("Accompagnement en place")),
            Text("readiness_notes", _l("Préparation à la sortie")),
            Text("decision_comment", _l("Commentaire du SIAO")),
            Text("dalo_decision_reference", _l("Référence de la décision DALO"), erased_to=""),
            Text("situation_justification", _l("Justification hors des situations du programme")),
        ),
        (
            Detail("programme", _l("Programme")),
            Detail("siao", _l("SIAO")),
            Detail("status", _l("Statut")),
            Detail("requested_typology", _l("Typologie demandée")),
            Detail("budget_worked", _l("Budget travaillé")),
            Detail("rent_capacity", _l("Loyer possible (€ par mois)")),
            Detail("communes", _l("Communes souhaitées")),
            Detail("submitted_at", _l("Soumise le")),
            Detail("decided_at", _l("Décision le")),
            Detail("refusal_reason", _l("Motif de refus")),
            Detail("dalo_recognised_on", _l("Reconnu prioritaire DALO le")),
            Detail("in_hotel", _l("Hébergé à l'hôtel")),
            Detail("hotel_since", _l("À l'hôtel depuis le")),
            Detail("created", _l("Créée le")),
        ),
    ),
    Part(
        "historique_des_candidatures",
        _l("Historique des candidatures"),
        CandidacyEvent,
        lambda h: sa.select(CandidacyEvent).where(
            CandidacyEvent.candidacy_id.in_(candidacy_ids(h))
        ),
        Erasure.REPLACE,
        (Text("comment", _l("Commentaire")),),
        (
            Detail("candidacy_id", _l("Candidature n°")),
            WHEN,
            Detail("from_status", _l("De")),
            Detail("to_status", _l("À")),
            ORGANISATION,
        ),
    ),
    Part(
        "mesures",
        _l("Mesures d'intermédiation locative"),
        Measure,
        lambda h: sa.select(Measure).where(Measure.household_id == h),
        Erasure.KEEP,
        (),
        (
            Detail("programme", _l("Programme")),
            Detail("unit", _l("Logement")),
            Detail("start_date", _l("Début de la sous-location")),
            Detail("rent", _l("Loyer (€)")),
            Detail("charges", _l("Charges (€)")),
            Detail("household_share", _l("Part du ménage (€ par mois)")),
            Detail("status", _l("Statut")),
            Detail("extended_until", _l("Prolongée jusqu'au")),
            Detail("end_date", _l("Fin")),
            Detail("end_reason", _l("Motif de fin")),
        ),
    ),
    Part(
        "bilans",
        _l("Bilans des mesures"),
        Bilan,
        lambda h: sa.select(Bilan).where(Bilan.measure_id.in_(measure_ids(h))),
        Erasure.REPLACE,
        (
            Text("summary", _l("Synthèse")),
            Text("rent_regularity_justification", _l("Loyer régulier malgré le relevé")),
            Text("stabilisation_notes", _l("Observations sur la stabilisation")),
            Text("early_slide_justification", _l("Glissement avant 6 mois : pourquoi")),
        ),
        (
            Detail("measure_id", _l("Mesure n°")),
            Detail("kind", _l("Bilan")),
            Detail("due_date", _l("Prévu le")),
            Detail("held_on", _l("Tenu le")),
            Detail("outcome", _l("Issue")),
            Detail("rent_paid_regularly", _l("Loyer payé régulièrement")),
            Detail("situation_stabilised", _l("Situation stabilisée")),
            Detail("budget_assessment", _l("Budget")),
            Detail("support_assessment", _l("Accompagnement après la mesure")),
            Detail("household_wish", _l("Souhait du ménage")),
            Detail("early_slide", _l("Glissement anticipé")),
            Detail("landlord_present", _l("Bailleur présent")),
            Detail("household_present", _l("Ménage présent")),
            Detail("next_date", _l("Nouvelle échéance")),
            Detail("end_reason", _l("Motif de fin")),
        ),
    ),
    Part(
        "loyers",
        _l("Paiement des loyers"),
        RentRecord,
        lambda h: sa.select(RentRecord).where(RentRecord.measure_id.in_(measure_ids(h))),
        Erasure.KEEP,
        (),
        (
            Detail("measure_id", _l("Mesure n°")),
            Detail("month", _l("Mois")),
            Detail("status", _l("Statut")),
            Detail("amount_due", _l("Montant dû (€)")),
            Detail("amount_paid", _l("Montant payé (€)")),
        ),
    ),
    Part(
        "e_mails",
        _l("E-mails écrits à son sujet"),
        OutgoingEmail,
        lambda h: sa.select(OutgoingEmail).where(OutgoingEmail.id.in_(email_ids(h))),
        Erasure.DELETE,
        (
            Text("subject", _l("Objet")),
            Text("text_body", _l("Message")),
            Text("html_body", _l("Message (HTML)"), in_document=False),
        ),
        (
            Detail("created", _l("Écrit le")),
            Detail("recipient", _l("Destinataire")),
            Detail("message", _l("Message"), lambda e: str(TEMPLATE_LABELS.get(e.template, ""))),
            Detail("status", _l("État de l'envoi")),
            Detail("sent_at", _l("Envoyé le")),
        ),
        shared_rows=emails_about_others,
        before_delete=forget_email_links,
    ),
    Part(
        "journal_des_acces",
        _l("Journal des accès"),
        AuditEvent,
        lambda h: sa.select(AuditEvent).where(about_household(h)),
        Erasure.REPLACE,
        (Text("summary", _l("Détail")),),
        (WHEN, PERSON, ORGANISATION, Detail("action", _l("Action"))),
    ),
    # Text shared with other households, in the meetings where the household was discussed.
    Part(
        "reunions",
        _l("Réunions qui le mentionnent"),
        Meeting,
        lambda h: sa.select(Meeting).where(Meeting.id.in_(meeting_ids(h))),
        Erasure.PASSAGES,
        (Text("title", _l("Intitulé")), Text("location", _l("Lieu"))),
        (Detail("kind", _l("Réunion")), Detail("starts_at", _l("Date"))),
    ),
    Part(
        "comptes_rendus",
        _l("Passages des comptes rendus"),
        Minutes,
        lambda h: sa.select(Minutes).where(Minutes.id.in_(minutes_ids(h))),
        Erasure.PASSAGES,
        (Text("general_notes", _l("Notes générales")),),
        (MEETING, MEETING_DATE, Detail("status", _l("Statut"))),
    ),
    Part(
        "versions_des_comptes_rendus",
        _l("Versions antérieures des comptes rendus"),
        MinutesRevision,
        lambda h: sa.select(MinutesRevision).where(MinutesRevision.minutes_id.in_(minutes_ids(h))),
        Erasure.PASSAGES,
        (
            Text(
                "content",
                _l("Texte approuvé"),
                passages=minutes_copy_passages,
                redact=redact_minutes_copy,
            ),
            Text("reason", _l("Motif de la réouverture")),
        ),
        (Detail("approved_at", _l("Approuvé le")), Detail("reopened_at", _l("Rouvert le"))),
    ),
    Part(
        "avis_generaux",
        _l("Avis généraux des partenaires excusés"),
        MeetingInvitee,
        lambda h: sa.select(MeetingInvitee).where(MeetingInvitee.meeting_id.in_(meeting_ids(h))),
        Erasure.PASSAGES,
        (Text("opinion", _l("Avis")),),
        (MEETING, ORGANISATION),
    ),
    mentioning(
        ITEMS,
        "autres_points",
        _l("Autres points qui le mentionnent"),
        lambda h: sa.select(AgendaItem).where(AgendaItem.id.in_(other_item_ids(h))),
    ),
    mentioning(
        OPINIONS,
        "autres_avis_ecrits",
        _l("Autres avis écrits qui le mentionnent"),
        lambda h: sa.select(ItemOpinion).where(ItemOpinion.agenda_item_id.in_(other_item_ids(h))),
    ),
    mentioning(
        DECISIONS,
        "autres_decisions",
        _l("Autres décisions qui le mentionnent"),
        lambda h: sa.select(Decision).where(Decision.id.in_(other_decision_ids(h))),
    ),
    mentioning(
        POSITIONS,
        "autres_positions",
        _l("Autres positions qui le mentionnent"),
        lambda h: sa.select(DecisionPosition).where(
            DecisionPosition.decision_id.in_(other_decision_ids(h))
        ),
    ),
    mentioning(
        ACTIONS,
        "autres_actions",
        _l("Autres actions qui le mentionnent"),
        lambda h: sa.select(FollowUpAction).where(FollowUpAction.id.in_(other_action_ids(h))),
    ),
    mentioning(
        ACTION_NOTES,
        "autres_notes_des_actions",
        _l("Autres notes d'actions qui le mentionnent"),
        lambda h: sa.select(ActionNote).where(ActionNote.action_id.in_(other_action_ids(h))),
    ),
    mentioning(
        CASE_EVENTS,
        "autres_historiques",
        _l("Historiques d'autres situations qui le mentionnent"),
        lambda h: sa.select(CaseEvent).where(CaseEvent.case_id.in_(other_case_ids(h))),
    ),
    Part(
        "journal_des_reunions",
        _l("Journal des réunions qui le mentionne"),
        AuditEvent,
        # With the other decisions and actions of those meetings: their entries name the
        # meeting.
        lambda h: sa.select(AuditEvent).where(
            sa.or_(
                audited("meeting", meeting_ids(h)),
                audited("minutes", minutes_ids(h)),
                audited("decision", other_decision_ids(h)),
                audited("follow_up_action", other_action_ids(h)),
            )
        ),
        Erasure.PASSAGES,
        (Text("summary", _l("Détail")),),
        (WHEN, PERSON, ORGANISATION, Detail("action", _l("Action"))),
    ),
)


def household_text_columns() -> set[tuple[str, str]]:
    """(table, column) of every column declared as holding text about a household."""
    return {(part.model.__table__.name, text.name) for part in PARTS for text in part.text}


# Every other text column, and why it holds no text about a household. Columns stored as
# an enum (a code from a fixed list) hold none either: ``is_coded``.
EXEMPT: dict[tuple[str, str], str] = {
    ("household", "reference"): "the pseudonymous reference, kept: reports count by it",
    ("audit_event", "object_type"): "a code: which kind of object",
    ("audit_event", "ip_address"): "the reader's network address, not the household's",
    ("audit_monthly_count", "month"): "a month (YYYY-MM)",
    ("audit_monthly_count", "action"): "a code: the audit action",
    ("audit_monthly_count", "object_type"): "a code: which kind of object",
    ("case_attachment", "stored_name"): "random file name; the row goes with its file",
    ("case_attachment", "content_type"): "a MIME type",
    ("case_attachment", "sha256"): "a checksum",
    ("committee", "name"): "the committee's name",
    ("committee", "description"): "the committee's purpose, written by the coordination",
    ("commune", "name"): "a place name",
    ("commune_ceiling", "source"): "the legal source of a rent ceiling",
    ("document_wording", "document"): "a code: which generated document",
    ("document_wording", "passage"): "a code: which passage of it",
    ("document_wording", "text"): "the documents' fixed wording, written by the coordination",
    ("invitation", "email"): "an invited professional's address",
    ("invitation", "full_name"): "an invited professional's name",
    ("invitation", "nonce"): "a random value carried in the invitation link",
    ("job_run", "name"): "a job's name",
    ("report_funding_line", "source"): "a funder's name (« BOP 177 – État »)",
    ("report_analysis", "difficulties"): "the coordinator's analysis of a year, for the "
    "report (the form asks to name no household)",
    ("report_analysis", "levers"): "the same analysis: levers",
    ("report_analysis", "perspectives"): "the same analysis: perspectives",
    ("stored_report", "scope_key"): "a code: year, programmes and territories",
    ("stored_report", "data_version"): "a hash of the year's data",
    ("stored_report", "payload"): "a report's counts and pseudonymous fiche lines "
    "(recomputed after an erasure)",
    ("notification_preference", "kind"): "a code: which kind of notification",
    ("pending_notification", "kind"): "a code: which kind of notification (no text is kept)",
    ("pending_notification", "event"): "a code: which event of that kind",
    ("job_run", "period"): "an hour or a day",
    ("job_run", "worker"): "a host name and process id",
    ("job_run", "result"): "the job's counts (« 2 dossier(s) anonymisé(s) »)",
    ("landlord_offer", "reason_comment"): "a private owner's offer of a flat, not a household's",
    ("landlord_offer", "company_name"): "the owning company",
    ("landlord_offer", "contact_phone"): "the owner's phone number",
    ("landlord_offer", "address"): "the offered flat's address",
    ("landlord_offer", "dpe_number"): "the flat's energy certificate number",
    ("meeting", "video_link"): "a video-conference link",
    ("meeting", "uid"): "the iCalendar UID",
    ("minutes", "content_hash"): "a hash, recomputed when the minutes are anonymised",
    ("minutes_revision", "content_hash"): "a hash, recomputed when the copy is anonymised",
    ("offer_document", "filename"): "a private owner's document about their flat",
    ("offer_document", "stored_name"): "random file name",
    ("offer_document", "content_type"): "a MIME type",
    ("offer_document", "sha256"): "a checksum",
    ("offer_message", "body"): "messages between a private owner and the CCAS about a flat",
    ("offer_status_change", "comment"): "the offer pipeline's comments, about the flat",
    ("organisation", "name"): "the organisation's name",
    ("organisation", "contact_email"): "the organisation's address",
    ("outgoing_email", "recipient"): "a professional's or an owner's address",
    ("outgoing_email", "template"): "a code: which message",
    ("outgoing_email", "message_id"): "a generated Message-ID",
    ("outgoing_email", "claim_token"): "a random claim token",
    ("outgoing_email", "last_error"): "the mail server's answer about delivery",
    ("outgoing_email_attachment", "filename"): "a calendar file's name; goes with its e-mail",
    ("outgoing_email_attachment", "content_type"): "a MIME type",
    ("programme", "name"): "the scheme's name",
    ("programme", "description"): "the scheme, written by the coordination",
    ("recovery_code", "code_hash"): "a hash",
    ("rule_parameter", "key"): "a rule's name",
    ("rule_parameter", "value"): "a date or a number",
    ("rule_parameter", "source"): "the legal source of a rule",
    ("stashed_submission", "key"): "a random key",
    ("stashed_submission", "path"): "the URL a form was sent to",
    ("stashed_submission", "fields"): "a form sent after its session expired: purged daily",
    ("submission_key", "key"): "a random key",
    ("submission_key", "path"): "the URL a form was sent to",
    ("submission_key", "location"): "the URL it led to; purged after a day",
    ("task", "kind"): "a code: which task",
    ("task", "payload"): "a password-reset request's address; purged a week after it ran",
    ("task", "claim_token"): "a random claim token",
    ("task", "last_error"): "a task's error message",
    ("territory", "name"): "a place name",
    ("unit", "address"): "the flat's address, not its occupants'",
    ("unit", "notes"): "the flat, described by its landlord or the CCAS",
    ("user_account", "email"): "a professional's or an owner's account",
    ("user_account", "full_name"): "a professional's or an owner's account",
    ("user_account", "phone"): "a professional's or an owner's account",
    ("user_account", "password_hash"): "a hash",
    ("user_account", "calendar_token"): "a random token",
    ("user_account", "links_nonce"): "a random value",
    ("user_account", "totp_secret"): "a second-factor secret",
    ("user_session", "key"): "a random session key",
    ("user_session", "ip_address"): "the person's network address",
    ("user_session", "user_agent"): "the person's browser",
    ("visit_checklist", "comment"): "the decency visit of a flat",
}


def is_text(column: sa.Column) -> bool:
    return isinstance(column.type, sa.String)  # Text and Enum are Strings too


def is_coded(column: sa.Column) -> bool:
    """Stored as an enum: a code from a fixed list, never free text."""
    return isinstance(column.type, sa.Enum)
