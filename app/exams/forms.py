"""Form assembly: which items an attempt gets. Pure: values in, values out.

For every draw in the blueprint the pool is shuffled with the attempt's seed, then
ordered by (already seen by this candidate, times already shown to anyone), so a
retaker gets fresh items while the pool allows and exposure evens out across the pool;
the shuffle breaks ties so that equally exposed items are drawn at random.

With a ``Balance`` the form is then evened out in difficulty: its expected score (the
blueprint's weighted mean, per section, of each unit's expected share of its point) is
brought within ``tolerance`` of the target, the expected score of a form drawn at random
from the same pools, by swapping a drawn unit for one the same draw would have taken
next. A swap stays inside its draw (domain, level and count: the blueprint's coverage
is untouched), reaches only ``reach`` places down the exposure order (the items the
plain draw would come to next, so exposure control holds) and never brings in an item
the candidate has seen in place of one they have not.
"""

from __future__ import annotations

import random
from collections.abc import Mapping, Sequence, Set
from dataclasses import dataclass, field

from app.exams.content import BlueprintSpec

# How far a balanced form's expected score may be from the target (2 points).
BALANCE_TOLERANCE = 0.02
# A replacement comes from the next max(REACH, count) units of its draw's order.
REACH = 6
MAX_SWAPS = 64


@dataclass(frozen=True)
class PoolEntry:
    """One drawable unit: an item (mcq) or a scenario, by its stable id."""

    ref_id: str
    kind: str
    domain: str
    level: str


@dataclass(frozen=True)
class FormSlot:
    section: int
    kind: str
    ref_id: str


@dataclass(frozen=True)
class Balance:
    """Each unit's expected share of its point (an item's facility where it has enough
    responses, the author's estimate otherwise); a unit without one counts as its
    draw's mean, neither helping nor hurting."""

    expected: Mapping[str, float]
    tolerance: float = BALANCE_TOLERANCE
    reach: int = REACH


class PoolTooSmall(Exception):
    def __init__(self, section: int, wanted: int, available: int, where: str) -> None:
        super().__init__(f"section {section} draw {where}: wants {wanted}, pool has {available}")


@dataclass(frozen=True)
class DrawOffset:
    """One blueprint draw of a balanced form: how far its units put the form from the
    target (score points, signed), and the spread of the values in its pool."""

    section: int
    kind: str
    where: str  # "domain/level", "any/level" when the draw takes any domain
    count: int
    offset: float
    lowest: float
    highest: float


@dataclass(frozen=True)
class BalanceOutcome:
    """A form's expected score before and after balancing, against the target; the
    draws' offsets add up to ``after - target``."""

    target: float
    before: float
    after: float
    draws: tuple[DrawOffset, ...]


@dataclass
class _Draw:
    section: int
    kind: str
    where: str
    ordered: list[PoolEntry]  # the plain draw's order: its first ``count`` are taken
    count: int
    chosen: list[PoolEntry] = field(default_factory=list)


def assemble_form(
    blueprint: BlueprintSpec,
    pool: Sequence[PoolEntry],
    seed: int,
    *,
    seen: Set[str] = frozenset(),
    exposure: Mapping[str, int] | None = None,
    balance: Balance | None = None,
) -> list[FormSlot]:
    draws, taken = _draw(blueprint, pool, seed, seen, exposure or {})
    if balance is not None:
        _balance(blueprint, draws, taken, seen, balance)
    return _slots(draws)


def assemble_balanced(
    blueprint: BlueprintSpec,
    pool: Sequence[PoolEntry],
    seed: int,
    balance: Balance,
    *,
    seen: Set[str] = frozenset(),
    exposure: Mapping[str, int] | None = None,
) -> tuple[list[FormSlot], BalanceOutcome]:
    """``assemble_form`` with balancing, and how it went (what the content validator
    judges a pool by)."""
    draws, taken = _draw(blueprint, pool, seed, seen, exposure or {})
    outcome = _balance(blueprint, draws, taken, seen, balance)
    return _slots(draws), outcome


def _slots(draws: list[_Draw]) -> list[FormSlot]:
    return [FormSlot(d.section, d.kind, e.ref_id) for d in draws for e in d.chosen]


