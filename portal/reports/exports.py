"""CSV exports of measures, candidacies, decisions and actions, and landlord offers.

Each list is filtered by the reader's visibility rule (the SQL twins in permissions). No
export ever holds a name, a contact or a free-text field; outside the CCAS it holds no
household reference, SI-SIAO number or decision text either. Each export is audited.
"""

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

import sqlalchemy as sa
from flask_babel import format_date, format_datetime
from sqlalchemy.orm import aliased

from portal import permissions
from portal.audit import record_event
from portal.csv_export import csv_text
from portal.extensions import db
from portal.i18n import _
from portal.models import (
    ActionStatus,
    AuditAction,
    Candidacy,
    Case,
    Committee,
    Commune,
    Decision,
    FollowUpAction,
    Household,
    Measure,
    Meeting,
    Organisation,
    OwnerOffer,
    Programme,
    Unit,
    User,
)
from portal.reports.scope import done_on_time


@dataclass(frozen=True)
class Column:
    header: str
    internal: bool = False  # CCAS staff only


def cell(value) -> str:
    """Dates as dd/mm/yyyy (timestamps in Paris time), amounts with a decimal comma."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return _("oui") if value else _("non")
    if isinstance(value, datetime):
        return format_datetime(value, "dd/MM/yyyy")
    if isinstance(value, date):
        return format_date(value, "dd/MM/yyyy")
    if isinstance(value, Decimal):
        return f"{value:.2f}".replace(".", ",")
    label = getattr(value, "label", None)
    return label if isinstance(label, str) else str(value)


def build_csv(columns: list[Column], rows, internal: bool) -> tuple[str, int]:
    keep = [i for i, c in enumerate(columns) if internal or not c.internal]
    lines = [[cell(row[i]) for i in keep] for row in rows]
    return csv_text([columns[i].header for i in keep], lines), len(lines)


def audited(user: User, object_type: str, count: int, what: str) -> None:
    record_event(AuditAction.EXPORT, object_type, None, f"Export CSV de {count} {what}", user=user)


def measures_csv(user: User) -> str:
    columns = [
        Column(_("N° de mesure")),
        Column(_("Programme")),
        Column(_("Référence du ménage"), internal=True),
        Column(_("Organisation")),
        Column(_("Commune du logement")),
        Column(_("Typologie")),
        Column(_("Début de la sous-location")),
        Column(_("Statut")),
        Column(_("Prolongée jusqu'au")),
        Column(_("Fin")),
        Column(_("Motif de fin")),
        Column(_("Loyer")),
        Column(_("Charges")),
        Column(_("Part du ménage")),
    ]
    rows = db.session.execute(
        sa.select(
            Measure.id,
            Programme.name,
            # The reference to the CCAS that runs the measure only (not to its landlord).
            sa.case(
                (Measure.organisation_id.in_(sorted(user.organisation_ids)), Household.reference),
                else_="",
            ),
            Organisation.name,
            Commune.name,
            Unit.typology,
            Measure.start_date,
            Measure.status,
            Measure.extended_until,
            Measure.end_date,
            Measure.end_reason,
            Measure.rent,
            Measure.charges,
            Measure.household_share,
        )
        .join(Programme, Measure.programme_id == Programme.id)
        .join(Household, Measure.household_id == Household.id)
        .join(Organisation, Measure.organisation_id == Organisation.id)
        .join(Unit, Measure.unit_id == Unit.id)
        .join(Commune, Unit.commune_id == Commune.id)
        .where(permissions.visible_measures_clause(user))
        .order_by(Measure.start_date, Measure.id)
    )
    content, count = build_csv(columns, rows, not permissions.reports_are_masked(user))
    audited(user, "measure", count, "mesure(s)")
    return content


def candidacies_csv(user: User) -> str:
    columns = [
        Column(_("N° de candidature")),
        Column(_("Programme")),
        Column(_("Référence du ménage"), internal=True),
        Column(_("N° SI-SIAO"), internal=True),
        Column(_("Organisation")),
        Column(_("Statut")),
        Column(_("Typologie demandée")),
        Column(_("Budget travaillé")),
        Column(_("Soumise le")),
        Column(_("Décidée le")),
        Column(_("Validée le")),
        Column(_("Motif de refus")),
    ]
    rows = db.session.execute(
        sa.select(
            Candidacy.id,
            Programme.name,
            Household.reference,
            Candidacy.siao_number,
            Organisation.name,
            Candidacy.status,
            Candidacy.requested_typology,
            Candidacy.budget_worked,
            Candidacy.submitted_at,
            Candidacy.decided_at,
            Candidacy.validated_at,
            Candidacy.refusal_reason,
        )
        .join(Programme, Candidacy.programme_id == Programme.id)
        .join(Household, Candidacy.household_id == Household.id)
        .join(Organisation, Candidacy.organisation_id == Organisation.id)
        .where(permissions.visible_candidacies_clause(user))
        .order_by(Candidacy.created, Candidacy.id)
    )
    content, count = build_csv(columns, rows, not permissions.reports_are_masked(user))
    audited(user, "candidacy", count, "candidature(s)")
    return content


def decisions_actions_csv(user: User) -> str:
    """One line per follow-up action, and one per decision that gave none."""
    columns = [
        Column(_("Date de la réunion")),
        Column(_("Instance")),
        Column(_("N° de décision")),
        Column(_("Type de décision")),
        Column(_("Situation (référence)"), internal=True),
        Column(_("Décision"), internal=True),
        Column(_("N° d'action")),
        Column(_("Organisation responsable")),
        Column(_("Échéance")),
        Column(_("Statut de l'action")),
        Column(_("Close le")),
        Column(_("Faite dans les délais")),
    ]
    responsible = aliased(Organisation)
    case_household = aliased(Household)
    on_time = sa.null()  # judged below, on the due day in Paris
    result = db.session.execute(
        sa.select(
            Meeting.starts_at,
            Committee.name,
            Decision.id,
            Decision.kind,
            case_household.reference,
            Decision.text,
            FollowUpAction.id,
            responsible.name,
            FollowUpAction.due_on,
            FollowUpAction.status,
            FollowUpAction.closed_at,
            on_time,
        )
        .select_from(FollowUpAction)
        .join(Meeting, FollowUpAction.meeting_id == Meeting.id)
        .join(Committee, Meeting.committee_id == Committee.id)
        .join(responsible, FollowUpAction.organisation_id == responsible.id)
        .outerjoin(Decision, FollowUpAction.decision_id == Decision.id)
        .outerjoin(Case, sa.func.coalesce(Decision.case_id, FollowUpAction.case_id) == Case.id)
        .outerjoin(case_household, Case.household_id == case_household.id)
        .where(permissions.visible_meetings_clause(user))
        .union_all(
            sa.select(
                Meeting.starts_at,
                Committee.name,
                Decision.id,
                Decision.kind,
                case_household.reference,
                Decision.text,
                *(sa.null() for _i in range(6)),
            )
            .select_from(Decision)
            .join(Meeting, Decision.meeting_id == Meeting.id)
            .join(Committee, Meeting.committee_id == Committee.id)
            .outerjoin(Case, Decision.case_id == Case.id)
            .outerjoin(case_household, Case.household_id == case_household.id)
            .where(
                permissions.visible_meetings_clause(user),
                ~Decision.id.in_(
                    sa.select(FollowUpAction.decision_id).where(
                        FollowUpAction.decision_id.isnot(None)
                    )
                ),
            )
        )
        .order_by(sa.text("1"), sa.text("3"), sa.text("7"))
    )
    rows = (
        (*row[:11], done_on_time(row[8], row[10]) if row[9] == ActionStatus.DONE else None)
        for row in result
    )
    content, count = build_csv(columns, rows, not permissions.reports_are_masked(user))
    audited(user, "decision", count, "ligne(s) de décisions et d'actions")
    return content


def offers_csv(user: User) -> str:
    columns = [
        Column(_("N° d'offre")),
        Column(_("Étape")),
        Column(_("Motif de blocage ou de refus")),
        Column(_("Commune")),
        Column(_("Typologie")),
        Column(_("Surface (m²)")),
        Column(_("Loyer hors charges")),
        Column(_("Charges")),
        Column(_("Classe DPE")),
        Column(_("Meublé")),
        Column(_("Dispositif souhaité")),
        Column(_("Reçue le")),
        Column(_("Convention signée le")),
        Column(_("Dernier changement d'étape")),
    ]
    rows = db.session.execute(
        sa.select(
            OwnerOffer.id,
            OwnerOffer.status,
            OwnerOffer.reason,
            Commune.name,
            OwnerOffer.typology,
            OwnerOffer.surface,
            OwnerOffer.rent,
            OwnerOffer.charges,
            OwnerOffer.dpe_class,
            OwnerOffer.furnished,
            OwnerOffer.preferred_scheme,
            OwnerOffer.submitted_at,
            OwnerOffer.agreement_signed_at,
            OwnerOffer.status_changed_at,
        )
        .outerjoin(Commune, OwnerOffer.commune_id == Commune.id)
        .where(permissions.visible_offers_clause(user), OwnerOffer.submitted_at.isnot(None))
        .order_by(OwnerOffer.submitted_at, OwnerOffer.id)
    )
    content, count = build_csv(columns, rows, not permissions.reports_are_masked(user))
    audited(user, "landlord_offer", count, "offre(s)")
    return content


def activity_csv_text(shown) -> str:
    """The activity report's counts as the reader gets them (disclosure.Shown): one line per
    count, « s » when withheld, and for a total the counts it is the sum of."""
    sums: dict[str, list[str]] = {}
    for relation in shown.grid.sums:
        sums.setdefault(relation.total, []).append(" + ".join(relation.parts))
    lines = [
        [cell, shown.text(cell).replace("\u202f", ""), " ; ".join(sums.get(cell, ()))]
        for cell in (*shown.grid.values, *shown.grid.aliases)
    ]
    return csv_text([_("Indicateur"), _("Nombre"), _("Somme de")], lines)
