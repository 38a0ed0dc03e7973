"""IML measures: opening within the programme's capacity, bilans and their outcomes, the
rent record, points de situation and the bilan alerts.

Functions flush, never commit: the view (or the CLI job) commits once. Audit events, case
timeline entries and e-mails are written beside the change they describe.
"""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal

import sqlalchemy as sa
from flask_babel import format_date

from portal.audit import record_event
from portal.candidacies.services import house_candidacy
from portal.cases.services import add_event
from portal.extensions import db
from portal.formatting import euros
from portal.household_data import link_email
from portal.i18n import _
from portal.local_time import PARIS
from portal.measures.timeline import (
    ALERT_DAYS,
    add_months,
    bilan_schedule,
    first_of_month,
    months_between,
)
from portal.models import (
    AuditAction,
    Bilan,
    BilanKind,
    BilanOutcome,
    Candidacy,
    CandidacyStatus,
    Case,
    CaseEventKind,
    Committee,
    CommitteeKind,
    Commune,
    Measure,
    MeasureEndReason,
    MeasureStatus,
    MeetingKind,
    Membership,
    OrganisationKind,
    Programme,
    RentRecord,
    RentStatus,
    Unit,
    UnitStatus,
    User,
    now_utc,
)
from portal.models.housing import stabilisation_from
from portal.outbox.services import public_url_for, queue_email
from portal.workflow import WorkflowError

OPEN_STATUSES = (MeasureStatus.ACTIVE, MeasureStatus.EXTENDED)
OPENABLE_UNIT_STATUSES = (UnitStatus.AVAILABLE, UnitStatus.OFFERED)

# What each bilan may decide. The 10-month bilan is a review: it decides nothing.
BILAN_OUTCOMES: dict[BilanKind, tuple[BilanOutcome, ...]] = {
    BilanKind.SIX_MONTHS: (BilanOutcome.GLISSEMENT, BilanOutcome.POURSUITE),
    BilanKind.TEN_MONTHS: (),
    BilanKind.TWELVE_MONTHS: (
        BilanOutcome.GLISSEMENT,
        BilanOutcome.PROLONGATION,
        BilanOutcome.FIN_DE_MESURE,
    ),
    BilanKind.EXTENSION: (
        BilanOutcome.GLISSEMENT,
        BilanOutcome.PROLONGATION,
        BilanOutcome.FIN_DE_MESURE,
    ),
}
# A decision bilan: the lease may slide only when both conditions of the scheme hold.
DECISION_KINDS = (BilanKind.TWELVE_MONTHS, BilanKind.EXTENSION)
# A slide earlier than this, counted from the start of the sublease, must be justified.
EARLY_SLIDE_MONTHS = 6


# Case timeline ---------------------------------------------------------------------------


def household_case(measure: Measure) -> Case | None:
    """The case that carries the household's history: the candidacy's, else its latest."""
    if measure.candidacy.case is not None:
        return measure.candidacy.case
    return db.session.scalar(
        sa.select(Case)
        .where(Case.household_id == measure.household_id)
        .order_by(Case.created.desc(), Case.id.desc())
        .limit(1)
    )


def add_case_event(measure: Measure, kind: CaseEventKind, summary: str, actor: User | None):
    case = household_case(measure)
    if case is not None:
        add_event(case, kind, summary, actor)


# Opening a measure -----------------------------------------------------------------------


def open_measures_count(programme_id: int) -> int:
    return db.session.execute(
        sa.select(sa.func.count(Measure.id)).where(
            Measure.programme_id == programme_id, Measure.status.in_(OPEN_STATUSES)
        )
    ).scalar_one()


def lock_programme(programme_id: int) -> Programme:
    """Hold the programme's row until the commit, so that two openings on its last place
    are counted one after the other. PostgreSQL locks the row (SELECT … FOR UPDATE);
    SQLite, which ignores FOR UPDATE, is serialised by taking its write lock at once."""
    if db.session.get_bind().dialect.name == "sqlite":
        db.session.execute(
            sa.update(Programme)
            .where(Programme.id == programme_id)
            .values(capacity=Programme.capacity)
            .execution_options(synchronize_session=False)
        )
    # The bare row: FOR UPDATE may not reach the outer-joined territory.
    db.session.execute(
        sa.select(Programme.id).where(Programme.id == programme_id).with_for_update()
    ).one()
    return db.session.get_one(Programme, programme_id, populate_existing=True)