def _draw(
    blueprint: BlueprintSpec,
    pool: Sequence[PoolEntry],
    seed: int,
    seen: Set[str],
    exposure: Mapping[str, int],
) -> tuple[list[_Draw], set[str]]:
    rng = random.Random(seed)
    taken: set[str] = set()
    draws: list[_Draw] = []
    for index, section in enumerate(blueprint.sections):
        for draw in section.draw:
            candidates = [
                e
                for e in pool
                if e.kind == section.kind
                and e.level == draw.level
                and (draw.domain is None or e.domain == draw.domain)
                and e.ref_id not in taken
            ]
            where = f"{draw.domain or 'any'}/{draw.level}"
            if len(candidates) < draw.count:
                raise PoolTooSmall(index, draw.count, len(candidates), where)
            # Sort pool by id first so the draw depends on the seed, not on row order.
            candidates.sort(key=lambda e: e.ref_id)
            rng.shuffle(candidates)
            candidates.sort(key=lambda e: (e.ref_id in seen, exposure.get(e.ref_id, 0)))
            chosen = candidates[: draw.count]
            taken.update(e.ref_id for e in chosen)
            draws.append(_Draw(index, section.kind, where, candidates, draw.count, chosen))
    return draws, taken


def _values(draw: _Draw, balance: Balance) -> dict[str, float]:
    known = [balance.expected[e.ref_id] for e in draw.ordered if e.ref_id in balance.expected]
    neutral = sum(known) / len(known) if known else 0.5
    return {e.ref_id: balance.expected.get(e.ref_id, neutral) for e in draw.ordered}


def _balance(
    blueprint: BlueprintSpec,
    draws: list[_Draw],
    taken: set[str],
    seen: Set[str],
    balance: Balance,
) -> BalanceOutcome:
    """Greedy swaps, each the one that brings the form nearest the target, until it is
    within tolerance or no swap helps."""
    total_weight = sum(s.weight for s in blueprint.sections)
    sizes = [s.item_count for s in blueprint.sections]
    values = [_values(d, balance) for d in draws]
    # A swap of one unit in section s moves the form's score by this much per point.
    scale = [blueprint.sections[d.section].weight / total_weight / sizes[d.section] for d in draws]
    target = sum(
        scale[i] * d.count * sum(values[i].values()) / len(values[i]) for i, d in enumerate(draws)
    )
    score = sum(scale[i] * sum(values[i][e.ref_id] for e in d.chosen) for i, d in enumerate(draws))
    before = score
    for _ in range(MAX_SWAPS):
        off = score - target
        if abs(off) <= balance.tolerance:
            break
        best: tuple[float, int, int, PoolEntry] | None = None
        for i, d in enumerate(draws):
            reach = d.ordered[: d.count + max(balance.reach, d.count)]
            for position, out in enumerate(d.chosen):
                for entry in reach:
                    if entry.ref_id in taken:
                        continue
                    if entry.ref_id in seen and out.ref_id not in seen:
                        continue
                    moved = off + scale[i] * (values[i][entry.ref_id] - values[i][out.ref_id])
                    if best is None or abs(moved) < abs(best[0]):
                        best = (moved, i, position, entry)
        if best is None or abs(best[0]) >= abs(off):
            break
        moved, i, position, entry = best
        taken.discard(draws[i].chosen[position].ref_id)
        taken.add(entry.ref_id)
        draws[i].chosen[position] = entry
        score = target + moved
    offsets = tuple(
        DrawOffset(
            d.section,
            d.kind,
            d.where,
            d.count,
            scale[i]
            * (
                sum(values[i][e.ref_id] for e in d.chosen)
                - d.count * sum(values[i].values()) / len(values[i])
            ),
            min(values[i].values()),
            max(values[i].values()),
        )
        for i, d in enumerate(draws)
    )
    return BalanceOutcome(target, before, score, offsets)


def option_order(option_ids: Sequence[str], seed: int, ref_id: str) -> list[str]:
    """The per-attempt order of an item's options, reproducible from the attempt seed."""
    order = list(option_ids)
    random.Random(f"{seed}:{ref_id}").shuffle(order)
    return order
