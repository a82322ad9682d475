"""Variants: parameters a scenario draws per attempt, and the seed its judge gets.

A scenario may declare ``parameters:`` in ``scenario.yaml``::

    parameters:
      label_column: {choices: [churned, cancelled, lapsed]}
      threshold: {min: 0.10, max: 0.40, step: 0.05}

Each attempt draws one value per parameter from its own seed (``draw``), and every text
file of the workspace, the solution and the cheap fixes, and the brief, is rendered with
them: ``{{ label_column }}`` becomes ``cancelled``. Only declared names are replaced, and
values are plain identifiers, file names or numbers (checked when the scenario loads and
again when stored parameters come back), so rendering can never produce code we did not
write. Nothing else is evaluated: no expressions, no filters, no loops.

The judge's inputs come from ``inputs_seed``: a function of the scenario's id, version
and the variant's parameters only. The same submission to the same variant therefore
always meets the same inputs and gets the same grade.
"""

from __future__ import annotations

import hashlib
import json
import random
import re
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, model_validator

ParamValue = str | int | float
Params = dict[str, ParamValue]

PARAM_NAME = r"^[a-z][a-z0-9_]{0,40}$"
# An identifier, a file name or a unit: letters, digits, "_", "." and "-", never a
# quote, a space, a brace or a path separator.
_SAFE_TEXT = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.\-]{0,63}$")
MAX_RANGE_VALUES = 1000


