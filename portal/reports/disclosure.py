"""Who reads exact counts, and how small counts are protected for everyone else.

Two audiences read the yearly activity report:

- *exact*: the CCAS and the State service that funds the programme. They already receive
  the pseudonymised fiche-bilan of every measure; they read every count as it is (still no
  identity and no free text about a household);
- *protected*: every other reader (the comité de pilotage's partners) and any version the
  coordinator exports to publish. Counts from 1 to 4 are not given (primary suppression)
  and further counts are withheld (secondary suppression) so that no withheld count can be
  worked out from what is shown: totals, other rows, percentages, or the same figure in
  another table of the report.

The report's counts form a :class:`Grid`: every count has one id, shared by every table
that shows it (the number of households followed is the total of the publics, of the
compositions, of the resources…), with the relations a reader knows between them (a total
is the sum of its rows; a count is at most another). :func:`suppress` chooses the withheld
cells; tests/test_reports_disclosure.py checks by exhaustive search, table by table and
across tables, that every withheld cell can still take more than one value.

A withheld cell reads « s » (secret statistique) whatever its value, so that a reader cannot
tell a count below 5 from a count withheld to protect another one. Zeros are shown.
"""

import enum
from collections.abc import Iterable
from dataclasses import dataclass, field

THRESHOLD = 5  # counts from 1 to THRESHOLD - 1 are withheld
SECRET = "s"


class Audience(enum.StrEnum):
    EXACT = "exact"
    PROTECTED = "protected"

    @property
    def label(self) -> str:
        from portal.i18n import _

        if self is Audience.EXACT:
            return _("Effectifs exacts (CCAS et services de l'État)")
        return _("Version protégée (partenaires, diffusion)")


@dataclass(frozen=True)
class Sum:
    """``total`` is the sum of ``parts``."""

    total: str
    parts: tuple[str, ...]


@dataclass(frozen=True)
class AtMost:
    """``smaller`` is at most ``larger``."""

    smaller: str
    larger: str


@dataclass
class Grid:
    """The counts of a report and the relations between them."""

    values: dict[str, int] = field(default_factory=dict)
    sums: list[Sum] = field(default_factory=list)
    bounds: list[AtMost] = field(default_factory=list)
    # Counts about no household (meetings held): never withheld for their own sake.
    public: set[str] = field(default_factory=set)
    # Two ids for one count: a row of another table that counts the same thing.
    aliases: dict[str, str] = field(default_factory=dict)

    def alias(self, alias: str, cell: str) -> None:
        self.aliases[alias] = cell

    def resolve(self, cell: str) -> str:
        return self.aliases.get(cell, cell)

    def add(self, cell: str, value: int, *, public: bool = False) -> str:
        previous = self.values.setdefault(cell, int(value))
        if previous != int(value):
            raise ValueError(f"{cell} has two values: {previous} and {value}")
        if public:
            self.public.add(cell)
        return cell

    def add_sum(self, total: str, parts: Iterable[str]) -> None:
        parts = tuple(parts)
        missing = [c for c in (total, *parts) if c not in self.values]
        if missing:
            raise KeyError(missing)
        self.sums.append(Sum(total, parts))

    def add_at_most(self, smaller: str, larger: str) -> None:
        self.bounds.append(AtMost(smaller, larger))


def is_small(value: int) -> bool:
    return 0 < value < THRESHOLD


def suppress(grid: Grid) -> frozenset[str]:
    """The cells to withhold: counts from 1 to 4, then, until nothing changes:

    - in each sum, the smallest other counts needed so that its withheld cells are never
      alone and never forced (k withheld cells summing to k are all 1);
    - every withheld cell whose range, narrowed by every sum and bound of the report
      (:func:`ranges`), holds a single value takes its smallest shown neighbour with it.
    """
    values = grid.values
    withheld = {c for c, v in values.items() if c not in grid.public and is_small(v)}
    changed = True
    while changed:
        changed = False
        for relation in grid.sums:
            if not any(c in withheld for c in (relation.total, *relation.parts)):
                continue
            while not relation_is_safe(relation, withheld, values):
                withheld.add(next_to_withhold(relation, withheld, values))
                changed = True
        if changed:
            continue
        exposed = [c for c, (low, high) in ranges(grid, withheld).items() if low == high]
        for cell in exposed:
            neighbour = smallest_neighbour(grid, cell, withheld)
            if neighbour is not None:
                withheld.add(neighbour)
                changed = True
                break
    return frozenset(withheld)


UNBOUNDED = 10**9


