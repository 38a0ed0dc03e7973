"""The meeting of the access matrix, and who runs it.

A comité technique of ``world.committee`` that started half an hour ago. Its secretariat is
held by an organisation of its own (the ``secretariat`` role is its admin); the meeting was
scheduled by the ``organiser`` and is co-organised by the ``co_organiser``. The CCAS and the
Mission Locale are invited, and so is the ``excused_invitee`` (excused, with an opinion).
The CCAS case is on its agenda; a decision was recorded on it, and one action given to the
organisation of the ``action_assignee``, who is not invited. Its minutes are submitted.

Being an admin of a member organisation (``partner_admin``, ``siao_officer``) or the
coordinator gives no right to run it; the SIAO, not invited, does not know it exists.
"""

from datetime import date, timedelta

from portal.actions.services import create_action, record_decision
from portal.extensions import db
from portal.models import (
    AgendaItem,
    AgendaProposal,
    CoOrganiser,
    DecisionKind,
    InvitationResponse,
    Meeting,
    MeetingInvitee,
    MeetingKind,
    MembershipRole,
    Minutes,
    MinutesStatus,
    OrganisationKind,
    ProposalOrigin,
    now_utc,
)
from tests.access_rules import answers
from tests.conftest import user_factory

MANAGERS = ("organiser", "co_organiser", "secretariat")
# Invited and not organising: they read, answer, and manage nothing.
INVITEES = ("partner_member", "partner_admin", "ccas_worker", "coordinator", "excused_invitee")


def governed(managers: int, invitees: int = 403, **overrides: int) -> dict[str, int]:
    """The organisers get ``managers``, the other invitees ``invitees``; for everyone else
    the meeting does not exist (404)."""
    expected = {**dict.fromkeys(MANAGERS, managers), **dict.fromkeys(INVITEES, invitees)}
    expected.update(overrides)
    return answers(404, **expected)


READERS = governed(200, 200)


def build(world, case_world) -> dict:
    def organisation(name: str, kind=OrganisationKind.ASSOCIATION):
        from portal.models import Organisation

        found = Organisation(name=name, kind=kind, territory=world.committee.territory)
        db.session.add(found)
        db.session.flush()
        return found

    people = user_factory()
    secretariat_org = organisation("Secrétariat du comité", OrganisationKind.AGGLOMERATION)
    co_org = organisation("Association co-organisatrice")
    invited_org = organisation("Association invitée")
    assignee_org = organisation("Organisation chargée d'une action")
    secretariat = people(
        secretariat_org,
        MembershipRole.ADMIN,
        full_name="Sam Secrétariat",
        email="secretariat@gouvernance.exemple.fr",
    )
    organiser = people(
        secretariat_org, full_name="Olga Organisatrice", email="organiser@gouvernance.exemple.fr"
    )
    co_organiser = people(
        co_org, full_name="Colin Coorganisateur", email="co-organiser@gouvernance.exemple.fr"
    )
    excused = people(invited_org, full_name="Eva Excusée", email="excused@gouvernance.exemple.fr")
    assignee = people(
        assignee_org, full_name="Alain Assigné", email="assignee@gouvernance.exemple.fr"
    )
    world.committee.secretariat = secretariat_org

    invitees = [
        MeetingInvitee(
            user=organiser, organisation=secretariat_org, response=InvitationResponse.ACCEPTED
        ),
        MeetingInvitee(user=world.coordinator, organisation=world.ccas),
        MeetingInvitee(user=world.ccas_worker, organisation=world.ccas),
        MeetingInvitee(user=world.partner_admin, organisation=world.mission_locale),
        MeetingInvitee(user=world.partner_member, organisation=world.mission_locale),
        MeetingInvitee(
            user=excused,
            organisation=invited_org,
            response=InvitationResponse.EXCUSED,
            opinion="Avis général de l'association.",
        ),
    ]
    meeting = Meeting(
        committee=world.committee,
        kind=MeetingKind.COMITE_TECHNIQUE,
        title="Comité technique de la matrice",
        starts_at=(now_utc() - timedelta(minutes=30)).replace(second=0, microsecond=0),
        duration_minutes=120,
        location="Salle du conseil",
        organiser=organiser,
        organiser_organisation=secretariat_org,
        invitees=invitees,
        co_organisers=[CoOrganiser(user=co_organiser, organisation=co_org)],
        agenda_items=[AgendaItem(position=0, title="Étude de situation", case=case_world.case)],
    )
    db.session.add(meeting)
    db.session.flush()
    decision = record_decision(
        meeting,
        organiser,
        kind=DecisionKind.PARTNER_MOBILISATION,
        text="La Mission Locale accompagne le ménage.",
        organisations=[world.ccas, world.mission_locale],
        agenda_item=meeting.agenda_items[0],
    )
    action = create_action(
        meeting,
        organiser,
        description="Proposer un rendez-vous",
        organisation=assignee_org,
        due_on=date.today() + timedelta(days=14),
        decision=decision,
        notify=False,
    )
    db.session.add(
        Minutes(meeting=meeting, general_notes="Tour de table.", status=MinutesStatus.SUBMITTED)
    )
    # Two proposals of the case for the meeting: one the organisers answer (the case's
    # organisation proposed it), one the case's organisation answers (the organisers asked).
    by_owner = AgendaProposal(
        meeting=meeting,
        case=case_world.case,
        origin=ProposalOrigin.OWNER,
        proposed_by=world.ccas_worker,
    )
    by_organisers = AgendaProposal(
        meeting=meeting,
        case=case_world.case,
        origin=ProposalOrigin.ORGANISER,
        proposed_by=organiser,
    )
    db.session.add_all([by_owner, by_organisers])
    db.session.commit()
    return {
        "meeting": meeting,
        "agenda_item": meeting.agenda_items[0],
        "co_organiser_row": meeting.co_organisers[0],
        "decision": decision,
        "action": action,
        "owner_proposal": by_owner,
        "organisers_proposal": by_organisers,
        "organiser": organiser,
        "co_organiser": co_organiser,
        "secretariat": secretariat,
        "excused_invitee": excused,
        "action_assignee": assignee,
    }
