"""Item analysis: record each scored attempt's outcomes once, then compute statistics
per item version and per exam version from SQL aggregates over them."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from app.attempts.items import OPTION_LABELS
from app.authoring.repository import AuthoringRepository, exam_sums
from app.authoring.statistics import (
    FlagRules,
    ItemStatistics,
    OptionCounts,
    ReliabilityStatistics,
    item_statistics,
    reliability,
)
from app.grading.scoring import score_choice_item


async def record_outcomes(
    session: AsyncSession,
    *,
    batch: int = 500,
    progress: Callable[[int], None] | None = None,
) -> int:
    """Records the choice-item outcomes of every scored attempt not yet recorded, in
    batches (memory bounded by ``batch``). Idempotent: a recorded attempt is skipped.
    Returns how many attempts were examined. One recorder at a time (a lock held to
    the end of the transaction). Flushes; the caller commits."""
    repo = AuthoringRepository(session)
    await repo.lock_for_recording()
    keys: dict[uuid.UUID, list[str]] = {}
    after: uuid.UUID | None = None
    examined = 0
    while True:
        ids = await repo.scored_attempts_after(after, batch)
        if not ids:
            return examined
        after = ids[-1]
        slots = await repo.slots(ids)
        missing = list({s.item_version_id for s in slots} - keys.keys())
        if missing:
            keys.update(await repo.keys(missing))
        rows = []
        for s in slots:
            # As attempts.items.chosen_options maps them, without building ORM objects
            # (a third of the recording time, measured).
            order = s.option_order or []
            chosen = [order[OPTION_LABELS.index(label)] for label in s.choices or []]
            rows.append(
                {
                    "attempt_id": s.attempt_id,
                    "ref": s.ref,
                    "exam_version_id": s.exam_version_id,
                    "item_version_id": s.item_version_id,
                    "answer": ",".join(sorted(chosen)),
                    "correct": int(score_choice_item(keys[s.item_version_id], chosen) == 1),
                }
            )
        await repo.add_outcomes(rows)
        await session.flush()
        examined += len(ids)
        if progress is not None:
            progress(len(ids))


@dataclass(frozen=True)
class ItemReport:
    item_version_id: uuid.UUID
    item_id: str
    version: int
    stats: ItemStatistics

    def as_dict(self) -> dict[str, object]:
        s = self.stats
        return {
            "item_id": self.item_id,
            "version": self.version,
            "n": s.n,
            "facility": s.facility,
            "point_biserial": s.point_biserial,
            "discrimination": s.discrimination,
            "upper_facility": s.upper_facility,
            "lower_facility": s.lower_facility,
            "omit_rate": s.omit_rate,
            "distractors": [
                {
                    "option": o.option,
                    "key": o.is_key,
                    "share": o.share,
                    "upper_share": o.upper_share,
                    "lower_share": o.lower_share,
                }
                for o in s.distractors
            ],
            "flags": [f.code for f in s.flags],
            "reasons": {f.code: f.reason for f in s.flags},
        }


async def item_report(
    session: AsyncSession, *, exam_code: str | None = None, rules: FlagRules | None = None
) -> list[ItemReport]:
    """Statistics of every item version answered in scored attempts (of one exam's
    versions with ``exam_code``), ordered by item id and version."""
    rules = rules or FlagRules()
    repo = AuthoringRepository(session)
    sums = await repo.item_sums(exam_code)
    answers = await repo.answer_counts(exam_code)
    reports = []
    for version in await repo.item_versions(list(sums)):
        counts = {str(o["id"]): [0, 0, 0] for o in version.options}
        for answer, chosen, upper, lower in answers.get(version.id, []):
            for option in filter(None, answer.split(",")):
                c = counts.setdefault(option, [0, 0, 0])
                c[0] += chosen
                c[1] += upper
                c[2] += lower
        key = {str(k) for k in version.key}
        options = [OptionCounts(o, o in key, *c) for o, c in counts.items()]
        reports.append(
            ItemReport(
                version.id,
                version.item_id,
                version.version,
                item_statistics(sums[version.id], options, rules),
            )
        )
    return sorted(reports, key=lambda r: (r.item_id, r.version))


@dataclass(frozen=True)
class ExamReport:
    exam_version_id: uuid.UUID
    code: str
    version: int
    pass_mark: float
    attempts: int
    pass_rate: float | None
    distribution: dict[int, int]  # number-correct total -> attempts
    reliability: ReliabilityStatistics


async def exam_report(session: AsyncSession, *, exam_code: str | None = None) -> list[ExamReport]:
    """Per exam version: pass rate (of every scored attempt), the distribution of the
    number-correct totals, KR-20 and SEM over the choice items."""
    repo = AuthoringRepository(session)
    totals = await repo.exam_totals(exam_code)
    slots = await repo.exam_item_slots(exam_code)
    distribution = await repo.score_distribution(exam_code)
    passes = await repo.pass_counts(exam_code)
    ids = list(totals.keys() | passes.keys())
    exams = await repo.exam_versions(ids)
    reports = []
    for vid in ids:
        exam = exams[vid]
        scored, passed = passes.get(vid, (0, 0))
        rel = (
            reliability(exam_sums(totals[vid], slots.get(vid, [])))
            if vid in totals
            else reliability(exam_sums((0, 0.0, 0.0), []))
        )
        reports.append(
            ExamReport(
                vid,
                exam.code,
                exam.version,
                exam.pass_mark,
                scored,
                passed / scored if scored else None,
                dict(sorted(distribution.get(vid, {}).items())),
                rel,
            )
        )
    return sorted(reports, key=lambda r: (r.code, r.version))
