"""Committees (comité technique, comité de pilotage, commission SIAO)."""

import sqlalchemy as sa

from portal.audit import record_event
from portal.extensions import db
from portal.models import (
    AuditAction,
    Committee,
    CommitteeKind,
    Organisation,
    committee_organisation,
)


def save_committee(committee: Committee | None, data: dict) -> Committee:
    creating = committee is None
    if committee is None:
        committee = Committee()
        db.session.add(committee)
    committee.name = data["name"]
    committee.kind = CommitteeKind(data["kind"])
    committee.territory_id = data["territory_id"]
    committee.description = data.get("description") or ""
    committee.active = bool(data.get("active", True))
    committee.secretariat_id = data.get("secretariat_id") or None
    committee.organisations = list(
        db.session.scalars(
            sa.select(Organisation).where(Organisation.id.in_(data.get("organisation_ids") or []))
        )
    )
    db.session.flush()
    record_event(
        AuditAction.CREATE if creating else AuditAction.CHANGE,
        "committee",
        committee.id,
        f"Instance {'créée' if creating else 'modifiée'} : {committee.name} "
        f"({len(committee.organisations)} organisations)",
    )
    return committee


def committees_of(organisation_ids, *, active_only: bool = True) -> list[Committee]:
    """The committees on which any of these organisations sits."""
    query = sa.select(Committee).where(
        Committee.id.in_(
            sa.select(committee_organisation.c.committee_id).where(
                committee_organisation.c.organisation_id.in_(list(organisation_ids))
            )
        )
    )
    if active_only:
        query = query.where(Committee.active)
    return list(db.session.scalars(query.order_by(Committee.name)))
