"""Who may do what: pure predicates, shared by views, queries and templates.

Each function takes the acting user (possibly anonymous) and the object, reads only
what is already loaded, and returns a bool. Where lists are filtered in SQL, the SQL twin
of a predicate sits right beside it. Admin rights never imply reading household data.
"""

import enum
from typing import TypeAlias

import sqlalchemy as sa
from flask_login import AnonymousUserMixin

from portal.i18n import _l
from portal.models import (
    AccessLevel,
    AgendaItem,
    Bilan,
    Candidacy,
    CandidacyStatus,
    Case,
    CaseEvent,
    CaseNote,
    CaseParticipant,
    CaseStatus,
    Committee,
    CommitteeKind,
    CoOrganiser,
    Decision,
    FollowUpAction,
    Household,
    Measure,
    Meeting,
    MeetingInvitee,
    Minutes,
    MinutesStatus,
    Organisation,
    OrganisationKind,
    OwnerOffer,
    Unit,
    User,
    committee_organisation,
    now_utc,
)

Actor: TypeAlias = User | AnonymousUserMixin


def is_staff(user: Actor) -> bool:
    """A signed-in member of at least one partner organisation."""
    return user.is_authenticated and not user.is_private_owner and bool(user.active_memberships)


def is_private_owner(user: Actor) -> bool:
    return user.is_authenticated and user.is_private_owner


def is_coordinator(user: Actor) -> bool:
    """The coordinator role only counts while its holder works for a CCAS."""
    return is_staff(user) and user.is_coordinator and user.belongs_to_kind(OrganisationKind.CCAS)


# Who posts households' cases: the organisations that support households (DESIGN.md §1).
# The SIAO decides, the State funds, social landlords house: none of them owns a file.
CASE_POSTER_KINDS = (
    OrganisationKind.CCAS,
    OrganisationKind.MISSION_LOCALE,
    OrganisationKind.DEPARTEMENT,
    OrganisationKind.ASSOCIATION,
    OrganisationKind.AGGLOMERATION,
)


def case_poster_organisations(user: Actor) -> list[Organisation]:
    """The organisations a person may open household files for, in membership order."""
    if not is_staff(user):
        return []
    return [
        m.organisation for m in user.active_memberships if m.organisation.kind in CASE_POSTER_KINDS
    ]


def can_post_cases(user: Actor) -> bool:
    return bool(case_poster_organisations(user))


def is_org_admin(user: Actor, organisation: Organisation) -> bool:
    return is_staff(user) and organisation.id in user.admin_organisation_ids


def is_org_member(user: Actor, organisation: Organisation) -> bool:
    return is_staff(user) and organisation.id in user.organisation_ids


def can_manage_organisations(user: Actor) -> bool:
    return is_coordinator(user)


def can_manage_committees(user: Actor) -> bool:
    return is_coordinator(user)


def can_view_organisation(user: Actor, organisation: Organisation) -> bool:
    """Partners may see who the other partners are; landlords and visitors may not."""
    return is_staff(user)


def can_manage_members(user: Actor, organisation: Organisation) -> bool:
    """Invite, reactivate, change roles: the organisation's admins. The coordinator only
    while the organisation has no active admin, to invite its first one: its powers stop
    at each organisation's door."""
    if is_org_admin(user, organisation):
        return True
    return is_coordinator(user) and not organisation.has_active_admin


def can_change_membership(user: Actor, organisation: Organisation, member: User) -> bool:
    """Nobody demotes or deactivates themselves: an organisation never loses its last admin
    by a slip of the mouse."""
    return can_manage_members(user, organisation) and member.id != user.id


def can_deactivate_member(user: Actor, organisation: Organisation, member: User) -> bool:
    """Its admins; the coordinator too, as an emergency measure (audited, the admins are
    told). Never oneself."""
    if member.id == user.id:
        return False
    return is_org_admin(user, organisation) or is_coordinator(user)


def can_reset_second_factor(user: Actor, person: User) -> bool:
    """The coordinator, for someone else (a lost phone)."""
    return is_coordinator(user) and person.id != user.id


def can_view_committee(user: Actor, committee: Committee) -> bool:
    if is_coordinator(user):
        return True
    return is_staff(user) and any(o.id in user.organisation_ids for o in committee.organisations)