def capacity_message(programme: Programme) -> str:
    return _(
        "Le programme « %(name)s » a atteint sa capacité : %(capacity)d mesure(s) en cours "
        "sur %(capacity)d agréée(s). Une mesure ne peut s'ouvrir que lorsqu'une autre se "
        "termine (glissement du bail ou fin de mesure).",
        name=programme.name,
        capacity=programme.capacity,
    )


def open_measure(candidacy: Candidacy, unit: Unit, actor: User, data: dict) -> Measure:
    """Open the measure of a validated candidacy in an available unit, within the
    programme's capacity; the bilans are scheduled from the start of the sublease."""
    programme = lock_programme(candidacy.programme_id)
    # Read again under the lock: someone may have used the candidacy or the unit meanwhile.
    db.session.refresh(candidacy)
    db.session.refresh(unit)
    if candidacy.status != CandidacyStatus.VALIDATED:
        raise WorkflowError(
            _(
                "La candidature doit être validée par le SIAO et en attente de logement "
                "(statut actuel : %(status)s).",
                status=candidacy.status.label,
            )
        )
    if unit.status not in OPENABLE_UNIT_STATUSES:
        raise WorkflowError(
            _(
                "Ce logement n'est pas disponible (statut : %(status)s).",
                status=unit.status.label,
            )
        )
    if not programme.active:
        raise WorkflowError(_("Ce programme n'est plus actif : aucune mesure ne peut s'y ouvrir."))
    if unit.commune.territory_id != programme.territory_id:
        raise WorkflowError(_("Ce logement n'est pas sur le territoire du programme."))
    if open_measures_count(programme.id) >= programme.capacity:
        raise WorkflowError(capacity_message(programme))
    referent = data.get("referent")
    if referent is not None and not is_member(referent, candidacy.organisation_id):
        raise WorkflowError(_("Le référent doit être membre actif de l'organisation."))
    measure = Measure(
        candidacy=candidacy,
        programme_id=programme.id,
        unit=unit,
        household_id=candidacy.household_id,
        organisation_id=candidacy.organisation_id,
        referent=referent,
        start_date=data["start_date"],
        rent=data["rent"],
        charges=data.get("charges") or Decimal("0"),
        household_share=data["household_share"],
        created_by_id=actor.id,
    )
    db.session.add(measure)
    for kind, due in bilan_schedule(measure.start_date):
        measure.bilans.append(Bilan(kind=kind, due_date=due))
    # The candidacy leaves the SIAO's waiting list (candidacies feature: event and audit).
    house_candidacy(candidacy, actor, _("Mesure ouverte dans le logement %(unit)s", unit=str(unit)))
    unit.status = UnitStatus.LET
    db.session.flush()
    record_event(
        AuditAction.CREATE,
        "measure",
        measure.id,
        f"Mesure IML ouverte — {candidacy.household.reference} — {programme.name}",
        user=actor,
    )
    add_case_event(
        measure,
        CaseEventKind.STATUS,
        f"Mesure IML ouverte ({programme.name}) : sous-location à {unit.commune.name} "
        f"depuis le {measure.start_date:%d/%m/%Y}",
        actor,
    )
    # A private owner's offer of this unit becomes « allocated » (landlords feature).
    from portal.owners.services import allocate_offer_for_unit

    allocate_offer_for_unit(unit, actor)
    return measure


def is_member(user: User, organisation_id: int) -> bool:
    return user.active and organisation_id in user.organisation_ids


def openable_candidacies(user: User) -> list[Candidacy]:
    """Validated candidacies of the CCAS the person works for, waiting for a unit."""
    ccas_ids = [
        m.organisation_id
        for m in user.active_memberships
        if m.organisation.kind == OrganisationKind.CCAS
    ]
    return list(
        db.session.scalars(
            sa.select(Candidacy)
            .where(
                Candidacy.organisation_id.in_(ccas_ids),
                Candidacy.status == CandidacyStatus.VALIDATED,
            )
            .order_by(Candidacy.validated_at, Candidacy.id)
        )
    )


