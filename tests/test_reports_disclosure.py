"""Protected counts cannot be recovered (issue 21).

The reader of the protected version knows every shown count, every relation between counts
(a total is the sum of its rows, in one table or across tables: the households followed
are the total of the publics, of the compositions, of the resources…; a « dont » row is at
most its row) and that a withheld count (« s ») is at least 1. For each withheld count, an
exhaustive search tries every value it could take, together with every value of the other
withheld counts it is tied to, and keeps those consistent with everything shown: more than
one must remain.

The search is written here, independently of portal/reports/disclosure.py, and runs on the
protected CSV a partner downloads (what is really shown), on the 2025 territory of
tests/test_reports.py, and on several hundred random reports shaped like the real one.
"""

import csv
import io
import random
import re
from datetime import date

import pytest

from portal.reports.activity import build_activity_report
from portal.reports.disclosure import SECRET, AtMost, Audience, Grid, Shown, Sum, suppress
from portal.reports.grid import activity_grid
from portal.reports.scope import make_scope
from tests.conftest import sign_in
from tests.test_reports import YEAR, build_2025, grow

# The exhaustive search ----------------------------------------------------------------------


class Search:
    """Every assignment of the withheld counts (1 to ``cap`` each) consistent with the shown
    counts and the relations; values tried in order, branches cut as soon as a relation
    cannot hold any more."""

    def __init__(self, shown: dict[str, int | None], sums, bounds, cap: int):
        self.shown = shown
        self.sums = [(s.total, tuple(s.parts)) for s in sums]
        self.bounds = [(b.smaller, b.larger) for b in bounds]
        self.cap = cap
        self.unknown = [c for c, v in shown.items() if v is None]
        self.touching: dict[str, list] = {c: [] for c in shown}
        for relation in self.sums:
            for c in (relation[0], *relation[1]):
                self.touching[c].append(("sum", relation))
        for bound in self.bounds:
            for c in bound:
                self.touching[c].append(("at_most", bound))

    def component(self, cell: str) -> list[str]:
        """The withheld counts tied to ``cell``, nearest first."""
        seen, queue = [cell], [cell]
        while queue:
            current = queue.pop(0)
            for kind, relation in self.touching[current]:
                cells = (relation[0], *relation[1]) if kind == "sum" else relation
                for other in cells:
                    if self.shown[other] is None and other not in seen:
                        seen.append(other)
                        queue.append(other)
        return seen

    def holds(self, kind, relation, values: dict) -> bool:
        def value(c):
            return self.shown[c] if self.shown[c] is not None else values.get(c)

        if kind == "at_most":
            small, large = (value(c) for c in relation)
            if small is None or large is None:
                return large is None or small is None and large >= 1
            return small <= large
        total, parts = relation
        known = [value(p) for p in parts]
        assigned = sum(v for v in known if v is not None)
        missing = sum(v is None for v in known)
        low, high = assigned + missing, assigned + missing * self.cap
        t = value(total)
        if t is None:
            return low <= self.cap
        return low <= t <= high

    def consistent(self, cell: str, values: dict) -> bool:
        return all(self.holds(kind, relation, values) for kind, relation in self.touching[cell])

    def solvable(self, order: list[str], values: dict, index: int = 0) -> bool:
        if index == len(order):
            return True
        cell = order[index]
        for candidate in range(1, self.cap + 1):
            values[cell] = candidate
            if self.consistent(cell, values) and self.solvable(order, values, index + 1):
                return True
        del values[cell]
        return False

    def possible_values(self, cell: str, enough: int | None = None) -> list[int]:
        """The values ``cell`` can take (stop after ``enough``)."""
        order = self.component(cell)
        found = []
        for candidate in range(1, self.cap + 1):
            values = {cell: candidate}
            if self.consistent(cell, values) and self.solvable(order, values, 1):
                found.append(candidate)
                if enough and len(found) >= enough:
                    break
        return found


def assert_nothing_recoverable(shown: dict[str, int | None], sums, bounds, truth: dict) -> None:
    cap = max(truth.values(), default=1) + 6
    search = Search(shown, sums, bounds, cap)
    for cell in search.unknown:
        values = search.possible_values(cell, enough=2)
        assert len(values) > 1, f"{cell} is recoverable: only {values} fits what is shown"
        assert truth[cell] in search.possible_values(cell) or truth[cell] > cap


