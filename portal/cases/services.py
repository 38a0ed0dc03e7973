"""Households, information records, cases, sharing, notes, files, retention.

Every function flushes and never commits: the view (or the CLI command) commits once.
Timeline events and audit events are written here, beside the change they describe.
"""

from datetime import date, datetime

import sqlalchemy as sa
from dateutil.relativedelta import relativedelta
from flask import render_template

from portal import storage
from portal.audit import record_event
from portal.extensions import db
from portal.household_data import link_email
from portal.household_data.erasure import erase_household
from portal.household_data.export import as_document, as_json, collect
from portal.household_data.registry import about_household
from portal.i18n import _, _l
from portal.models import (
    AccessLevel,
    AuditAction,
    AuditEvent,
    Candidacy,
    CandidacyStatus,
    Case,
    CaseAttachment,
    CaseEvent,
    CaseEventKind,
    CaseNote,
    CaseParticipant,
    CaseStatus,
    Commune,
    Household,
    HouseholdIdentity,
    HouseholdObstacle,
    HouseholdPerson,
    InformationRecord,
    Measure,
    Obstacle,
    Organisation,
    OrganisationKind,
    User,
    now_utc,
)
from portal.notifications.services import notify as notify_person
from portal.notifications.services import organisation_recipients
from portal.outbox.services import public_url_for, queue_email
from portal.workflow import (
    Transition,
    WorkflowError,
    available,
    lookup,
    transition_table,
)

# References say which kind of organisation holds the file, never who the household is.
REFERENCE_PREFIX = {
    OrganisationKind.CCAS: "CCAS",
    OrganisationKind.BAILLEUR_SOCIAL: "BAIL",
    OrganisationKind.SIAO: "SIAO",
    OrganisationKind.MISSION_LOCALE: "ML",
    OrganisationKind.DEPARTEMENT: "CD",
    OrganisationKind.ASSOCIATION: "ASSO",
    OrganisationKind.AGGLOMERATION: "AGGLO",
    OrganisationKind.ETAT: "ETAT",
}


# Households ------------------------------------------------------------------------------


def next_reference(organisation: Organisation, year: int | None = None) -> str:
    """A pseudonymous reference such as CCAS-2026-014, numbered per organisation and year."""
    prefix = f"{REFERENCE_PREFIX[organisation.kind]}-{year or date.today().year}-"
    # The longest, then the greatest: as text, "…-999" would sort after "…-1000".
    last = db.session.scalar(
        sa.select(Household.reference)
        .where(Household.reference.like(f"{prefix}%"))
        .order_by(sa.func.length(Household.reference).desc(), Household.reference.desc())
        .limit(1)
    )
    number = int(last.rsplit("-", 1)[1]) + 1 if last else 1
    return f"{prefix}{number:03d}"


def apply_situation(household: Household, data: dict) -> None:
    household.adults = data["adults"]
    household.children = data["children"]
    household.children_ages = data.get("children_ages") or ""
    household.public = data["public"]
    household.victim_of_violence = bool(data.get("victim_of_violence"))
    household.accommodation = data["accommodation"]
    household.accommodation_since = data.get("accommodation_since")
    household.resource_type = data.get("resource_type") or None
    household.resource_bracket = data.get("resource_bracket") or None
    household.typology = data.get("typology") or None
    household.situation_notes = data.get("situation_notes") or ""
    household.communes = list(
        db.session.scalars(sa.select(Commune).where(Commune.id.in_(data.get("commune_ids") or [])))
    )
    wanted = {Obstacle(value) for value in data.get("obstacles") or []}
    household.obstacles = [o for o in household.obstacles if o.obstacle in wanted] + [
        HouseholdObstacle(obstacle=value)
        for value in sorted(wanted - set(household.obstacle_values))
    ]


def apply_identity(household: Household, data: dict) -> None:
    if household.identity is None:
        household.identity = HouseholdIdentity()
    household.identity.phone = data.get("phone") or ""
    household.identity.email = data.get("email") or ""
    household.identity.address = data.get("address") or ""
    persons = [p for p in data.get("persons") or [] if p.get("first_name") or p.get("last_name")]
    existing = list(household.persons)
    for index, values in enumerate(persons):
        person = existing[index] if index < len(existing) else HouseholdPerson()
        person.role = values["role"]
        person.first_name = values["first_name"]
        person.last_name = values["last_name"]
        person.birth_date = values.get("birth_date")
        if index >= len(existing):
            household.persons.append(person)
    for person in existing[len(persons) :]:
        household.persons.remove(person)