class ParameterSpec(BaseModel):
    """One parameter: ``choices`` (a list of values) or ``min``/``max``/``step``."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    choices: list[ParamValue] | None = Field(default=None, min_length=2)
    min: int | float | None = None
    max: int | float | None = None
    step: int | float | None = None

    @model_validator(mode="after")
    def _one_kind(self) -> ParameterSpec:
        ranged = (self.min, self.max, self.step)
        if self.choices is not None:
            if any(v is not None for v in ranged):
                raise ValueError("a parameter has either choices or min/max/step, not both")
            for value in self.choices:
                check_value(value)
            if len({json.dumps(v) for v in self.choices}) != len(self.choices):
                raise ValueError("choices are listed twice")
            return self
        if any(v is None for v in ranged):
            raise ValueError("a parameter needs choices, or min, max and step")
        assert self.min is not None and self.max is not None and self.step is not None
        if self.step <= 0 or self.max <= self.min:
            raise ValueError("a range needs min < max and a positive step")
        if (self.max - self.min) / self.step > MAX_RANGE_VALUES:
            raise ValueError(f"a range may hold at most {MAX_RANGE_VALUES} values")
        return self

    def values(self) -> list[ParamValue]:
        """Every value this parameter can take, in order."""
        if self.choices is not None:
            return list(self.choices)
        assert self.min is not None and self.max is not None and self.step is not None
        if all(isinstance(v, int) for v in (self.min, self.max, self.step)):
            return list(range(int(self.min), int(self.max) + 1, int(self.step)))
        # Decimal steps so that 0.1 + 2 * 0.05 is 0.2, not 0.20000000000000004.
        low, high, step = (Decimal(str(v)) for v in (self.min, self.max, self.step))
        out: list[ParamValue] = []
        value = low
        while value <= high:
            out.append(float(value))
            value += step
        return out


def check_value(value: Any) -> ParamValue:
    """``value`` if it is safe to put into a file, else ``ValueError``."""
    if isinstance(value, bool):
        raise ValueError("a parameter value cannot be a boolean")
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        if value != value or value in (float("inf"), float("-inf")):
            raise ValueError("a parameter value must be a finite number")
        return value
    if isinstance(value, str) and _SAFE_TEXT.fullmatch(value):
        return value
    raise ValueError(
        f"parameter value {value!r} is not a number or a plain name (letters, digits, _ . -)"
    )


def draw(specs: Mapping[str, ParameterSpec], scenario_id: str, variant_seed: int) -> Params:
    """The parameters of one variant: the same for the same scenario and seed, on every
    machine and Python version (``random.Random`` seeded with an integer is stable)."""
    if not specs:
        return {}
    digest = hashlib.sha256(f"{scenario_id}\0{variant_seed}".encode()).digest()
    rng = random.Random(int.from_bytes(digest[:8], "big"))
    return {name: rng.choice(spec.values()) for name, spec in specs.items()}


def checked(specs: Mapping[str, ParameterSpec], params: Mapping[str, Any]) -> Params:
    """``params`` as a variant of a scenario with ``specs``, or ``ValueError``: every
    declared parameter present, nothing else, each value one the spec can draw."""
    missing = sorted(set(specs) - set(params))
    extra = sorted(set(params) - set(specs))
    if missing or extra:
        raise ValueError(f"parameters missing {missing} or unknown {extra}")
    out: Params = {}
    for name, spec in specs.items():
        value = check_value(params[name])
        allowed = spec.values()
        if not any(_same(value, a) for a in allowed):
            raise ValueError(f"parameter {name}={value!r} is not one of its values")
        out[name] = value
    return out


def _same(a: ParamValue, b: ParamValue) -> bool:
    if isinstance(a, str) or isinstance(b, str):
        return a == b
    return abs(float(a) - float(b)) <= 1e-12 * max(1.0, abs(float(b)))


def parse_cli(text: str) -> dict[str, Any]:
    """``name=value,name=value`` or a JSON object, as typed after ``--params``."""
    text = text.strip()
    if text.startswith("{"):
        loaded = json.loads(text)
        if not isinstance(loaded, dict):
            raise ValueError("--params must be a JSON object or name=value pairs")
        return loaded
    out: dict[str, Any] = {}
    for pair in filter(None, (p.strip() for p in text.split(","))):
        name, sep, raw = pair.partition("=")
        if not sep:
            raise ValueError(f"{pair!r} is not name=value")
        value: Any = raw.strip()
        for kind in (int, float):
            try:
                value = kind(raw)
                break
            except ValueError:
                continue
        out[name.strip()] = value
    return out


def format_value(value: ParamValue) -> str:
    if isinstance(value, float):
        text = repr(value)
        return text[:-2] if text.endswith(".0") and abs(value) < 1e15 else text
    return str(value)


def render(text: str, params: Mapping[str, ParamValue]) -> str:
    """``{{ name }}`` replaced by the value of each declared parameter; anything else,
    including ``{{ other }}``, left exactly as it is."""
    if not params:
        return text

    def sub(match: re.Match[str]) -> str:
        name = match.group(1)
        return format_value(params[name]) if name in params else match.group(0)

    return _PLACEHOLDER.sub(sub, text)


_PLACEHOLDER = re.compile(r"\{\{\s*([a-z][a-z0-9_]{0,40})\s*\}\}")


def placeholders(text: str) -> set[str]:
    return set(_PLACEHOLDER.findall(text))


def inputs_seed(scenario_id: str, version: int, params: Mapping[str, ParamValue]) -> int:
    """The seed of the judge's extra cases for one variant: never chance, so the same
    submission always gets the same grade."""
    blob = json.dumps(dict(params), sort_keys=True, separators=(",", ":"))
    digest = hashlib.sha256(f"{scenario_id}\0{version}\0{blob}".encode()).digest()
    return int.from_bytes(digest[:4], "big") >> 1


def validation_seeds(base: int, count: int) -> list[int]:
    """``base`` (the seed graded with) and ``count - 1`` more, derived from it: the extra
    seeds validation tries so that a battery that misses a fault shows up there."""
    seeds = [base]
    for i in range(1, count):
        digest = hashlib.sha256(f"extra\0{base}\0{i}".encode()).digest()
        seeds.append(int.from_bytes(digest[:4], "big") >> 1)
    return seeds