# Households and complex cases ------------------------------------------------------------


class CaseAccess(enum.IntEnum):
    """How much of a case a person sees, from nothing to everything."""

    NONE = 0
    COMMITTEE = 1  # member of the committee: the pseudonymised situation and the question
    SITUATION = 2  # participant at level "situation": plus the discussion
    FULL = 3  # participant at level "full": plus identity and attachments
    OWNER = 4  # the organisation that posted it

    @property
    def label(self) -> str:
        return str(CASE_ACCESS_LABELS[self])


CASE_ACCESS_LABELS = {
    CaseAccess.NONE: _l("Aucun accès"),
    CaseAccess.COMMITTEE: _l("Membre de l'instance : situation pseudonymisée"),
    CaseAccess.SITUATION: _l("Partenaire : situation et discussion"),
    CaseAccess.FULL: _l("Partenaire : accès complet, identité comprise"),
    CaseAccess.OWNER: _l("Votre organisation"),
}


# While a case is before the committee, its member organisations may prepare it.
COMMITTEE_VISIBLE_STATUSES = (CaseStatus.SUBMITTED, CaseStatus.ON_AGENDA, CaseStatus.DECIDED)


def owns_household(user: Actor, household: Household) -> bool:
    return is_staff(user) and household.organisation_id in user.organisation_ids


def can_manage_household_privacy(user: Actor, household: Household) -> bool:
    """The owning organisation's admins read the access log and export the file."""
    return is_staff(user) and household.organisation_id in user.admin_organisation_ids


def case_access(user: Actor, case: Case) -> CaseAccess:
    if not is_staff(user):
        return CaseAccess.NONE
    organisation_ids = user.organisation_ids
    if case.organisation_id in organisation_ids:
        return CaseAccess.OWNER
    levels = [p.level for p in case.participants if p.organisation_id in organisation_ids]
    if AccessLevel.FULL in levels:
        return CaseAccess.FULL
    if levels:
        return CaseAccess.SITUATION
    if case.status in COMMITTEE_VISIBLE_STATUSES and any(
        o.id in organisation_ids for o in case.committee.organisations
    ):
        return CaseAccess.COMMITTEE
    return CaseAccess.NONE


def can_view_case(user: Actor, case: Case) -> bool:
    return case_access(user, case) > CaseAccess.NONE


def can_view_discussion(user: Actor, case: Case) -> bool:
    return case_access(user, case) >= CaseAccess.SITUATION


def can_view_identity(user: Actor, case: Case) -> bool:
    return case_access(user, case) >= CaseAccess.FULL


def can_view_attachments(user: Actor, case: Case) -> bool:
    """Documents usually name the household: full access only."""
    return case_access(user, case) >= CaseAccess.FULL


def can_post_note(user: Actor, case: Case) -> bool:
    return case.status != CaseStatus.CLOSED and can_view_discussion(user, case)


def can_add_attachment(user: Actor, case: Case) -> bool:
    return case.status != CaseStatus.CLOSED and can_view_attachments(user, case)


def can_manage_case(user: Actor, case: Case) -> bool:
    """Edit, share, move through statuses, remove files: the posting organisation."""
    return case_access(user, case) == CaseAccess.OWNER


def readable_notes_clause(user: Actor) -> sa.ColumnElement[bool]:
    """The case notes a reader may read: an internal note stays inside the organisation
    that wrote it."""
    own = sorted(user.organisation_ids) if is_staff(user) else []
    return sa.or_(CaseNote.internal.is_(False), CaseNote.organisation_id.in_(own))


def readable_case_events_clause(user: Actor) -> sa.ColumnElement[bool]:
    """The timeline events a reader may read: those about internal notes follow their notes."""
    own = sorted(user.organisation_ids) if is_staff(user) else []
    return sa.or_(CaseEvent.internal.is_(False), CaseEvent.organisation_id.in_(own))


def organisation_notes_clause(organisation_id: int) -> sa.ColumnElement[bool]:
    """What one organisation's people may read of a case's notes: the right-of-access export
    reads as the household's owning organisation, never another one's internal notes."""
    return sa.or_(CaseNote.internal.is_(False), CaseNote.organisation_id == organisation_id)


