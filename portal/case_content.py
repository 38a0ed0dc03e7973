"""What one reader may see of a meeting's content about cases, on every surface that shows
it: meeting page, printable agenda, minutes page and PDF, decisions list and CSV, decision and
action pages, « Mes actions », e-mails and calendars.

The rule is the case's own (``permissions.case_access``): without access, the reader learns
that an item, a decision or an action exists and its kind, nothing of its text, reference,
positions or actions; committee members read the pseudonymised content (no identity); a
household's names only reach readers with full access. When a case is closed or a share
removed, the access computed here goes with it.
"""

import re
from collections.abc import Iterable
from dataclasses import dataclass

import sqlalchemy as sa

from portal import permissions
from portal.audit import record_events
from portal.i18n import _
from portal.models import (
    AgendaItem,
    AuditAction,
    Case,
    Committee,
    Decision,
    FollowUpAction,
    Household,
    ItemOpinion,
)
from portal.permissions import CaseAccess

IDENTITY_MASK = "[identité masquée]"


def reading_loads(path=None) -> list:
    """Loader options for the cases reached through ``path`` (a relationship to Case; none:
    for a query of cases): what ``case_access`` and the identity masking read, loaded with
    the rows rather than once per case."""
    case = sa.orm.defaultload(path) if path is not None else sa.orm
    return [
        case.selectinload(Case.participants),
        case.joinedload(Case.committee).selectinload(Committee.organisations),
        case.joinedload(Case.household).selectinload(Household.persons),
        case.joinedload(Case.household).joinedload(Household.identity),
        case.lazyload(Case.organisation),
    ]


def access_to(reader, case: Case | None) -> CaseAccess | None:
    """How much of ``case`` the reader sees; None when the content is about no case."""
    return None if case is None else permissions.case_access(reader, case)


def mask_identity(text: str, household) -> str:
    """``text`` with the household's names, phone number and e-mail address masked
    (names whole-word and in any case; the phone number whatever its separators)."""
    patterns = [
        rf"\b{re.escape(name)}\b"
        for person in household.persons
        for name in (person.first_name.strip(), person.last_name.strip())
        if name
    ]
    identity = household.identity
    if identity is not None and identity.email.strip():
        patterns.append(re.escape(identity.email.strip()))
    digits = re.sub(r"\D", "", identity.phone) if identity is not None else ""
    if len(digits) >= 6:
        patterns.append(r"[\s.-]?".join(digits))
    if not text or not patterns:
        return text
    # Longest first, so that a name inside another one does not leave half of it.
    pattern = "|".join(sorted(patterns, key=len, reverse=True))
    return re.sub(pattern, IDENTITY_MASK, text, flags=re.IGNORECASE)


class CaseBound:
    """Shared reading rules of content about a case (or about none)."""

    access: CaseAccess | None

    @property
    def case(self) -> Case | None:
        raise NotImplementedError

    @property
    def is_confidential(self) -> bool:
        """About a case the reader may not see: its existence and kind only."""
        return self.access == CaseAccess.NONE

    @property
    def shows_identity(self) -> bool:
        return self.access is not None and self.access >= CaseAccess.FULL

    @property
    def reference(self) -> str:
        """The household's pseudonymous reference, for readers who may see the case."""
        if self.case is None or self.is_confidential:
            return ""
        return self.case.household.reference

    def readable(self, text: str) -> str:
        """Free text about the case as this reader may read it: the household's names stay
        masked for readers without access to its identity."""
        if self.case is None or self.shows_identity:
            return text
        return mask_identity(text, self.case.household)


@dataclass(frozen=True)
class ItemView(CaseBound):
    """An agenda item as one reader may see it."""

    item: AgendaItem
    access: CaseAccess | None

    @property
    def case(self) -> Case | None:
        return self.item.case

    @property
    def title(self) -> str:
        if self.is_confidential:
            return _("Étude de situation — situation confidentielle")
        return self.readable(self.item.title)

    @property
    def shows_notes(self) -> bool:
        """Notes on a case belong to its discussion: situation access at least."""
        return self.access is None or self.access >= CaseAccess.SITUATION

    @property
    def notes(self) -> str:
        return self.readable(self.item.notes) if self.shows_notes else ""

    def opinions(self) -> list[ItemOpinion]:
        """Excused partners' opinions on this item, for readers of its notes."""
        return list(self.item.opinions) if self.shows_notes else []


@dataclass(frozen=True)
class DecisionView(CaseBound):
    """A joint decision as one reader may see it: about a case the reader may not see, its
    kind only."""

    decision: Decision
    access: CaseAccess | None

    @property
    def case(self) -> Case | None:
        return self.decision.case

    @property
    def text(self) -> str:
        return "" if self.is_confidential else self.readable(self.decision.text)

    @property
    def positions(self) -> list[tuple[str, str]]:
        if self.is_confidential:
            return []
        return [(p.organisation.name, self.readable(p.position)) for p in self.decision.positions]

    @property
    def item_title(self) -> str:
        item = self.decision.agenda_item
        if item is None:
            return ""
        return ItemView(item, self.access).title

    @property
    def subject(self) -> str:
        """What the decision is about, as a short label."""
        if self.is_confidential:
            return _("situation confidentielle")
        if self.case is not None:
            return _("situation %(reference)s", reference=self.reference)
        if self.decision.agenda_item is not None:
            return self.decision.agenda_item.title
        return ""


@dataclass(frozen=True)
class ActionView(CaseBound):
    """A follow-up action as one reader may see it. The organisation it was given to reads
    what it must do, even without access to the case (never the case's reference)."""

    action: FollowUpAction
    access: CaseAccess | None
    assignee: bool

    @property
    def case(self) -> Case | None:
        return self.action.case

    @property
    def is_confidential(self) -> bool:
        return self.access == CaseAccess.NONE and not self.assignee

    @property
    def reference(self) -> str:
        if self.case is None or self.access in (None, CaseAccess.NONE):
            return ""
        return self.case.household.reference

    @property
    def description(self) -> str:
        if self.is_confidential:
            return _("Action de suivi sur une situation confidentielle")
        return self.readable(self.action.description)

    def readable(self, text: str) -> str:
        if self.case is not None and self.access in (None, CaseAccess.NONE):
            return mask_identity(text, self.case.household)
        return super().readable(text)


def item_views(reader, items: Iterable[AgendaItem]) -> list[ItemView]:
    return [ItemView(item, access_to(reader, item.case)) for item in items]


def decision_views(reader, decisions: Iterable[Decision]) -> list[DecisionView]:
    return [DecisionView(d, access_to(reader, d.case)) for d in decisions]


def action_views(reader, actions: Iterable[FollowUpAction]) -> list[ActionView]:
    return [
        ActionView(a, access_to(reader, a.case), permissions.is_action_assignee(reader, a))
        for a in actions
    ]


def audit_reads(views: Iterable[CaseBound], what: str, action=AuditAction.VIEW) -> None:
    """Each household whose content is shown gets a line in its access log, saying whether
    its identity was shown (one INSERT for the page)."""
    shown: dict[int, tuple[Case, bool]] = {}
    for view in views:
        case = view.case
        if case is None or view.is_confidential:
            continue
        _case, identity = shown.get(case.household_id, (case, False))
        shown[case.household_id] = (case, identity or view.shows_identity)
    entries = [
        (
            household_id,
            f"{what} ({'identité' if identity else 'pseudonymisée'}) — {case.household.reference}",
        )
        for household_id, (case, identity) in shown.items()
    ]
    record_events(action, "household", entries)
