"""Private owners' offers: the CCAS pipeline. Functions flush; the view commits.

Every move writes an OfferStatusChange row (reports count durations per stage and
reasons) and e-mails the owner, in plain words, through the outbox.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

import sqlalchemy as sa

from portal import permissions, storage
from portal.audit import record_event
from portal.extensions import db
from portal.formatting import euros
from portal.i18n import _, _l
from portal.models import (
    AuditAction,
    CommuneCeiling,
    Measure,
    MeasureStatus,
    OfferDocument,
    OfferDocumentKind,
    OfferMessage,
    OfferReason,
    OfferStatus,
    OfferStatusChange,
    Organisation,
    OrganisationKind,
    OwnerOffer,
    RuleParameter,
    Unit,
    UnitStatus,
    User,
    UserKind,
    VisitChecklist,
    now_utc,
)
from portal.notifications.services import notify as notify_person
from portal.notifications.services import organisation_recipients, unique
from portal.outbox.services import public_url_for, queue_email
from portal.owners import rules as R
from portal.workflow import WorkflowError

__all__ = ["WorkflowError", "allocate_offer_for_unit", "change_status"]

S = OfferStatus

# The stages of an offer in order; blocked/refused can be reached from any open stage.
PIPELINE = (
    S.NEW,
    S.FIRST_CONTACT,
    S.VISIT_PLANNED,
    S.VISITED,
    S.FINANCIAL_PROPOSAL,
    S.AGREEMENT_SIGNED,
    S.AVAILABLE,
    S.ALLOCATED,
)
OPEN_STAGES = frozenset(PIPELINE[:-2])  # before the unit is available: still negotiable

# Staff moves forward, one stage at a time (allocated only via allocate_offer_for_unit).
FORWARD: dict[OfferStatus, OfferStatus] = {
    S.NEW: S.FIRST_CONTACT,
    S.FIRST_CONTACT: S.VISIT_PLANNED,
    S.VISIT_PLANNED: S.VISITED,
    S.VISITED: S.FINANCIAL_PROPOSAL,
    S.FINANCIAL_PROPOSAL: S.AGREEMENT_SIGNED,
    S.AGREEMENT_SIGNED: S.AVAILABLE,
}

# What the owner reads about each stage, and what happens next.
OWNER_TEXT: dict[OfferStatus, tuple[str, str]] = {
    S.DRAFT: (
        _l("Votre proposition n'est pas encore envoyée."),
        _l("Complétez les étapes puis envoyez-la : le CCAS la recevra aussitôt."),
    ),
    S.NEW: (
        _l("Le CCAS a bien reçu votre proposition."),
        _l("Une personne du CCAS vous appellera ou vous écrira pour en parler."),
    ),
    S.FIRST_CONTACT: (
        _l("Le CCAS a pris contact avec vous au sujet de votre logement."),
        _l("Prochaine étape : convenir d'une date pour visiter le logement."),
    ),
    S.VISIT_PLANNED: (
        _l("Une visite du logement est prévue."),
        _l("Le CCAS vérifiera avec vous que le logement est décent et prêt à louer."),
    ),
    S.VISITED: (
        _l("Le CCAS a visité votre logement."),
        _l("Le CCAS prépare une proposition de loyer et de garanties."),
    ),
    S.FINANCIAL_PROPOSAL: (
        _l("Le CCAS vous a fait une proposition financière."),
        _l("Si elle vous convient, vous signerez la convention avec le CCAS."),
    ),
    S.AGREEMENT_SIGNED: (
        _l("La convention avec le CCAS est signée."),
        _l("Le logement sera bientôt proposé à un ménage accompagné par le CCAS."),
    ),
    S.AVAILABLE: (
        _l("Votre logement est prêt à être proposé."),
        _l("Le CCAS cherche le ménage qui l'occupera et vous préviendra de l'entrée."),
    ),
    S.ALLOCATED: (
        _l("Votre logement est attribué : le bail avec le CCAS commence."),
        _l("Le CCAS est votre locataire et paie le loyer ; il reste votre interlocuteur."),
    ),
    S.BLOCKED: (
        _l("Votre proposition est en attente."),
        _l("Le CCAS vous a indiqué ce qui manque ; elle reprendra dès que c'est réglé."),
    ),
    S.REFUSED: (
        _l("Votre proposition n'a pas pu aboutir."),
        _l("Vous pouvez écrire au CCAS pour en parler ou faire une nouvelle proposition."),
    ),
}


def owner_text(status: OfferStatus) -> tuple[str, str]:
    now, nxt = OWNER_TEXT[status]
    return str(now), str(nxt)


def record_change(
    offer: OwnerOffer,
    to_status: OfferStatus,
    actor: User | None,
    *,
    reason: OfferReason | None = None,
    comment: str = "",
    notify: bool = True,
) -> OfferStatusChange:
    """Move the offer, write its history row and audit event, tell the owner."""
    from_status = offer.status
    offer.status = to_status
    offer.status_changed_at = now_utc()
    change = OfferStatusChange(
        offer=offer,
        from_status=from_status,
        to_status=to_status,
        reason=reason,
        user_id=actor.id if actor else None,
        comment=comment[:1000],
    )
    db.session.add(change)
    db.session.flush()
    record_event(
        AuditAction.CHANGE,
        "landlord_offer",
        offer.id,
        f"Offre n° {offer.id} : {from_status.label if from_status else '—'} → {to_status.label}",
        user=actor,
    )
    if notify:
        notify_owner_status(offer, reason=reason, comment=comment)
    return change


def notify_owner_status(
    offer: OwnerOffer, *, reason: OfferReason | None = None, comment: str = ""
) -> None:
    now, nxt = owner_text(offer.status)
    queue_email(
        offer.owner.email,
        "landlord_offer_status",
        _("Votre logement proposé au CCAS : %(status)s", status=offer.status.label),
        offer=offer,
        now_text=now,
        next_text=nxt,
        reason=reason.label if reason else "",
        comment=comment,
        link=public_url_for("owners.my_offer", offer_id=offer.id),
    )


def allocate_offer_for_unit(unit, user) -> None:
    """A measure opens in ``unit``: the owner's available offer becomes allocated.

    Called by the measures feature; no offer (a social landlord's unit) → nothing.
    """
    offer = db.session.scalar(
        sa.select(OwnerOffer).where(
            OwnerOffer.unit_id == unit.id, OwnerOffer.status == OfferStatus.AVAILABLE
        )
    )
    if offer is None:
        return
    record_change(offer, OfferStatus.ALLOCATED, user)


# Staff moves -------------------------------------------------------------------------------


def previous_stage(offer: OwnerOffer) -> OfferStatus | None:
    """The stage an offer was blocked from: where unblocking takes it back."""
    for change in reversed(offer.status_changes):
        if change.to_status == S.BLOCKED:
            return change.from_status
    return None


def allowed_moves(offer: OwnerOffer) -> list[OfferStatus]:
    """What staff may move the offer to from here (allocated is never among them)."""
    moves = []
    if offer.status in FORWARD:
        moves.append(FORWARD[offer.status])
    if offer.status in OPEN_STAGES:
        moves += [S.BLOCKED, S.REFUSED]
    if offer.status == S.BLOCKED:
        back = previous_stage(offer)
        if back is not None:
            moves.append(back)
        moves.append(S.REFUSED)
    return moves


def change_status(
    offer: OwnerOffer,
    to_status: OfferStatus,
    actor: User | None,
    *,
    reason: OfferReason | None = None,
    comment: str = "",
) -> OfferStatusChange:
    """A staff move through the pipeline; refused moves change nothing."""
    comment = (comment or "").strip()
    if to_status == S.ALLOCATED:
        raise WorkflowError(
            _("Une offre devient « attribuée » quand une mesure commence dans le logement.")
        )
    if to_status not in allowed_moves(offer):
        raise WorkflowError(
            _(
                "Une offre « %(current)s » ne peut pas passer à « %(target)s ».",
                current=offer.status.label,
                target=to_status.label,
            )
        )
    if to_status in (S.BLOCKED, S.REFUSED):
        if reason is None:
            raise WorkflowError(_("Indiquez le motif du blocage ou du refus."))
        if reason == OfferReason.OTHER and not comment:
            raise WorkflowError(_("Précisez le motif « autre » dans le commentaire."))
    else:
        reason = None
    if to_status in NEEDS_SCHEME_FIGURES:
        above = above_scheme_message(offer)
        if above and not comment:
            raise WorkflowError(
                _(
                    "%(above)s Écrivez dans le commentaire pourquoi le dispositif l'accepte "
                    "(loyer renégocié, aide complémentaire…), ou bloquez l'offre au motif "
                    "« Loyer au-dessus du plafond ».",
                    above=above,
                )
            )
    if to_status == S.VISIT_PLANNED and offer.visit_at is None:
        raise WorkflowError(_("Indiquez d'abord la date et l'heure de la visite."))
    if to_status == S.VISITED and offer.checklist is None:
        raise WorkflowError(_("Remplissez d'abord la grille de décence de la visite."))
    if to_status == S.AGREEMENT_SIGNED:
        if not any(d.kind == OfferDocumentKind.AGREEMENT for d in offer.documents):
            raise WorkflowError(_("Déposez d'abord la convention signée."))
        offer.agreement_signed_at = now_utc()
    if to_status == S.AVAILABLE:
        missing = unit_missing_fields(offer)
        if missing:
            raise WorkflowError(
                _("Il manque pour créer le logement : %(fields)s.", fields=", ".join(missing))
            )
    if to_status in (S.BLOCKED, S.REFUSED):
        offer.reason = reason
        offer.reason_comment = comment
    elif offer.status == S.BLOCKED:
        offer.reason = None
        offer.reason_comment = ""
    change = record_change(offer, to_status, actor, reason=reason, comment=comment)
    if to_status == S.AVAILABLE:
        create_unit(offer, actor)
    return change


# Stages where the CCAS commits to the rent: above what the scheme carries needs a reason.
NEEDS_SCHEME_FIGURES = frozenset({S.FINANCIAL_PROPOSAL, S.AGREEMENT_SIGNED, S.AVAILABLE})


def above_scheme_message(offer: OwnerOffer) -> str:
    """What the offer asks beyond what the scheme can carry, in words; "" when nothing."""
    comparison = offer_comparison(offer)
    if comparison is None or not comparison.above_scheme:
        return ""
    parts = []
    if comparison.rent_above:
        parts.append(
            _(
                "Le loyer (%(rent)s) dépasse de %(gap)s le plafond Loc%(level)s que le "
                "dispositif peut porter (%(ceiling)s).",
                rent=euros(comparison.rent),
                gap=euros(comparison.rent_gap),
                level=comparison.scheme_level,
                ceiling=euros(comparison.scheme_rent),
            )
        )
    if comparison.charges_above:
        parts.append(
            _(
                "Les charges (%(charges)s) dépassent de %(gap)s ce que le dispositif peut "
                "porter (%(cap)s).",
                charges=euros(comparison.charges),
                gap=euros(comparison.charges_gap),
                cap=euros(comparison.charges_cap),
            )
        )
    return " ".join(parts)


def scheme_justification(offer: OwnerOffer) -> OfferStatusChange | None:
    """The latest move past the rent's limits, with the reason staff wrote for it."""
    for change in reversed(offer.status_changes):
        if change.to_status in NEEDS_SCHEME_FIGURES and change.comment:
            return change
    return None


def unit_missing_fields(offer: OwnerOffer) -> list[str]:
    needed = {
        "address": _("adresse"),
        "commune_id": _("commune"),
        "typology": _("typologie"),
        "surface": _("surface"),
        "rent": _("loyer"),
    }
    return [label for attr, label in needed.items() if getattr(offer, attr) in (None, "")]


def create_unit(offer: OwnerOffer, actor: User | None) -> Unit:
    """The offer's unit, made usable for a measure (the owner is its private owner)."""
    unit = Unit(
        commune_id=offer.commune_id,
        address=offer.address,
        typology=offer.typology,
        surface=offer.surface,
        rooms=offer.rooms or 1,
        floor=offer.floor or 0,
        lift=offer.lift,
        accessible=offer.accessible,
        rent=offer.rent,
        charges=offer.charges or Decimal("0"),
        dpe_class=offer.dpe_class,
        available_from=offer.available_from,
        status=UnitStatus.AVAILABLE,
        private_owner_id=offer.owner_id,
        created_by_id=actor.id if actor else None,
        notes=str(offer)[:1000],
    )
    db.session.add(unit)
    db.session.flush()
    offer.unit_id = unit.id
    record_event(AuditAction.CREATE, "unit", unit.id, f"Logement créé depuis l'offre n° {offer.id}")
    return unit


def assign(offer: OwnerOffer, staff: User | None, actor: User) -> None:
    if staff is not None and not permissions.can_manage_offers(staff):
        raise WorkflowError(_("Cette personne ne fait pas partie du CCAS."))
    offer.assigned_to = staff
    db.session.flush()
    record_event(
        AuditAction.CHANGE,
        "landlord_offer",
        offer.id,
        f"Offre n° {offer.id} suivie par {staff.full_name if staff else 'personne'}",
        user=actor,
    )


def plan_visit(offer: OwnerOffer, when: datetime, actor: User) -> None:
    if offer.status not in (S.FIRST_CONTACT, S.VISIT_PLANNED, S.NEW):
        raise WorkflowError(_("La visite se prévoit avant que le logement soit visité."))
    offer.visit_at = when
    db.session.flush()
    record_event(AuditAction.CHANGE, "landlord_offer", offer.id, "Visite planifiée", user=actor)
    if offer.status == S.FIRST_CONTACT:
        change_status(offer, S.VISIT_PLANNED, actor)
    elif offer.status == S.VISIT_PLANNED:
        notify_owner_status(offer)  # the owner hears of the new date


def save_checklist(offer: OwnerOffer, data: dict, actor: User) -> VisitChecklist:
    if offer.status not in (S.VISIT_PLANNED, S.VISITED, S.FINANCIAL_PROPOSAL):
        raise WorkflowError(_("La grille de décence se remplit lors de la visite."))
    checklist = offer.checklist or VisitChecklist(offer_id=offer.id)
    for key, _label in VisitChecklist.ITEMS:
        setattr(checklist, key, bool(data.get(key)))
    checklist.result = data["result"]
    checklist.comment = data.get("comment") or ""
    checklist.checked_by_id = actor.id
    offer.checklist = checklist
    db.session.add(checklist)
    db.session.flush()
    record_event(
        AuditAction.CHANGE, "landlord_offer", offer.id, "Grille de décence remplie", user=actor
    )
    return checklist


# Messages and notes ------------------------------------------------------------------------


def ccas_recipients(offer: OwnerOffer, event: str) -> list[str]:
    """Who hears of an owner's offer or message: the staff member following it, else whom
    the CCAS names, else its admins (never every member); each as they chose."""
    organisations = db.session.scalars(
        sa.select(Organisation)
        .where(Organisation.kind == OrganisationKind.CCAS, Organisation.active)
        .order_by(Organisation.id)
    ).all()
    assigned = offer.assigned_to
    if assigned is not None and assigned.active and permissions.works_for_ccas(assigned):
        people = [assigned]
    else:
        people = unique(p for o in organisations for p in organisation_recipients(o))
    return [
        person.email
        for person in people
        if notify_person(person, "landlord_message", offer, event=event)
    ]


def post_message(offer: OwnerOffer, author: User, body: str, *, internal: bool = False):
    body = (body or "").strip()
    if not body:
        raise WorkflowError(_("Écrivez un message."))
    from_owner = author.id == offer.owner_id
    if from_owner and internal:
        raise WorkflowError(_("Seul le CCAS peut écrire une note interne."))
    message = OfferMessage(offer=offer, author=author, body=body[:4000], internal=internal)
    db.session.add(message)
    db.session.flush()
    if internal:
        return message
    if from_owner:
        for email in ccas_recipients(offer, "message"):
            queue_email(
                email,
                "landlord_message",
                _("Message du propriétaire — offre n° %(number)s", number=offer.id),
                offer=offer,
                body=message.body,
                author=author.full_name,
                link=public_url_for("owners.offer", offer_id=offer.id),
            )
    else:
        queue_email(
            offer.owner.email,
            "landlord_message",
            _("Message du CCAS au sujet de votre logement"),
            offer=offer,
            body=message.body,
            author=_("Le CCAS"),
            link=public_url_for("owners.my_offer", offer_id=offer.id),
        )
    return message


# Documents ---------------------------------------------------------------------------------

OWNER_DOCUMENT_KINDS = (
    OfferDocumentKind.DPE,
    OfferDocumentKind.OWNERSHIP,
    OfferDocumentKind.INSURANCE,
)


def add_document(
    offer: OwnerOffer, kind: OfferDocumentKind, raw_name: str | None, data: bytes, actor: User
) -> OfferDocument:
    """Checked from its bytes (storage.check_upload raises UploadRefused), stored randomly."""
    if actor.id == offer.owner_id and kind not in OWNER_DOCUMENT_KINDS:
        raise WorkflowError(_("Ce document est déposé par le CCAS."))
    if offer.status in (S.REFUSED, S.ALLOCATED):
        raise WorkflowError(_("Cette offre est close : aucun document ne s'y ajoute."))
    checked = storage.check_upload(raw_name, data)
    document = OfferDocument(
        offer=offer,
        kind=kind,
        uploaded_by_id=actor.id,
        filename=checked.filename,
        stored_name=storage.new_name(),
        content_type=checked.content_type,
        size=len(checked.data),
        sha256=checked.sha256,
    )
    db.session.add(document)
    db.session.flush()
    storage.write_for_row(document.stored_name, checked.data)
    record_event(
        AuditAction.CREATE,
        "offer_document",
        document.id,
        f"Document « {kind.label} » ajouté à l'offre n° {offer.id}",
        user=actor,
    )
    return document


# The owner's side --------------------------------------------------------------------------

OWNER_FIELDS = ("owner_kind", "company_name", "contact_phone", "consent_to_contact")
UNIT_FIELDS = (
    "address",
    "commune_id",
    "typology",
    "surface",
    "main_room_surface",
    "ceiling_height",
    "rooms",
    "floor",
    "lift",
    "accessible",
    "rent",
    "charges",
    "agency_fees",
    "dpe_class",
    "dpe_number",
    "furnished",
    "available_from",
    "vacant_since",
)
SCHEME_FIELDS = ("preferred_scheme",)


def create_private_owner(email: str, full_name: str, phone: str) -> User:
    """A private owner's account without a password: it is set when the e-mail is confirmed."""
    user = User(email=email, full_name=full_name, phone=phone or None, kind=UserKind.PRIVATE_OWNER)
    db.session.add(user)
    db.session.flush()
    record_event(AuditAction.CREATE, "user", user.id, "Compte propriétaire créé", user=user)
    return user


# What the simulator knows of a unit and carries into the offer, so nothing is typed twice.
CARRIED_FIELDS = (
    "commune_id",
    "surface",
    "main_room_surface",
    "ceiling_height",
    "rent",
    "charges",
    "agency_fees",
    "dpe_class",
    "furnished",
    "available_from",
)


def start_offer(owner: User, data: dict, carried: dict | None = None) -> OwnerOffer:
    """A draft offer; ``carried`` holds the simulation's figures (CARRIED_FIELDS)."""
    offer = OwnerOffer(owner=owner, status=S.DRAFT)
    update_offer(offer, data, OWNER_FIELDS)
    if carried:
        update_offer(offer, carried, CARRIED_FIELDS)
    db.session.add(offer)
    db.session.flush()
    db.session.add(OfferStatusChange(offer=offer, from_status=None, to_status=S.DRAFT))
    record_event(AuditAction.CREATE, "landlord_offer", offer.id, "Offre commencée", user=owner)
    return offer


def update_offer(offer: OwnerOffer, data: dict, fields: tuple[str, ...]) -> None:
    if offer.id is not None and offer.status != S.DRAFT:
        raise WorkflowError(
            _("Une proposition envoyée ne se modifie plus : écrivez au CCAS pour la corriger.")
        )
    for name in fields:
        if name in data:
            value = data[name]
            setattr(offer, name, "" if value is None and name in ("company_name",) else value)
    db.session.flush()


def submit_offer(offer: OwnerOffer, owner: User) -> None:
    if offer.status != S.DRAFT:
        raise WorkflowError(_("Cette proposition est déjà envoyée."))
    missing = unit_missing_fields(offer)
    if not offer.consent_to_contact:
        missing.append(_("accord pour être contacté"))
    if missing:
        raise WorkflowError(_("Complétez avant d'envoyer : %(fields)s.", fields=", ".join(missing)))
    offer.submitted_at = now_utc()
    record_change(offer, S.NEW, owner)
    for email in ccas_recipients(offer, "new_offer"):
        queue_email(
            email,
            "landlord_new_offer",
            _("Nouvelle proposition de logement d'un propriétaire (n° %(n)s)", n=offer.id),
            offer=offer,
            link=public_url_for("owners.offer", offer_id=offer.id),
        )


def offer_facts(offer: OwnerOffer, on: date | None = None) -> R.UnitFacts:
    return R.UnitFacts(
        surface=offer.surface,
        main_room_surface=offer.main_room_surface,
        ceiling_height=offer.ceiling_height,
        rent=offer.rent,
        charges=offer.charges,
        dpe_class=offer.dpe_class.value if offer.dpe_class else None,
        furnished=offer.furnished,
        agency_fees=offer.agency_fees,
        lease_date=on or offer.available_from or date.today(),
    )


def offer_checks(offer: OwnerOffer) -> list[R.Check]:
    return R.checks(offer_facts(offer), current_rules(commune_id=offer.commune_id))


def offer_comparison(offer: OwnerOffer) -> R.Comparison | None:
    """The offer's rent and charges against the ceilings of its commune, at its date."""
    facts = offer_facts(offer)
    return R.compare(facts, current_rules(facts.lease_date, offer.commune_id))


# After the agreement: what the owner reads of the unit's life in the scheme ----------------


@dataclass(frozen=True)
class OwnerStep:
    day: date | None
    title: str
    text: str
    state: str  # "done" or "todo"


SLID_TEXT = _l(
    "Depuis cette date, le ménage est votre locataire en titre : le bail est à son nom et "
    "il vous paie directement le loyer et les charges. Le CCAS n'est plus votre locataire "
    "et ne vous verse plus le loyer ; le dépôt de garantie et l'état des lieux suivent le "
    "bail. Pour votre convention Loc'Avantages et votre réduction d'impôt, le CCAS vous "
    "indique ce qui change. Vous pouvez toujours lui écrire ici."
)


def after_agreement(offer: OwnerOffer, today: date | None = None) -> list[OwnerStep]:
    """The unit's life in the scheme for its owner: dates only, nothing about the household
    (no outcome but the slide itself, no reason for an end)."""
    if offer.unit_id is None:
        return []
    today = today or date.today()
    measures = db.session.scalars(
        sa.select(Measure).where(Measure.unit_id == offer.unit_id).order_by(Measure.start_date)
    ).all()
    steps: list[OwnerStep] = []
    for measure in measures:
        steps.append(
            OwnerStep(
                measure.start_date,
                str(_l("Le logement est loué par le dispositif")),
                str(
                    _l(
                        "Le CCAS est votre locataire : il vous paie le loyer chaque mois et "
                        "sous-loue le logement à un ménage qu'il accompagne."
                    )
                ),
                "done" if measure.start_date <= today else "todo",
            )
        )
        for bilan in measure.bilans:
            if bilan.held_on is not None:
                steps.append(
                    OwnerStep(
                        bilan.held_on,
                        str(_l("%(kind)s : tenu", kind=bilan.kind.label)),
                        "",
                        "done",
                    )
                )
            elif measure.is_open:
                steps.append(
                    OwnerStep(
                        bilan.due_date,
                        str(_l("%(kind)s : prévu", kind=bilan.kind.label)),
                        "",
                        "todo",
                    )
                )
        if measure.status == MeasureStatus.SLID:
            steps.append(
                OwnerStep(
                    measure.end_date,
                    str(_l("Le bail a glissé au nom du locataire")),
                    str(SLID_TEXT),
                    "done",
                )
            )
        elif measure.status == MeasureStatus.ENDED:
            steps.append(
                OwnerStep(
                    measure.end_date,
                    str(_l("La sous-location a pris fin")),
                    str(
                        _l(
                            "Le CCAS vous rend le logement et vous contacte pour la suite : "
                            "un autre ménage accompagné, ou la fin de son bail avec vous."
                        )
                    ),
                    "done",
                )
            )
    return steps


# Rules as data -----------------------------------------------------------------------------


def current_rules(on: date | None = None, commune_id: int | None = None) -> R.RuleSet:
    """The built-in defaults, overridden by the rows in effect on that date."""
    on = on or date.today()
    rules = R.default_rules()
    by_key = dict(rules.rules)
    rows = db.session.scalars(
        sa.select(RuleParameter)
        .where(RuleParameter.effective_from <= on)
        .order_by(RuleParameter.effective_from, RuleParameter.id)
    )
    for row in rows:
        if row.key not in by_key:
            continue
        try:
            value = R.parse_value(row.key, row.value)
        except (ValueError, ArithmeticError):
            continue  # a bad row never breaks the simulator: the default stays
        by_key[row.key] = R.Rule(
            row.key, value, row.source, row.effective_from, by_key[row.key].label
        )
    ceilings = {}
    if commune_id:
        for ceiling in db.session.scalars(
            sa.select(CommuneCeiling)
            .where(CommuneCeiling.commune_id == commune_id, CommuneCeiling.effective_from <= on)
            .order_by(CommuneCeiling.effective_from, CommuneCeiling.id)
        ):
            if ceiling.level in R.LEVELS:
                ceilings[ceiling.level] = R.Rule(
                    f"ceiling_loc{ceiling.level}",
                    ceiling.eur_per_m2,
                    ceiling.source,
                    ceiling.effective_from,
                    "",
                    ceiling.is_example,
                )
    return R.RuleSet(by_key).with_ceilings(ceilings)


def seed_rules() -> int:
    """Store the built-in values with their sources, once (idempotent): callable at start-up
    and by the demo loader. Returns how many rows were added."""
    known = set(db.session.scalars(sa.select(RuleParameter.key)))
    added = 0
    for rule in R.DEFAULT_RULES:
        if rule.key in known:
            continue
        value = rule.value.isoformat() if isinstance(rule.value, date) else str(rule.value)
        db.session.add(
            RuleParameter(
                key=rule.key,
                value=value,
                source=str(rule.source),
                effective_from=rule.effective_from,
            )
        )
        added += 1
    db.session.flush()
    return added


def seed_example_ceilings(communes, effective_from: date = date(2026, 1, 1)) -> None:
    """Example ceilings for the given communes, marked as examples."""
    for commune in communes:
        for level, rule in R.DEFAULT_CEILINGS.items():
            db.session.add(
                CommuneCeiling(
                    commune_id=commune.id,
                    level=level,
                    eur_per_m2=rule.value,
                    source=str(R.SRC_CEILING_EXAMPLE),
                    effective_from=effective_from,
                    is_example=True,
                )
            )
    db.session.flush()


def add_rule_value(key: str, raw: str, source: str, effective_from: date, actor: User):
    if key not in R.RULE_KEYS:
        raise WorkflowError(_("Paramètre inconnu."))
    try:
        value = R.parse_value(key, raw)
    except (ValueError, ArithmeticError):
        if key in R.DATE_KEYS:
            raise WorkflowError(_("Indiquez une date valide (aaaa-mm-jj).")) from None
        if key == "scheme_level":
            raise WorkflowError(_("Indiquez le niveau : 1, 2 ou 3.")) from None
        raise WorkflowError(_("Indiquez un nombre positif.")) from None
    exists = db.session.scalar(
        sa.select(RuleParameter).where(
            RuleParameter.key == key, RuleParameter.effective_from == effective_from
        )
    )
    stored = value.isoformat() if isinstance(value, date) else str(value)
    if exists is not None:
        exists.value, exists.source, exists.updated_by_id = stored, source, actor.id
        row = exists
    else:
        row = RuleParameter(
            key=key,
            value=stored,
            source=source,
            effective_from=effective_from,
            updated_by_id=actor.id,
        )
        db.session.add(row)
    db.session.flush()
    record_event(AuditAction.CHANGE, "rule_parameter", row.id, f"Règle {key} = {stored}")
    return row


def add_ceiling(
    commune_id: int,
    level: int,
    eur_per_m2: Decimal,
    source: str,
    effective_from: date,
    is_example: bool,
    actor: User,
) -> CommuneCeiling:
    row = db.session.scalar(
        sa.select(CommuneCeiling).where(
            CommuneCeiling.commune_id == commune_id,
            CommuneCeiling.level == level,
            CommuneCeiling.effective_from == effective_from,
        )
    )
    if row is None:
        row = CommuneCeiling(commune_id=commune_id, level=level, effective_from=effective_from)
        db.session.add(row)
    row.eur_per_m2 = eur_per_m2
    row.source = source
    row.is_example = is_example
    row.updated_by_id = actor.id
    db.session.flush()
    record_event(AuditAction.CHANGE, "commune_ceiling", row.id, f"Plafond Loc{level} modifié")
    return row


# Activity report ---------------------------------------------------------------------------


def stage_report(until: datetime | None = None) -> dict:
    """Days spent in each stage (left or still current) and blocked/refused reasons."""
    until = until or now_utc()
    spent: dict[OfferStatus, list[float]] = {}
    reasons: dict[OfferReason, int] = {}
    changes = db.session.scalars(
        sa.select(OfferStatusChange).order_by(OfferStatusChange.offer_id, OfferStatusChange.id)
    ).all()
    by_offer: dict[int, list[OfferStatusChange]] = {}
    for change in changes:
        by_offer.setdefault(change.offer_id, []).append(change)
        if change.reason is not None:
            reasons[change.reason] = reasons.get(change.reason, 0) + 1
    for rows in by_offer.values():
        for current, following in zip(rows, [*rows[1:], None], strict=True):
            if current.to_status == S.DRAFT:
                continue
            end = following.created if following is not None else until
            days = (end - current.created).total_seconds() / 86400
            spent.setdefault(current.to_status, []).append(days)
    return {
        "stages": [
            (status, len(spent[status]), round(sum(spent[status]) / len(spent[status]), 1))
            for status in (*PIPELINE, S.BLOCKED, S.REFUSED)
            if spent.get(status)
        ],
        "reasons": sorted(reasons.items(), key=lambda item: -item[1]),
    }