def check(grid: Grid) -> frozenset[str]:
    withheld = suppress(grid)
    shown = {c: (None if c in withheld else v) for c, v in grid.values.items()}
    assert_nothing_recoverable(shown, grid.sums, grid.bounds, grid.values)
    return withheld


# The search itself finds what a careless suppression leaves ----------------------------------


def test_the_search_recovers_a_count_withheld_alone_or_forced():
    grid = Grid()
    for cell, value in {"n": 7, "a": 2, "b": 5, "c": 0}.items():
        grid.add(cell, value)
    grid.add_sum("n", ("a", "b", "c"))
    search = Search({"n": 7, "a": None, "b": 5, "c": 0}, grid.sums, [], cap=20)
    assert search.possible_values("a") == [2]  # primary suppression alone gives it away
    search = Search({"n": 7, "a": None, "b": None, "c": 0}, grid.sums, [], cap=20)
    assert search.possible_values("a") == [1, 2, 3, 4, 5, 6]
    # Two withheld ones summing to 2 are both 1.
    search = Search({"n": 7, "a": None, "b": None, "c": 5}, grid.sums, [], cap=20)
    assert search.possible_values("a") == [1]
    # A count bounded by a withheld total shown elsewhere: across tables.
    search = Search(
        {"n": None, "a": None, "b": None, "m": 7, "x": None, "y": 5},
        [Sum("n", ("a", "b")), Sum("n", ("x", "y")), Sum("m", ("n",))],
        [AtMost("a", "n")],
        cap=20,
    )
    assert search.possible_values("x") == [2]


# Suppression, on the shapes of the report ------------------------------------------------


def test_secondary_suppression_of_a_breakdown():
    grid = Grid()
    grid.add("n", 12)
    parts = [grid.add(f"p{i}", v) for i, v in enumerate((1, 6, 5, 0))]
    grid.add_sum("n", parts)
    assert check(grid) == {"p0", "p2"}  # the smallest other count goes with the 1


def test_ones_that_would_be_forced_take_a_third_count_and_a_lone_table_its_total():
    grid = Grid()
    grid.add("n", 7)
    parts = [grid.add(f"p{i}", v) for i, v in enumerate((1, 1, 5))]
    grid.add_sum("n", parts)
    assert check(grid) == {"p0", "p1", "p2"}
    grid = Grid()
    grid.add("n", 5)
    parts = [grid.add(f"p{i}", 1) for i in range(5)]
    grid.add_sum("n", parts)
    assert check(grid) == {"n", *parts}


def test_a_total_shared_by_tables_is_withheld_everywhere_or_nowhere():
    grid = Grid()
    grid.add("n", 3)
    for table, values in (("publics", (2, 1)), ("composition", (3, 0))):
        parts = [grid.add(f"{table}.{i}", v) for i, v in enumerate(values)]
        grid.add_sum("n", parts)
    withheld = check(grid)
    assert "n" in withheld and {"publics.0", "publics.1", "composition.0"} <= withheld
    shown = Shown.for_audience(grid, Audience.PROTECTED)
    assert shown.text("n") == SECRET and shown.percent("publics.0", "n") == "—"
    exact = Shown.for_audience(grid, Audience.EXACT)
    assert exact.text("n") == "3" and exact.percent("publics.0", "n") == "67\u00a0%"


