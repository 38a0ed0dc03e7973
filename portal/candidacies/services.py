"""SIAO candidacies. Functions flush; the view commits, then the e-mails leave.

Every step writes a ``CandidacyEvent``, an audit event and, when the candidacy goes with
a case, a line on the case's timeline (pseudonymous: reference and programme only).
"""

from datetime import date

import sqlalchemy as sa

from portal.audit import record_event
from portal.cases.services import add_event
from portal.extensions import db
from portal.household_data import link_email
from portal.i18n import _, _l
from portal.models import (
    AuditAction,
    Candidacy,
    CandidacyEvent,
    CandidacyStatus,
    Case,
    CaseEventKind,
    Commune,
    Household,
    Meeting,
    MeetingKind,
    Organisation,
    OrganisationKind,
    Programme,
    RefusalReason,
    User,
    now_utc,
)
from portal.notifications.services import notify as notify_person
from portal.notifications.services import organisation_recipients
from portal.outbox.services import public_url_for, queue_email
from portal.workflow import Transition, WorkflowError, available, lookup, transition_table

S = CandidacyStatus


# ``by``: "owner", the proposing CCAS; "siao", the SIAO; "measure", opening a measure.
TRANSITIONS = transition_table(
    Transition(
        "submit",
        _l("Soumettre au SIAO"),
        (S.DRAFT, S.MORE_INFO_REQUESTED),
        S.SUBMITTED,
        "owner",
    ),
    Transition("validate", _l("Valider"), (S.SUBMITTED,), S.VALIDATED, "siao"),
    Transition("refuse", _l("Refuser"), (S.SUBMITTED,), S.REFUSED, "siao"),
    Transition(
        "request_more_info",
        _l("Demander des compléments"),
        (S.SUBMITTED,),
        S.MORE_INFO_REQUESTED,
        "siao",
    ),
    Transition(
        "withdraw",
        _l("Retirer la candidature"),
        (S.DRAFT, S.SUBMITTED, S.MORE_INFO_REQUESTED, S.VALIDATED),
        S.WITHDRAWN,
        "owner",
    ),
    Transition("house", _l("Ouvrir la mesure"), (S.VALIDATED,), S.HOUSED, "measure"),
)
SIAO_DECISIONS = ("validate", "refuse", "request_more_info")
EDITABLE = (S.DRAFT, S.MORE_INFO_REQUESTED)


def available_transitions(candidacy: Candidacy, by: str) -> list[Transition[CandidacyStatus]]:
    return available(TRANSITIONS, candidacy.status, by=by)


def siao_of(organisation: Organisation) -> Organisation | None:
    """The SIAO of the organisation's territory: candidacies go to it."""
    return db.session.scalar(
        sa.select(Organisation)
        .where(
            Organisation.kind == OrganisationKind.SIAO,
            Organisation.territory_id == organisation.territory_id,
            Organisation.active,
        )
        .order_by(Organisation.id)
        .limit(1)
    )


class CandidacyError(WorkflowError):
    """A refused candidacy, with the field the person has to change."""

    def __init__(self, field: str, message: str):
        super().__init__(message)
        self.field = field


def check_programme_fit(household: Household, programme: Programme, data: dict) -> None:
    """What the programme asks of the household: its own territory, the DALO recognition for
    a DALO programme, a justification for a situation it is not for; and a hotel stay with
    its date."""
    if programme.territory_id != household.organisation.territory_id:
        raise CandidacyError("programme_id", _("Choisissez un programme du territoire du ménage."))
    dalo_on = data.get("dalo_recognised_on")
    dalo_reference = (data.get("dalo_decision_reference") or "").strip()
    if (dalo_on is None) != (not dalo_reference):
        raise CandidacyError(
            "dalo_decision_reference" if dalo_on else "dalo_recognised_on",
            _("Indiquez la date de la décision DALO et sa référence, ou ni l'une ni l'autre."),
        )
    if dalo_on is not None and dalo_on > date.today():
        raise CandidacyError(
            "dalo_recognised_on", _("La décision DALO est déjà rendue : sa date est passée.")
        )
    if programme.requires_dalo and dalo_on is None:
        raise CandidacyError(
            "dalo_recognised_on",
            _(
                "Le programme « %(programme)s » est réservé aux ménages reconnus prioritaires "
                "DALO : indiquez la date et la référence de la décision de la commission de "
                "médiation.",
                programme=programme.name,
            ),
        )
    if not programme.is_for(household.accommodation) and not (
        (data.get("situation_justification") or "").strip()
    ):
        raise CandidacyError(
            "situation_justification",
            _(
                "Le programme « %(programme)s » est prévu pour les ménages sortant de : "
                "%(situations)s. Le ménage est en « %(situation)s » : expliquez au SIAO "
                "pourquoi vous le proposez.",
                programme=programme.name,
                situations=", ".join(str(s.label) for s in programme.situation_values),
                situation=household.accommodation.label,
            ),
        )
    hotel_since = data.get("hotel_since")
    if data.get("in_hotel") and hotel_since is None:
        raise CandidacyError(
            "hotel_since", _("Indiquez depuis quand le ménage est hébergé à l'hôtel.")
        )
    if hotel_since is not None and not data.get("in_hotel"):
        raise CandidacyError(
            "in_hotel", _("Cochez « hébergé à l'hôtel » ou effacez la date d'entrée à l'hôtel.")
        )
    if hotel_since is not None and hotel_since > date.today():
        raise CandidacyError("hotel_since", _("La date d'entrée à l'hôtel est passée."))


