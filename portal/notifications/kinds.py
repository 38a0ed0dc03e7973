"""The kinds of notification a person chooses for: who each kind may concern, who may read
it (the same predicates as the pages it links to) and its line in a digest.

Security messages (password reset, second-factor reset, account invitations and changes,
an owner's confirmation link) are no kind here: they always leave at once. So do a meeting's
logistics (changes, cancellations, reminders), which carry the calendar updates.
"""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from flask_babel import format_date, format_datetime
from flask_babel.speaklater import LazyString

from portal import permissions
from portal.extensions import Model, db
from portal.i18n import _, _l
from portal.models import (
    Candidacy,
    CandidacyStatus,
    Case,
    Decision,
    FollowUpAction,
    InvitationResponse,
    Meeting,
    Minutes,
    MinutesStatus,
    NotificationFrequency,
    Organisation,
    OrganisationKind,
    OwnerOffer,
    PendingNotification,
    User,
    now_utc,
)

F = NotificationFrequency


@dataclass(frozen=True)
class DigestLine:
    text: str
    link: str


@dataclass(frozen=True)
class Kind:
    key: str
    label: LazyString
    help: LazyString
    default: NotificationFrequency
    model: type[Model]
    # The person may be concerned by this kind at all (the preferences page lists it).
    applies: Callable[[User], bool]
    # The person may read what the notification is about: the page's own rule.
    may_read: Callable[[User, Any], bool]
    # The digest line, written as the reader may see it when the digest leaves.
    line: Callable[[User, Any, PendingNotification], DigestLine | None]
    # The households the object is about (the e-mail is linked to them for erasure).
    households: Callable[[Any], list[int | None]] = lambda target: []


def link(endpoint: str, **values) -> str:
    from portal.outbox.services import public_url_for

    return public_url_for(endpoint, **values)


def day(value) -> str:
    return format_date(value, _("d MMMM yyyy"))


# Candidacies -------------------------------------------------------------------------------


def candidacy_line(reader: User, candidacy: Candidacy, pending) -> DigestLine:
    return DigestLine(
        _(
            "Candidature %(reference)s — %(programme)s : %(status)s",
            reference=candidacy.household.reference,
            programme=candidacy.programme.name,
            status=candidacy.status.label,
        ),
        link("candidacies.show", candidacy_id=candidacy.id),
    )


def submitted_line(reader: User, candidacy: Candidacy, pending) -> DigestLine | None:
    if candidacy.status != CandidacyStatus.SUBMITTED:
        return None  # decided or sent back since: nothing left to instruct
    return candidacy_line(reader, candidacy, pending)


# Cases -------------------------------------------------------------------------------------


def shared_line(reader: User, case: Case, pending) -> DigestLine:
    organisation = db.session.get(Organisation, pending.organisation_id)
    return DigestLine(
        _(
            "Situation %(reference)s partagée avec %(organisation)s",
            reference=case.household.reference,
            organisation=organisation.name if organisation else _("votre organisation"),
        ),
        link("cases.show", case_id=case.id),
    )


# Meetings ----------------------------------------------------------------------------------


def awaits_answer(reader: User, meeting: Meeting) -> bool:
    invitee = permissions.invitation_of(reader, meeting)
    return (
        invitee is not None
        and invitee.response == InvitationResponse.PENDING
        and not meeting.is_cancelled
        and meeting.starts_at > now_utc()
    )


def answer_line(reader: User, meeting: Meeting, pending) -> DigestLine:
    return DigestLine(
        _(
            "Réponse attendue : %(title)s — %(when)s",
            title=meeting.title,
            when=format_datetime(meeting.starts_at, _("EEEE d MMMM yyyy 'à' HH:mm")),
        ),
        link("meetings.show", meeting_id=meeting.id),
    )


def minutes_readable(reader: User, minutes: Minutes) -> bool:
    return minutes.status == MinutesStatus.APPROVED and permissions.can_read_minutes(
        reader, minutes
    )


def minutes_line(reader: User, minutes: Minutes, pending) -> DigestLine:
    meeting = minutes.meeting
    return DigestLine(
        _(
            "Compte rendu approuvé : %(title)s du %(when)s",
            title=meeting.title,
            when=day(meeting.starts_at),
        ),
        link("minutes.show", meeting_id=meeting.id),
    )


# Decisions and actions ---------------------------------------------------------------------


def decision_readable(reader: User, decision: Decision) -> bool:
    """Its page (the meeting's invitees), and nothing at all about a case the reader may
    not see: not even that a decision was taken about it."""
    return permissions.can_view_meeting(reader, decision.meeting) and (
        decision.case is None or permissions.can_view_case(reader, decision.case)
    )


