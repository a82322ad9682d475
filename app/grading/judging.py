"""What a scenario's ``checks/judge.py`` works with. Judges run in the grader, outside the
sandbox, on data only: they never execute anything the candidate wrote.

A judge module defines::

    def make_inputs(seed: int) -> dict: ...          # JSON data for this run's probe
    def check_<name>(cand: Observed, ref: Observed, inputs: dict) -> Verdict: ...

one ``check_<name>`` per check in ``scenario.yaml``. ``cand`` is what the probe step saw
from the candidate's files, ``ref`` the same step on the reference solution, both on
``inputs``. Messages go to the candidate: say what is wrong in the product's words,
never the expected value or how the hidden check works.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Observed:
    """One run of one probe step."""

    data: Any
    # Everything the run printed (stdout, then stderr), captured outside the sandbox:
    # the candidate cannot hide a line from it by patching the driver.
    output: str
    steps: Mapping[str, Any]


@dataclass(frozen=True)
class Verdict:
    fraction: float
    message: str

    @classmethod
    def ok(cls, message: str = "passed") -> Verdict:
        return cls(1.0, message)

    @classmethod
    def fail(cls, message: str) -> Verdict:
        return cls(0.0, message)

    @classmethod
    def share(cls, good: int, total: int, message: str) -> Verdict:
        """``good`` of ``total`` cases right. The check earns its points only when all
        are (see ``grader``): the share tells the judge's message how far off a fix is."""
        return cls(good / total if total else 0.0, message)


def close(a: Any, b: Any, tol: float = 1e-9) -> bool:
    """Numbers (or nested lists/dicts of numbers) equal within ``tol``, relative or
    absolute; anything else compared exactly. Candidate data may be any JSON shape."""
    if isinstance(a, bool) or isinstance(b, bool):
        return a is b
    if isinstance(a, int | float) and isinstance(b, int | float):
        if math.isnan(a) or math.isnan(b):
            return math.isnan(a) and math.isnan(b)
        return math.isclose(a, b, rel_tol=tol, abs_tol=tol)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(close(x, y, tol) for x, y in zip(a, b, strict=True))
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(close(a[k], b[k], tol) for k in a)
    return bool(a == b)


def number(value: Any) -> float | None:
    """A JSON number as float, or None for anything else (bools are not numbers)."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value)