def possible_duplicates(organisation: Organisation, persons: list[dict]) -> list[Household]:
    """The organisation's files (not anonymised) that already hold one of these persons:
    same first name, last name and birth date, whatever the case of the letters."""
    same_person = [
        sa.and_(
            sa.func.lower(HouseholdPerson.first_name) == person["first_name"].lower(),
            sa.func.lower(HouseholdPerson.last_name) == person["last_name"].lower(),
            HouseholdPerson.birth_date == person["birth_date"],
        )
        for person in persons
        if person.get("first_name") and person.get("last_name") and person.get("birth_date")
    ]
    if not same_person:
        return []
    return list(
        db.session.scalars(
            sa.select(Household)
            .join(HouseholdPerson, HouseholdPerson.household_id == Household.id)
            .where(
                Household.organisation_id == organisation.id,
                Household.anonymised_at.is_(None),
                sa.or_(*same_person),
            )
            .distinct()
            .order_by(Household.reference)
        )
    )


def create_household(organisation: Organisation, author: User, data: dict) -> Household:
    household = Household(
        organisation=organisation,
        created_by=author,
        public=data["public"],
        accommodation=data["accommodation"],
    )
    apply_situation(household, data)
    apply_identity(household, data)
    # Two people may create a file at the same moment: the unique reference decides, and
    # the slower one takes the next number.
    for _attempt in range(5):
        household.reference = next_reference(organisation)
        try:
            with db.session.begin_nested():
                db.session.add(household)
                db.session.flush()
            break
        except sa.exc.IntegrityError:
            continue
    else:
        raise WorkflowError(_("Impossible d'attribuer une référence au dossier : réessayez."))
    record_event(
        AuditAction.CREATE,
        "household",
        household.id,
        f"Dossier {household.reference} créé",
        user=author,
        organisation_id=organisation.id,
    )
    return household


def update_household(household: Household, data: dict, actor: User) -> None:
    apply_situation(household, data)
    apply_identity(household, data)
    household.updated = now_utc()
    db.session.flush()
    record_event(
        AuditAction.CHANGE,
        "household",
        household.id,
        f"Dossier {household.reference} modifié",
        user=actor,
        organisation_id=household.organisation_id,
    )
    for case in household_cases(household):
        add_event(case, CaseEventKind.EDITED, "Situation du ménage mise à jour", actor)


def household_cases(household: Household) -> list[Case]:
    return list(
        db.session.scalars(
            sa.select(Case).where(Case.household_id == household.id).order_by(Case.created)
        )
    )


def record_information(household: Household, author: User, data: dict) -> InformationRecord:
    record = InformationRecord(
        household=household,
        informed_on=data["informed_on"],
        informed_by=author,
        what_is_shared=data["what_is_shared"],
        shared_with=data["shared_with"],
        allows_identity=bool(data.get("allows_identity")),
    )
    db.session.add(record)
    db.session.flush()
    identity = "identité comprise" if record.allows_identity else "sans l'identité"
    record_event(
        AuditAction.CREATE,
        "household",
        household.id,
        f"Information du ménage {household.reference} enregistrée ({identity})",
        user=author,
        organisation_id=household.organisation_id,
    )
    for case in household_cases(household):
        add_event(
            case, CaseEventKind.INFORMED, f"Information du ménage enregistrée ({identity})", author
        )
    if not household.allows_identity_sharing:
        withdraw_identity(household, author)
    return record


def withdraw_identity(household: Household, actor: User) -> None:
    """The household's latest information no longer lets its identity leave: partners who
    had full access keep the situation only."""
    cases = household_cases(household)
    # The history names each partner: their names in one query, not one each (a
    # participant's organisation is not loaded with its case).
    names = dict(
        db.session.execute(
            sa.select(Organisation.id, Organisation.name).where(
                Organisation.id.in_({p.organisation_id for c in cases for p in c.participants})
            )
        ).all()
    )
    for case in cases:
        for participant in case.participants:
            if participant.level != AccessLevel.FULL:
                continue
            participant.level = AccessLevel.SITUATION
            name = names[participant.organisation_id]
            add_event(
                case,
                CaseEventKind.SHARED,
                f"Partage avec {name} ramené à la situation seule (information du ménage)",
                actor,
            )
            record_event(
                AuditAction.CHANGE,
                "case",
                case.id,
                f"Partage avec {name} : {AccessLevel.SITUATION.label} (information du ménage)",
                user=actor,
                organisation_id=case.organisation_id,
            )
    db.session.flush()