def organisation_case_events_clause(organisation_id: int) -> sa.ColumnElement[bool]:
    """Timeline events about internal notes follow their notes."""
    return sa.or_(CaseEvent.internal.is_(False), CaseEvent.organisation_id == organisation_id)


def visible_cases_clause(user: Actor) -> sa.ColumnElement[bool]:
    """The SQL twin of ``can_view_case``, for lists and searches."""
    if not is_staff(user):
        return sa.false()
    organisation_ids = list(user.organisation_ids)
    return sa.or_(
        Case.organisation_id.in_(organisation_ids),
        Case.id.in_(
            sa.select(CaseParticipant.case_id).where(
                CaseParticipant.organisation_id.in_(organisation_ids)
            )
        ),
        sa.and_(
            Case.status.in_(COMMITTEE_VISIBLE_STATUSES),
            Case.committee_id.in_(
                sa.select(committee_organisation.c.committee_id).where(
                    committee_organisation.c.organisation_id.in_(organisation_ids)
                )
            ),
        ),
    )


# Meetings, minutes, decisions and actions --------------------------------------------------
#
# A meeting is run by its organisers: the person who scheduled it, the co-organisers named
# for it, and the committee's secretariat. Each of these roles, like an invitation, comes
# through an organisation and ends with that membership. Being an admin of a member
# organisation gives no right over a meeting.


def acts_for(user: Actor, organisation_id: int | None) -> bool:
    """The person is an active member of that organisation (and the organisation active)."""
    return (
        is_staff(user) and organisation_id is not None and organisation_id in user.organisation_ids
    )


def is_secretariat(user: Actor, committee: Committee) -> bool:
    """The admins of the organisation that holds the committee's secretariat (a committee
    without one is run by the coordinator)."""
    if committee.secretariat_id is None:
        return is_coordinator(user)
    return is_staff(user) and committee.secretariat_id in user.admin_organisation_ids


def can_schedule_meeting(user: Actor, committee: Committee) -> bool:
    """The committee's secretariat schedules its meetings."""
    return committee.active and is_secretariat(user, committee)


def is_meeting_organiser(user: Actor, meeting: Meeting) -> bool:
    """The person who scheduled it, or a co-organiser, while a member of the organisation
    they organise it for."""
    if not is_staff(user):
        return False
    if meeting.organiser_id == user.id and acts_for(user, meeting.organiser_organisation_id):
        return True
    return any(
        c.user_id == user.id and c.organisation_id in user.organisation_ids
        for c in meeting.co_organisers
    )


def can_manage_meeting(user: Actor, meeting: Meeting) -> bool:
    """Edit, cancel, invite, build the agenda, keep the register, write and approve the
    minutes, record and correct decisions and actions."""
    return is_meeting_organiser(user, meeting) or is_secretariat(user, meeting.committee)


def can_name_co_organisers(user: Actor, meeting: Meeting) -> bool:
    """The person who scheduled the meeting, the secretariat or the coordinator."""
    if meeting.is_cancelled or not is_staff(user):
        return False
    scheduler = meeting.organiser_id == user.id and acts_for(
        user, meeting.organiser_organisation_id
    )
    return scheduler or is_secretariat(user, meeting.committee) or is_coordinator(user)


def organiser_ids(meeting: Meeting) -> set[int]:
    """The people named to organise the meeting (the four-eyes rule counts them)."""
    ids = {c.user_id for c in meeting.co_organisers}
    if meeting.organiser_id is not None:
        ids.add(meeting.organiser_id)
    return ids


def invitation_of(user: Actor, meeting: Meeting) -> MeetingInvitee | None:
    """The person's invitation, while they belong to the organisation they represent."""
    if not is_staff(user):
        return None
    invitee = meeting.invitee(user.id)
    if invitee is None or invitee.organisation_id not in user.organisation_ids:
        return None
    return invitee


def is_invited(user: Actor, meeting: Meeting) -> bool:
    return invitation_of(user, meeting) is not None


def can_view_meeting(user: Actor, meeting: Meeting) -> bool:
    """Invitees (answered or not, present or excused), organisers and the secretariat."""
    return is_invited(user, meeting) or can_manage_meeting(user, meeting)


