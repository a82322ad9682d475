"""A pipeline run: the scenario's entry command (``python run.py`` or what scenario.yaml
declares) on the candidate's files, in the sandbox, with capped output.

Like a terminal in a performance-based exam: the candidate reads what the pipeline
prints to find the fault. Nothing here is judged. The driver says hello on its channel
(so "the sandbox never started" is told apart from "the pipeline failed", and only the
first is retried), then runs the entry script as ``__main__`` and reports nothing else.
"""

from __future__ import annotations

import asyncio
import logging
import marshal
import math
import time
from collections.abc import Mapping
from dataclasses import dataclass

from app.grading.driver import HELLO
from app.grading.exceptions import SandboxStartError
from app.grading.grader import DRIVER_SOURCE, default_sandbox
from app.grading.sandbox import Limits, Sandbox
from app.grading.scenarios import Scenario

OUTPUT_BYTES = 64 * 1024
START_ATTEMPTS = 3
log = logging.getLogger(__name__)


@dataclass(frozen=True)
class PipelineOutput:
    exit_code: int | None  # None: stopped at the time limit
    timed_out: bool
    stdout: str
    stderr: str
    truncated: bool
    duration_ms: int
    layer: str


def command_line(entry: tuple[str, ...]) -> str:
    """What the candidate sees as the command: ``python run.py --day tuesday``."""
    return " ".join(("python", *entry))


def merged_files(scenario: Scenario, files: Mapping[str, str]) -> dict[str, str]:
    """The workspace with the candidate's saved edits (editable files only) applied."""
    edits = {p: t for p, t in files.items() if p in scenario.editable and isinstance(t, str)}
    return {**scenario.workspace_files, **edits}


def _text(data: bytes) -> str:
    # PostgreSQL text holds no NUL; a cut in the middle of a character is replaced too.
    return data.decode("utf-8", errors="replace").replace("\x00", "\ufffd")


async def run_pipeline(
    scenario: Scenario, files: Mapping[str, str], *, sandbox: Sandbox | None = None
) -> PipelineOutput:
    """Run the scenario's entry on ``files`` (the candidate's saved edits). Raises
    ``SandboxStartError`` when no sandbox would start (never the candidate's doing)."""
    if scenario.entry is None:
        raise ValueError(f"{scenario.id} has no entry command")
    box = sandbox or default_sandbox()
    request = {"nonce": "-", "files": merged_files(scenario, files), "entry": list(scenario.entry)}
    payload = marshal.dumps(request, 4)
    limits = Limits(
        wall_seconds=scenario.run_seconds,
        cpu_seconds=math.ceil(scenario.run_seconds) + 1,
        output_keep_bytes=OUTPUT_BYTES,
    )
    last = ""
    for attempt in range(START_ATTEMPTS):
        started = time.perf_counter()
        try:
            result = await box.run(DRIVER_SOURCE, stdin=payload, limits=limits)
        except SandboxStartError as exc:
            last = exc.message
        else:
            if result.channel.startswith(HELLO):
                return PipelineOutput(
                    exit_code=None if result.timed_out else result.exit_code,
                    timed_out=result.timed_out,
                    stdout=_text(result.stdout),
                    stderr=_text(result.stderr),
                    truncated=result.output_truncated,
                    duration_ms=round((time.perf_counter() - started) * 1000),
                    layer=result.layer,
                )
            last = result.stderr.decode(errors="replace").strip()[:300] or "no output"
        log.warning("sandbox for a pipeline run did not start (try %d): %s", attempt + 1, last)
        await asyncio.sleep(0.05 * (attempt + 1) ** 2)
    raise SandboxStartError(f"the sandbox did not start for a pipeline run: {last}")