def openable_units(territory_ids: Iterable[int]) -> list[Unit]:
    """Available units of the given territories (a programme houses in its own territory)."""
    return list(
        db.session.scalars(
            sa.select(Unit)
            .join(Commune, Commune.id == Unit.commune_id)
            .where(
                Unit.status.in_(OPENABLE_UNIT_STATUSES),
                Commune.territory_id.in_(sorted(territory_ids)),
            )
            .order_by(Unit.id)
        )
    )


def organisation_members(organisation_id: int) -> list[User]:
    return list(
        db.session.scalars(
            sa.select(User)
            .join(Membership, Membership.user_id == User.id)
            .where(Membership.organisation_id == organisation_id, Membership.active, User.active)
            .order_by(User.full_name)
        )
    )


# Bilans ----------------------------------------------------------------------------------


def allowed_outcomes(bilan: Bilan) -> tuple[BilanOutcome, ...]:
    return BILAN_OUTCOMES[bilan.kind]


def pending_before(bilan: Bilan) -> list[Bilan]:
    return [
        b
        for b in bilan.measure.bilans
        if not b.is_done and b.id != bilan.id and b.due_date < bilan.due_date
    ]


class BilanError(WorkflowError):
    """A refused bilan, with the field the person has to change."""

    def __init__(self, field: str, message: str):
        super().__init__(message)
        self.field = field


def is_early(measure: Measure, day: date) -> bool:
    """Before 6 months of sublease."""
    return day < add_months(measure.start_date, EARLY_SLIDE_MONTHS)


def check_bilan(bilan: Bilan, data: dict) -> None:
    """Refuse, with the reason, what the bilan may not decide; nothing is changed."""
    measure = bilan.measure
    if not measure.is_open:
        raise WorkflowError(
            _(
                "La mesure est close (%(status)s) : ce bilan n'a plus lieu.",
                status=measure.status.label,
            )
        )
    if bilan.is_done:
        raise WorkflowError(_("Ce bilan est déjà enregistré."))
    earlier = pending_before(bilan)
    if earlier:
        raise WorkflowError(
            _("Enregistrez d'abord le %(kind)s.", kind=earlier[0].kind.label.lower())
        )
    outcome = data.get("outcome")
    allowed = allowed_outcomes(bilan)
    if outcome is None and allowed:
        raise WorkflowError(_("Choisissez la suite donnée à la mesure."))
    if outcome is not None and outcome not in allowed:
        if not allowed:
            raise WorkflowError(_("Le bilan à 10 mois est un point d'étape : il ne décide rien."))
        raise WorkflowError(
            _(
                "« %(kind)s » ne peut pas décider « %(outcome)s ».",
                kind=bilan.kind.label,
                outcome=outcome.label,
            )
        )
    held_on = data["held_on"]
    if held_on < measure.start_date:
        raise WorkflowError(_("Le bilan ne peut pas précéder l'entrée dans le logement."))
    if held_on > date.today():
        raise WorkflowError(_("Un bilan s'enregistre une fois tenu : sa date est passée."))
    if outcome == BilanOutcome.PROLONGATION:
        next_date = data.get("next_date")
        if next_date is None:
            raise WorkflowError(_("Indiquez la date de la nouvelle décision."))
        if next_date <= max(held_on, bilan.due_date):
            raise WorkflowError(_("La nouvelle date de décision doit suivre celle de ce bilan."))
    if outcome == BilanOutcome.FIN_DE_MESURE and data.get("end_reason") is None:
        raise WorkflowError(_("Indiquez le motif de fin de mesure."))
    evidence = rent_evidence(measure, held_on)
    justified = bool((data.get("rent_regularity_justification") or "").strip())
    if data.get("rent_paid_regularly") and not evidence.regular and not justified:
        raise BilanError(
            "rent_regularity_justification",
            _(
                "Le relevé des loyers ne montre pas un paiement régulier (%(facts)s) : pour "
                "indiquer « loyer payé régulièrement », expliquez pourquoi (plan d'apurement "
                "respecté, rappel d'aide au logement attendu…), ou répondez « Non ».",
                facts=evidence.describe(),
            ),
        )
    if outcome == BilanOutcome.GLISSEMENT:
        stabilised = stabilisation_from(
            data.get("budget_assessment"),
            data.get("support_assessment"),
            data.get("household_wish"),
        )
        if not data.get("rent_paid_regularly") or not stabilised:
            raise BilanError(
                "outcome",
                _(
                    "Le bail ne glisse que si le loyer est payé régulièrement et la situation "
                    "stabilisée : budget tenu, accompagnement relayé ou plus nécessaire, et "
                    "un ménage qui souhaite devenir locataire. Sinon, poursuivez ou prolongez "
                    "la mesure, ou mettez-y fin."
                ),
            )
        if is_early(measure, held_on) and not (
            (data.get("early_slide_justification") or "").strip()
        ):
            raise BilanError(
                "early_slide_justification",
                _(
                    "Le bail glisserait après %(days)d jours de sous-location, avant les "
                    "%(months)d mois du dispositif : expliquez pourquoi ce glissement anticipé "
                    "(il sera signalé dans le rapport d'activité).",
                    days=(held_on - measure.start_date).days,
                    months=EARLY_SLIDE_MONTHS,
                ),
            )


