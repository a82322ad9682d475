"""Item analysis queries. Every statistic comes from GROUP BY aggregates over
``item_outcomes`` joined with each attempt's number-correct total; only the grouped
rows (one per item version, or per item version and distinct answer) reach Python.
Portable SQL: window functions and integer arithmetic that SQLite and PostgreSQL share."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any

from sqlalchemy import Select, case, delete, func, insert, select, text
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from app.attempts.models import Attempt, AttemptItem, AttemptStatus, Response
from app.authoring.drift import Window
from app.authoring.models import CheckOutcome, ItemOutcome
from app.authoring.recording import AttemptFacts, ChoiceSlot, FinalRun
from app.authoring.statistics import GROUP_PERCENT, CheckSums, ExamSums, ItemSums
from app.exams.models import ExamVersion, ItemVersion
from app.grading.models import ScenarioRun

_o = ItemOutcome.__table__.c
# One recorder at a time (two would insert the same attempts' outcomes).
RECORD_LOCK_KEY = 0x41535341_59495452  # "ASSAYITR"
SCORED = (AttemptStatus.scored, AttemptStatus.under_review)


class AuthoringRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    # -- recording outcomes -------------------------------------------------------
    async def lock_for_recording(self) -> None:
        """Held until the transaction ends; a second recorder waits, then sees the
        first one's rows. SQLite already holds its write lock since BEGIN."""
        if self.session.get_bind().dialect.name == "postgresql":
            await self.session.execute(
                text("SELECT pg_advisory_xact_lock(:key)"), {"key": RECORD_LOCK_KEY}
            )

    async def scored_attempts_after(
        self, after: uuid.UUID | None, limit: int
    ) -> Sequence[uuid.UUID]:
        """Scored attempts with no recorded outcome yet, in id order from ``after``."""
        recorded = select(ItemOutcome.attempt_id).where(ItemOutcome.attempt_id == Attempt.id)
        stmt = (
            select(Attempt.id)
            .where(Attempt.status.in_(SCORED), ~recorded.exists())
            .order_by(Attempt.id)
            .limit(limit)
        )
        if after is not None:
            stmt = stmt.where(Attempt.id > after)
        return (await self.session.execute(stmt)).scalars().all()

    async def pending_count(self) -> int:
        """Scored attempts whose outcomes are not recorded yet."""
        recorded = select(ItemOutcome.attempt_id).where(ItemOutcome.attempt_id == Attempt.id)
        stmt = (
            select(func.count())
            .select_from(Attempt)
            .where(Attempt.status.in_(SCORED), ~recorded.exists())
        )
        return int((await self.session.execute(stmt)).scalar_one())

    async def attempt_facts(self, attempt_ids: Sequence[uuid.UUID]) -> list[AttemptFacts]:
        """Each attempt's exam version, times, and whether its candidate had started the
        same exam before (``ix_attempts_user_exam``)."""
        earlier = aliased(Attempt)
        repeat = (
            select(earlier.id)
            .where(
                earlier.user_id == Attempt.user_id,
                earlier.exam_code == Attempt.exam_code,
                earlier.started_at < Attempt.started_at,
            )
            .exists()
        )
        stmt = select(
            Attempt.id, Attempt.exam_version_id, Attempt.started_at, Attempt.scored_at, repeat
        ).where(Attempt.id.in_(attempt_ids))
        return [AttemptFacts(*row) for row in await self.session.execute(stmt)]

    async def slots(self, attempt_ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, list[ChoiceSlot]]:
        """The choice items on these attempts' forms with their answers (if any)."""
        stmt = (
            select(
                AttemptItem.attempt_id,
                AttemptItem.ref,
                AttemptItem.item_version_id,
                AttemptItem.option_order,
                Response.choices,
                Response.first_answered_at,
            )
            .outerjoin(
                Response,
                (Response.attempt_id == AttemptItem.attempt_id)
                & (Response.ref == AttemptItem.ref)
                # Stated on responses too: without it PostgreSQL hashed every response
                # of every attempt, once per batch (measured).
                & Response.attempt_id.in_(attempt_ids),
            )
            .where(
                AttemptItem.attempt_id.in_(attempt_ids),
                AttemptItem.kind != "scenario",
                AttemptItem.item_version_id.is_not(None),
            )
        )
        out: dict[uuid.UUID, list[ChoiceSlot]] = {}
        for attempt_id, *slot in await self.session.execute(stmt):
            out.setdefault(attempt_id, []).append(ChoiceSlot(*slot))
        return out

    async def final_runs(self, attempt_ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, list[FinalRun]]:
        """The finished final grading runs of these attempts (the catch-up pass; at
        scoring the runs come through the grading service)."""
        stmt = select(
            ScenarioRun.attempt_id,
            ScenarioRun.ref,
            ScenarioRun.scenario_id,
            ScenarioRun.scenario_version,
            ScenarioRun.record,
        ).where(
            ScenarioRun.attempt_id.in_(attempt_ids),
            ScenarioRun.kind == "final",
            ScenarioRun.status == "done",
        )
        out: dict[uuid.UUID, list[FinalRun]] = {}
        for attempt_id, *run in await self.session.execute(stmt):
            out.setdefault(attempt_id, []).append(FinalRun(*run))
        return out

    async def keys(
        self, item_version_ids: Sequence[uuid.UUID]
    ) -> dict[uuid.UUID, tuple[list[Any], dict[str, Any] | None]]:
        """Each version's published key and its key correction (None: none)."""
        stmt = select(ItemVersion.id, ItemVersion.key, ItemVersion.key_correction).where(
            ItemVersion.id.in_(item_version_ids)
        )
        return {vid: (key, correction) for vid, key, correction in await self.session.execute(stmt)}

    async def add_outcomes(self, rows: list[dict[str, Any]]) -> None:
        """On PostgreSQL one COPY in the session's transaction (an INSERT of many rows
        took ten times as long, measured: bench/item_stats.py); elsewhere an INSERT."""
        if not rows:
            return
        connection = await self.session.connection()
        if connection.dialect.name == "postgresql":
            raw = await connection.get_raw_connection()
            columns = list(rows[0])
            await raw.driver_connection.copy_records_to_table(  # type: ignore[union-attr]
                ItemOutcome.__tablename__,
                columns=columns,
                records=[tuple(r[c] for c in columns) for r in rows],
            )
            return
        await self.session.execute(insert(ItemOutcome), rows)

    async def add_checks(self, rows: list[dict[str, Any]]) -> None:
        if rows:
            await self.session.execute(insert(CheckOutcome), rows)

    async def analyze_outcomes(self) -> None:
        """PostgreSQL: refreshes the planner's statistics of the outcome tables. A
        catch-up adds rows in bulk, and until autovacuum's next pass the planner would
        take the table for its old size: at 20,000 attempts it then chose a merge join
        over an index for the item sums, 4.9 s against 2.0 s for a hash join on fresh
        statistics (EXPLAIN ANALYZE, bench/README.md). SQLite plans without them."""
        if self.session.get_bind().dialect.name == "postgresql":
            await self.session.execute(text("ANALYZE item_outcomes, check_outcomes"))

    async def forget_attempts(self, attempt_ids: Sequence[uuid.UUID]) -> None:
        """Drops these attempts' recorded outcomes (before they are recorded again)."""
        await self.session.execute(
            delete(ItemOutcome).where(ItemOutcome.attempt_id.in_(attempt_ids))
        )
        await self.session.execute(
            delete(CheckOutcome).where(CheckOutcome.attempt_id.in_(attempt_ids))
        )

    # -- aggregates ---------------------------------------------------------------
    def _totals(self, exam_version_ids: Select[Any] | None) -> Any:
        """Per attempt: its number-correct total."""
        totals = select(
            _o.attempt_id,
            _o.exam_version_id,
            func.sum(_o.correct).label("total"),
        ).group_by(_o.attempt_id, _o.exam_version_id)
        if exam_version_ids is not None:
            totals = totals.where(_o.exam_version_id.in_(exam_version_ids))
        return totals.subquery("totals")

    def _ranked(self, exam_version_ids: Select[Any] | None) -> Any:
        """Per attempt: its number-correct total and its group, 1 upper, -1 lower, 0
        middle; ranks by total, ties broken by attempt id, so groups are exact sizes."""
        t = self._totals(exam_version_ids)
        ranked = select(
            t.c.attempt_id,
            t.c.exam_version_id,
            t.c.total,
            func.row_number()
            .over(partition_by=t.c.exam_version_id, order_by=(t.c.total.desc(), t.c.attempt_id))
            .label("rank"),
            func.count().over(partition_by=t.c.exam_version_id).label("size"),
        ).subquery("ranked")
        group_n = (ranked.c.size * GROUP_PERCENT) // 100
        return select(
            ranked.c.attempt_id,
            ranked.c.exam_version_id,
            ranked.c.total,
            case(
                (ranked.c.rank <= group_n, 1),
                (ranked.c.rank > ranked.c.size - group_n, -1),
                else_=0,
            ).label("grp"),
        ).subquery("grouped")

    def _exam_filter(self, exam_code: str | None) -> Select[Any] | None:
        if exam_code is None:
            return None
        return select(ExamVersion.id).where(ExamVersion.code == exam_code)

    async def item_sums(
        self, exam_code: str | None
    ) -> tuple[dict[uuid.UUID, ItemSums], dict[uuid.UUID, list[tuple[str, int, int, int]]]]:
        """Per item version: its sums, and each distinct answer with how many chose it,
        overall, in the upper and in the lower group. One pass over the outcomes,
        grouped by item version and answer: within an item version an answer is right
        or wrong as a whole, so the item's sums are the sums of its answers' (half the
        time of a second pass for the answers, measured: bench/item_stats.py)."""
        g = self._ranked(self._exam_filter(exam_code))
        upper = case((g.c.grp == 1, 1), else_=0)
        lower = case((g.c.grp == -1, 1), else_=0)
        stmt = (
            select(
                _o.item_version_id,
                _o.answer,
                func.count(),
                func.sum(_o.correct),
                func.sum(g.c.total),
                func.sum(g.c.total * _o.correct),
                func.sum(g.c.total * g.c.total),
                func.sum(upper),
                func.sum(upper * _o.correct),
                func.sum(lower),
                func.sum(lower * _o.correct),
                func.count(_o.answer_seconds),
                func.coalesce(func.sum(_o.answer_seconds), 0.0),
            )
            .join(g, g.c.attempt_id == _o.attempt_id)
            .group_by(_o.item_version_id, _o.answer)
        )
        # Per item version, the columns above summed over its answers, then omitted.
        totals: dict[uuid.UUID, list[float]] = {}
        answers: dict[uuid.UUID, list[tuple[str, int, int, int]]] = {}
        for vid, answer, *columns in await self.session.execute(stmt):
            n, upper_n, lower_n = int(columns[0]), int(columns[5]), int(columns[7])
            answers.setdefault(vid, []).append((answer, n, upper_n, lower_n))
            into = totals.setdefault(vid, [0.0] * 12)
            for i, value in enumerate(columns):
                into[i] += float(value)
            into[11] += n if answer == "" else 0
        medians = await self.median_seconds(exam_code)
        sums = {
            vid: ItemSums(
                n=int(t[0]),
                right=int(t[1]),
                omitted=int(t[11]),
                sum_total=t[2],
                sum_total_right=t[3],
                sum_total_sq=t[4],
                upper_n=int(t[5]),
                upper_right=int(t[6]),
                lower_n=int(t[7]),
                lower_right=int(t[8]),
                timed=int(t[9]),
                sum_seconds=t[10],
                median_seconds=medians.get(vid),
            )
            for vid, t in totals.items()
        }
        return sums, answers

    async def median_seconds(self, exam_code: str | None) -> dict[uuid.UUID, float]:
        """Per item version: the median time to first answer of its timed answers.
        PostgreSQL's ``percentile_cont(0.5)``; elsewhere the mean of the middle one or
        two answers of each item ranked by time (window functions), the same value."""
        timed = _o.answer_seconds.is_not(None)
        ids = self._exam_filter(exam_code)
        scope = [timed] if ids is None else [timed, _o.exam_version_id.in_(ids)]
        if self.session.get_bind().dialect.name == "postgresql":
            stmt = (
                select(
                    _o.item_version_id,
                    func.percentile_cont(0.5).within_group(_o.answer_seconds),
                )
                .where(*scope)
                .group_by(_o.item_version_id)
            )
        else:
            ranked = (
                select(
                    _o.item_version_id,
                    _o.answer_seconds,
                    func.row_number()
                    .over(partition_by=_o.item_version_id, order_by=_o.answer_seconds)
                    .label("r"),
                    func.count().over(partition_by=_o.item_version_id).label("c"),
                )
                .where(*scope)
                .subquery("ranked")
            )
            stmt = (
                select(ranked.c.item_version_id, func.avg(ranked.c.answer_seconds))
                .where(_middle(ranked.c.r, ranked.c.c))
                .group_by(ranked.c.item_version_id)
            )
        return {vid: float(m) for vid, m in await self.session.execute(stmt) if m is not None}

    async def answer_counts(
        self, exam_code: str | None
    ) -> dict[uuid.UUID, list[tuple[str, int, int, int]]]:
        """Per item version: each distinct answer with how many chose it, overall, in
        the upper and in the lower group."""
        g = self._ranked(self._exam_filter(exam_code))
        stmt = (
            select(
                _o.item_version_id,
                _o.answer,
                func.count(),
                func.sum(case((g.c.grp == 1, 1), else_=0)),
                func.sum(case((g.c.grp == -1, 1), else_=0)),
            )
            .join(g, g.c.attempt_id == _o.attempt_id)
            .group_by(_o.item_version_id, _o.answer)
        )
        out: dict[uuid.UUID, list[tuple[str, int, int, int]]] = {}
        for vid, answer, chosen, up, low in await self.session.execute(stmt):
            out.setdefault(vid, []).append((answer, int(chosen), int(up), int(low)))
        return out

    async def item_versions(self, ids: Sequence[uuid.UUID]) -> Sequence[ItemVersion]:
        if not ids:
            return []
        stmt = select(ItemVersion).where(ItemVersion.id.in_(ids))
        return (await self.session.execute(stmt)).scalars().all()

    async def exam_item_slots(
        self, exam_code: str | None
    ) -> dict[uuid.UUID, list[tuple[int, int]]]:
        """Per exam version: (n, right) of every item version on its forms."""
        stmt = select(_o.exam_version_id, func.count(), func.sum(_o.correct)).group_by(
            _o.exam_version_id, _o.item_version_id
        )
        ids = self._exam_filter(exam_code)
        if ids is not None:
            stmt = stmt.where(_o.exam_version_id.in_(ids))
        out: dict[uuid.UUID, list[tuple[int, int]]] = {}
        for vid, n, right in await self.session.execute(stmt):
            out.setdefault(vid, []).append((int(n), int(right)))
        return out

    async def score_distribution(self, exam_code: str | None) -> dict[uuid.UUID, dict[int, int]]:
        """Per exam version: attempts by number-correct total (their sums, KR-20's
        variance, come from it: no second pass over the outcomes)."""
        g = self._totals(self._exam_filter(exam_code))
        stmt = select(g.c.exam_version_id, g.c.total, func.count()).group_by(
            g.c.exam_version_id, g.c.total
        )
        out: dict[uuid.UUID, dict[int, int]] = {}
        for vid, total, n in await self.session.execute(stmt):
            out.setdefault(vid, {})[int(total)] = int(n)
        return out

    async def pass_counts(self, exam_code: str | None) -> dict[uuid.UUID, tuple[int, int]]:
        stmt = (
            select(
                Attempt.exam_version_id,
                func.count(),
                func.sum(case((Attempt.passed.is_(True), 1), else_=0)),
            )
            .where(Attempt.status.in_(SCORED))
            .group_by(Attempt.exam_version_id)
        )
        ids = self._exam_filter(exam_code)
        if ids is not None:
            stmt = stmt.where(Attempt.exam_version_id.in_(ids))
        return {vid: (int(n), int(p)) for vid, n, p in await self.session.execute(stmt)}

    async def exposure(self, exam_code: str | None) -> dict[uuid.UUID, float]:
        """Per item version: the share of the scored attempts (of the exam versions it
        was drawn for) whose form held it. The attempts are counted from their own
        table (a distinct count over the outcomes took as long as the item sums)."""
        attempts = (
            select(Attempt.exam_version_id, func.count().label("n"))
            .where(Attempt.status.in_(SCORED))
            .group_by(Attempt.exam_version_id)
            .subquery("attempts")
        )
        shown = (
            select(_o.item_version_id, _o.exam_version_id, func.count().label("n"))
            .group_by(_o.item_version_id, _o.exam_version_id)
            .subquery("shown")
        )
        stmt = (
            select(shown.c.item_version_id, func.sum(shown.c.n), func.sum(attempts.c.n))
            .join(attempts, attempts.c.exam_version_id == shown.c.exam_version_id)
            .group_by(shown.c.item_version_id)
        )
        ids = self._exam_filter(exam_code)
        if ids is not None:
            stmt = stmt.where(shown.c.exam_version_id.in_(ids))
        return {vid: int(k) / int(n) for vid, k, n in await self.session.execute(stmt) if n}

    async def check_sums(self, exam_code: str | None) -> dict[tuple[str, int, str], CheckSums]:
        """Per (scenario id, version, check): passes and the sums of the attempts'
        scores, over scored attempts."""
        c = CheckOutcome.__table__.c
        score = func.coalesce(Attempt.score, 0.0)
        stmt = (
            select(
                c.scenario_id,
                c.scenario_version,
                c.check_name,
                func.count(),
                func.sum(c.passed),
                func.sum(score),
                func.sum(score * c.passed),
                func.sum(score * score),
            )
            .join(Attempt, Attempt.id == c.attempt_id)
            .where(Attempt.status.in_(SCORED))
            .group_by(c.scenario_id, c.scenario_version, c.check_name)
        )
        ids = self._exam_filter(exam_code)
        if ids is not None:
            stmt = stmt.where(c.exam_version_id.in_(ids))
        return {
            (sid, int(v), name): CheckSums(int(n), int(p), float(s), float(sp), float(ss))
            for sid, v, name, n, p, s, sp, ss in await self.session.execute(stmt)
        }

    async def drift_windows(
        self, item_version_ids: Sequence[uuid.UUID], baseline_n: int, window_n: int
    ) -> dict[tuple[uuid.UUID, int], list[Window]]:
        """Per (item version, repeat taker 0/1): the baseline (index -1, the group's
        first ``baseline_n`` responses in scoring order) and the following windows of
        ``window_n``, each with its count, rights, span and median time to first answer
        (of its timed answers: ``percentile_cont`` on PostgreSQL, elsewhere the middle
        one or two by window functions)."""
        if not item_version_ids:
            return {}
        rn = func.row_number().over(
            partition_by=(_o.item_version_id, _o.repeat_taker),
            order_by=(_o.scored_at, _o.attempt_id),
        )
        numbered = (
            select(
                _o.item_version_id,
                _o.repeat_taker,
                _o.correct,
                _o.answer_seconds,
                _o.scored_at,
                rn.label("rn"),
            )
            .where(_o.item_version_id.in_(item_version_ids))
            .subquery("numbered")
        )
        blk = case(
            (numbered.c.rn <= baseline_n, -1),
            else_=(numbered.c.rn - baseline_n - 1) // window_n,
        )
        b = select(numbered, blk.label("blk")).subquery("blocked")
        keys = (b.c.item_version_id, b.c.repeat_taker, b.c.blk)
        if self.session.get_bind().dialect.name == "postgresql":
            # Numbered straight off ix_item_outcomes_item_scored (its order, and the
            # columns it carries: an index-only scan), then each window's median by
            # percentile_cont over its own few rows: no sort of every response (that
            # sort spilled to disk, 60 MB at 20,000 attempts: bench/item_stats.py).
            stmt = select(
                *keys,
                func.count(),
                func.sum(b.c.correct),
                func.min(b.c.scored_at),
                func.max(b.c.scored_at),
                func.percentile_cont(0.5).within_group(b.c.answer_seconds),
            ).group_by(*keys)
        else:
            # Within each window, timed answers ranked by time (untimed last) and counted.
            ranked = select(
                b,
                func.row_number()
                .over(partition_by=keys, order_by=b.c.answer_seconds.asc().nulls_last())
                .label("r"),
                func.count(b.c.answer_seconds).over(partition_by=keys).label("c"),
            ).subquery("ranked")
            k = (ranked.c.item_version_id, ranked.c.repeat_taker, ranked.c.blk)
            middle = _middle(ranked.c.r, ranked.c.c)
            stmt = select(
                *k,
                func.count(),
                func.sum(ranked.c.correct),
                func.min(ranked.c.scored_at),
                func.max(ranked.c.scored_at),
                func.avg(case((middle & (ranked.c.c > 0), ranked.c.answer_seconds))),
            ).group_by(*k)
        out: dict[tuple[uuid.UUID, int], list[Window]] = {}
        for vid, rep, index, n, right, first, last, median in await self.session.execute(stmt):
            out.setdefault((vid, int(rep)), []).append(
                Window(
                    int(index),
                    int(n),
                    int(right),
                    None if median is None else float(median),
                    first,
                    last,
                )
            )
        for windows in out.values():
            windows.sort(key=lambda w: w.index)
        return out

    async def versions_of_item(self, item_version_id: uuid.UUID) -> Sequence[ItemVersion]:
        """Every version of the item this version belongs to, oldest first."""
        item_id = select(ItemVersion.item_id).where(ItemVersion.id == item_version_id)
        stmt = (
            select(ItemVersion)
            .where(ItemVersion.item_id == item_id.scalar_subquery())
            .order_by(ItemVersion.version)
        )
        return (await self.session.execute(stmt)).scalars().all()

    async def exam_versions(self, ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, ExamVersion]:
        if not ids:
            return {}
        stmt = select(ExamVersion).where(ExamVersion.id.in_(ids))
        return {e.id: e for e in (await self.session.execute(stmt)).scalars()}


def _middle(rank: Any, count: Any) -> Any:
    """The middle row (odd ``count``) or two (even) of rows ranked 1..count: their mean
    is the median."""
    return (rank == (count + 1) // 2) | (rank == (count + 2) // 2)


def exam_sums(totals: tuple[int, float, float], slots: list[tuple[int, int]]) -> ExamSums:
    n, s, ss = totals
    return ExamSums(
        attempts=n,
        sum_total=s,
        sum_total_sq=ss,
        item_slots=sum(k for k, _ in slots),
        sum_npq=sum(k * (r / k) * (1 - r / k) for k, r in slots if k),
    )
