"""One search box for the whole portal. Each kind of result is filtered in SQL by the same
clause as its own list page, so a search never finds what its reader may not open; a
person's name matches only in the household files of the reader's own organisations, where
names are theirs to read (and the result shows the reference, not the name)."""

from dataclasses import dataclass, field

import sqlalchemy as sa

from portal import permissions
from portal.extensions import db
from portal.models import (
    Candidacy,
    Case,
    Household,
    HouseholdPerson,
    Measure,
    Meeting,
    OwnerOffer,
    Unit,
    User,
)

PER_KIND = 10
MIN_LENGTH = 2
MAX_LENGTH = 100


def contains(column, words: list[str]) -> sa.ColumnElement[bool]:
    """Every word somewhere in the column, case and accents of the query kept as typed;
    LIKE's wildcards typed by the person are searched for, not obeyed."""
    return sa.and_(
        *(
            sa.func.lower(column).like(
                "%" + w.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%",
                escape="\\",
            )
            for w in words
        )
    )


@dataclass
class Results:
    query: str
    households: list = field(default_factory=list)
    cases: list = field(default_factory=list)
    candidacies: list = field(default_factory=list)
    measures: list = field(default_factory=list)
    meetings: list = field(default_factory=list)
    units: list = field(default_factory=list)
    offers: list = field(default_factory=list)

    @property
    def count(self) -> int:
        return sum(
            len(group)
            for group in (
                self.households,
                self.cases,
                self.candidacies,
                self.measures,
                self.meetings,
                self.units,
                self.offers,
            )
        )


def first(query: sa.Select) -> list:
    """The first results of one kind."""
    return list(db.session.scalars(query.limit(PER_KIND)))


def matching_offers(user: User, words: list[str]) -> list[OwnerOffer]:
    """Offers by address, as the reader's own offers list shows them (an owner's, or all of
    them for the CCAS)."""
    return first(
        sa.select(OwnerOffer)
        .where(permissions.visible_offers_clause(user), contains(OwnerOffer.address, words))
        .order_by(OwnerOffer.id.desc())
    )


def search(user: User, query: str) -> Results:
    words = query.split()
    results = Results(query)
    if permissions.is_private_owner(user):
        results.offers = matching_offers(user, words)
        return results
    if not permissions.is_staff(user):
        return results
    own = sorted(user.organisation_ids)
    named = (
        sa.select(HouseholdPerson.household_id)
        .where(contains(HouseholdPerson.first_name + " " + HouseholdPerson.last_name, words))
        .scalar_subquery()
    )
    results.households = first(
        sa.select(Household)
        .where(
            Household.organisation_id.in_(own),
            sa.or_(contains(Household.reference, words), Household.id.in_(named)),
        )
        .order_by(Household.reference)
    )
    results.cases = first(
        sa.select(Case)
        .join(Household, Household.id == Case.household_id)
        .where(
            permissions.visible_cases_clause(user),
            sa.or_(contains(Household.reference, words), contains(Case.title, words)),
        )
        .order_by(Case.updated.desc())
    )
    if permissions.can_use_candidacies(user):
        results.candidacies = first(
            sa.select(Candidacy)
            .join(Household, Household.id == Candidacy.household_id)
            .where(
                permissions.visible_candidacies_clause(user),
                contains(Household.reference, words),
            )
            .order_by(Candidacy.id.desc())
        )
    if permissions.can_list_measures(user):
        results.measures = first(
            sa.select(Measure)
            .join(Household, Household.id == Measure.household_id)
            .where(
                # Found by its household's reference by the CCAS that runs it only: the
                # landlord of the unit knows it as « Mesure n° … ».
                Measure.organisation_id.in_(own),
                contains(Household.reference, words),
            )
            .order_by(Measure.start_date.desc())
        )
    results.meetings = first(
        sa.select(Meeting)
        .where(permissions.visible_meetings_clause(user), contains(Meeting.title, words))
        .order_by(Meeting.starts_at.desc())
    )
    if permissions.can_list_units(user):
        results.units = first(
            sa.select(Unit)
            .where(permissions.visible_units_clause(user), contains(Unit.address, words))
            .order_by(Unit.address)
        )
    if permissions.can_manage_offers(user):
        results.offers = matching_offers(user, words)
    return results
