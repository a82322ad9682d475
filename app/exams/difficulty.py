"""Standard setting: does a minimally qualified candidate score the pass mark on every form?

An item's ``difficulty`` is a modified-Angoff estimate: the probability that a
minimally qualified candidate at its exam's level answers it right. A form's expected
score for that candidate is the exam's weighted mean of its sections, each section the
mean of its estimates: an item's ``difficulty``, a scenario's ``difficulty`` (the share
of its points that candidate earns) where its scenario.yaml gives one, and the pass
mark for a scenario that gives none (a neutral count: it neither helps nor hurts the
form's balance). Forms are the ones ``app.exams.forms.assemble_form`` builds, for a
fixed set of seeds; the validator refuses an exam any of whose forms lands more than
``FORM_TOLERANCE`` away from its pass mark.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from app.exams.content import BlueprintSpec, ItemSpec
from app.exams.forms import Balance, PoolEntry, PoolTooSmall, assemble_form

FORMS_SAMPLED = 200
# A form's expected score may differ from the pass mark by at most this (3 points).
FORM_TOLERANCE = 0.03


@dataclass(frozen=True)
class ScenarioEstimate:
    id: str
    domain: str
    level: str
    difficulty: float | None = None


@dataclass(frozen=True)
class FormScores:
    """One exam's expected score for a minimally qualified candidate, per sampled form."""

    code: str
    pass_mark: float
    scores: tuple[float, ...]  # by seed, 0..FORMS_SAMPLED-1
    scenarios_at_pass_mark: bool  # some scenario slot had no estimate of its own

    @property
    def low(self) -> float:
        return min(self.scores)

    @property
    def high(self) -> float:
        return max(self.scores)

    @property
    def mean(self) -> float:
        return sum(self.scores) / len(self.scores)

    def off_mark(self, tolerance: float = FORM_TOLERANCE) -> list[int]:
        """The seeds whose form lands more than ``tolerance`` from the pass mark."""
        return [
            seed
            for seed, score in enumerate(self.scores)
            if abs(score - self.pass_mark) > tolerance + 1e-9
        ]


def sampling_pool(
    spec: BlueprintSpec,
    items: Iterable[ItemSpec],
    scenarios: Sequence[ScenarioEstimate] | None,
) -> tuple[BlueprintSpec, list[PoolEntry], dict[tuple[str, str], float]]:
    """What sampled forms are drawn from: the blueprint to assemble (without its
    scenario sections when the scenarios are not known), the pool a start would see
    (active items, the scenarios) and each unit's estimate by (kind, id)."""
    estimate: dict[tuple[str, str], float] = {}
    pool: list[PoolEntry] = []
    kinds = {s.kind for s in spec.sections}
    levels = {d.level for s in spec.sections for d in s.draw}
    for item in items:
        if item.status == "active" and item.level in levels and "mcq" in kinds:
            pool.append(PoolEntry(item.id, "mcq", item.domain, item.level))
            estimate[("mcq", item.id)] = item.difficulty
    assembled = spec
    if scenarios is None:
        mcq_only = [s for s in spec.sections if s.kind == "mcq"]
        assembled = spec.model_copy(update={"sections": mcq_only})
    else:
        for scenario in scenarios:
            if scenario.level in levels and "scenario" in kinds:
                pool.append(PoolEntry(scenario.id, "scenario", scenario.domain, scenario.level))
                if scenario.difficulty is not None:
                    estimate[("scenario", scenario.id)] = scenario.difficulty
    return assembled, pool, estimate


def expected_form_scores(
    spec: BlueprintSpec,
    items: Iterable[ItemSpec],
    scenarios: Sequence[ScenarioEstimate] | None = None,
    *,
    forms: int = FORMS_SAMPLED,
    balanced: bool = False,
) -> FormScores | None:
    """The expected score on ``forms`` forms assembled with seeds 0, 1, ...; None when
    the pools cannot fill a form (the blueprint-fill rule reports that). ``balanced``
    assembles them as a start does with balancing on (each unit's estimate its value).

    Without ``scenarios`` (the scenario folder is not known) every scenario section is
    counted at the pass mark."""
    assembled, pool, estimate = sampling_pool(spec, items, scenarios)
    at_pass_mark = scenarios is None and any(s.kind == "scenario" for s in spec.sections)
    balance = Balance({ref: v for (_, ref), v in estimate.items()}) if balanced else None
    scores = []
    for seed in range(forms):
        try:
            form = assemble_form(assembled, pool, seed, balance=balance)
        except PoolTooSmall:
            return None
        per_section: dict[int, list[float]] = {}
        for slot in form:
            value = estimate.get((slot.kind, slot.ref_id))
            if value is None:
                at_pass_mark = True
                value = spec.pass_mark
            per_section.setdefault(slot.section, []).append(value)
        weighted = 0.0
        for index, section in enumerate(assembled.sections):
            values = per_section.get(index) or [spec.pass_mark]
            weighted += section.weight * sum(values) / len(values)
        if scenarios is None:
            for section in spec.sections:
                if section.kind == "scenario":
                    weighted += section.weight * spec.pass_mark
        scores.append(weighted / sum(s.weight for s in spec.sections))
    return FormScores(spec.code, spec.pass_mark, tuple(scores), at_pass_mark)


def expected_score_table(results: dict[str, FormScores]) -> str:
    lines = [
        f"Expected score of a minimally qualified candidate ({FORMS_SAMPLED} sampled forms; "
        f"refused beyond {100 * FORM_TOLERANCE:.0f} points of the pass mark)",
        f"{'exam':<28} {'pass':>6} {'min':>7} {'mean':>7} {'max':>7} {'off':>5}",
    ]
    for code in sorted(results):
        r = results[code]
        lines.append(
            f"{code:<28} {100 * r.pass_mark:>5.0f}% {100 * r.low:>6.1f}% {100 * r.mean:>6.1f}% "
            f"{100 * r.high:>6.1f}% {len(r.off_mark()):>5}"
            + ("  (scenarios at the pass mark)" if r.scenarios_at_pass_mark else "")
        )
    return "\n".join(lines)
