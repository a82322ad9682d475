"""Leak and drift detection over an item's life (pure).

An item's responses are split by who gave them, first-time takers and repeat takers
(someone who had started the same exam before): repeat takers score higher on the
items they meet again, so a growing share of them would pass for a leak if the two
were mixed. Within each group, in scoring order, the first ``baseline_n`` responses
are the item's baseline and the rest fall into consecutive windows of ``window_n``.

The stated test: each window against the baseline, a one-sided two-proportion z-test
with the pooled proportion. Every window of every item is tested, so the threshold is
Bonferroni-corrected per item and group: with m windows tested, a window flags a
possible leak when its one-sided p < ``leak_alpha`` / m (0.001 / m), and never below
z = ``leak_z`` (3.0). A clean bank of 120 items with 130 windows each then raises about
a quarter of a false flag in all (at z >= 3.0 flat it raised 9 in bench/item_stats.py).
No test without a full baseline or on a window of fewer than ``min_n`` responses (the
last, partial one). Time to answer collapsing: the window's median time is at most
``collapse_ratio`` of the baseline's median while its facility rose with z >=
``collapse_z``: candidates answering fast and right is the picture of a known answer.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import datetime
from statistics import NormalDist

from app.authoring.statistics import Flag

FIRST_TIME = "first-time takers"
REPEAT = "repeat takers"


@dataclass(frozen=True)
class DriftRules:
    baseline_n: int = 100
    window_n: int = 50
    min_n: int = 30
    leak_alpha: float = 0.001  # per item and group, over all its windows
    leak_z: float = 3.0  # the threshold never falls below this
    collapse_ratio: float = 0.5
    collapse_z: float = 1.645


@dataclass(frozen=True)
class Window:
    """A run of responses in scoring order; ``index`` -1 is the baseline."""

    index: int
    n: int
    right: int
    median_seconds: float | None
    first_at: datetime | None
    last_at: datetime | None

    @property
    def facility(self) -> float:
        return self.right / self.n if self.n else 0.0


@dataclass(frozen=True)
class Series:
    group: str  # FIRST_TIME or REPEAT
    baseline: Window | None
    windows: list[Window]


@dataclass(frozen=True)
class WindowTest:
    group: str
    window: Window
    z: float | None  # None: not tested (no full baseline, or too few responses)
    leak: bool
    collapse: bool


@dataclass(frozen=True)
class Drift:
    series: list[Series]
    tests: list[WindowTest] = field(default_factory=list)
    flags: list[Flag] = field(default_factory=list)


def two_proportion_z(right1: int, n1: int, right2: int, n2: int) -> float | None:
    """z for p2 > p1 with the pooled proportion; None where it is undefined (an empty
    sample, or a pooled proportion of 0 or 1: no variance)."""
    if n1 == 0 or n2 == 0:
        return None
    pooled = (right1 + right2) / (n1 + n2)
    variance = pooled * (1 - pooled) * (1 / n1 + 1 / n2)
    if variance <= 0:
        return None
    return (right2 / n2 - right1 / n1) / math.sqrt(variance)


def _span(w: Window) -> str:
    if w.first_at is None or w.last_at is None:
        return ""
    first, last = w.first_at.date().isoformat(), w.last_at.date().isoformat()
    return f" ({first})" if first == last else f" ({first} to {last})"


def _where(rules: DriftRules, w: Window) -> str:
    start = rules.baseline_n + w.index * rules.window_n + 1
    return f"responses {start}-{start + w.n - 1}{_span(w)}"


def leak_threshold(rules: DriftRules, tested: int) -> float:
    """The z a window must reach when ``tested`` windows of the series are tested."""
    corrected = NormalDist().inv_cdf(1 - rules.leak_alpha / max(tested, 1))
    return max(rules.leak_z, corrected)


def _tested(base: Window | None, w: Window, rules: DriftRules) -> bool:
    return base is not None and base.n >= rules.baseline_n and w.n >= rules.min_n


def detect(series: list[Series], rules: DriftRules) -> Drift:
    tests: list[WindowTest] = []
    flags: list[Flag] = []
    for s in series:
        base = s.baseline
        tested = sum(1 for w in s.windows if _tested(base, w, rules))
        threshold = leak_threshold(rules, tested)
        leaks: list[tuple[Window, float]] = []
        collapses: list[tuple[Window, float]] = []
        for w in s.windows:
            z = None
            if base is not None and _tested(base, w, rules):
                z = two_proportion_z(base.right, base.n, w.right, w.n)
            leak = z is not None and z >= threshold
            collapse = (
                z is not None
                and base is not None
                and z >= rules.collapse_z
                and base.median_seconds is not None
                and w.median_seconds is not None
                and base.median_seconds > 0
                and w.median_seconds <= rules.collapse_ratio * base.median_seconds
            )
            tests.append(WindowTest(s.group, w, z, leak, collapse))
            if leak and z is not None:
                leaks.append((w, z))
            if collapse and z is not None:
                collapses.append((w, z))
        if leaks and base is not None:
            w, z = max(leaks, key=lambda t: t[1])
            flags.append(
                Flag(
                    "possible_leak",
                    f"{s.group}: facility rose from {base.facility:.2f} in the first "
                    f"{base.n} responses to {w.facility:.2f} in {_where(rules, w)}; "
                    f"z = {z:.1f} >= {threshold:.2f} (one-sided two-proportion test, "
                    f"Bonferroni over the {tested} windows tested at {rules.leak_alpha}); "
                    f"{len(leaks)} window(s) of {rules.window_n} above it",
                )
            )
        if collapses and base is not None and base.median_seconds is not None:
            w, z = collapses[0]
            flags.append(
                Flag(
                    "time_collapse",
                    f"{s.group}: median time to answer fell from "
                    f"{base.median_seconds:.0f} s to {w.median_seconds or 0:.0f} s "
                    f"(at most {rules.collapse_ratio:.0%} of the baseline) in "
                    f"{_where(rules, w)} while facility rose from {base.facility:.2f} "
                    f"to {w.facility:.2f} (z = {z:.1f} >= {rules.collapse_z})",
                )
            )
    return Drift(series, tests, flags)