def record_bilan(bilan: Bilan, actor: User, data: dict) -> Bilan:
    """Record a held bilan and apply its outcome to the measure (and its unit)."""
    check_bilan(bilan, data)
    measure = bilan.measure
    outcome = data.get("outcome")
    bilan.held_on = data["held_on"]
    bilan.outcome = outcome
    bilan.rent_paid_regularly = data.get("rent_paid_regularly")
    # Kept only where it is needed: a « yes » the rent record does not bear out.
    bilan.rent_regularity_justification = (
        (data.get("rent_regularity_justification") or "").strip()
        if bilan.rent_paid_regularly and not rent_evidence(measure, bilan.held_on).regular
        else ""
    )
    bilan.budget_assessment = data.get("budget_assessment")
    bilan.support_assessment = data.get("support_assessment")
    bilan.household_wish = data.get("household_wish")
    bilan.stabilisation_notes = (data.get("stabilisation_notes") or "").strip()
    bilan.situation_stabilised = stabilisation_from(
        bilan.budget_assessment, bilan.support_assessment, bilan.household_wish
    )
    bilan.early_slide = outcome == BilanOutcome.GLISSEMENT and is_early(measure, bilan.held_on)
    bilan.early_slide_justification = (
        (data.get("early_slide_justification") or "").strip() if bilan.early_slide else ""
    )
    bilan.landlord_present = bool(data.get("landlord_present"))
    bilan.household_present = bool(data.get("household_present"))
    bilan.summary = data.get("summary") or ""
    bilan.recorded_by = actor
    bilan.next_date = None
    bilan.end_reason = None
    if outcome == BilanOutcome.GLISSEMENT:
        close_measure(measure, MeasureStatus.SLID, bilan.held_on)
    elif outcome == BilanOutcome.PROLONGATION:
        bilan.next_date = data["next_date"]
        measure.status = MeasureStatus.EXTENDED
        measure.extended_until = bilan.next_date
        measure.bilans.append(Bilan(kind=BilanKind.EXTENSION, due_date=bilan.next_date))
    elif outcome == BilanOutcome.FIN_DE_MESURE:
        bilan.end_reason = data["end_reason"]
        close_measure(measure, MeasureStatus.ENDED, bilan.held_on, bilan.end_reason)
    db.session.flush()
    summary = bilan_summary(bilan)
    record_event(AuditAction.CHANGE, "measure", measure.id, summary, user=actor)
    add_case_event(measure, CaseEventKind.DECISION, summary, actor)
    return bilan


