"""The dashboard's blocks. Each answers what its reader can act on, counted, oldest first,
through the same predicates and SQL clauses as the pages it links to; the view picks the
blocks the reader's organisations call for (``blocks_for``)."""

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.orm import raiseload, selectinload

from portal import permissions
from portal.actions.services import open_actions_for, responsible_clause
from portal.case_content import action_views
from portal.committees.services import committees_of
from portal.extensions import db
from portal.local_time import PARIS
from portal.measures.services import ALERT_DAYS, bilan_alerts
from portal.models import (
    ActionStatus,
    AuditAction,
    AuditEvent,
    Bilan,
    Candidacy,
    CandidacyStatus,
    Case,
    CaseStatus,
    FollowUpAction,
    Invitation,
    InvitationResponse,
    Measure,
    Meeting,
    MeetingInvitee,
    MeetingKind,
    MeetingStatus,
    Membership,
    OfferStatus,
    OrganisationKind,
    OwnerOffer,
    Programme,
    RentRecord,
    Unit,
    UnitStatus,
    User,
    now_utc,
)
from portal.outbox.services import count_undelivered
from portal.units.services import OPEN_MEASURE_STATUSES, programme_figures

SHOWN = 5  # items listed per block; the count says how many there are


@dataclass
class Listing:
    """How many there are, and the first few (oldest or most urgent first)."""

    count: int
    items: list = field(default_factory=list)


def listing(query: sa.Select, limit: int = SHOWN) -> Listing:
    """One query: the first rows, each carrying the total (a count over the whole result,
    taken before the limit)."""
    rows = db.session.execute(query.add_columns(sa.func.count().over()).limit(limit)).all()
    return Listing(rows[0][-1] if rows else 0, [row[0] for row in rows])


@dataclass
class Block:
    template: str
    data: object = None
    # What the block shows of households (case-bound views): the page logs these reads.
    reads: list = field(default_factory=list)


def household_reads(blocks: list[Block]) -> list:
    return [view for block in blocks for view in block.reads]


def previous_visit(user: User) -> datetime | None:
    """When the person signed in before this session: « new since your last visit »."""
    return db.session.scalar(
        sa.select(AuditEvent.created)
        .where(AuditEvent.user_id == user.id, AuditEvent.action == AuditAction.LOGIN)
        .order_by(AuditEvent.created.desc())
        .offset(1)
        .limit(1)
    )


# Everyone's --------------------------------------------------------------------------------


def my_actions(user: User) -> Listing:
    """The open actions, as « Mes actions » shows them to this reader (a household's name
    masked where the reader may not read its case); the page logs their reading."""
    count = db.session.scalar(
        sa.select(sa.func.count(FollowUpAction.id)).where(
            FollowUpAction.status == ActionStatus.OPEN, responsible_clause(user)
        )
    )
    views = action_views(user, open_actions_for(user, limit=SHOWN)) if count else []
    return Listing(count or 0, views)


def next_meetings(user: User) -> list[Meeting]:
    return list(
        db.session.scalars(
            sa.select(Meeting)
            .where(
                permissions.visible_meetings_clause(user),
                Meeting.status == MeetingStatus.PLANNED,
                Meeting.starts_at >= now_utc(),
            )
            .order_by(Meeting.starts_at)
            .limit(3)
        )
    )


def awaiting_answer(user: User) -> Listing:
    """Invitations to coming meetings the person has not answered, the soonest first."""
    return listing(
        sa.select(Meeting)
        .join(MeetingInvitee, MeetingInvitee.meeting_id == Meeting.id)
        .where(
            MeetingInvitee.user_id == user.id,
            MeetingInvitee.response == InvitationResponse.PENDING,
            Meeting.status == MeetingStatus.PLANNED,
            Meeting.starts_at >= now_utc(),
        )
        .order_by(Meeting.starts_at)
    )


def shared_with_you(user: User) -> Listing:
    """Open cases of other organisations the reader may open, the longest waiting first."""
    return listing(
        sa.select(Case)
        .where(
            permissions.visible_cases_clause(user),
            Case.status != CaseStatus.CLOSED,
            Case.organisation_id.not_in(sorted(user.organisation_ids)),
        )
        .order_by(sa.func.coalesce(Case.submitted_at, Case.created), Case.id)
        # The block names the case, its household's reference and its organisation: not its
        # participants, which the mapping loads by default.
        .options(raiseload(Case.participants))
    )


@dataclass
class OwnCases:
    counts: dict  # CaseStatus → number
    organisation_ids: list[int]


def own_cases(user: User) -> OwnCases:
    ids = [o.id for o in permissions.case_poster_organisations(user)]
    counts = dict(
        db.session.execute(
            sa.select(Case.status, sa.func.count(Case.id))
            .where(Case.organisation_id.in_(ids), Case.status != CaseStatus.CLOSED)
            .group_by(Case.status)
        ).all()
    )
    return OwnCases(counts, ids)