def ranges(grid: Grid, withheld: set[str]) -> dict[str, tuple[int, int]]:
    """The smallest and largest value each withheld cell can take, as a reader narrows
    them from the shown cells through the sums and bounds (interval propagation)."""
    low = {c: (1 if c in withheld else v) for c, v in grid.values.items()}
    high = {c: (UNBOUNDED if c in withheld else v) for c, v in grid.values.items()}
    for _round in range(100):
        before = (dict(low), dict(high))
        for relation in grid.sums:
            parts, total = relation.parts, relation.total
            low[total] = max(low[total], sum(low[p] for p in parts))
            high[total] = min(high[total], sum(high[p] for p in parts))
            for p in parts:
                others_high = sum(high[o] for o in parts) - high[p]
                others_low = sum(low[o] for o in parts) - low[p]
                low[p] = max(low[p], low[total] - others_high)
                high[p] = min(high[p], high[total] - others_low)
        for bound in grid.bounds:
            high[bound.smaller] = min(high[bound.smaller], high[bound.larger])
            low[bound.larger] = max(low[bound.larger], low[bound.smaller])
        if (low, high) == before:
            break
    return {c: (low[c], high[c]) for c in withheld}


def smallest_neighbour(grid: Grid, cell: str, withheld: set[str]) -> str | None:
    """The smallest shown non-zero count tied to ``cell`` by a sum or a bound."""
    tied: set[str] = set()
    for relation in grid.sums:
        members = (relation.total, *relation.parts)
        if cell in members:
            tied.update(members)
    for bound in grid.bounds:
        if cell in (bound.smaller, bound.larger):
            tied.update((bound.smaller, bound.larger))
    candidates = [c for c in tied if c not in withheld and grid.values[c] > 0]
    if not candidates:
        return None
    return min(candidates, key=lambda c: (grid.values[c], c))


def relation_is_safe(relation: Sum, withheld: set[str], values: dict[str, int]) -> bool:
    """The withheld cells of one relation cannot be worked out from it alone."""
    parts = [c for c in relation.parts if c in withheld]
    if relation.total in withheld:
        # One equation, at least two unknowns, none bounded above by this relation.
        return bool(parts)
    # The total is known: at least two withheld parts, and not all forced to 1.
    return len(parts) >= 2 and sum(values[c] for c in parts) > len(parts)


def next_to_withhold(relation: Sum, withheld: set[str], values: dict[str, int]) -> str:
    """The smallest shown non-zero part, or the total when no part is left."""
    candidates = [c for c in relation.parts if c not in withheld and values[c] > 0]
    if candidates:
        return min(candidates, key=lambda c: (values[c], relation.parts.index(c)))
    if relation.total not in withheld:
        return relation.total
    raise AssertionError(f"nothing left to withhold around {relation.total}")  # pragma: no cover


@dataclass(frozen=True)
class Shown:
    """What one audience reads of a grid."""

    grid: Grid
    withheld: frozenset[str]
    audience: Audience

    @classmethod
    def for_audience(cls, grid: Grid, audience: Audience) -> "Shown":
        withheld = suppress(grid) if audience is Audience.PROTECTED else frozenset()
        return cls(grid, withheld, audience)

    @property
    def protected(self) -> bool:
        return self.audience is Audience.PROTECTED

    def value(self, cell: str) -> int | None:
        """The count as the reader gets it, None when withheld."""
        cell = self.grid.resolve(cell)
        return None if cell in self.withheld else self.grid.values[cell]

    def is_withheld(self, cell: str) -> bool:
        return self.grid.resolve(cell) in self.withheld

    def text(self, cell: str) -> str:
        value = self.value(cell)
        return SECRET if value is None else f"{value:,}".replace(",", "\u202f")

    def percent(self, cell: str, base: str) -> str:
        """A share is given only when both counts are given: it then tells nothing more."""
        value, total = self.value(cell), self.value(base)
        if value is None or not total:
            return "—"
        return f"{round(100 * value / total)}\u00a0%"

    def days(self, average: float | None, count_cell: str) -> str:
        from portal.formatting import stay_length
        from portal.i18n import _

        if average is None or not self.grid.values[self.grid.resolve(count_cell)]:
            return "—"
        if not self.average_shown(count_cell):
            return _("non diffusé")
        return stay_length(round(average))

    def average_shown(self, count_cell: str) -> bool:
        """An average over fewer than 5 items, or over a withheld count, is not given."""
        value = self.value(count_cell)
        if value is None:
            return False
        return not (self.protected and value < THRESHOLD)
