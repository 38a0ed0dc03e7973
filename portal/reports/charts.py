"""Bar and line charts as SVG geometry, computed on the server.

Templates draw the shapes (``reports/_charts.html``) with classes styled in portal.css:
no inline style, no script. A count masked for the reader (1 to 4) gets no bar and no
point: its size would give away what the label hides.
"""

from collections.abc import Sequence
from dataclasses import dataclass

from portal.formatting import stay_length
from portal.i18n import _
from portal.reports.aggregates import Row

WIDTH = 560
LABEL_WIDTH = 250
BAR_AREA = WIDTH - LABEL_WIDTH - 50
LINE_WIDTH = 960
ROW_HEIGHT = 30


def is_masked(value: int, masked: bool) -> bool:
    return masked and 0 < value < 5


def shown(value: int, masked: bool) -> str:
    return "< 5" if is_masked(value, masked) else str(value)


@dataclass(frozen=True)
class Bar:
    label: str
    value: str
    y: int
    width: float  # 0 when masked or zero
    text_x: float


@dataclass(frozen=True)
class BarChart:
    id: str
    title: str
    description: str
    height: int
    bars: list[Bar]
    label_width: int = LABEL_WIDTH
    width: int = WIDTH


def bar_chart(chart_id: str, title: str, rows: Sequence[Row], masked: bool) -> BarChart:
    visible = [r.count for r in rows if not is_masked(r.count, masked)]
    top = max(visible, default=0) or 1
    bars = []
    for index, row in enumerate(rows):
        width = 0.0 if is_masked(row.count, masked) else BAR_AREA * row.count / top
        bars.append(
            Bar(
                label=row.label,
                value=shown(row.count, masked),
                y=index * ROW_HEIGHT,
                width=round(width, 1),
                text_x=round(LABEL_WIDTH + width + 6, 1),
            )
        )
    description = "; ".join(f"{r.label} : {shown(r.count, masked)}" for r in rows)
    return BarChart(chart_id, title, description, max(len(rows), 1) * ROW_HEIGHT + 4, bars)


def report_bar_chart(chart_id: str, title: str, rows: Sequence[tuple[str, str]], shown) -> BarChart:
    """A bar chart of the activity report: ``rows`` are (label, cell id) read through the
    audience's view (disclosure.Shown); a withheld count gets no bar."""
    values = [shown.value(cell) for _label, cell in rows]
    top = max((v for v in values if v is not None), default=0) or 1
    bars = []
    for index, ((label, cell), value) in enumerate(zip(rows, values, strict=True)):
        width = 0.0 if value is None else BAR_AREA * value / top
        bars.append(
            Bar(
                label=label,
                value=shown.text(cell),
                y=index * ROW_HEIGHT,
                width=round(width, 1),
                text_x=round(LABEL_WIDTH + width + 6, 1),
            )
        )
    description = "; ".join(f"{label} : {shown.text(cell)}" for label, cell in rows)
    return BarChart(chart_id, title, description, max(len(rows), 1) * ROW_HEIGHT + 4, bars)


@dataclass(frozen=True)
class Series:
    name: str
    css_class: str
    segments: list[str]  # polyline « x,y x,y » runs, broken where a value is masked
    points: list[tuple[float, float]]


@dataclass(frozen=True)
class Tick:
    position: float
    label: str


@dataclass(frozen=True)
class LineChart:
    id: str
    title: str
    description: str
    series: list[Series]
    x_ticks: list[Tick]
    y_ticks: list[Tick]
    width: int = LINE_WIDTH
    height: int = 290
    left: int = 50
    bottom: int = 250
    right: int = LINE_WIDTH - 30
    top: int = 15


def line_chart(
    chart_id: str,
    title: str,
    labels: Sequence[str],
    lines: Sequence[tuple[str, str, Sequence[int]]],
    masked: bool,
) -> LineChart:
    """``lines``: (name, css class, values), one value per label."""
    chart = LineChart(chart_id, title, "", [], [], [])
    visible = [v for _n, _c, values in lines for v in values if not is_masked(v, masked)]
    top = max(visible, default=0)
    step = nice_step(top)
    y_max = step * 4  # nice_step makes four steps reach the top value
    span_x = (chart.right - chart.left) / max(len(labels) - 1, 1)

    def x(i: int) -> float:
        return round(chart.left + i * span_x, 1)

    def y(v: int) -> float:
        return round(chart.bottom - (chart.bottom - chart.top) * v / y_max, 1)

    series = []
    for name, css_class, values in lines:
        segments: list[str] = []
        run: list[str] = []
        points: list[tuple[float, float]] = []
        for i, value in enumerate(values):
            if is_masked(value, masked):
                if run:
                    segments.append(" ".join(run))
                run = []
                continue
            run.append(f"{x(i)},{y(value)}")
            points.append((x(i), y(value)))
        if run:
            segments.append(" ".join(run))
        series.append(Series(name, css_class, segments, points))
    y_ticks = [Tick(y(step * i), str(step * i)) for i in range(5)]
    x_ticks = [Tick(x(i), label) for i, label in enumerate(labels)]
    description = " ".join(
        f"{name} : "
        + ", ".join(f"{label} {shown(v, masked)}" for label, v in zip(labels, values, strict=True))
        + "."
        for name, _c, values in lines
    )
    return LineChart(chart_id, title, description, series, x_ticks, y_ticks)


def nice_step(top: int) -> int:
    """A round step for four grid lines up to ``top``."""
    raw = max(top / 4, 1)
    magnitude = 10 ** (len(str(int(raw))) - 1)
    for factor in (1, 2, 5, 10):
        if raw <= factor * magnitude:
            return factor * magnitude
    return 10 * magnitude


class Figures:
    """How the templates print figures for one reader: outside the CCAS, counts from 1 to 4
    read « < 5 » and averages over fewer than 5 items are not given."""

    def __init__(self, masked: bool):
        self.masked = masked

    def n(self, value: int) -> str:
        if is_masked(value, self.masked):
            return "< 5"
        return f"{value:,}".replace(",", "\u202f")

    def pct(self, value: int, base: int) -> str:
        if not base or is_masked(value, self.masked) or is_masked(base, self.masked):
            return "—"
        return f"{round(100 * value / base)}\u00a0%"

    def days(self, average: float | None, count: int) -> str:
        if average is None or not count:
            return "—"
        if is_masked(count, self.masked):
            return _("non diffusé (moins de 5)")
        return stay_length(round(average))