def random_report_grid(rng: random.Random) -> Grid:
    """A report's shape: households followed shared by four breakdowns, « dont » counts at
    most their rows, actions due = done + cancelled + open, a total of totals."""
    grid = Grid()
    n = rng.choice([0, 1, 2, 3, 4, 5, 6, 7, 9, 12, 20, 40])
    grid.add("n", n)
    grid.add("entered", rng.randint(0, n))
    grid.add_at_most("entered", "n")
    for table in range(4):
        size = rng.randint(2, 7)
        cuts = sorted(rng.randint(0, n) for _ in range(size - 1))
        values = [b - a for a, b in zip([0, *cuts], [*cuts, n], strict=True)]
        parts = [grid.add(f"t{table}.{i}", v) for i, v in enumerate(values)]
        grid.add_sum("n", parts)
    for obstacle in range(rng.randint(0, 5)):
        grid.add_at_most(grid.add(f"obstacle{obstacle}", rng.randint(0, n)), "n")
    done, cancelled, still = (rng.choice([0, 1, 2, 3, 5, 8]) for _ in range(3))
    grid.add("due", done + cancelled + still)
    grid.add("done", done)
    grid.add("cancelled", cancelled)
    grid.add("open", still)
    grid.add_sum("due", ("done", "cancelled", "open"))
    grid.add_at_most(grid.add("on_time", rng.randint(0, done)), "done")
    social = [grid.add(f"social{i}", rng.choice([0, 1, 2, 6])) for i in range(rng.randint(1, 3))]
    grid.add("social", sum(grid.values[c] for c in social))
    grid.add_sum("social", social)
    grid.add("private", rng.choice([0, 1, 3, 7]))
    grid.add("units", grid.values["social"] + grid.values["private"])
    grid.add_sum("units", ("social", "private"))
    return grid


@pytest.mark.parametrize("seed", range(6))
def test_random_reports_leave_every_withheld_count_open(seed):
    rng = random.Random(seed)
    for _ in range(60):
        check(random_report_grid(rng))


# The real report, as a partner downloads it ----------------------------------------------


@pytest.fixture
def data(world, territory, make_org, make_user):
    return build_2025(world, territory, make_org, make_user)


def read_report_csv(response) -> tuple[dict[str, int | None], list[Sum]]:
    rows = list(
        csv.reader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff")), delimiter=";")
    )
    assert rows[0] == ["Indicateur", "Nombre", "Somme de"]
    shown, sums = {}, []
    for cell, value, parts in rows[1:]:
        shown[cell] = None if value == SECRET else int(value)
        for group in filter(None, parts.split(" ; ")):
            sums.append(Sum(cell, tuple(group.split(" + "))))
    return shown, sums


@pytest.mark.parametrize("more", [0, 6])
def test_the_protected_report_of_2025_leaves_every_withheld_count_open(
    client, world, data, territory, more
):
    """As built in tests/test_reports.py (4 households followed: all withheld), and with 6
    more couples (10 followed: three publics of 1 beside 7 couples)."""
    grow(world, territory, data.programme, more)
    report = build_activity_report(
        make_scope(YEAR, [data.programme, data.dalo], {territory.id}), today=date(2026, 6, 1)
    )
    grid = activity_grid(report)
    sign_in(client, data.copil_user)
    response = client.get(f"/reports/activity.csv?year={YEAR}")
    assert response.status_code == 200
    shown, sums = read_report_csv(response)
    assert set(shown) == set(grid.values) | set(grid.aliases)
    assert set(sums) == set(grid.sums)
    withheld = [c for c, v in shown.items() if v is None]
    assert len(withheld) > 15
    for cell, value in shown.items():
        assert value is None or value == grid.values[grid.resolve(cell)]
        assert value is None or not 0 < value < 5 or cell in grid.public
        # A count and its alias (the same count in another table) read the same.
        assert value == shown[grid.resolve(cell)]
    truth = {c: grid.values[grid.resolve(c)] for c in shown}
    assert_nothing_recoverable(shown, sums, grid.bounds, truth)

    # The page: no share beside a withheld count, no bar for one.
    page = client.get(f"/reports/activity?year={YEAR}").get_data(as_text=True)
    assert re.search(r'<td class="num">s</td><td class="num">[^<]*%', page) is None
    assert '<td class="num">s</td><td class="num">—</td>' in page
    # A withheld count gets no bar: as many bars as shown non-zero counts in the charts.
    for chart in re.findall(r'<svg class="chart-svg".*?</svg>', page, re.S):
        bars = chart.count('class="chart-bar"')
        values = re.findall(r'class="chart-value"[^>]*>([^<]*)<', chart)
        assert bars == sum(v not in (SECRET, "0") for v in values)


def test_the_state_s_csv_holds_exact_counts(client, data, territory):
    sign_in(client, data.etat_user)
    shown, _sums = read_report_csv(client.get(f"/reports/activity.csv?year={YEAR}"))
    assert None not in shown.values()
    assert shown["households.followed"] == 4 and shown["publics.couple"] == 1