# SIAO --------------------------------------------------------------------------------------


@dataclass
class Waiting:
    candidacy: Candidacy
    days: int


def to_review(user: User) -> Listing:
    """« À instruire »: candidacies submitted to the person's SIAO, the longest waiting first."""
    siao_ids = [o.id for o in user.organisations if o.kind == OrganisationKind.SIAO]
    found = listing(
        sa.select(Candidacy)
        .where(Candidacy.siao_id.in_(siao_ids), Candidacy.status == CandidacyStatus.SUBMITTED)
        .order_by(Candidacy.submitted_at, Candidacy.id)
    )
    today = datetime.now(PARIS).date()
    found.items = [
        Waiting(c, (today - c.submitted_at.astimezone(PARIS).date()).days if c.submitted_at else 0)
        for c in found.items
    ]
    return found


def next_commission(user: User) -> Meeting | None:
    return db.session.scalar(
        sa.select(Meeting)
        .where(
            permissions.visible_meetings_clause(user),
            Meeting.kind == MeetingKind.COMMISSION_SIAO,
            Meeting.status == MeetingStatus.PLANNED,
            Meeting.starts_at >= now_utc(),
        )
        .order_by(Meeting.starts_at)
        .limit(1)
    )


@dataclass
class ProgrammeLine:
    figures: object  # units.services.ProgrammeFigures
    longest_wait_days: int | None  # of the first household on the waiting list


def programmes(user: User) -> list[ProgrammeLine]:
    """Occupancy and waiting list of the programmes of the reader's territories."""
    territory_ids = sorted({o.territory_id for o in user.organisations})
    found = db.session.scalars(
        sa.select(Programme)
        .where(Programme.territory_id.in_(territory_ids), Programme.active)
        .order_by(Programme.name)
    ).all()
    today = datetime.now(PARIS).date()
    lines = []
    for figures in programme_figures(list(found)):
        first = figures.waiting[0] if figures.waiting else None
        days = None
        if first is not None and first.validated_at is not None:
            days = (today - first.validated_at.astimezone(PARIS).date()).days
        lines.append(ProgrammeLine(figures, days))
    return lines


# State service -----------------------------------------------------------------------------


@dataclass
class FichesReceived:
    count: int
    new: int
    since: datetime | None
    items: list


def fiches_received(user: User) -> FichesReceived:
    """Fiche-bilans of the State service's territories: this year's, and the new ones since
    the last visit (the oldest of them first)."""
    territory_ids = [o.territory_id for o in user.organisations if o.kind == OrganisationKind.ETAT]
    done = (
        sa.select(Bilan)
        .join(Measure, Measure.id == Bilan.measure_id)
        .join(Programme, Programme.id == Measure.programme_id)
        .where(Programme.territory_id.in_(territory_ids), Bilan.held_on.is_not(None))
    )
    this_year = date(datetime.now(PARIS).year, 1, 1)
    count = db.session.scalar(
        sa.select(sa.func.count()).select_from(done.where(Bilan.held_on >= this_year).subquery())
    )
    since = previous_visit(user)
    new = done.where(Bilan.held_on >= since.astimezone(PARIS).date()) if since else done
    new_listing = listing(new.order_by(Bilan.held_on, Bilan.id))
    return FichesReceived(count or 0, new_listing.count, since, new_listing.items)


# Social landlords --------------------------------------------------------------------------


@dataclass
class SocialLandlordView:
    measures: Listing
    bilans: Listing
    arrears: list  # (measure, amount), the largest first
    arrears_total: Decimal
    units_waiting: Listing


def social_landlord_view(user: User) -> SocialLandlordView:
    """What a social landlord follows in its own units: nothing about the households (each
    measure is named as its page names it to them: « Mesure n° 12 »)."""
    own = sorted(permissions.social_landlord_ids(user))
    in_own_units = Measure.unit_id.in_(sa.select(Unit.id).where(Unit.social_landlord_id.in_(own)))
    measures = listing(
        sa.select(Measure)
        .where(in_own_units, Measure.status.in_(OPEN_MEASURE_STATUSES))
        .order_by(Measure.start_date, Measure.id)
    )
    soon = datetime.now(PARIS).date() + timedelta(days=ALERT_DAYS)
    bilans = listing(
        sa.select(Bilan)
        .join(Measure, Measure.id == Bilan.measure_id)
        .where(
            in_own_units,
            Measure.status.in_(OPEN_MEASURE_STATUSES),
            Bilan.held_on.is_(None),
            Bilan.due_date <= soon,
        )
        .order_by(Bilan.due_date, Bilan.id)
        .options(selectinload(Bilan.measure))
    )
    owed = sa.func.sum(RentRecord.amount_due - RentRecord.amount_paid)
    rows = db.session.execute(
        sa.select(Measure, owed)
        .join(RentRecord, RentRecord.measure_id == Measure.id)
        .where(in_own_units, Measure.status.in_(OPEN_MEASURE_STATUSES))
        .group_by(Measure.id)
        .having(owed > 0)
        .order_by(owed.desc())
    ).all()
    units_waiting = listing(
        sa.select(Unit)
        .where(Unit.social_landlord_id.in_(own), Unit.status == UnitStatus.AVAILABLE)
        .order_by(sa.func.coalesce(Unit.available_from, date.max), Unit.id)
    )
    return SocialLandlordView(
        measures,
        bilans,
        [(m, amount) for m, amount in rows[:SHOWN]],
        sum((amount for _m, amount in rows), Decimal("0")),
        units_waiting,
    )


