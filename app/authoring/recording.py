"""The rows item analysis aggregates, built from one scored attempt (pure).

Every way an attempt's outcomes are recorded uses these: at scoring, in the scoring
transaction; a regrade's rescore, in its transaction; and the catch-up pass for attempts
scored before recording existed. Outcomes follow the scoring in force: an item is right
under its version's key correction, and a check's verdict under its check correction; a
dropped item or check counts for nobody, so it leaves no row."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from app.attempts.items import OPTION_LABELS
from app.grading.corrections import CheckCorrections, corrected_verdicts
from app.grading.scoring import KeyCorrection, score_corrected_item


@dataclass(frozen=True)
class AttemptFacts:
    attempt_id: uuid.UUID
    exam_version_id: uuid.UUID
    started_at: datetime
    scored_at: datetime | None
    repeat_taker: bool  # the candidate had started the same exam before


@dataclass(frozen=True)
class ChoiceSlot:
    """A choice item on the form, with the answer kept for it (labels as shown)."""

    ref: str
    item_version_id: uuid.UUID
    option_order: list[Any] | None
    choices: list[Any] | None
    first_answered_at: datetime | None  # the first save that held an answer


@dataclass(frozen=True)
class FinalRun:
    """A scenario's final grading run: its record holds the hidden checks' verdicts."""

    ref: str
    scenario_id: str
    scenario_version: int
    record: dict[str, Any] | None


def _chosen(slot: ChoiceSlot) -> list[str]:
    # As attempts.items.chosen_options maps them, without building ORM objects (a
    # third of the catch-up time, measured).
    order = slot.option_order or []
    return [str(order[OPTION_LABELS.index(label)]) for label in slot.choices or []]


def answer_seconds(started_at: datetime, slots: list[ChoiceSlot]) -> dict[str, float]:
    """Time to first answer, per slot answered when scored: seconds from the previous
    first answer on the form (or the start) to this item's first answer, the items
    taken in the order they were first answered.

    The item response time a psychometrician means is the time spent on the item
    before answering it. The server records when each item was first answered, not
    when it was shown; for a candidate working through the form, the item in front of
    them from one first answer to the next is the one answered next. A change made
    later, on a second pass, does not move an item's time (it did, when the last save
    was all that was stored), and neither does a flag-only save. An item answered and
    later cleared still marks where the candidate was, but has no time of its own."""
    first = sorted(
        (s for s in slots if s.first_answered_at is not None),
        key=lambda s: (s.first_answered_at, s.ref),
    )
    out: dict[str, float] = {}
    previous = started_at
    for s in first:
        assert s.first_answered_at is not None
        if s.choices:
            out[s.ref] = max(0.0, (s.first_answered_at - previous).total_seconds())
        previous = max(previous, s.first_answered_at)
    return out


def outcome_rows(
    attempt: AttemptFacts,
    slots: list[ChoiceSlot],
    keys: dict[uuid.UUID, list[Any]],
    corrections: dict[uuid.UUID, KeyCorrection | None] | None = None,
) -> list[dict[str, Any]]:
    """One row per choice item, right or wrong under the key in force (the version's
    key correction, from ``corrections``); a dropped item leaves none."""
    seconds = answer_seconds(attempt.started_at, slots)
    rows = []
    for s in slots:
        chosen = _chosen(s)
        correction = (corrections or {}).get(s.item_version_id)
        credit = score_corrected_item(keys[s.item_version_id], correction, chosen)
        if credit is None:
            continue
        rows.append(
            {
                "attempt_id": attempt.attempt_id,
                "ref": s.ref,
                "exam_version_id": attempt.exam_version_id,
                "item_version_id": s.item_version_id,
                "answer": ",".join(sorted(chosen)),
                "correct": int(credit == 1),
                "scored_at": attempt.scored_at,
                "repeat_taker": int(attempt.repeat_taker),
                "answer_seconds": seconds.get(s.ref),
            }
        )
    return rows


def check_rows(
    attempt: AttemptFacts, runs: list[FinalRun], corrections: CheckCorrections | None = None
) -> list[dict[str, Any]]:
    """One row per hidden check of each graded scenario (a check named twice in a
    record counts once, passed only if every entry passed), under the check corrections
    in force: an awarded check passed, a dropped one left out."""
    rows: dict[tuple[str, str], dict[str, Any]] = {}
    for run in runs:
        verdicts = corrected_verdicts(
            run.record, run.scenario_id, run.scenario_version, corrections or CheckCorrections()
        )
        if verdicts is None:
            verdicts = [
                (str(c["name"]), 0, 0.0, bool(c["passed"]))
                for c in (run.record or {}).get("checks", [])
            ]
        for raw_name, _, _, verdict in verdicts:
            name = raw_name[:128]
            passed = int(verdict)
            row = rows.setdefault(
                (run.ref, name),
                {
                    "attempt_id": attempt.attempt_id,
                    "ref": run.ref,
                    "check_name": name,
                    "exam_version_id": attempt.exam_version_id,
                    "scenario_id": run.scenario_id,
                    "scenario_version": run.scenario_version,
                    "passed": passed,
                    "scored_at": attempt.scored_at,
                },
            )
            row["passed"] = min(row["passed"], passed)
    return list(rows.values())