def audit_household_read(household: Household, what: str) -> None:
    """Every read of household data is written to the audit trail."""
    record_event(AuditAction.VIEW, "household", household.id, f"{what} — {household.reference}")


# Cases -----------------------------------------------------------------------------------


def acting_organisation_id(case: Case, actor: User | None) -> int | None:
    """The organisation a person acts for on this case: the owner if they belong to it,
    else the participant organisation they belong to."""
    if actor is None or not actor.organisation_ids:
        return None
    ids = actor.organisation_ids
    if case.organisation_id in ids:
        return case.organisation_id
    participant_ids = {p.organisation_id for p in case.participants} & ids
    return min(participant_ids or ids)


def add_event(
    case: Case, kind: CaseEventKind, summary: str, actor: User | None, *, internal: bool = False
) -> CaseEvent:
    event = CaseEvent(
        case_id=case.id,
        kind=kind,
        summary=summary[:500],
        internal=internal,
        user=actor,
        organisation_id=acting_organisation_id(case, actor),
    )
    db.session.add(event)
    return event


def create_case(household: Household, author: User, data: dict) -> Case:
    case = Case(
        household=household,
        organisation_id=household.organisation_id,
        committee_id=data["committee_id"],
        created_by=author,
        title=data["title"],
        question=data["question"],
    )
    db.session.add(case)
    db.session.flush()
    add_event(case, CaseEventKind.CREATED, "Situation créée (brouillon)", author)
    record_event(
        AuditAction.CREATE,
        "case",
        case.id,
        f"Situation créée pour {household.reference}",
        user=author,
        organisation_id=household.organisation_id,
    )
    return case


def update_case(case: Case, data: dict, actor: User) -> None:
    if case.status not in (CaseStatus.DRAFT, CaseStatus.SUBMITTED):
        raise WorkflowError(_("Une situation inscrite à l'ordre du jour ne se modifie plus."))
    case.title = data["title"]
    case.question = data["question"]
    case.committee_id = data["committee_id"]
    db.session.flush()
    add_event(case, CaseEventKind.EDITED, "Question au comité modifiée", actor)


# The case's organisation takes these steps with a button; the others follow the agenda and
# the committee's decisions (a button « Décision prise » that recorded none would lie).
BY_HAND = "organisation"

TRANSITIONS = transition_table(
    Transition(
        "submit", _l("Soumettre au comité"), (CaseStatus.DRAFT,), CaseStatus.SUBMITTED, BY_HAND
    ),
    Transition(
        "put_on_agenda",
        _l("Inscrire à l'ordre du jour"),
        (CaseStatus.SUBMITTED,),
        CaseStatus.ON_AGENDA,
        "agenda",
    ),
    Transition(
        "withdraw_from_agenda",
        _l("Retirer de l'ordre du jour"),
        (CaseStatus.ON_AGENDA,),
        CaseStatus.SUBMITTED,
        "agenda",
    ),
    Transition(
        "mark_decided",
        _l("Décision prise"),
        (CaseStatus.ON_AGENDA,),
        CaseStatus.DECIDED,
        "decision",
    ),
    Transition(
        "close",
        _l("Clore la situation"),
        (CaseStatus.DRAFT, CaseStatus.SUBMITTED, CaseStatus.ON_AGENDA, CaseStatus.DECIDED),
        CaseStatus.CLOSED,
        BY_HAND,
    ),
    Transition(
        "reopen",
        _l("Rouvrir"),
        (CaseStatus.CLOSED, CaseStatus.DECIDED),
        CaseStatus.SUBMITTED,
        BY_HAND,
    ),
)


def available_transitions(case: Case) -> list[Transition[CaseStatus]]:
    """The buttons of the case page."""
    return available(TRANSITIONS, case.status, by=BY_HAND)


