"""Programmes and units. Functions flush; the view commits.

A unit moves ``available → offered → let → returned``. Only the manual steps are here:
opening and ending a measure sets ``let`` (and leaves it) from the measures' services.
"""

from dataclasses import dataclass

import sqlalchemy as sa

from portal.audit import record_event
from portal.extensions import db
from portal.i18n import _, _l
from portal.models import (
    Accommodation,
    AuditAction,
    Candidacy,
    CandidacyStatus,
    Commune,
    Measure,
    MeasureStatus,
    Programme,
    Territory,
    Unit,
    UnitStatus,
    User,
)
from portal.models.housing import ProgrammeSituation
from portal.workflow import Transition, WorkflowError, available, lookup, transition_table

# Programmes --------------------------------------------------------------------------------


def create_programme(territory: Territory, actor: User, data: dict) -> Programme:
    if programme_name_taken(territory.id, data["name"]):
        raise WorkflowError(_("Un programme porte déjà ce nom sur ce territoire."))
    programme = Programme(territory=territory)
    apply_programme(programme, data)
    db.session.add(programme)
    db.session.flush()
    record_event(
        AuditAction.CREATE, "programme", programme.id, f"Programme {programme.name}", user=actor
    )
    return programme


def update_programme(programme: Programme, actor: User, data: dict) -> None:
    if programme_name_taken(programme.territory_id, data["name"], programme.id):
        raise WorkflowError(_("Un programme porte déjà ce nom sur ce territoire."))
    apply_programme(programme, data)
    db.session.flush()
    record_event(
        AuditAction.CHANGE, "programme", programme.id, f"Programme {programme.name}", user=actor
    )


def apply_programme(programme: Programme, data: dict) -> None:
    programme.name = data["name"]
    programme.description = data.get("description") or ""
    programme.capacity = data["capacity"]
    programme.active = bool(data.get("active"))
    programme.requires_dalo = bool(data.get("requires_dalo"))
    wanted = [Accommodation(code) for code in data.get("situation_codes") or []]
    programme.situations = [
        next((s for s in programme.situations if s.accommodation == code), None)
        or ProgrammeSituation(accommodation=code)
        for code in dict.fromkeys(wanted)
    ]


def programme_name_taken(territory_id: int, name: str, except_id: int | None = None) -> bool:
    query = sa.select(Programme.id).where(
        Programme.territory_id == territory_id, sa.func.lower(Programme.name) == name.lower()
    )
    if except_id is not None:
        query = query.where(Programme.id != except_id)
    return db.session.scalar(query) is not None


OPEN_MEASURE_STATUSES = (MeasureStatus.ACTIVE, MeasureStatus.EXTENDED)


@dataclass(frozen=True)
class ProgrammeFigures:
    """A programme's dashboard line: no identity, pseudonymous references only."""

    programme: Programme
    open_measures: int
    waiting: list[Candidacy]
    units_available: int

    @property
    def places_left(self) -> int:
        return max(self.programme.capacity - self.open_measures, 0)

    @property
    def is_full(self) -> bool:
        return self.open_measures >= self.programme.capacity


def programme_figures(programmes: list[Programme]) -> list[ProgrammeFigures]:
    """Occupancy, waiting list and free units of each programme, in a few queries."""
    ids = [p.id for p in programmes]
    if not ids:
        return []
    open_measures = dict(
        db.session.execute(
            sa.select(Measure.programme_id, sa.func.count())
            .where(Measure.programme_id.in_(ids), Measure.status.in_(OPEN_MEASURE_STATUSES))
            .group_by(Measure.programme_id)
        ).all()
    )
    waiting: dict[int, list[Candidacy]] = {i: [] for i in ids}
    for candidacy in db.session.scalars(
        sa.select(Candidacy)
        .where(
            Candidacy.programme_id.in_(ids),
            Candidacy.status == CandidacyStatus.VALIDATED,
        )
        .order_by(Candidacy.validated_at, Candidacy.id)
    ):
        waiting[candidacy.programme_id].append(candidacy)
    territory_ids = {p.territory_id for p in programmes}
    available = dict(
        db.session.execute(
            sa.select(Commune.territory_id, sa.func.count())
            .join(Unit, Unit.commune_id == Commune.id)
            .where(Commune.territory_id.in_(territory_ids), Unit.status == UnitStatus.AVAILABLE)
            .group_by(Commune.territory_id)
        ).all()
    )
    return [
        ProgrammeFigures(
            programme=p,
            open_measures=open_measures.get(p.id, 0),
            waiting=waiting[p.id],
            units_available=available.get(p.territory_id, 0),
        )
        for p in programmes
    ]


# Units -------------------------------------------------------------------------------------

UNIT_FIELDS = (
    "address",
    "typology",
    "surface",
    "rooms",
    "floor",
    "lift",
    "accessible",
    "rent",
    "charges",
    "dpe_class",
    "available_from",
    "notes",
)


def apply_unit(unit: Unit, data: dict) -> None:
    for name in UNIT_FIELDS:
        setattr(unit, name, data[name])
    unit.commune_id = data["commune_id"]


def create_unit(actor: User, data: dict, *, social_landlord_id: int) -> Unit:
    """A unit a social landlord makes available to the CCAS under its convention."""
    unit = Unit(
        social_landlord_id=social_landlord_id,
        created_by=actor,
        status=UnitStatus.AVAILABLE,
    )
    apply_unit(unit, data)
    db.session.add(unit)
    db.session.flush()
    record_event(AuditAction.CREATE, "unit", unit.id, f"Logement {unit.address}", user=actor)
    return unit


def update_unit(unit: Unit, actor: User, data: dict) -> None:
    apply_unit(unit, data)
    db.session.flush()
    record_event(AuditAction.CHANGE, "unit", unit.id, f"Logement {unit.address}", user=actor)


# ``let`` is entered and left by the measures only, never by hand.
UNIT_TRANSITIONS = transition_table(
    Transition("offer", _l("Proposer à un ménage"), (UnitStatus.AVAILABLE,), UnitStatus.OFFERED),
    Transition(
        "withdraw_offer",
        _l("Annuler la proposition"),
        (UnitStatus.OFFERED,),
        UnitStatus.AVAILABLE,
    ),
    Transition(
        "give_back",
        _l("Rendre au propriétaire"),
        (UnitStatus.AVAILABLE,),
        UnitStatus.RETURNED,
    ),
    Transition(
        "make_available",
        _l("Remettre à disposition"),
        (UnitStatus.RETURNED,),
        UnitStatus.AVAILABLE,
    ),
)


def available_unit_transitions(unit: Unit) -> list[Transition[UnitStatus]]:
    return available(UNIT_TRANSITIONS, unit.status)


def change_unit_status(unit: Unit, transition_name: str, actor: User) -> None:
    """Move a unit by hand; anything not in the table is refused and changes nothing."""
    transition = lookup(UNIT_TRANSITIONS, transition_name, unit.status)
    if transition is None:
        raise WorkflowError(
            _(
                "Cette action n'est pas possible pour un logement « %(status)s ».",
                status=unit.status.label,
            )
        )
    previous = unit.status
    unit.status = transition.target
    db.session.flush()
    record_event(
        AuditAction.CHANGE,
        "unit",
        unit.id,
        f"Logement {unit.address} : {previous.label} → {unit.status.label}",
        user=actor,
    )
