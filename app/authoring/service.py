"""Item analysis: record each scored attempt's outcomes once, then compute statistics
per item version and per exam version from SQL aggregates over them."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from app.attempts.models import Attempt, AttemptItem, Response
from app.authoring.drift import FIRST_TIME, REPEAT, Drift, DriftRules, Series, detect
from app.authoring.recording import ChoiceSlot, FinalRun, check_rows, outcome_rows
from app.authoring.repository import AuthoringRepository, exam_sums
from app.authoring.statistics import (
    CheckStatistics,
    DecisionConsistency,
    Flag,
    FlagRules,
    ItemStatistics,
    OptionCounts,
    ReliabilityStatistics,
    check_statistics,
    decision_consistency,
    item_statistics,
    reliability,
)
from app.exams.models import ItemVersion
from app.grading import service as grading_service
from app.grading.corrections import CheckCorrections
from app.grading.scoring import KeyCorrection


async def record_at_scoring(
    session: AsyncSession,
    attempt: Attempt,
    slots: Sequence[AttemptItem],
    responses: Mapping[str, Response],
    keys: Mapping[uuid.UUID, list[Any]],
    corrections: Mapping[uuid.UUID, KeyCorrection | None] | None = None,
) -> None:
    """Records a scored attempt's outcomes in the scoring transaction: each choice
    item's answer and correctness under the key in force (``corrections``: each
    version's key correction), the time to its first answer, whether the candidate was
    taking the exam again, and each hidden check's verdict under the check corrections
    in force. Scoring again (a regrade) replaces what an earlier scoring recorded.
    Flushes; the caller commits."""
    repo = AuthoringRepository(session)
    await repo.forget_attempts([attempt.id])
    [facts] = await repo.attempt_facts([attempt.id])
    choice_slots = [
        ChoiceSlot(
            s.ref,
            s.item_version_id,
            s.option_order,
            r.choices if (r := responses.get(s.ref)) else None,
            r.first_answered_at if r else None,
        )
        for s in slots
        if s.kind != "scenario" and s.item_version_id is not None
    ]
    runs = [
        FinalRun(r.ref, r.scenario_id, r.scenario_version, r.record)
        for r in await grading_service.runs_of(session, attempt.id)
        if r.kind == "final" and r.status == "done"
    ]
    await repo.add_outcomes(outcome_rows(facts, choice_slots, dict(keys), dict(corrections or {})))
    await repo.add_checks(check_rows(facts, runs, await grading_service.check_corrections(session)))
    await session.flush()


class _Scoring:
    """The keys and corrections in force, read once per version for a run of batches."""

    def __init__(self, checks: CheckCorrections) -> None:
        self.keys: dict[uuid.UUID, list[Any]] = {}
        self.corrections: dict[uuid.UUID, KeyCorrection | None] = {}
        self.checks = checks

    async def record(self, repo: AuthoringRepository, ids: Sequence[uuid.UUID]) -> None:
        slots = await repo.slots(ids)
        missing = list({s.item_version_id for ss in slots.values() for s in ss} - self.keys.keys())
        if missing:
            for vid, (key, correction) in (await repo.keys(missing)).items():
                self.keys[vid] = key
                self.corrections[vid] = KeyCorrection.from_json(correction) if correction else None
        runs = await repo.final_runs(ids)
        rows: list[dict[str, Any]] = []
        checks: list[dict[str, Any]] = []
        for facts in await repo.attempt_facts(ids):
            slots_of = slots.get(facts.attempt_id, [])
            rows.extend(outcome_rows(facts, slots_of, self.keys, self.corrections))
            checks.extend(check_rows(facts, runs.get(facts.attempt_id, []), self.checks))
        await repo.add_outcomes(rows)
        await repo.add_checks(checks)


async def record_again(session: AsyncSession, attempt_ids: Sequence[uuid.UUID]) -> None:
    """Records these rescored attempts' outcomes again under the scoring in force (a
    regrade's batch, in its transaction), replacing what was recorded. Flushes."""
    if not attempt_ids:
        return
    repo = AuthoringRepository(session)
    await repo.forget_attempts(attempt_ids)
    await _Scoring(await grading_service.check_corrections(session)).record(repo, attempt_ids)
    await session.flush()


