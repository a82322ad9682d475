"""Can an exam's pool give forms of equal difficulty? The check `assay content validate`
makes before delivery depends on it.

A start balances its form (``app.exams.forms``) on each unit's expected share of its
point: the item's facility once it has enough responses, the author's ``difficulty``
estimate until then (``app.attempts.balance``). A new bank has no responses, so its
first forms are balanced on the estimates alone. Here forms are assembled as starts
assemble them, on those estimates: seeds 0, 1, ..., the exposure counters advancing as
forms are handed out, nothing seen before, with ASSAY_FORM_BALANCE_TOLERANCE. An exam
fails when any sampled form stays further than the tolerance from the target (the
expected score of a form drawn at random from the same pools) after balancing: the
blueprint's draws cannot even it out, and the failing draw is named (the one whose
units put the form furthest off in the direction it missed by), with the spread of its
pool's estimates.

Without the scenarios (their folder is not known) scenario sections count at the pass
mark on every form, as in ``app.exams.difficulty``: the multiple-choice part's offsets
are scaled by its share of the weight.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from app.exams.content import BlueprintSpec, ItemSpec
from app.exams.difficulty import FORMS_SAMPLED, ScenarioEstimate, sampling_pool
from app.exams.forms import (
    BALANCE_TOLERANCE,
    Balance,
    BalanceOutcome,
    DrawOffset,
    PoolTooSmall,
    assemble_balanced,
)


@dataclass(frozen=True)
class BalanceCheck:
    """One exam's sampled forms: expected scores before and after balancing (0..1, the
    whole form's scale) against the target."""

    code: str
    tolerance: float
    target: float
    before: tuple[float, ...]  # by seed
    after: tuple[float, ...]
    worst_seed: int
    worst_draw: DrawOffset  # on the worst form after balancing, scaled like the scores

    @property
    def spread_before(self) -> float:
        return max(self.before) - min(self.before)

    @property
    def spread_after(self) -> float:
        return max(self.after) - min(self.after)

    @property
    def off(self) -> list[int]:
        """The seeds whose balanced form is further than the tolerance from the target."""
        return [
            seed
            for seed, score in enumerate(self.after)
            if abs(score - self.target) > self.tolerance + 1e-9
        ]

    @property
    def worst_offset(self) -> float:
        return self.after[self.worst_seed] - self.target


def check_balance(
    spec: BlueprintSpec,
    items: Iterable[ItemSpec],
    scenarios: Sequence[ScenarioEstimate] | None = None,
    *,
    tolerance: float = BALANCE_TOLERANCE,
    forms: int = FORMS_SAMPLED,
) -> BalanceCheck | None:
    """None when the pools cannot fill a form (the blueprint-fill rule reports that)."""
    assembled, pool, estimate = sampling_pool(spec, items, scenarios)
    if not assembled.sections:
        return None
    # As app.attempts.balance.FormBalancer builds it before any item has responses.
    balance = Balance({ref: value for (_, ref), value in estimate.items()}, tolerance)
    total = sum(s.weight for s in spec.sections)
    share = sum(s.weight for s in assembled.sections) / total
    rest = (1 - share) * spec.pass_mark  # scenario sections at the pass mark, if left out
    exposure: Counter[str] = Counter()
    outcomes: list[BalanceOutcome] = []
    for seed in range(forms):
        try:
            form, outcome = assemble_balanced(assembled, pool, seed, balance, exposure=exposure)
        except PoolTooSmall:
            return None
        exposure.update(slot.ref_id for slot in form)
        outcomes.append(outcome)
    target = sum(o.target for o in outcomes) / len(outcomes)

    def whole(score: float, form_target: float) -> float:
        # Each form is judged against its own target (the pools it drew from); the
        # targets differ only where draws share items, by far less than the tolerance.
        return share * (score - form_target + target) + rest

    before = tuple(whole(o.before, o.target) for o in outcomes)
    after = tuple(whole(o.after, o.target) for o in outcomes)
    worst_seed = max(
        range(forms), key=lambda seed: abs(outcomes[seed].after - outcomes[seed].target)
    )
    worst = outcomes[worst_seed]
    direction = 1.0 if worst.after >= worst.target else -1.0
    draw = max(worst.draws, key=lambda d: direction * d.offset)
    scaled = DrawOffset(
        draw.section,
        draw.kind,
        draw.where,
        draw.count,
        share * draw.offset,
        draw.lowest,
        draw.highest,
    )
    return BalanceCheck(
        spec.code,
        tolerance,
        share * target + rest,
        before,
        after,
        worst_seed,
        scaled,
    )


def describe_failure(check: BalanceCheck) -> str:
    """The problem line for an exam whose forms cannot be balanced."""
    points = 100 * check.worst_offset
    draw = check.worst_draw
    side = "above" if points >= 0 else "below"
    units = "item" if draw.kind == "mcq" else "scenario"
    return (
        f"{check.code}: forms cannot be balanced to within {100 * check.tolerance:.1f} points "
        f"of the target expected score {100 * check.target:.1f}% "
        f"(ASSAY_FORM_BALANCE_TOLERANCE): {len(check.off)} of {len(check.after)} sampled "
        f"forms stay off after balancing (expected score spread {100 * check.spread_before:.1f} "
        f"points before balancing, {100 * check.spread_after:.1f} after; worst: form seed "
        f"{check.worst_seed}, {abs(points):.1f} points {side}). The draw of section "
        f"{draw.section + 1}, {draw.kind} {draw.where} ({draw.count} {units}"
        f"{'' if draw.count == 1 else 's'}, estimates {100 * draw.lowest:.0f}-"
        f"{100 * draw.highest:.0f}%), puts that form {abs(100 * draw.offset):.1f} points "
        f"{'above' if draw.offset >= 0 else 'below'} the target by itself, and no swap "
        f"the blueprint allows brings the form closer; add {units}s of middling difficulty "
        f"to that draw's pool, draw more from it, or re-estimate its {units}s"
    )


def balance_table(checks: dict[str, BalanceCheck]) -> str:
    if not checks:
        return ""
    tolerance = next(iter(checks.values())).tolerance
    forms = len(next(iter(checks.values())).after)
    lines = [
        f"Form balance on the authors' estimates ({forms} forms as starts assemble them; "
        f"refused beyond {100 * tolerance:.1f} points of the target)",
        f"{'exam':<28} {'target':>7} {'spread before':>14} {'spread after':>13} {'off':>5}",
    ]
    for code in sorted(checks):
        c = checks[code]
        lines.append(
            f"{code:<28} {100 * c.target:>6.1f}% {100 * c.spread_before:>12.1f}p "
            f"{100 * c.spread_after:>11.1f}p {len(c.off):>5}"
        )
    return "\n".join(lines)
