"""Plots for the author pages: inline SVG drawn on the server (no chart build step, no
script), each with a <title> and <desc> for assistive technology; every page shows the
same numbers in a table beside it. Series differ by line pattern and marker shape, not
by colour alone. Styling comes from classes in the site's stylesheet (the CSP admits no
inline style)."""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass

from markupsafe import Markup, escape

WIDTH, HEIGHT = 640, 260
LEFT, RIGHT, TOP, BOTTOM = 58, 16, 16, 40
_ids = itertools.count(1)


@dataclass(frozen=True)
class LineSeries:
    name: str
    points: Sequence[tuple[int, float]]  # (x position index, y in [0, 1])


def _frame(title: str, desc: str, body: list[str], label: str) -> Markup:
    n = next(_ids)
    return Markup(  # noqa: S704 (every text below is escaped)
        f'<svg class="chart" viewBox="0 0 {WIDTH} {HEIGHT}" role="img" '
        f'aria-labelledby="chart{n}-title chart{n}-desc" data-chart="{escape(label)}">'
        f'<title id="chart{n}-title">{escape(title)}</title>'
        f'<desc id="chart{n}-desc">{escape(desc)}</desc>' + "".join(body) + "</svg>"
    )


def _x(i: int, count: int) -> float:
    span = WIDTH - LEFT - RIGHT
    return LEFT + (span * (i + 0.5) / max(count, 1))


def _y(v: float, top: float) -> float:
    span = HEIGHT - TOP - BOTTOM
    return TOP + span * (1 - (v / top if top else 0.0))


def _axes(y_ticks: list[tuple[float, str]], top: float) -> list[str]:
    parts = [
        f'<line class="axis" x1="{LEFT}" y1="{TOP}" x2="{LEFT}" y2="{HEIGHT - BOTTOM}"/>',
        f'<line class="axis" x1="{LEFT}" y1="{HEIGHT - BOTTOM}" '
        f'x2="{WIDTH - RIGHT}" y2="{HEIGHT - BOTTOM}"/>',
    ]
    for value, text in y_ticks:
        y = _y(value, top)
        parts.append(
            f'<line class="grid" x1="{LEFT}" y1="{y:.1f}" x2="{WIDTH - RIGHT}" y2="{y:.1f}"/>'
            f'<text class="tick" x="{LEFT - 6}" y="{y + 4:.1f}" text-anchor="end">'
            f"{escape(text)}</text>"
        )
    return parts


def _x_labels(labels: Sequence[str]) -> list[str]:
    step = max(1, len(labels) // 8)  # at most about eight labels along the axis
    return [
        f'<text class="tick" x="{_x(i, len(labels)):.1f}" y="{HEIGHT - BOTTOM + 16}" '
        f'text-anchor="middle">{escape(label)}</text>'
        for i, label in enumerate(labels)
        if i % step == 0
    ]


def _y_label(text: str) -> str:
    """The vertical axis's name, turned along it in the left margin."""
    y = TOP + (HEIGHT - TOP - BOTTOM) / 2
    return (
        f'<text class="axis-label" x="12" y="{y:.1f}" text-anchor="middle" '
        f'transform="rotate(-90 12 {y:.1f})">{escape(text)}</text>'
    )


def line_chart(
    title: str,
    desc: str,
    x_labels: Sequence[str],
    series: Sequence[LineSeries],
    *,
    y_label: str | None = None,
) -> Markup:
    """Proportions (0 to 1) over the positions of ``x_labels``, one line per series,
    the vertical axis named ``y_label``."""
    body = _axes([(v / 4, f"{v / 4:.2f}") for v in range(5)], 1.0)
    if y_label:
        body.append(_y_label(y_label))
    body += _x_labels(x_labels)
    for k, s in enumerate(series):
        coords = [(_x(i, len(x_labels)), _y(v, 1.0)) for i, v in s.points]
        if len(coords) > 1:
            path = " ".join(f"{x:.1f},{y:.1f}" for x, y in coords)
            body.append(f'<polyline class="series series-{k}" points="{path}"/>')
        for x, y in coords:
            if k == 0:
                body.append(f'<circle class="marker series-{k}" cx="{x:.1f}" cy="{y:.1f}" r="4"/>')
            else:
                body.append(
                    f'<rect class="marker series-{k}" x="{x - 4:.1f}" y="{y - 4:.1f}" '
                    'width="8" height="8"/>'
                )
    # A legend in the picture too, for those who see it.
    for k, s in enumerate(series):
        x = LEFT + 10 + 200 * k
        body.append(
            f'<line class="series series-{k}" x1="{x}" y1="{HEIGHT - 8}" x2="{x + 24}" '
            f'y2="{HEIGHT - 8}"/><text class="legend" x="{x + 30}" y="{HEIGHT - 4}">'
            f"{escape(s.name)}</text>"
        )
    return _frame(title, desc, body, "line")


def histogram(
    title: str, desc: str, bins: Sequence[tuple[str, int]], mark: int | None = None
) -> Markup:
    """Bars of counts; ``mark`` draws the pass line before the bin at that index."""
    top = max([c for _, c in bins] + [1])
    body = _axes([(top * v / 4, f"{top * v / 4:.0f}") for v in range(5)], float(top))
    body += _x_labels([label for label, _ in bins])
    width = (WIDTH - LEFT - RIGHT) / max(len(bins), 1)
    for i, (_, count) in enumerate(bins):
        y = _y(count, top)
        body.append(
            f'<rect class="bar" x="{LEFT + i * width + 1:.1f}" y="{y:.1f}" '
            f'width="{max(width - 2, 1):.1f}" height="{HEIGHT - BOTTOM - y:.1f}"/>'
        )
    if mark is not None:
        x = LEFT + mark * width
        body.append(
            f'<line class="pass-line" x1="{x:.1f}" y1="{TOP}" x2="{x:.1f}" '
            f'y2="{HEIGHT - BOTTOM}"/><text class="legend" x="{x + 4:.1f}" y="{TOP + 10}">'
            "pass mark</text>"
        )
    return _frame(title, desc, body, "histogram")
