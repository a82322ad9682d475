"""What a candidate sees of an attempt: its state, an item, a scenario, the result.
Never a key, a hidden check or a solution."""

from __future__ import annotations

import uuid
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from app.attempts import receipts
from app.attempts.exceptions import (
    ItemNotFound,
)
from app.attempts.hot import ItemSlot, StoredAnswer
from app.attempts.items import OPTION_LABELS, chosen_options, scenario_for, scenario_variant
from app.attempts.models import Attempt, AttemptItem, AttemptStatus, Response
from app.attempts.pipeline import PIPELINE
from app.attempts.repository import (
    AttemptRepository,
    FormMeta,
)
from app.attempts.runs import PUBLIC_CHECKS, runs_left
from app.certificates import service as certificates_service
from app.core.program import DOMAINS
from app.exams import service as exams_service
from app.grading import service as grading_service
from app.grading.pipeline import command_line
from app.grading.scenarios import Scenario
from app.grading.scoring import score_choice_item


@dataclass(frozen=True)
class AttemptView:
    attempt: Attempt
    items: Sequence[AttemptItem]
    responses: dict[str, Response]
    # Refs with an answer: choices made, or scenario files changed from the workspace
    # (a scenario only flagged, or saved unchanged, is not answered).
    answered: frozenset[str]

    @property
    def receipt(self) -> str:
        """The receipt of the answers stored now: the last acknowledgement's."""
        return receipts.receipt((ref, r.digest or "") for ref, r in self.responses.items())


async def attempt_view(
    session: AsyncSession, attempt: Attempt, scenarios: Mapping[str, Scenario]
) -> AttemptView:
    repo = AttemptRepository(session)
    items = await repo.items(attempt.id)
    responses = await repo.responses(attempt.id)
    answered = set()
    for item in items:
        response = responses.get(item.ref)
        if response is None:
            continue
        if item.kind == "scenario":
            scenario = scenario_variant(scenarios, item)
            workspace = scenario.workspace_files if scenario else {}
            if any(workspace.get(path) != text for path, text in (response.files or {}).items()):
                answered.add(item.ref)
        elif response.choices:
            answered.add(item.ref)
    return AttemptView(attempt, items, responses, frozenset(answered))


@dataclass(frozen=True)
class McqView:
    ref: str
    stem: str
    stem_html: str
    multiple: bool
    # (label, text, html) in the attempt's order.
    options: list[tuple[str, str, str]]
    answer: list[str]
    flagged: bool
    # The stored seq, so a client that lost its own count continues above it.
    seq: int


async def mcq_view(session: AsyncSession, slot: ItemSlot, ref: str) -> McqView:
    """The item as this candidate sees it: options in their shuffled order, labelled a, b,
    c... per attempt, never the key. ``slot``: the attempt's item and stored answer (one
    read, ``hot.HotReads.item``); the version's text from the per-process cache."""
    content = (
        await exams_service.item_content(session, slot.item_version_id)
        if slot.item_version_id is not None
        else None
    )
    if content is None:
        raise ItemNotFound()
    return McqView(
        ref=ref,
        stem=content.stem,
        stem_html=content.stem_html,
        multiple=content.multiple,
        options=[
            (OPTION_LABELS[i], *content.options[oid]) for i, oid in enumerate(slot.option_order)
        ],
        answer=slot.choices,
        flagged=slot.flagged,
        seq=slot.seq,
    )


@dataclass(frozen=True)
class StateView:
    """The attempt's items with what the candidate did on them, and the receipt of the
    answers stored now."""

    # (ref, kind, position), by position.
    items: list[tuple[str, str, int]]
    answered: frozenset[str]
    flagged: frozenset[str]
    receipt: str


async def state_view(
    session: AsyncSession,
    attempt_id: uuid.UUID,
    form: FormMeta,
    answers: Sequence[StoredAnswer],
    scenarios: Mapping[str, Scenario],
) -> StateView:
    """What ``attempt_view`` says, from the cached form and the stored answers (one read):
    the attempt's items are read only when a scenario has saved files, whose variant
    decides whether they differ from its workspace."""
    answered = {
        a.ref
        for a in answers
        if a.choices and a.ref in form.items and form.items[a.ref].kind != "scenario"
    }
    if any(a.files and getattr(form.items.get(a.ref), "kind", None) == "scenario" for a in answers):
        slots = {i.ref: i for i in await AttemptRepository(session).items(attempt_id)}
        for a in answers:
            slot = slots.get(a.ref)
            if slot is None or slot.kind != "scenario":
                continue
            scenario = scenario_variant(scenarios, slot)
            workspace = scenario.workspace_files if scenario else {}
            if any(workspace.get(path) != text for path, text in (a.files or {}).items()):
                answered.add(a.ref)
    return StateView(
        items=[(ref, meta.kind, meta.position) for ref, meta in form.items.items()],
        answered=frozenset(answered),
        flagged=frozenset(a.ref for a in answers if a.flagged and a.ref in form.items),
        receipt=receipts.receipt((a.ref, a.digest or "") for a in answers),
    )


