"""Autosave: the answers a candidate gives, checked and stored in the statement that
guards them (owner, status, deadline)."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

from app.attempts import receipts
from app.attempts.exceptions import (
    AttemptClosed,
    AttemptNotFound,
    AttemptNotStarted,
    InvalidAnswer,
    ItemNotFound,
)
from app.attempts.items import OPTION_LABELS, scenario_of
from app.attempts.models import AttemptStatus
from app.attempts.repository import (
    AnswerWrite,
    AutosaveRepository,
)
from app.core.clock import Clock
from app.grading.scenarios import Scenario

MAX_FILE_BYTES = 64 * 1024


def _checked_files(files: dict[str, str], scenario: Scenario) -> dict[str, str]:
    outside = sorted(set(files) - set(scenario.editable))
    if outside:
        raise InvalidAnswer(f"These files are not editable here: {', '.join(outside)}.")
    too_big = [path for path, text in files.items() if len(text.encode()) > MAX_FILE_BYTES]
    if too_big:
        raise InvalidAnswer(f"Files over {MAX_FILE_BYTES // 1024} KiB: {', '.join(too_big)}.")
    return files


@dataclass(frozen=True)
class Saved:
    ref: str
    seq: int
    saved_at: datetime
    receipt: str


async def save_response(
    autosave: AutosaveRepository,
    clock: Clock,
    *,
    grace: timedelta,
    scenarios: Mapping[str, Scenario],
    user_id: uuid.UUID,
    attempt_id: uuid.UUID,
    ref: str,
    seq: int,
    choices: list[str] | None,
    files: dict[str, str] | None,
    flagged: bool,
) -> Saved:
    """Autosave. Idempotent: a repeated or older ``seq`` is acknowledged with what is
    stored and changes nothing. The write and the checks that guard it (owner, status,
    deadline) are one statement."""
    now = clock.now()
    form = await autosave.form_meta(attempt_id, now)
    if form is None or form.owner_id != user_id:
        raise AttemptNotFound()
    meta = form.items.get(ref)
    if meta is None:
        raise ItemNotFound()
    if now < form.starts_at:
        raise AttemptNotStarted()
    if meta.kind == "mcq":
        if files is not None:
            raise InvalidAnswer("A multiple-choice answer has `choices`, not `files`.")
        choices = _checked_choices(choices or [], meta.option_count, meta.multiple)
    else:
        if choices is not None:
            raise InvalidAnswer("A scenario answer has `files`, not `choices`.")
        files = _checked_files(files or {}, scenario_of(scenarios, meta.scenario_id or ""))
    digest = receipts.item_digest(ref, choices, files, flagged)
    stored = await autosave.upsert_response(
        AnswerWrite(
            attempt_id,
            user_id,
            ref,
            seq,
            choices,
            files,
            flagged,
            now,
            now - grace,
            digest,
            # A save that only flags the item (or clears it) is not an answer.
            now if choices or files else None,
        )
    )
    if stored is not None:
        return Saved(ref, *stored)
    state = await autosave.attempt_state(attempt_id)
    if state is None or state.owner_id != user_id:
        raise AttemptNotFound()
    if state.status != AttemptStatus.in_progress or state.deadline_at <= now - grace:
        raise AttemptClosed()
    existing = await autosave.stored_response(attempt_id, ref)
    if existing is None:  # pragma: no cover - the upsert wrote or a newer seq exists
        raise AttemptClosed()
    return Saved(ref, *existing)


def _checked_choices(choices: list[str], option_count: int, multiple: bool) -> list[str]:
    labels = OPTION_LABELS[:option_count]
    unknown = [c for c in choices if c not in labels]
    if unknown:
        raise InvalidAnswer(f"Unknown option(s) {unknown}; this item has {', '.join(labels)}.")
    if len(set(choices)) != len(choices):
        raise InvalidAnswer("An option is chosen twice.")
    if not multiple and len(choices) > 1:
        raise InvalidAnswer("This item takes one answer.")
    return sorted(choices)