def apply_candidacy(candidacy: Candidacy, data: dict) -> None:
    candidacy.programme_id = data["programme_id"]
    candidacy.case_id = data.get("case_id")
    candidacy.siao_number = data.get("siao_number") or ""
    candidacy.requested_typology = data["requested_typology"]
    candidacy.budget_worked = bool(data.get("budget_worked"))
    candidacy.rent_capacity = data.get("rent_capacity")
    candidacy.support_in_place = data.get("support_in_place") or ""
    candidacy.readiness_notes = data.get("readiness_notes") or ""
    candidacy.dalo_recognised_on = data.get("dalo_recognised_on")
    candidacy.dalo_decision_reference = (data.get("dalo_decision_reference") or "").strip()
    candidacy.situation_justification = (data.get("situation_justification") or "").strip()
    candidacy.in_hotel = bool(data.get("in_hotel"))
    candidacy.hotel_since = data.get("hotel_since") if candidacy.in_hotel else None
    commune_ids = data.get("commune_ids")
    if not commune_ids:  # by default, where the household's file says it looks for housing
        candidacy.communes = list(candidacy.household.communes)
        return
    candidacy.communes = list(
        db.session.scalars(sa.select(Commune).where(Commune.id.in_(commune_ids)))
    )


def check_household(household: Household, data: dict) -> None:
    if household.anonymised_at is not None:
        raise WorkflowError(_("Le dossier de ce ménage est anonymisé."))
    if not household.is_informed:
        raise WorkflowError(
            _(
                "Enregistrez d'abord l'information du ménage : sa situation n'est transmise "
                "au SIAO qu'avec son accord éclairé."
            )
        )
    case_id = data.get("case_id")
    if case_id is not None:
        case = db.session.get(Case, case_id)
        if case is None or case.household_id != household.id:
            raise WorkflowError(_("Cette situation n'est pas celle du ménage."))


def create_candidacy(household: Household, author: User, data: dict) -> Candidacy:
    """A draft candidacy: the SIAO sees nothing of it until it is submitted."""
    check_household(household, data)
    siao = siao_of(household.organisation)
    if siao is None:
        raise WorkflowError(_("Aucun SIAO n'est enregistré sur le territoire de ce ménage."))
    programme = db.session.get(Programme, data["programme_id"])
    if programme is None or not programme.active:
        raise WorkflowError(_("Choisissez un programme actif."))
    check_programme_fit(household, programme, data)
    candidacy = Candidacy(
        household=household,
        organisation_id=household.organisation_id,
        siao_id=siao.id,
        created_by=author,
        status=S.DRAFT,
    )
    apply_candidacy(candidacy, data)
    db.session.add(candidacy)
    db.session.flush()
    add_candidacy_event(candidacy, None, author, "")
    record_event(
        AuditAction.CREATE,
        "candidacy",
        candidacy.id,
        f"Candidature {household.reference} — {programme.name} (brouillon)",
        user=author,
        organisation_id=candidacy.organisation_id,
    )
    if candidacy.case is not None:
        add_event(
            candidacy.case,
            CaseEventKind.EDITED,
            f"Candidature SIAO préparée : {programme.name}",
            author,
        )
    return candidacy