def bilan_summary(bilan: Bilan) -> str:
    text = f"{bilan.kind.label} tenu le {bilan.held_on:%d/%m/%Y}"
    if bilan.outcome is None:
        return text + " (point d'étape)"
    text += f" : {bilan.outcome.label.lower()}"
    if bilan.early_slide:
        text += " anticipé (avant 6 mois, justifié)"
    if bilan.outcome == BilanOutcome.PROLONGATION:
        text += f" jusqu'au {bilan.next_date:%d/%m/%Y}"
    if bilan.outcome == BilanOutcome.FIN_DE_MESURE and bilan.end_reason:
        text += f" ({bilan.end_reason.label.lower()})"
    return text


def close_measure(
    measure: Measure, status: MeasureStatus, day: date, reason: MeasureEndReason | None = None
) -> None:
    """The lease slid or the measure ended: the CCAS gives the unit back, the bilans still
    to come no longer take place."""
    measure.status = status
    measure.end_date = day
    measure.end_reason = reason
    measure.unit.status = UnitStatus.RETURNED
    for pending in [b for b in measure.bilans if not b.is_done]:
        measure.bilans.remove(pending)


# Rent record -----------------------------------------------------------------------------


@dataclass(frozen=True)
class RentSummary:
    months: int
    paid: int
    late: int
    unpaid: int
    arrears: Decimal  # what is still owed, all months together
    missing: int = 0  # months already past with nothing recorded

    @property
    def regular(self) -> bool:
        """What the record shows: every past month entered, none unpaid, nothing owed
        (a month paid late but paid in full does not make the payment irregular)."""
        return self.months > 0 and self.unpaid == 0 and self.arrears == 0 and self.missing == 0

    def describe(self) -> str:
        """What stands against regularity, in words (« 2 mois impayé(s), 300,00 € dû »)."""
        facts = []
        if self.months == 0:
            facts.append(_("aucun mois renseigné"))
        if self.unpaid:
            facts.append(_("%(count)d mois impayé(s)", count=self.unpaid))
        if self.arrears:
            facts.append(_("%(amount)s restant dû", amount=euros(self.arrears)))
        if self.missing and self.months:
            facts.append(_("%(count)d mois passé(s) non renseigné(s)", count=self.missing))
        return ", ".join(facts)


def rent_summary(records: Iterable[RentRecord], missing: int = 0) -> RentSummary:
    records = list(records)
    arrears = sum((max(r.amount_due - r.amount_paid, Decimal("0")) for r in records), Decimal("0"))
    counts = {status: sum(r.status == status for r in records) for status in RentStatus}
    return RentSummary(
        months=len(records),
        paid=counts[RentStatus.PAID],
        late=counts[RentStatus.LATE],
        unpaid=counts[RentStatus.UNPAID],
        arrears=arrears,
        missing=missing,
    )


def rent_evidence(measure: Measure, as_of: date | None = None) -> RentSummary:
    """The rent record as a bilan held on ``as_of`` reads it: the months up to that day's
    month, and the months already past (before that month) with nothing recorded."""
    as_of = as_of or date.today()
    month = first_of_month(as_of)
    records = [r for r in measure.rent_records if r.month <= month]
    past = months_between(measure.start_date, add_months(month, -1))
    recorded = {r.month for r in records}
    missing = sum(m not in recorded for m in past if m >= first_of_month(measure.start_date))
    return rent_summary(records, missing)


def acting_organisation(measure: Measure, actor: User) -> int | None:
    """The owning CCAS if the person works for it, else the unit's landlord organisation."""
    if measure.organisation_id in actor.organisation_ids:
        return measure.organisation_id
    return measure.unit.social_landlord_id