# CCAS --------------------------------------------------------------------------------------

OFFERS_TO_HANDLE = (
    OfferStatus.NEW,
    OfferStatus.FIRST_CONTACT,
    OfferStatus.VISIT_PLANNED,
    OfferStatus.VISITED,
    OfferStatus.FINANCIAL_PROPOSAL,
    OfferStatus.AGREEMENT_SIGNED,
)


def offers_to_handle(user: User) -> Listing:
    """Private owners' offers waiting for the CCAS: those given to the reader and those
    given to nobody yet, the oldest first."""
    return listing(
        sa.select(OwnerOffer)
        .where(
            OwnerOffer.status.in_(OFFERS_TO_HANDLE),
            sa.or_(OwnerOffer.assigned_to_id == user.id, OwnerOffer.assigned_to_id.is_(None)),
        )
        .order_by(OwnerOffer.created, OwnerOffer.id)
    )


@dataclass
class Administration:
    member_counts: dict
    pending_invitations: int
    undelivered_emails: int
    is_coordinator: bool


def administration(user: User) -> Administration:
    admin_ids = sorted(user.admin_organisation_ids)
    member_counts, pending = {}, 0
    if admin_ids:
        member_counts = dict(
            db.session.execute(
                sa.select(Membership.organisation_id, sa.func.count(Membership.id))
                .where(Membership.organisation_id.in_(admin_ids), Membership.active)
                .group_by(Membership.organisation_id)
            ).all()
        )
        pending = db.session.execute(
            sa.select(sa.func.count(Invitation.id)).where(
                Invitation.organisation_id.in_(admin_ids),
                Invitation.accepted_at.is_(None),
                Invitation.revoked_at.is_(None),
                Invitation.expires_at > now_utc(),
            )
        ).scalar_one()
    coordinator = permissions.is_coordinator(user)
    return Administration(
        member_counts, pending or 0, count_undelivered() if coordinator else 0, coordinator
    )


# Which blocks, for whom --------------------------------------------------------------------


def blocks_for(user: User) -> list[Block]:
    """The blocks of a staff member's dashboard, the most pressing kind of work first."""
    kinds = {o.kind for o in user.organisations}
    blocks = []
    if OrganisationKind.SIAO in kinds:
        blocks.append(Block("dashboard/_to_review.html", to_review(user)))
        blocks.append(Block("dashboard/_next_commission.html", next_commission(user)))
    if OrganisationKind.ETAT in kinds:
        blocks.append(Block("dashboard/_fiches.html", fiches_received(user)))
    if permissions.social_landlord_ids(user):
        blocks.append(Block("dashboard/_social_landlord.html", social_landlord_view(user)))
    answers = awaiting_answer(user)
    if answers.count:
        blocks.append(Block("dashboard/_awaiting_answer.html", answers))
    actions = my_actions(user)
    blocks.append(Block("dashboard/_actions.html", actions, reads=actions.items))
    if permissions.can_open_measures(user):
        blocks.append(
            Block(
                "dashboard/_bilans.html",
                {"alerts": bilan_alerts(user), "days": ALERT_DAYS, "today": date.today()},
            )
        )
    if permissions.can_manage_offers(user):
        blocks.append(Block("dashboard/_offers.html", offers_to_handle(user)))
    blocks.append(Block("dashboard/_meetings.html", next_meetings(user)))
    shared = shared_with_you(user)
    if shared.count or not permissions.works_for_ccas(user):
        blocks.append(Block("dashboard/_shared.html", shared))
    if permissions.can_post_cases(user):
        blocks.append(Block("dashboard/_own_cases.html", own_cases(user)))
    if permissions.can_view_programmes(user) and not permissions.works_for_ccas(user):
        blocks.append(Block("dashboard/_programmes.html", programmes(user)))
    if OrganisationKind.ETAT in kinds and permissions.can_view_reports(user):
        blocks.append(Block("dashboard/_report.html", datetime.now(PARIS).year))
    blocks.append(Block("dashboard/_committees.html", committees_of(user.organisation_ids)))
    if user.admin_organisation_ids or permissions.is_coordinator(user):
        blocks.append(Block("dashboard/_administration.html", administration(user)))
    return blocks
