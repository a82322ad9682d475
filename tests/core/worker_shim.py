"""`assay worker` as the tests run it, with its grader replaced when asked:

    python -m tests.core.worker_shim worker [options]

ASSAY_TEST_GRADER=hold: every grading waits forever once started (a test kills the
worker then, mid-run); =fail: no sandbox ever starts. Anything else: the real grader.
"""

from __future__ import annotations

import asyncio
import os

from app.cli import main
from app.grading import service as grading_service
from app.grading.exceptions import SandboxStartError


async def _hold(*args: object, **kwargs: object) -> None:
    await asyncio.Event().wait()


async def _fail(*args: object, **kwargs: object) -> None:
    raise SandboxStartError("no sandbox would start (test)")


if __name__ == "__main__":
    grader = os.environ.get("ASSAY_TEST_GRADER", "")
    if grader == "hold":
        grading_service.grade_submission = _hold  # type: ignore[assignment]
    elif grader == "fail":
        grading_service.grade_submission = _fail  # type: ignore[assignment]
    main()
