"""Balanced forms: every form of an exam within the tolerance of the target, the
blueprint's coverage kept, exposure and freshness still honoured."""

from __future__ import annotations

import random
import statistics
from collections import Counter

from app.exams.content import BlueprintSpec
from app.exams.forms import BALANCE_TOLERANCE, Balance, FormSlot, PoolEntry, assemble_form

BLUEPRINT = BlueprintSpec.model_validate(
    {
        "code": "balance-test",
        "title": "Balance test",
        "level": "professional",
        "duration_minutes": 60,
        "pass_mark": 0.72,
        "validity_months": 24,
        "sections": [
            {
                "kind": "mcq",
                "weight": 0.6,
                "draw": [
                    {"domain": "lifecycle", "level": "professional", "count": 6},
                    {"domain": "data", "level": "professional", "count": 4},
                    {"level": "professional", "count": 5},
                ],
            },
            {"kind": "scenario", "weight": 0.4, "draw": [{"level": "professional", "count": 2}]},
        ],
    }
)
DOMAINS = {"lifecycle": 30, "data": 20, "serving": 25}
POOL = [
    PoolEntry(f"{d[:3].upper()}-{n:03d}", "mcq", d, "professional")
    for d, size in DOMAINS.items()
    for n in range(size)
] + [PoolEntry(f"SCN-{n}", "scenario", "serving", "professional") for n in range(8)]
# A seeded bank with a wide spread of difficulty, as real item statistics show.
RNG = random.Random(1406)
EXPECTED = {e.ref_id: RNG.uniform(0.3, 0.95) for e in POOL}


def score(form: list[FormSlot]) -> float:
    sections: dict[int, list[float]] = {}
    for slot in form:
        sections.setdefault(slot.section, []).append(EXPECTED[slot.ref_id])
    weights = [s.weight for s in BLUEPRINT.sections]
    return sum(w * statistics.fmean(sections[i]) for i, w in enumerate(weights)) / sum(weights)


def coverage(form: list[FormSlot]) -> Counter[tuple[int, str]]:
    by_id = {e.ref_id: e for e in POOL}
    return Counter((s.section, by_id[s.ref_id].domain) for s in form)


def draw_many(balance: Balance | None, forms: int = 300) -> tuple[list[float], Counter[str]]:
    exposure: Counter[str] = Counter()
    scores = []
    for seed in range(forms):
        form = assemble_form(BLUEPRINT, POOL, seed, exposure=exposure, balance=balance)
        exposure.update(s.ref_id for s in form)
        scores.append(score(form))
    return scores, exposure


def test_every_balanced_form_is_within_the_tolerance_of_the_target() -> None:
    plain, _ = draw_many(None)
    balanced, _ = draw_many(Balance(EXPECTED))
    target = statistics.fmean(plain)
    # The bank is uneven enough that plain forms stray well beyond the tolerance...
    assert max(abs(s - target) for s in plain) > 3 * BALANCE_TOLERANCE
    # ...and balanced ones do not (the target is the pools' mean, which the plain
    # forms' mean estimates to within a fraction of a point).
    assert all(abs(s - target) <= BALANCE_TOLERANCE + 0.005 for s in balanced)
    assert statistics.pstdev(balanced) < statistics.pstdev(plain) / 3


def test_balancing_keeps_the_blueprint_coverage() -> None:
    for seed in range(100):
        plain = assemble_form(BLUEPRINT, POOL, seed)
        balanced = assemble_form(BLUEPRINT, POOL, seed, balance=Balance(EXPECTED))
        ids = [s.ref_id for s in balanced]
        assert len(ids) == len(set(ids)) == 17
        # The same sections and kinds; domain-bound draws keep their domains.
        assert [(s.section, s.kind) for s in balanced] == [(s.section, s.kind) for s in plain]
        counts = coverage(balanced)
        assert counts[(0, "lifecycle")] >= 6 and counts[(0, "data")] >= 4
        assert sum(n for (section, _), n in counts.items() if section == 0) == 15


def test_balancing_keeps_exposure_even() -> None:
    _, plain = draw_many(None, forms=600)
    _, balanced = draw_many(Balance(EXPECTED), forms=600)
    mcq = [e.ref_id for e in POOL if e.kind == "mcq"]
    # Every item is still shown; the most shown at most a little more than without.
    assert all(balanced[ref] > 0 for ref in mcq)
    assert max(balanced[r] for r in mcq) <= max(plain[r] for r in mcq) * 1.6


def test_balancing_never_trades_a_fresh_item_for_a_seen_one() -> None:
    seen = {e.ref_id for e in POOL[:40]}
    for seed in range(100):
        plain = assemble_form(BLUEPRINT, POOL, seed, seen=seen)
        balanced = assemble_form(BLUEPRINT, POOL, seed, seen=seen, balance=Balance(EXPECTED))
        assert sum(s.ref_id in seen for s in balanced) <= sum(s.ref_id in seen for s in plain)


def test_an_even_bank_is_drawn_as_without_balancing() -> None:
    even = Balance(dict.fromkeys(EXPECTED, 0.7))
    for seed in range(50):
        assert assemble_form(BLUEPRINT, POOL, seed, balance=even) == assemble_form(
            BLUEPRINT, POOL, seed
        )
