"""How the first process of a run starts: held for the cgroup move, under ``prlimit``,
and the walk that confines a process tree."""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable
from pathlib import Path

from app.grading.sandbox.results import Limits

# The first process: a shell that waits for one line on stdin before it execs the real
# command, so the grader can put it into the slot's cgroup while it is one process that
# is not forking (moving a process mid-clone waits on the kernel's cgroup lock for up to
# 15 ms here). Everything it starts inherits the cgroup. EOF (the grader gave up) exits.
HOLD = ["/bin/sh", "-c", 'read -r _ && exec "$@"', "assay-sandbox"]


def prlimit_args(prlimit: str, limits: Limits, *, per_uid: bool) -> list[str]:
    """The ``prlimit`` wrapper the first process is started under.

    ``prlimit(2)`` from the grader onto a child of another uid needs CAP_SYS_RESOURCE,
    which containers usually drop; a process lowering its own limits needs nothing.
    """
    args = [
        prlimit,
        f"--as={limits.address_space_bytes}:{limits.address_space_bytes}",
        f"--cpu={limits.cpu_seconds}:{limits.cpu_seconds + 1}",
        f"--fsize={limits.file_size_bytes}:{limits.file_size_bytes}",
        f"--nofile={limits.open_files}:{limits.open_files}",
        "--core=0:0",
    ]
    # RLIMIT_NPROC counts every process of the real uid; it only means "this run" when
    # the run has a uid of its own.
    if per_uid:
        args.append(f"--nproc={limits.processes}:{limits.processes}")
    return [*args, "--"]


def _children(pid: int) -> list[int]:
    kids: list[int] = []
    try:
        tids = os.listdir(f"/proc/{pid}/task")
    except FileNotFoundError:
        return kids
    for tid in tids:
        with contextlib.suppress(FileNotFoundError, ProcessLookupError):
            kids.extend(
                int(c) for c in Path(f"/proc/{pid}/task/{tid}/children").read_text().split()
            )
    return kids


def confine_tree(root: int, apply: Callable[[int], None]) -> None:
    """Apply limits to ``root`` and everything under it, parents before children."""
    stack = [root]
    seen: set[int] = set()
    while stack:
        pid = stack.pop()
        if pid in seen:
            continue
        seen.add(pid)
        try:
            apply(pid)
        except ProcessLookupError:
            continue
        stack.extend(_children(pid))
