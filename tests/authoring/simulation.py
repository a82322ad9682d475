"""A seeded simulation of candidates answering items, stored as real scored attempts.

Candidates of known ability answer four-option items of known difficulty with the Rasch
probability P(right) = 1 / (1 + exp(-(ability - difficulty))); a wrong answer is one of
the distractors at random. Planted items: a mis-keyed one (the stored key is a
distractor, the best answer is another option: strong candidates pick that) and a
non-discriminating one (everyone answers at random). Every form shows every item, each
with its own shuffled option order, so the answers are stored as per-attempt labels.

Each candidate first-answers the form's items in an order of their own, a lognormal
number of whole milliseconds apart (a stream of its own, so the answers do not depend
on it); some answers are changed later (a later ``saved_at``), and an item answered then
cleared marks its place in the order without a time of its own.
"""

from __future__ import annotations

import math
import random
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from fractions import Fraction

from sqlalchemy.ext.asyncio import AsyncSession

from app.attempts.items import OPTION_LABELS
from app.attempts.models import Attempt, AttemptItem, AttemptStatus, Response
from app.exams.models import ExamVersion, ItemVersion
from app.grading.scoring import score_choice_item
from app.identity.models import Role, User

OPTIONS = ["w", "x", "y", "z"]
AT = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
# In ``Simulation.answers``: the item was not on this attempt's form.
NOT_ON_FORM = "-"
MISKEYED = "SIM-MISKEY"
RANDOM = "SIM-RANDOM"


@dataclass
class Simulation:
    exam_code: str
    item_ids: list[str]
    keys: dict[str, str]
    attempt_ids: list[uuid.UUID] = field(default_factory=list)
    # answers[a][j]: the option id attempt a chose on item j, None if omitted.
    answers: list[list[str | None]] = field(default_factory=list)
    passed: list[bool] = field(default_factory=list)
    # seconds[a][j]: attempt a's time to first answer of item j, None without an answer.
    seconds: list[list[float | None]] = field(default_factory=list)


async def seed(
    session: AsyncSession,
    *,
    candidates: int,
    clean_items: int = 12,
    seed: int = 7,
    exam_code: str = "sim-exam",
    pass_mark: float = 0.6,
    omit_rate: float = 0.03,
    form: int | None = None,
) -> Simulation:
    """With ``form``, each attempt gets that many of the items, drawn at random."""
    rng = random.Random(seed)
    timing = random.Random(seed + 1)
    exam = ExamVersion(
        code=exam_code,
        version=1,
        content_hash="0" * 64,
        title="Simulated exam",
        level="foundation",
        track="sim",
        duration_minutes=60,
        pass_mark=pass_mark,
        validity_months=12,
        definition={"sections": [{"kind": "mcq", "weight": 1.0}]},
        created_at=AT,
    )
    session.add(exam)
    difficulties = {
        # Clean items: well inside the too-easy and too-hard bounds.
        f"SIM-{j:03d}": -1.2 + 2.2 * j / max(clean_items - 1, 1)
        for j in range(clean_items)
    }
    difficulties[MISKEYED] = 0.0
    difficulties[RANDOM] = 0.0
    sim = Simulation(exam_code, list(difficulties), {})
    versions: dict[str, ItemVersion] = {}
    for item_id in sim.item_ids:
        key = rng.choice(OPTIONS)
        sim.keys[item_id] = key
        versions[item_id] = ItemVersion(
            item_id=item_id,
            version=1,
            content_hash="0" * 64,
            domain="lifecycle",
            level="foundation",
            type="single",
            difficulty=0.5,
            tags=[],
            stem=f"Question {item_id}?",
            options=[{"id": o, "text": f"option {o}"} for o in OPTIONS],
            key=[key],
            rationale={},
            created_at=AT,
        )
    session.add_all(versions.values())
    await session.flush()
    users = [
        User(
            id=uuid.UUID(int=rng.getrandbits(128), version=4),
            email=f"sim{c}@example.test",
            full_name=f"Sim Candidate{c}",
            password_hash="-",
            role=Role.candidate,
            created_at=AT,
        )
        for c in range(candidates)
    ]
    session.add_all(users)
    await session.flush()
    for c, user in enumerate(users):
        ability = rng.gauss(0.0, 1.0)
        attempt = Attempt(
            id=uuid.UUID(int=rng.getrandbits(128), version=4),
            user_id=user.id,
            exam_version_id=exam.id,
            exam_code=exam_code,
            status=AttemptStatus.scored,
            seed=c,
            started_at=AT,
            deadline_at=AT + timedelta(hours=1),
            submitted_at=AT,
            submitted_by="candidate",
            scored_at=AT,
        )
        slots, responses, chosen_row = [], [], []
        drawn = set(rng.sample(range(len(sim.item_ids)), form)) if form else None
        for j, item_id in enumerate(sim.item_ids):
            if drawn is not None and j not in drawn:
                chosen_row.append(NOT_ON_FORM)
                continue
            order = OPTIONS[:]
            rng.shuffle(order)
            ref = f"q{j + 1}"
            slots.append(
                AttemptItem(
                    attempt_id=attempt.id,
                    ref=ref,
                    position=j,
                    kind="mcq",
                    section=0,
                    item_version_id=versions[item_id].id,
                    option_order=order,
                )
            )
            key = sim.keys[item_id]
            best = key if item_id != MISKEYED else OPTIONS[(OPTIONS.index(key) + 1) % 4]
            r = rng.random()
            if r < omit_rate:
                chosen = None
            elif item_id == RANDOM:
                chosen = rng.choice(OPTIONS)
            elif rng.random() < 1 / (1 + math.exp(-(ability - difficulties[item_id]))):
                chosen = best
            else:
                chosen = rng.choice([o for o in OPTIONS if o != best])
            chosen_row.append(chosen)
            if chosen is not None:
                label = OPTION_LABELS[order.index(chosen)]
                responses.append((j, ref, [label]))
            elif rng.random() < 0.5:
                responses.append((j, ref, []))  # cleared: stored, but no choice
        seconds_row: list[float | None] = [None] * len(sim.item_ids)
        first_ms: dict[str, int] = {}
        clock_ms = 0
        for j, ref, ch in timing.sample(responses, len(responses)):
            gap_ms = max(1, round(1000 * timing.lognormvariate(3.0, 0.6)))
            clock_ms += gap_ms
            first_ms[ref] = clock_ms
            if ch:
                seconds_row[j] = gap_ms / 1000
        right = sum(
            score_choice_item([sim.keys[i]], [ch] if ch else None)
            for i, ch in zip(sim.item_ids, chosen_row, strict=True)
            if ch != NOT_ON_FORM
        )
        score = Fraction(right) / len(slots)
        attempt.score = float(score)
        attempt.passed = score >= Fraction(str(pass_mark))
        session.add(attempt)
        session.add_all(slots)
        session.add_all(
            Response(
                attempt_id=attempt.id,
                ref=ref,
                seq=1,
                choices=ch,
                files=None,
                first_answered_at=AT + timedelta(milliseconds=first_ms[ref]),
                # Changed later (a second pass) or not: the last save does not count.
                saved_at=AT + timedelta(milliseconds=first_ms[ref] + timing.randrange(0, 600_000)),
            )
            for _, ref, ch in responses
        )
        sim.attempt_ids.append(attempt.id)
        sim.answers.append(chosen_row)
        sim.seconds.append(seconds_row)
        sim.passed.append(bool(attempt.passed))
    await session.flush()
    return sim