def can_answer_invitation(user: Actor, meeting: Meeting) -> bool:
    return not meeting.is_cancelled and is_invited(user, meeting)


def can_read_minutes(user: Actor, minutes: Minutes) -> bool:
    """Readers of the meeting see submitted or approved minutes; organisers see the draft."""
    if can_manage_meeting(user, minutes.meeting):
        return True
    return minutes.status != MinutesStatus.DRAFT and can_view_meeting(user, minutes.meeting)


def can_approve_minutes(user: Actor, minutes: Minutes) -> bool:
    """Four eyes: with two organisers or more, the last person to edit the text does not
    approve it alone; with one, that organiser approves."""
    if not can_manage_meeting(user, minutes.meeting):
        return False
    if len(organiser_ids(minutes.meeting)) >= 2:
        return minutes.updated_by_id != user.id
    return True


def can_read_item_notes(user: Actor, item: AgendaItem) -> bool:
    """Notes on a case's agenda item belong to its discussion: situation access at least."""
    return item.case is None or can_view_discussion(user, item.case)


def visible_meetings_clause(user: Actor) -> sa.ColumnElement[bool]:
    """The SQL twin of ``can_view_meeting``."""
    if not is_staff(user):
        return sa.false()
    organisation_ids = sorted(user.organisation_ids)
    admin_ids = sorted(user.admin_organisation_ids)
    secretariat: sa.ColumnElement[bool] = Committee.secretariat_id.in_(admin_ids)
    if is_coordinator(user):
        secretariat = sa.or_(secretariat, Committee.secretariat_id.is_(None))
    return sa.or_(
        sa.and_(
            Meeting.organiser_id == user.id,
            Meeting.organiser_organisation_id.in_(organisation_ids),
        ),
        Meeting.id.in_(
            sa.select(CoOrganiser.meeting_id).where(
                CoOrganiser.user_id == user.id,
                CoOrganiser.organisation_id.in_(organisation_ids),
            )
        ),
        Meeting.id.in_(
            sa.select(MeetingInvitee.meeting_id).where(
                MeetingInvitee.user_id == user.id,
                MeetingInvitee.organisation_id.in_(organisation_ids),
            )
        ),
        Meeting.committee_id.in_(sa.select(Committee.id).where(secretariat)),
    )


def has_started(meeting: Meeting) -> bool:
    return meeting.starts_at <= now_utc()


def can_record_decisions(user: Actor, meeting: Meeting) -> bool:
    """Joint decisions and follow-up actions are recorded by the organisers, once the
    meeting has begun (not for a cancelled one)."""
    return can_manage_meeting(user, meeting) and not meeting.is_cancelled and has_started(meeting)


def record_is_open(minutes: Minutes | None) -> bool:
    """Approved minutes freeze the meeting's decisions and actions with their text."""
    return minutes is None or minutes.status != MinutesStatus.APPROVED


def can_correct_decision(user: Actor, decision: Decision, minutes: Minutes | None) -> bool:
    """Those who record the decisions correct them, until the meeting's minutes are approved:
    approved minutes are the committee's record (re-opening them allows corrections again)."""
    return can_record_decisions(user, decision.meeting) and record_is_open(minutes)


def is_action_assignee(user: Actor, action: FollowUpAction) -> bool:
    """A member of the organisation the action was given to (a person named on it counts
    while they belong to that organisation)."""
    return acts_for(user, action.organisation_id)


def can_view_action(user: Actor, action: FollowUpAction) -> bool:
    return is_action_assignee(user, action) or can_view_meeting(user, action.meeting)


def can_update_action(user: Actor, action: FollowUpAction) -> bool:
    """The responsible organisation marks its own action done or adds a note; the
    organisers may too."""
    return is_action_assignee(user, action) or can_manage_meeting(user, action.meeting)


def can_propose_for_agenda(user: Actor, case: Case) -> bool:
    """Only the organisation that follows a case puts it forward (or agrees to it)."""
    return can_manage_case(user, case) and case.status in (
        CaseStatus.SUBMITTED,
        CaseStatus.ON_AGENDA,
    )


# --- Programmes, units and SIAO candidacies ---------------------------------------------------