def record_rent(measure: Measure, actor: User, data: dict) -> RentRecord:
    """One row per month: a second entry for the same month corrects the first."""
    month = first_of_month(data["month"])
    if month < first_of_month(measure.start_date):
        raise WorkflowError(_("Ce mois précède l'entrée dans le logement."))
    last = measure.end_date or date.today()
    if month > first_of_month(last):
        raise WorkflowError(
            _("Ce mois est après la fin de la mesure.")
            if measure.end_date
            else _("Ce mois n'a pas encore commencé.")
        )
    amount_due = data.get("amount_due")
    if amount_due is None:
        amount_due = measure.household_share
    amount_paid = data.get("amount_paid")
    if amount_paid is None:
        amount_paid = amount_due if data["status"] != RentStatus.UNPAID else Decimal("0")
    if data["status"] == RentStatus.UNPAID and amount_paid >= amount_due > 0:
        raise WorkflowError(
            _("Un loyer payé en entier n'est pas impayé : choisissez « payé » ou « en retard ».")
        )
    record = db.session.scalar(
        sa.select(RentRecord).where(RentRecord.measure_id == measure.id, RentRecord.month == month)
    )
    if record is None:
        record = RentRecord(measure=measure, month=month)
        db.session.add(record)
    record.status = data["status"]
    record.amount_due = amount_due
    record.amount_paid = amount_paid
    record.recorded_by = actor
    record.organisation_id = acting_organisation(measure, actor)
    db.session.flush()
    record_event(
        AuditAction.CHANGE,
        "measure",
        measure.id,
        f"Loyer de {month:%m/%Y} : {record.status.label.lower()} "
        f"({record.amount_paid} € sur {record.amount_due} €)",
        user=actor,
    )
    return record


# Point de situation ----------------------------------------------------------------------


def point_committee(measure: Measure) -> Committee | None:
    """The territory's comité technique, where the CCAS and the landlords meet."""
    committees = db.session.scalars(
        sa.select(Committee)
        .where(
            Committee.territory_id == measure.programme.territory_id,
            Committee.kind == CommitteeKind.COMITE_TECHNIQUE,
            Committee.active,
        )
        .order_by(Committee.id)
    ).all()
    with_ccas = [
        c for c in committees if measure.organisation_id in {o.id for o in c.organisations}
    ]
    return next(iter(with_ccas or committees), None)


def schedule_point(bilan: Bilan, actor: User, starts_at: datetime, location: str):
    """Schedule the bilan as a point de situation with the landlord and the household:
    the referent and the person scheduling it are invited, with the members of the social
    landlord. The household is invited by the referent, outside the portal."""
    from portal.meetings.services import schedule_meeting

    measure = bilan.measure
    if not measure.is_open or bilan.is_done:
        raise WorkflowError(_("Ce bilan est déjà tenu ou la mesure est close."))
    if bilan.meeting is not None and not bilan.meeting.is_cancelled:
        raise WorkflowError(_("Un point de situation est déjà prévu pour ce bilan."))
    committee = point_committee(measure)
    if committee is None:
        raise WorkflowError(
            _("Aucun comité technique sur ce territoire : créez-le avant de programmer un point.")
        )
    organisation_ids = []
    if measure.unit.social_landlord_id is not None:
        organisation_ids.append(measure.unit.social_landlord_id)
    user_ids = [actor.id]
    if measure.referent_id is not None and measure.referent_id != actor.id:
        user_ids.append(measure.referent_id)
    meeting = schedule_meeting(
        committee,
        actor,
        {
            "kind": MeetingKind.POINT_DE_SITUATION,
            "title": f"Point de situation — {bilan.kind.label} — mesure n° {measure.id}",
            "starts_at": starts_at,
            "duration_minutes": 60,
            "location": location,
            "video_link": "",
            "organisation_ids": organisation_ids,
            "user_ids": user_ids,
        },
    )
    bilan.meeting = meeting
    db.session.flush()
    add_case_event(
        measure,
        CaseEventKind.MEETING,
        f"Point de situation programmé pour le {bilan.kind.label.lower()} "
        f"le {format_date(starts_at.astimezone(PARIS).date(), 'dd/MM/yyyy')}",
        actor,
    )
    return meeting


def paris_moment(day: date, at: time) -> datetime:
    return datetime.combine(day, at, tzinfo=PARIS)


# Alerts ----------------------------------------------------------------------------------


def open_bilans_query():
    return (
        sa.select(Bilan)
        .join(Measure, Bilan.measure_id == Measure.id)
        .where(Bilan.held_on.is_(None), Measure.status.in_(OPEN_STATUSES))
    )


def due_soon_clause(today: date):
    return sa.and_(Bilan.due_date >= today, Bilan.due_date <= today + timedelta(days=ALERT_DAYS))