@dataclass(frozen=True)
class ScenarioView:
    ref: str
    title: str
    brief: str
    files: dict[str, str]
    editable: list[str]
    public_checks: list[str]
    runs_left: int
    flagged: bool
    seq: int
    # The pipeline's command line (None: nothing to run) and the runs left for it.
    pipeline_command: str | None = None
    pipeline_runs_left: int = 0


async def scenario_view(
    session: AsyncSession, attempt: Attempt, ref: str, scenarios: Mapping[str, Scenario]
) -> ScenarioView:
    """The scenario as the candidate works on it: the brief, every workspace file with
    their saved edits applied, which files they may edit, the public checks' names and
    the runs left. Hidden checks, the probe and the solution never appear."""
    repo = AttemptRepository(session)
    slot = await repo.item(attempt.id, ref)
    if slot is None or slot.scenario_id is None:
        raise ItemNotFound()
    scenario = scenario_for(scenarios, slot)
    response = await repo.response(attempt.id, ref)
    return ScenarioView(
        ref=ref,
        title=scenario.title,
        brief=scenario.brief,
        files={**scenario.workspace_files, **(response.files or {} if response else {})},
        editable=list(scenario.editable),
        public_checks=[c.name for c in scenario.public_checks],
        runs_left=await runs_left(PUBLIC_CHECKS, session, attempt, ref, scenario),
        flagged=response.flagged if response else False,
        seq=response.seq if response else 0,
        pipeline_command=command_line(scenario.entry) if scenario.entry else None,
        pipeline_runs_left=await runs_left(PIPELINE, session, attempt, ref, scenario),
    )


@dataclass(frozen=True)
class DomainResult:
    """How the multiple-choice items of one domain went: the share right, never which."""

    domain: str
    right: int
    items: int


@dataclass(frozen=True)
class ResultView:
    attempt: Attempt
    pass_mark: float
    sections: list[tuple[str, float | None, float]]
    certificate_id: str | None
    domains: list[DomainResult]
    # A failed attempt: the first day a retake may start.
    retake_from: date | None
    # A final grading is stuck (our infrastructure, never the candidate's work).
    grading_delayed: bool


async def result_view(session: AsyncSession, attempt: Attempt) -> ResultView:
    exam = await exams_service.get_exam_version(session, attempt.exam_version_id)
    blueprint = exams_service.blueprint_of(exam)
    if attempt.section_scores is not None:
        sections = [(s["kind"], s["score"], s["weight"]) for s in attempt.section_scores]
    else:
        sections = [(s.kind, None, s.weight) for s in blueprint.sections]
    certificate = await certificates_service.certificate_for_attempt(session, attempt.id)
    retake_from = None
    if attempt.passed is False and attempt.submitted_at is not None:
        retake_from = (attempt.submitted_at + timedelta(days=blueprint.retake.wait_days)).date()
    return ResultView(
        attempt,
        exam.pass_mark,
        sections,
        certificates_service.display_id(certificate.public_id) if certificate else None,
        await _domain_results(session, attempt) if attempt.score is not None else [],
        retake_from,
        attempt.status == AttemptStatus.grading
        and await grading_service.grading_delayed(session, attempt.id),
    )


async def _domain_results(session: AsyncSession, attempt: Attempt) -> list[DomainResult]:
    repo = AttemptRepository(session)
    slots = [s for s in await repo.items(attempt.id) if s.item_version_id is not None]
    responses = await repo.responses(attempt.id)
    versions = await exams_service.item_versions(
        session, [s.item_version_id for s in slots if s.item_version_id is not None]
    )
    right: Counter[str] = Counter()
    items: Counter[str] = Counter()
    for slot in slots:
        assert slot.item_version_id is not None
        version = versions[slot.item_version_id]
        items[version.domain] += 1
        if score_choice_item(version.key, chosen_options(slot, responses.get(slot.ref))) == 1:
            right[version.domain] += 1
    order = {domain: i for i, domain in enumerate(DOMAINS)}
    return [
        DomainResult(domain, right[domain], n)
        for domain, n in sorted(items.items(), key=lambda kv: order.get(kv[0], len(order)))
    ]