# The programmes' dashboard holds no identity: the CCAS, the SIAO and the State see it.
PROGRAMME_VIEWER_KINDS = (OrganisationKind.CCAS, OrganisationKind.SIAO, OrganisationKind.ETAT)


def can_manage_programmes(user: Actor) -> bool:
    return is_coordinator(user)


def can_view_programmes(user: Actor) -> bool:
    if is_coordinator(user):
        return True
    return is_staff(user) and any(user.belongs_to_kind(k) for k in PROGRAMME_VIEWER_KINDS)


def works_for_ccas(user: Actor) -> bool:
    return is_staff(user) and user.belongs_to_kind(OrganisationKind.CCAS)


def social_landlord_ids(user: Actor) -> set[int]:
    """The social landlords (bailleurs sociaux) the person works for."""
    if not is_staff(user):
        return set()
    return {
        m.organisation_id
        for m in user.active_memberships
        if m.organisation.kind == OrganisationKind.BAILLEUR_SOCIAL
    }


def can_list_units(user: Actor) -> bool:
    """CCAS staff see every unit; a social landlord's staff see their own."""
    return is_coordinator(user) or works_for_ccas(user) or bool(social_landlord_ids(user))


def can_view_unit(user: Actor, unit: Unit) -> bool:
    if is_coordinator(user) or works_for_ccas(user):
        return True
    return unit.social_landlord_id in social_landlord_ids(user)


def can_manage_unit(user: Actor, unit: Unit) -> bool:
    """Who sees a unit keeps it up to date: its social landlord, or the CCAS."""
    return can_view_unit(user, unit)


def visible_units_clause(user: Actor) -> sa.ColumnElement[bool]:
    """The SQL twin of ``can_view_unit``."""
    if is_coordinator(user) or works_for_ccas(user):
        return sa.true()
    own = sorted(social_landlord_ids(user))
    return Unit.social_landlord_id.in_(own) if own else sa.false()


def can_use_candidacies(user: Actor) -> bool:
    """The CCAS proposes, the SIAO decides: the candidacies' pages are theirs."""
    return works_for_ccas(user) or (is_staff(user) and user.belongs_to_kind(OrganisationKind.SIAO))


def can_propose_candidacy(user: Actor) -> bool:
    """A CCAS social worker proposes the households of their organisation."""
    return works_for_ccas(user)


def owns_candidacy(user: Actor, candidacy: Candidacy) -> bool:
    return is_staff(user) and candidacy.organisation_id in user.organisation_ids


# Statuses a candidacy may have without ever reaching the SIAO.
NEVER_SUBMITTED_STATUSES = (CandidacyStatus.DRAFT, CandidacyStatus.WITHDRAWN)


def reached_siao(candidacy: Candidacy) -> bool:
    """Submitted once at least: a draft, even withdrawn, stays the CCAS's own."""
    return candidacy.submitted_at is not None or candidacy.status not in NEVER_SUBMITTED_STATUSES


def is_siao_officer_for(user: Actor, candidacy: Candidacy) -> bool:
    """A member of the SIAO the candidacy goes to; it knows nothing of a draft."""
    return is_staff(user) and reached_siao(candidacy) and candidacy.siao_id in user.organisation_ids


def can_view_candidacy(user: Actor, candidacy: Candidacy) -> bool:
    return owns_candidacy(user, candidacy) or is_siao_officer_for(user, candidacy)


def can_view_candidacy_identity(user: Actor, candidacy: Candidacy) -> bool:
    """The SIAO needs names and birth dates to match its own file (SI-SIAO), as long as
    the household's latest information record lets its identity leave the CCAS."""
    return owns_candidacy(user, candidacy) or (
        is_siao_officer_for(user, candidacy) and candidacy.household.allows_identity_sharing
    )


def can_manage_candidacy(user: Actor, candidacy: Candidacy) -> bool:
    """Submit, answer, withdraw: the proposing organisation."""
    return owns_candidacy(user, candidacy)


def can_edit_candidacy(user: Actor, candidacy: Candidacy) -> bool:
    return owns_candidacy(user, candidacy) and candidacy.status in (
        CandidacyStatus.DRAFT,
        CandidacyStatus.MORE_INFO_REQUESTED,
    )


