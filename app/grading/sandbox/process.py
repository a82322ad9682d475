"""The process layer: rlimits, a uid, and a private capped tmpfs over /tmp where user
namespaces allow (else a fresh private directory on the host)."""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Callable
from typing import Any

from app.grading.sandbox.base import Sandbox, nothing
from app.grading.sandbox.pipes import memfd
from app.grading.sandbox.results import Limits
from app.grading.sandbox.slots import Slot
from app.grading.sandbox.storage import SHM, STORAGE


class ProcessSandbox(Sandbox):
    layer = "process"

    def __init__(self, *, workdir: str | None = None, **kwargs: Any) -> None:
        self._workdir = workdir
        super().__init__(**kwargs)

    def _command(
        self, slot: Slot, script: bytes, channel_fd: int, limits: Limits
    ) -> tuple[list[str], list[int], str | None, Callable[[], None]]:
        # The driver comes in as a memfd: no file of ours for the run to touch.
        script_fd = memfd("driver", script)
        argv = [self.python, "-I", "-B", f"/proc/self/fd/{script_fd}", str(channel_fd)]
        if self._storage is not None:
            # The run's own capped tmpfs over /tmp, in its mount namespace, and over
            # the other directories every uid may write.
            shared = tuple(p for p in (SHM, "/var/tmp") if os.path.isdir(p))  # noqa: S108
            argv = [*self._storage.prefix(limits, STORAGE, shared), *argv]
            # Started in /, the storage's shell enters the storage once it is mounted.
            return argv, [script_fd], None, nothing
        # No user namespaces: plain private directories on the host, capped in bytes per
        # file only.
        try:
            run_dir = tempfile.mkdtemp(prefix="assay-run-", dir=self._workdir)
        except BaseException:
            os.close(script_fd)
            raise
        try:
            for p in (os.path.join(run_dir, "work"), os.path.join(run_dir, "tmp")):
                os.mkdir(p, 0o700)
            if slot.uid is not None and slot.gid is not None:
                for p in (run_dir, os.path.join(run_dir, "work"), os.path.join(run_dir, "tmp")):
                    os.chown(p, slot.uid, slot.gid)
        except BaseException:
            os.close(script_fd)
            shutil.rmtree(run_dir, ignore_errors=True)
            raise

        def cleanup() -> None:
            shutil.rmtree(run_dir, ignore_errors=True)

        return argv, [script_fd], os.path.join(run_dir, "work"), cleanup

    def _env(self, home: str) -> dict[str, str]:
        if self._storage is not None:
            # The storage is working and temporary directory at once.
            return {**super()._env(STORAGE), "TMPDIR": STORAGE}
        # Host directories: <run>/work, and <run>/tmp beside it.
        return {**super()._env(home), "TMPDIR": os.path.join(os.path.dirname(home), "tmp")}