def bilan_alerts(user: User, today: date | None = None, limit: int = 8) -> list[Bilan]:
    """Bilans of the person's measures due within ALERT_DAYS days or overdue (dashboard)."""
    from portal import permissions

    today = today or date.today()
    if not permissions.can_open_measures(user):
        return []
    return list(
        db.session.scalars(
            open_bilans_query()
            .where(
                Measure.organisation_id.in_(sorted(user.organisation_ids)),
                Bilan.due_date <= today + timedelta(days=ALERT_DAYS),
            )
            .order_by(Bilan.due_date, Bilan.id)
            .limit(limit)
            # The dashboard shows each alert's household reference and commune: load them
            # in this query, and not what it does not show (the candidacy, the programme).
            .options(
                sa.orm.contains_eager(Bilan.measure).options(
                    sa.orm.lazyload(Measure.candidacy),
                    sa.orm.lazyload(Measure.programme),
                )
            )
        )
    )


def claim_alert(bilan_id: int, column, now: datetime) -> bool:
    """Mark the alert as ours; false when another run got there first (the conditional
    UPDATE is the lock, as for the meeting reminders)."""
    result = db.session.execute(
        sa.update(Bilan)
        .where(Bilan.id == bilan_id, column.is_(None), Bilan.held_on.is_(None))
        .values({column.key: now})
        .execution_options(synchronize_session=False)
    )
    # Typed as a Result; an UPDATE's or a DELETE's is a CursorResult, with rowcount.
    return result.rowcount == 1  # type: ignore[attr-defined]


def alert_recipients(measure: Measure) -> list[str]:
    """The referent and the owning organisation's address; without them, its members."""
    emails = []
    if measure.referent is not None and measure.referent.active:
        emails.append(measure.referent.email)
    if measure.organisation.contact_email:
        emails.append(measure.organisation.contact_email)
    if not emails:
        emails = [u.email for u in organisation_members(measure.organisation_id)]
    return list(dict.fromkeys(e.lower() for e in emails))


def notify_bilans(today: date) -> int:
    """E-mail the bilans due within ALERT_DAYS days (once), then the overdue ones (once).
    Returns how many alerts were sent. Flushes only: the caller commits, and the claims
    and the e-mails are kept or lost together."""
    now = now_utc()
    sent = 0
    waves = (
        (Bilan.alert_sent_at, due_soon_clause(today), "bilan_due"),
        (Bilan.overdue_alert_sent_at, Bilan.due_date < today, "bilan_overdue"),
    )
    for column, clause, template in waves:
        bilan_ids = db.session.scalars(
            open_bilans_query()
            .where(clause, column.is_(None))
            .with_only_columns(Bilan.id)
            .order_by(Bilan.due_date, Bilan.id)
        ).all()
        for bilan_id in bilan_ids:
            if not claim_alert(bilan_id, column, now):
                continue
            bilan = db.session.get_one(Bilan, bilan_id, populate_existing=True)
            measure = bilan.measure
            due = format_date(bilan.due_date, _("d MMMM yyyy"))
            if template == "bilan_due":
                subject = _(
                    "%(kind)s à tenir le %(due)s — %(reference)s",
                    kind=bilan.kind.label,
                    due=due,
                    reference=measure.household.reference,
                )
            else:
                subject = _(
                    "En retard : %(kind)s prévu le %(due)s — %(reference)s",
                    kind=bilan.kind.label,
                    due=due,
                    reference=measure.household.reference,
                )
            link = public_url_for("measures.bilan", measure_id=measure.id, bilan_id=bilan.id)
            for email in alert_recipients(measure):
                queued = queue_email(
                    email,
                    template,
                    subject,
                    bilan=bilan,
                    measure=measure,
                    due=due,
                    days_late=(today - bilan.due_date).days,
                    days_left=(bilan.due_date - today).days,
                    link=link,
                )
                link_email(queued, [measure.household_id])
            record_event(AuditAction.CHANGE, "measure", measure.id, f"Alerte envoyée : {subject}")
            sent += 1
    return sent