def can_decide_candidacy(user: Actor, candidacy: Candidacy) -> bool:
    """Only the SIAO decides; the workflow says when (a submitted candidacy)."""
    return is_siao_officer_for(user, candidacy)


def visible_candidacies_clause(user: Actor) -> sa.ColumnElement[bool]:
    """The SQL twin of ``can_view_candidacy``."""
    if not is_staff(user):
        return sa.false()
    organisation_ids = sorted(user.organisation_ids)
    return sa.or_(
        Candidacy.organisation_id.in_(organisation_ids),
        sa.and_(
            Candidacy.siao_id.in_(organisation_ids),
            sa.or_(
                Candidacy.submitted_at.is_not(None),
                Candidacy.status.not_in(NEVER_SUBMITTED_STATUSES),
            ),
        ),
    )


# --- IML measures, bilans and rent records ----------------------------------------------------


def measure_owner(user: Actor, measure: Measure) -> bool:
    """A member of the CCAS that runs the measure (it is the tenant and sublets)."""
    return is_staff(user) and measure.organisation_id in user.organisation_ids


def is_measure_social_landlord(user: Actor, measure: Measure) -> bool:
    """A member of the social landlord that owns the measure's unit."""
    return (
        is_staff(user)
        and measure.unit.social_landlord_id is not None
        and measure.unit.social_landlord_id in user.organisation_ids
    )


def can_open_measures(user: Actor) -> bool:
    """CCAS staff open measures for the validated candidacies of their organisation."""
    return is_staff(user) and user.belongs_to_kind(OrganisationKind.CCAS)


def can_list_measures(user: Actor) -> bool:
    """The measures list: CCAS staff (their measures) and social landlords (their units)."""
    return can_open_measures(user) or (
        is_staff(user) and user.belongs_to_kind(OrganisationKind.BAILLEUR_SOCIAL)
    )


def can_open_measure_for(user: Actor, candidacy: Candidacy) -> bool:
    return (
        can_open_measures(user)
        and candidacy.organisation_id in user.organisation_ids
        and candidacy.organisation.kind == OrganisationKind.CCAS
    )


def can_view_measure(user: Actor, measure: Measure) -> bool:
    """The owning CCAS, and (a reduced view without identity) the unit's social landlord;
    for anyone else the measure does not exist."""
    return measure_owner(user, measure) or is_measure_social_landlord(user, measure)


def can_view_measure_household(user: Actor, measure: Measure) -> bool:
    """The household's reference, situation, referent and bilan summaries: the owner only.
    The landlord sees the unit, the dates, the rent record and the bilans' outcomes."""
    return measure_owner(user, measure)


def can_manage_measure(user: Actor, measure: Measure) -> bool:
    """Bilans, outcomes, meetings: the owning CCAS."""
    return measure_owner(user, measure)


def can_record_rent(user: Actor, measure: Measure) -> bool:
    """The CCAS collects the household's share; the social landlord knows what it received."""
    return measure_owner(user, measure) or is_measure_social_landlord(user, measure)


def is_state_service_for(user: Actor, measure: Measure) -> bool:
    """A member of a State service (DDETS) of the programme's territory."""
    return is_staff(user) and any(
        o.kind == OrganisationKind.ETAT and o.territory_id == measure.programme.territory_id
        for o in user.organisations
    )


def can_view_fiche_bilan(user: Actor, bilan: Bilan) -> bool:
    """The pseudonymised fiche-bilan of a held bilan: the owning CCAS, and the State service
    of the territory, which funds the scheme and receives it."""
    if not bilan.is_done:
        return False
    return measure_owner(user, bilan.measure) or is_state_service_for(user, bilan.measure)


def is_measure_private_owner(user: Actor, measure: Measure) -> bool:
    """The private owner (a landlord account) of the measure's unit."""
    return (
        is_private_owner(user)
        and measure.unit.private_owner_id is not None
        and measure.unit.private_owner_id == user.id
    )


def measure_documents_audience(user: Actor, measure: Measure) -> str | None:
    """Which of the measure's documents the reader receives, by the measure page's rule:
    « ccas » for the CCAS that runs it (it reads the household's file), « landlord » for the
    unit's social landlord or private owner (nothing about the household), else None: for
    anyone else the measure does not exist."""
    if can_view_measure_household(user, measure):
        return "ccas"
    if is_measure_social_landlord(user, measure) or is_measure_private_owner(user, measure):
        return "landlord"
    return None