async def record_outcomes(
    session: AsyncSession,
    *,
    batch: int = 500,
    progress: Callable[[int], None] | None = None,
) -> int:
    """Catches up: records the outcomes of every scored attempt with none recorded yet
    (scored before recording at scoring existed), in batches (memory bounded by
    ``batch``). Idempotent: a recorded attempt is skipped. Returns how many attempts
    were examined. After a catch-up the planner's statistics of the outcome tables are
    refreshed: the analysis that follows plans on them. One recorder at a time (a lock
    held to the end of the transaction). Flushes; the caller commits."""
    repo = AuthoringRepository(session)
    await repo.lock_for_recording()
    scoring = _Scoring(await grading_service.check_corrections(session))
    after: uuid.UUID | None = None
    examined = 0
    while True:
        ids = await repo.scored_attempts_after(after, batch)
        if not ids:
            if examined:
                await repo.analyze_outcomes()
            return examined
        after = ids[-1]
        await scoring.record(repo, ids)
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
    domain: str = ""
    exposure: float | None = None  # share of its exams' attempts whose form held it

    def as_dict(self, more_flags: Sequence[Flag] = (), *, min_n: int = 0) -> dict[str, object]:
        """The JSON shape (API.md); ``more_flags`` adds flags from elsewhere (drift).
        Below ``min_n`` responses every statistic of the responses is null: too few to
        mean anything, as the pages show them."""
        s = self.stats
        flags = [*s.flags, *more_flags]

        def shown(value: float | None) -> float | None:
            return value if s.n >= min_n else None

        return {
            "item_id": self.item_id,
            "version": self.version,
            "n": s.n,
            "facility": shown(s.facility),
            "point_biserial": shown(s.point_biserial),
            "discrimination": shown(s.discrimination),
            "upper_facility": shown(s.upper_facility),
            "lower_facility": shown(s.lower_facility),
            "omit_rate": shown(s.omit_rate),
            "median_seconds": shown(s.median_seconds),
            "mean_seconds": shown(s.mean_seconds),
            "exposure": self.exposure,
            "distractors": [
                {
                    "option": o.option,
                    "key": o.is_key,
                    "share": shown(o.share),
                    "upper_share": shown(o.upper_share),
                    "lower_share": shown(o.lower_share),
                }
                for o in s.distractors
            ],
            "flags": [f.code for f in flags],
            "reasons": {f.code: f.reason for f in flags},
        }


async def item_report(
    session: AsyncSession, *, exam_code: str | None = None, rules: FlagRules | None = None
) -> list[ItemReport]:
    """Statistics of every item version answered in scored attempts (of one exam's
    versions with ``exam_code``), ordered by item id and version."""
    rules = rules or FlagRules()
    repo = AuthoringRepository(session)
    sums, answers = await repo.item_sums(exam_code)
    exposure = await repo.exposure(exam_code)
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
                version.domain,
                exposure.get(version.id),
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
    consistency: DecisionConsistency | None = None


async def exam_report(session: AsyncSession, *, exam_code: str | None = None) -> list[ExamReport]:
    """Per exam version: pass rate (of every scored attempt), the distribution of the
    number-correct totals, KR-20 and SEM over the choice items."""
    repo = AuthoringRepository(session)
    slots = await repo.exam_item_slots(exam_code)
    distribution = await repo.score_distribution(exam_code)
    totals = {
        vid: (
            sum(d.values()),
            float(sum(t * c for t, c in d.items())),
            float(sum(t * t * c for t, c in d.items())),
        )
        for vid, d in distribution.items()
    }
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
                decision_consistency(
                    distribution.get(vid, {}),
                    round(rel.items_per_form or 0),
                    exam.pass_mark,
                    rel.kr20,
                ),
            )
        )
    return sorted(reports, key=lambda r: (r.code, r.version))


@dataclass(frozen=True)
class CheckReport:
    scenario_id: str
    scenario_version: int
    check: str
    stats: CheckStatistics


async def check_report(
    session: AsyncSession, *, exam_code: str | None = None, rules: FlagRules | None = None
) -> list[CheckReport]:
    """Every hidden check of every scenario version graded in scored attempts: pass
    rate, point-biserial with the exam score, and the check nobody passes."""
    rules = rules or FlagRules()
    sums = await AuthoringRepository(session).check_sums(exam_code)
    return [
        CheckReport(sid, version, name, check_statistics(s, rules))
        for (sid, version, name), s in sorted(sums.items())
    ]


async def drift(
    session: AsyncSession,
    item_version_ids: Sequence[uuid.UUID],
    rules: DriftRules | None = None,
) -> dict[uuid.UUID, Drift]:
    """Leak and drift tests of these item versions, first-time and repeat takers apart."""
    rules = rules or DriftRules()
    windows = await AuthoringRepository(session).drift_windows(
        item_version_ids, rules.baseline_n, rules.window_n
    )
    out = {}
    for vid in item_version_ids:
        series = []
        for repeat, group in ((0, FIRST_TIME), (1, REPEAT)):
            found = windows.get((vid, repeat), [])
            base = next((w for w in found if w.index == -1), None)
            series.append(Series(group, base, [w for w in found if w.index >= 0]))
        out[vid] = detect(series, rules)
    return out


async def item_versions(session: AsyncSession, item_version_id: uuid.UUID) -> Sequence[ItemVersion]:
    """Every version of the item that ``item_version_id`` is a version of (none if no
    such version), oldest first."""
    return await AuthoringRepository(session).versions_of_item(item_version_id)