def update_candidacy(candidacy: Candidacy, actor: User, data: dict) -> None:
    if candidacy.status not in EDITABLE:
        raise WorkflowError(
            _(
                "Une candidature « %(status)s » ne se modifie plus.",
                status=candidacy.status.label,
            )
        )
    check_household(candidacy.household, data)
    programme = db.session.get(Programme, data["programme_id"])
    if programme is None:
        raise WorkflowError(_("Choisissez un programme actif."))
    check_programme_fit(candidacy.household, programme, data)
    apply_candidacy(candidacy, data)
    candidacy.updated = now_utc()
    db.session.flush()
    record_event(
        AuditAction.CHANGE,
        "candidacy",
        candidacy.id,
        f"Candidature {candidacy.household.reference} modifiée",
        user=actor,
        organisation_id=candidacy.organisation_id,
    )


def add_candidacy_event(
    candidacy: Candidacy, previous: CandidacyStatus | None, actor: User | None, comment: str
) -> CandidacyEvent:
    organisation_id = None
    if actor is not None:
        ids = actor.organisation_ids
        for candidate in (candidacy.organisation_id, candidacy.siao_id):
            if candidate in ids:
                organisation_id = candidate
                break
    event = CandidacyEvent(
        candidacy=candidacy,
        from_status=previous,
        to_status=candidacy.status,
        user=actor,
        organisation_id=organisation_id,
        comment=comment[:2000],
    )
    db.session.add(event)
    return event


def change_candidacy_status(
    candidacy: Candidacy,
    transition_name: str,
    actor: User | None,
    *,
    comment: str = "",
    reason: RefusalReason | None = None,
    meeting: Meeting | None = None,
    notify: bool = True,
) -> None:
    """Move a candidacy along its workflow; anything else is refused and changes nothing.

    Who may ask for which step is the permissions' business (the views check it); the
    rules of the steps themselves are here.
    """
    transition = lookup(TRANSITIONS, transition_name, candidacy.status)
    comment = (comment or "").strip()
    if transition is None:
        raise WorkflowError(
            _(
                "Cette action n'est pas possible pour une candidature « %(status)s ».",
                status=candidacy.status.label,
            )
        )
    if transition.name == "refuse" and (reason is None or not comment):
        raise WorkflowError(_("Un refus demande un motif et un commentaire pour le CCAS."))
    if transition.name == "request_more_info" and not comment:
        raise WorkflowError(_("Précisez les compléments attendus du CCAS."))
    if transition.name == "submit" and candidacy.status == S.MORE_INFO_REQUESTED and not comment:
        raise WorkflowError(_("Répondez à la demande de compléments du SIAO."))
    if transition.target == S.SUBMITTED and not candidacy.household.is_informed:
        raise WorkflowError(
            _(
                "Enregistrez d'abord l'information du ménage : sa situation n'est transmise "
                "au SIAO qu'avec son accord éclairé."
            )
        )
    if transition.target == S.SUBMITTED and candidacy.household.anonymised_at is not None:
        raise WorkflowError(_("Le dossier de ce ménage est anonymisé."))
    if transition.target == S.SUBMITTED:
        check_submission(candidacy)
    previous = candidacy.status
    now = now_utc()
    candidacy.status = transition.target
    if transition.target == S.SUBMITTED:
        candidacy.submitted_at = now
    if transition.by == "siao":
        candidacy.decided_at = now
        candidacy.decided_by = actor
        candidacy.decision_meeting = meeting
        candidacy.decision_comment = comment
        candidacy.refusal_reason = reason if transition.name == "refuse" else None
        candidacy.validated_at = now if transition.name == "validate" else None
    candidacy.updated = now
    db.session.flush()
    add_candidacy_event(candidacy, previous, actor, comment)
    summary = f"{previous.label} → {candidacy.status.label}"
    record_event(
        AuditAction.CHANGE,
        "candidacy",
        candidacy.id,
        f"Candidature {candidacy.household.reference} : {summary}",
        user=actor,
    )
    if candidacy.case is not None:
        add_event(
            candidacy.case,
            CaseEventKind.DECISION if transition.by == "siao" else CaseEventKind.STATUS,
            f"Candidature SIAO « {candidacy.programme.name} » : {summary}",
            actor,
        )
    if transition.by == "siao" and notify:
        notify_decision(candidacy)
    elif transition.target == S.SUBMITTED and notify:
        notify_submitted(candidacy)