def visible_measures_clause(user: Actor) -> sa.ColumnElement[bool]:
    """The SQL twin of ``can_view_measure``."""
    if not is_staff(user):
        return sa.false()
    organisation_ids = sorted(user.organisation_ids)
    return sa.or_(
        Measure.organisation_id.in_(organisation_ids),
        Measure.unit_id.in_(
            sa.select(Unit.id).where(Unit.social_landlord_id.in_(organisation_ids))
        ),
    )


# --- Private owners' offers ----------------------------------------------------------------


def can_manage_offers(user: Actor) -> bool:
    """The CCAS runs the pipeline (its staff and the coordinator)."""
    return works_for_ccas(user)


def can_view_offer(user: Actor, offer: OwnerOffer) -> bool:
    """An owner sees only their own offers; the CCAS sees them all."""
    if is_private_owner(user):
        return offer.owner_id == user.id
    return can_manage_offers(user)


def can_edit_rules(user: Actor) -> bool:
    return is_coordinator(user)


def visible_offers_clause(user: Actor) -> sa.ColumnElement[bool]:
    if is_private_owner(user):
        return OwnerOffer.owner_id == user.id
    if can_manage_offers(user):
        return sa.true()
    return sa.false()


# --- Reports ----------------------------------------------------------------------------------


def piloting_territory_ids(user: Actor) -> set[int]:
    """Territories whose comité de pilotage counts one of the reader's organisations."""
    if not is_staff(user):
        return set()
    return {
        c.territory_id
        for o in user.organisations
        for c in o.committees
        if c.kind == CommitteeKind.COMITE_PILOTAGE and c.active
    }


def report_territory_ids(user: Actor) -> set[int] | None:
    """The territories whose figures the reader may see; None means every territory."""
    if is_coordinator(user):
        return None
    if not is_staff(user):
        return set()
    readers = (OrganisationKind.CCAS, OrganisationKind.ETAT)
    own = {o.territory_id for o in user.organisations if o.kind in readers}
    return own | piloting_territory_ids(user)


def can_view_reports(user: Actor) -> bool:
    """The activity report, the indicators and the exports: CCAS staff, the coordinator,
    the State service and the organisations of a comité de pilotage."""
    if is_coordinator(user) or reads_reports_as_ccas(user):
        return True
    return bool(is_staff(user) and report_territory_ids(user))


def reads_reports_as_ccas(user: Actor) -> bool:
    """CCAS staff see exact figures and household references."""
    return is_staff(user) and user.belongs_to_kind(OrganisationKind.CCAS)


def exact_report_territory_ids(user: Actor) -> set[int] | None:
    """The territories whose CCAS or State service the reader works for; None: all (the
    coordinator)."""
    if is_coordinator(user):
        return None
    if not is_staff(user):
        return set()
    readers = (OrganisationKind.CCAS, OrganisationKind.ETAT)
    return {o.territory_id for o in user.organisations if o.kind in readers}


def reads_exact_report_counts(user: Actor) -> bool:
    """The CCAS and the State service that funds the programme read the reports' counts as
    they are (they already receive every fiche-bilan), for their own territory; everyone
    else reads them protected (portal/reports/disclosure.py), and so does a reader whose
    reports also cover a territory where they only sit on the comité de pilotage. Neither
    reads an identity or a free text."""
    exact = exact_report_territory_ids(user)
    if exact is None:
        return True
    covered = report_territory_ids(user)
    return bool(exact) and covered is not None and covered <= exact


def can_choose_report_audience(user: Actor) -> bool:
    """The coordinator exports a version to publish (protected) or an exact one."""
    return is_coordinator(user)


def can_write_year_report(user: Actor) -> bool:
    """Funding lines and the written analysis of a year: the coordinator."""
    return is_coordinator(user)


def reports_are_masked(user: Actor) -> bool:
    """Outside the CCAS, counts from 1 to 4 are shown « < 5 » and no household reference
    is shown."""
    return not reads_reports_as_ccas(user)