def decision_line(reader: User, decision: Decision, pending) -> DigestLine:
    from portal.case_content import decision_views

    (view,) = decision_views(reader, [decision])
    about = view.subject
    return DigestLine(
        _(
            "Décision « %(kind)s » — %(title)s du %(when)s%(about)s",
            kind=decision.kind.label,
            title=decision.meeting.title,
            when=day(decision.meeting.starts_at),
            about=f" ({about})" if about else "",
        ),
        link("actions.decision", decision_id=decision.id),
    )


def action_line(reader: User, action: FollowUpAction, pending) -> DigestLine | None:
    from portal.case_content import action_views
    from portal.models import ActionStatus

    if action.status != ActionStatus.OPEN:
        return None  # done or cancelled since
    (view,) = action_views(reader, [action])
    if pending.event == "overdue":
        text = _(
            "Action en retard (échéance du %(due)s) : %(what)s",
            due=day(action.due_on),
            what=view.description,
        )
    else:
        text = _(
            "Action confiée, pour le %(due)s : %(what)s",
            due=day(action.due_on),
            what=view.description,
        )
    if view.reference:
        text += f" [{view.reference}]"
    return DigestLine(text, link("actions.show", action_id=action.id))


# Private owners' offers --------------------------------------------------------------------


def offer_line(reader: User, offer: OwnerOffer, pending) -> DigestLine:
    text = (
        _("Nouvelle proposition de logement d'un propriétaire (n° %(n)s)", n=offer.id)
        if pending.event == "new_offer"
        else _("Message du propriétaire — offre n° %(number)s", number=offer.id)
    )
    return DigestLine(text, link("owners.offer", offer_id=offer.id))


def case_households(case) -> list[int | None]:
    return [case.household_id]


KINDS: dict[str, Kind] = {
    kind.key: kind
    for kind in (
        Kind(
            "candidacy_submitted",
            _l("Candidature soumise au SIAO"),
            _l("Une candidature arrive au SIAO et attend son instruction."),
            F.IMMEDIATE,
            Candidacy,
            applies=lambda user: (
                permissions.is_staff(user) and user.belongs_to_kind(OrganisationKind.SIAO)
            ),
            may_read=permissions.can_view_candidacy,
            line=submitted_line,
            households=lambda candidacy: [candidacy.household_id],
        ),
        Kind(
            "candidacy_decision",
            _l("Décision du SIAO sur une candidature"),
            _l("Le SIAO valide, refuse ou demande des compléments sur une candidature."),
            F.IMMEDIATE,
            Candidacy,
            applies=permissions.works_for_ccas,
            may_read=permissions.can_view_candidacy,
            line=candidacy_line,
            households=lambda candidacy: [candidacy.household_id],
        ),
        Kind(
            "case_shared",
            _l("Situation partagée avec votre organisation"),
            _l("Une organisation partage avec la vôtre la situation d'un ménage."),
            F.IMMEDIATE,
            Case,
            applies=permissions.is_staff,
            may_read=permissions.can_view_case,
            line=shared_line,
            households=case_households,
        ),
        Kind(
            "answer_awaited",
            _l("Réponse attendue à une invitation"),
            _l("Une invitation à une réunion (avec son fichier agenda) ou sa relance."),
            F.IMMEDIATE,
            Meeting,
            applies=permissions.is_staff,
            may_read=awaits_answer,
            line=answer_line,
        ),
        Kind(
            "minutes_approved",
            _l("Compte rendu approuvé"),
            _l("Le compte rendu d'une réunion où vous étiez invité est approuvé et envoyé."),
            F.IMMEDIATE,
            Minutes,
            applies=permissions.is_staff,
            may_read=minutes_readable,
            line=minutes_line,
        ),
        Kind(
            "decision",
            _l("Décision concernant votre organisation"),
            _l("Une décision conjointe prise en réunion engage votre organisation."),
            F.DAILY,
            Decision,
            applies=permissions.is_staff,
            may_read=decision_readable,
            line=decision_line,
            households=lambda decision: [decision.case.household_id if decision.case else None],
        ),
        Kind(
            "action",
            _l("Action de suivi confiée ou en retard"),
            _l(
                "Une action de suivi est confiée à vous ou à votre organisation, ou dépasse "
                "son échéance."
            ),
            F.IMMEDIATE,
            FollowUpAction,
            applies=permissions.is_staff,
            may_read=permissions.can_view_action,
            line=action_line,
            households=lambda action: [action.case.household_id if action.case else None],
        ),
        Kind(
            "landlord_message",
            _l("Propriétaires : nouvelle offre ou message"),
            _l("Un propriétaire propose un logement ou écrit au CCAS."),
            F.IMMEDIATE,
            OwnerOffer,
            applies=permissions.works_for_ccas,
            may_read=permissions.can_view_offer,
            line=offer_line,
        ),
    )
}


def kinds_for(user: User) -> list[Kind]:
    """The kinds this person may receive, in the order the page and the digests show."""
    return [kind for kind in KINDS.values() if kind.applies(user)]