def change_status(
    case: Case, transition_name: str, actor: User | None, *, manual: bool = False
) -> None:
    """Move a case along its workflow; anything not in the table is refused, and so is,
    from a button (``manual``), a step that only the agenda or a decision takes."""
    asked = TRANSITIONS.get(transition_name)
    if manual and asked is not None and asked.by != BY_HAND:
        raise WorkflowError(
            _(
                "Cette étape suit l'ordre du jour et les décisions de l'instance : inscrivez "
                "la situation à une réunion, ou enregistrez la décision prise."
            )
        )
    if case.household.anonymised_at is not None:
        # Reopened, it would gather new notes and files that retention never erases again.
        raise WorkflowError(_("Le dossier de ce ménage est anonymisé : la situation reste close."))
    transition = lookup(TRANSITIONS, transition_name, case.status)
    if transition is None:
        raise WorkflowError(
            _(
                "Cette action n'est pas possible pour une situation « %(status)s ».",
                status=case.status.label,
            )
        )
    if transition.target == CaseStatus.SUBMITTED and not case.household.is_informed:
        raise WorkflowError(
            _(
                "Enregistrez d'abord l'information du ménage : une situation n'est partagée "
                "qu'avec son accord éclairé."
            )
        )
    previous = case.status
    case.status = transition.target
    if transition.target == CaseStatus.SUBMITTED and case.submitted_at is None:
        case.submitted_at = now_utc()
    case.closed_at = now_utc() if transition.target == CaseStatus.CLOSED else None
    db.session.flush()
    add_event(case, CaseEventKind.STATUS, f"{previous.label} → {case.status.label}", actor)
    record_event(
        AuditAction.CHANGE,
        "case",
        case.id,
        f"Statut : {previous.label} → {case.status.label}",
        user=actor,
        organisation_id=case.organisation_id,
    )


def share_case(
    case: Case,
    organisation: Organisation,
    level: AccessLevel,
    reason: str,
    actor: User,
    *,
    notify: bool = True,
) -> None:
    """Share with a partner organisation, or change its level; needs the household informed."""
    if not case.household.is_informed:
        raise WorkflowError(
            _(
                "Enregistrez d'abord l'information du ménage : le partage est refusé tant que le "
                "ménage n'a pas été informé."
            )
        )
    if level == AccessLevel.FULL and not case.household.allows_identity_sharing:
        raise WorkflowError(
            _(
                "L'information du ménage enregistrée ne permet pas de transmettre son identité : "
                "partagez la situation seule, ou mettez d'abord à jour l'information du ménage "
                "(nouvelle information datée) s'il accepte que son identité soit transmise."
            )
        )
    if organisation.id == case.organisation_id:
        raise WorkflowError(_("La situation appartient déjà à cette organisation."))
    participant = case.participant(organisation.id)
    if participant is None:
        participant = CaseParticipant(case=case, organisation=organisation)
        db.session.add(participant)
    participant.level = level
    participant.reason = reason
    participant.added_by = actor
    db.session.flush()
    add_event(
        case, CaseEventKind.SHARED, f"Partagée avec {organisation.name} ({level.label})", actor
    )
    record_event(
        AuditAction.CHANGE,
        "case",
        case.id,
        f"Partage avec {organisation.name} : {level.label}",
        user=actor,
        organisation_id=case.organisation_id,
    )
    if notify:
        notify_shared(case, organisation)


def notify_shared(case: Case, organisation: Organisation) -> None:
    """Tell the partner (whom it names, else its admins), as each reader chose; the e-mail
    carries the reference, never the identity."""
    link = public_url_for("cases.show", case_id=case.id)
    for person in organisation_recipients(organisation):
        if not notify_person(person, "case_shared", case, organisation=organisation):
            continue
        queued = queue_email(
            person.email,
            "case_shared",
            _(
                "Situation %(reference)s partagée avec %(organisation)s",
                reference=case.household.reference,
                organisation=organisation.name,
            ),
            case=case,
            organisation=organisation,
            link=link,
        )
        link_email(queued, [case.household_id])


def unshare_case(case: Case, participant: CaseParticipant, actor: User) -> None:
    name = participant.organisation.name
    case.participants.remove(participant)
    db.session.flush()
    add_event(case, CaseEventKind.UNSHARED, f"Partage avec {name} retiré", actor)
    record_event(
        AuditAction.CHANGE,
        "case",
        case.id,
        f"Partage avec {name} retiré",
        user=actor,
        organisation_id=case.organisation_id,
    )


def add_note(case: Case, author: User, body: str, internal: bool) -> CaseNote:
    note = CaseNote(
        case_id=case.id,
        author=author,
        organisation_id=acting_organisation_id(case, author),
        body=body,
        internal=internal,
    )
    db.session.add(note)
    db.session.flush()
    add_event(
        case,
        CaseEventKind.NOTE,
        "Note interne ajoutée" if internal else "Note ajoutée à la discussion",
        author,
        internal=internal,
    )
    return note


