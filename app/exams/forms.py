"""Form assembly: which items an attempt gets. Pure: values in, values out.

For every draw in the blueprint the pool is shuffled with the attempt's seed, then
ordered by (already seen by this candidate, times already shown to anyone), so a
retaker gets fresh items while the pool allows and exposure evens out across the pool;
the shuffle breaks ties so that equally exposed items are drawn at random.
"""

from __future__ import annotations

import random
from collections.abc import Mapping, Sequence, Set
from dataclasses import dataclass

from app.exams.content import BlueprintSpec


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


class PoolTooSmall(Exception):
    def __init__(self, section: int, wanted: int, available: int, where: str) -> None:
        super().__init__(f"section {section} draw {where}: wants {wanted}, pool has {available}")


def assemble_form(
    blueprint: BlueprintSpec,
    pool: Sequence[PoolEntry],
    seed: int,
    *,
    seen: Set[str] = frozenset(),
    exposure: Mapping[str, int] | None = None,
) -> list[FormSlot]:
    rng = random.Random(seed)
    exposure = exposure or {}
    taken: set[str] = set()
    form: list[FormSlot] = []
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
            if len(candidates) < draw.count:
                where = f"{draw.domain or 'any'}/{draw.level}"
                raise PoolTooSmall(index, draw.count, len(candidates), where)
            # Sort pool by id first so the draw depends on the seed, not on row order.
            candidates.sort(key=lambda e: e.ref_id)
            rng.shuffle(candidates)
            candidates.sort(key=lambda e: (e.ref_id in seen, exposure.get(e.ref_id, 0)))
            for entry in candidates[: draw.count]:
                taken.add(entry.ref_id)
                form.append(FormSlot(index, section.kind, entry.ref_id))
    return form


def option_order(option_ids: Sequence[str], seed: int, ref_id: str) -> list[str]:
    """The per-attempt order of an item's options, reproducible from the attempt seed."""
    order = list(option_ids)
    random.Random(f"{seed}:{ref_id}").shuffle(order)
    return order