def check_submission(candidacy: Candidacy) -> None:
    """Once submitted, the SIAO reads the household's identity to match its own file: the
    household must have agreed to it; and the candidacy must still fit its programme (the
    household's situation may have changed since the draft)."""
    if not candidacy.household.allows_identity_sharing:
        raise WorkflowError(
            _(
                "L'information du ménage enregistrée ne permet pas de transmettre son identité, "
                "que le SIAO lit dès la soumission. Mettez à jour l'information du ménage "
                "(nouvelle information datée) s'il l'accepte."
            )
        )
    try:
        check_programme_fit(candidacy.household, candidacy.programme, candidacy_values(candidacy))
    except CandidacyError as error:
        raise WorkflowError(
            _("Complétez d'abord la candidature : %(reason)s", reason=str(error))
        ) from None


def candidacy_values(candidacy: Candidacy) -> dict:
    return {
        "dalo_recognised_on": candidacy.dalo_recognised_on,
        "dalo_decision_reference": candidacy.dalo_decision_reference,
        "situation_justification": candidacy.situation_justification,
        "in_hotel": candidacy.in_hotel,
        "hotel_since": candidacy.hotel_since,
    }


def house_candidacy(candidacy: Candidacy, actor: User | None, comment: str = "") -> None:
    """For the measures: a validated candidacy whose measure opens leaves the waiting list."""
    change_candidacy_status(candidacy, "house", actor, comment=comment)


# Reading -----------------------------------------------------------------------------------


def audit_candidacy_read(candidacy: Candidacy, with_identity: bool) -> None:
    """Every read of household data is written to the audit trail."""
    what = "identité et situation" if with_identity else "situation"
    record_event(
        AuditAction.VIEW,
        "household",
        candidacy.household_id,
        f"Consultation de la candidature SIAO n° {candidacy.id} ({what}) — "
        f"{candidacy.household.reference}",
    )


def commission_meetings(visible: sa.ColumnElement[bool]) -> list[Meeting]:
    """The commission SIAO meetings a decision may be attached to (those the reader sees)."""
    return list(
        db.session.scalars(
            sa.select(Meeting)
            .where(Meeting.kind == MeetingKind.COMMISSION_SIAO, visible)
            .order_by(Meeting.starts_at.desc())
            .limit(30)
        )
    )


# E-mails -----------------------------------------------------------------------------------


def decision_recipients(candidacy: Candidacy) -> list[str]:
    """The social worker who wrote the candidacy (still at the CCAS; else whom the CCAS
    names, else its admins), as each chose to hear of it, and the CCAS's contact address
    (a mailbox, not a person: always)."""
    people = organisation_recipients(candidacy.organisation, assigned=candidacy.created_by)
    recipients = [
        person.email for person in people if notify_person(person, "candidacy_decision", candidacy)
    ]
    contact = candidacy.organisation.contact_email
    if contact and contact.lower() not in {r.lower() for r in recipients}:
        recipients.append(contact)
    return recipients


def notify_submitted(candidacy: Candidacy) -> None:
    """Tell the SIAO a candidacy waits for it: whom the SIAO names, else its admins."""
    link = public_url_for("candidacies.show", candidacy_id=candidacy.id)
    for person in organisation_recipients(candidacy.siao):
        if not notify_person(person, "candidacy_submitted", candidacy):
            continue
        queued = queue_email(
            person.email,
            "candidacy_submitted",
            _(
                "Candidature %(reference)s soumise au SIAO — %(programme)s",
                reference=candidacy.household.reference,
                programme=candidacy.programme.name,
            ),
            candidacy=candidacy,
            link=link,
        )
        link_email(queued, [candidacy.household_id])


def notify_decision(candidacy: Candidacy) -> None:
    link = public_url_for("candidacies.show", candidacy_id=candidacy.id)
    for email in decision_recipients(candidacy):
        queued = queue_email(
            email,
            "candidacy_decision",
            _(
                "Candidature %(reference)s — %(programme)s : %(status)s",
                reference=candidacy.household.reference,
                programme=candidacy.programme.name,
                status=candidacy.status.label,
            ),
            candidacy=candidacy,
            link=link,
        )
        link_email(queued, [candidacy.household_id])