def add_attachment(case: Case, author: User, raw_name: str, data: bytes) -> CaseAttachment:
    checked = storage.check_upload(raw_name, data)
    attachment = CaseAttachment(
        case_id=case.id,
        uploaded_by=author,
        organisation_id=acting_organisation_id(case, author),
        filename=checked.filename,
        stored_name=storage.new_name(),
        content_type=checked.content_type,
        size=len(checked.data),
        sha256=checked.sha256,
    )
    db.session.add(attachment)
    db.session.flush()
    storage.write_for_row(attachment.stored_name, checked.data)
    add_event(case, CaseEventKind.ATTACHMENT, f"Pièce jointe ajoutée : {checked.filename}", author)
    return attachment


def remove_attachment(case: Case, attachment: CaseAttachment, actor: User) -> str:
    """Forget the attachment; returns the stored file's name, to delete once committed."""
    db.session.delete(attachment)
    db.session.flush()
    add_event(
        case,
        CaseEventKind.ATTACHMENT_REMOVED,
        f"Pièce jointe retirée : {attachment.filename}",
        actor,
    )
    return attachment.stored_name


# Privacy: access log, right of access, retention -----------------------------------------


def access_log(household: Household) -> list[AuditEvent]:
    """Who read or changed the household's file, its cases, candidacies, measures,
    decisions and actions: the audit events the right-of-access export holds too."""
    return list(
        db.session.scalars(
            sa.select(AuditEvent)
            .where(about_household(household.id))
            .order_by(AuditEvent.created.desc(), AuditEvent.id.desc())
        )
    )


def export_household(household: Household) -> dict:
    """Everything held on one household, for its right of access (RGPD art. 15), as the
    JSON of ``portal.household_data.export``."""
    export = as_json(household, collect(household), now_utc())
    record_event(
        AuditAction.EXPORT,
        "household",
        household.id,
        f"Export de toutes les données de {household.reference} (droit d'accès, JSON)",
    )
    return export


def export_household_pdf(household: Household, stylesheet: str) -> bytes:
    """The same, as a document in French a social worker can hand to the person."""
    from portal.pdf import render_pdf

    html = render_template(
        "cases/export_pdf.html",
        household=household,
        sections=as_document(collect(household)),
        generated_at=now_utc(),
    )
    document = render_pdf(html, stylesheet)
    record_event(
        AuditAction.EXPORT,
        "household",
        household.id,
        f"Export de toutes les données de {household.reference} (droit d'accès, PDF)",
    )
    return document


# A household stays while any of its files is still alive: a case not closed, a measure not
# ended, a candidacy still in the SIAO's hands, or any of them changed within the period.
CANDIDACY_IN_PROGRESS = (
    CandidacyStatus.DRAFT,
    CandidacyStatus.SUBMITTED,
    CandidacyStatus.MORE_INFO_REQUESTED,
    CandidacyStatus.VALIDATED,
)


def households_due_for_anonymisation(months: int, today: date | None = None) -> list[Household]:
    """Households whose cases are all closed, the last one for longer than ``months``, with
    no measure or candidacy still alive; and files that never led to a case and have not
    changed for as long."""
    day = (today or date.today()) - relativedelta(months=months)
    cutoff = datetime.combine(day, datetime.min.time()).astimezone()
    open_case = sa.select(Case.id).where(
        Case.household_id == Household.id,
        sa.or_(Case.status != CaseStatus.CLOSED, Case.closed_at >= cutoff),
    )
    any_case = sa.select(Case.id).where(Case.household_id == Household.id)
    live_measure = sa.select(Measure.id).where(
        Measure.household_id == Household.id,
        sa.or_(Measure.end_date.is_(None), Measure.end_date >= day),
    )
    live_candidacy = sa.select(Candidacy.id).where(
        Candidacy.household_id == Household.id,
        sa.or_(Candidacy.status.in_(CANDIDACY_IN_PROGRESS), Candidacy.updated >= cutoff),
    )
    return list(
        db.session.scalars(
            sa.select(Household)
            .where(
                Household.anonymised_at.is_(None),
                ~live_measure.exists(),
                ~live_candidacy.exists(),
                sa.or_(
                    sa.and_(any_case.exists(), ~open_case.exists()),
                    sa.and_(~any_case.exists(), Household.updated < cutoff),
                ),
            )
            .order_by(Household.reference)
        )
    )


def anonymise_household(household: Household) -> list[str]:
    """Erase identity, free text, files and e-mails about the household in every table
    (``portal.household_data``); keep the fields statistics are made of.

    Returns the stored files to delete once the transaction has committed."""
    stored_names = erase_household(household)
    record_event(
        AuditAction.DELETE,
        "household",
        household.id,
        f"Dossier {household.reference} anonymisé (durée de conservation écoulée)",
        organisation_id=household.organisation_id,
    )
    return stored_names
