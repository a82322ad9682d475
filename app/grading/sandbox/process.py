"""The process layer: a fresh private directory on the host, rlimits and a uid."""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Callable
from typing import Any

from app.grading.sandbox.base import Sandbox
from app.grading.sandbox.results import Limits
from app.grading.sandbox.slots import Slot


class ProcessSandbox(Sandbox):
    layer = "process"

    def __init__(self, *, workdir: str | None = None, **kwargs: Any) -> None:
        self._workdir = workdir
        super().__init__(**kwargs)

    def _command(
        self, slot: Slot, script: bytes, channel_fd: int, limits: Limits
    ) -> tuple[list[str], list[int], str | None, Callable[[], None]]:
        run_dir = tempfile.mkdtemp(prefix="assay-run-", dir=self._workdir)
        try:
            os.mkdir(os.path.join(run_dir, "tmp"), 0o700)
            script_path = os.path.join(run_dir, "driver.py")
            with open(script_path, "wb") as fh:
                fh.write(script)
            os.chmod(script_path, 0o444)
            if slot.uid is not None and slot.gid is not None:
                for p in (run_dir, os.path.join(run_dir, "tmp")):
                    os.chown(p, slot.uid, slot.gid)
        except BaseException:
            shutil.rmtree(run_dir, ignore_errors=True)
            raise

        def cleanup() -> None:
            shutil.rmtree(run_dir, ignore_errors=True)

        argv = [self.python, "-I", "-B", script_path, str(channel_fd)]
        return argv, [], run_dir, cleanup

    def _env(self, home: str) -> dict[str, str]:
        return {**super()._env(home), "TMPDIR": os.path.join(home, "tmp")}
