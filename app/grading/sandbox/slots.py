"""Worker slots: one per concurrent run, each with its own unprivileged uid (claimed
machine-wide by a lock file) and its cgroup where the host has them."""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import os
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path

from app.grading.cgroups import SlotCgroup
from app.grading.exceptions import SandboxStartError

# Below systemd's DynamicUser range (61184-65519) and above Debian's ordinary users.
DEFAULT_UID_BASE = 60900
UID_SPAN = 256
LOCK_DIR = Path("/run/assay-sandbox")


@dataclass
class Slot:
    index: int
    uid: int | None
    gid: int | None
    cgroup: SlotCgroup | None
    lock_fd: int | None = None


@dataclass
class SlotPool:
    slots: list[Slot]
    _free: list[Slot] = field(default_factory=list)
    _waiters: list[asyncio.Future[None]] = field(default_factory=list)

    def __post_init__(self) -> None:
        self._free = list(self.slots)

    @contextlib.asynccontextmanager
    async def acquire(self) -> AsyncIterator[Slot]:
        while not self._free:
            waiter: asyncio.Future[None] = asyncio.get_running_loop().create_future()
            self._waiters.append(waiter)
            try:
                await waiter
            finally:
                with contextlib.suppress(ValueError):
                    self._waiters.remove(waiter)
        slot = self._free.pop()
        try:
            yield slot
        finally:
            self._free.append(slot)
            for waiter in self._waiters:
                if not waiter.done():
                    waiter.set_result(None)
                    break


def env_uid_base() -> int:
    raw = os.environ.get("ASSAY_SANDBOX_UID_BASE", "")
    return int(raw) if raw.isdigit() else DEFAULT_UID_BASE


def lock_uids(base: int, count: int) -> list[tuple[int, int]]:
    """Claim ``count`` uids machine-wide (one flock'd file each under /run), so two
    grader processes on one machine never share a slot uid."""
    LOCK_DIR.mkdir(mode=0o700, exist_ok=True)
    claimed: list[tuple[int, int]] = []
    for uid in range(base, base + UID_SPAN):
        if len(claimed) == count:
            break
        fd = os.open(LOCK_DIR / f"uid-{uid}.lock", os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            continue
        claimed.append((uid, fd))
    if len(claimed) < count:
        for _, fd in claimed:
            os.close(fd)
        raise SandboxStartError(f"no free sandbox uids in {base}..{base + UID_SPAN - 1}")
    return claimed


def become_subreaper() -> None:
    """PR_SET_CHILD_SUBREAPER: orphans of sandbox runs come back to us, not to the
    machine's init (which, in containers, may never reap them)."""
    import ctypes

    libc = ctypes.CDLL(None, use_errno=True)
    if libc.prctl(36, 1, 0, 0, 0) != 0:
        raise OSError(ctypes.get_errno(), "prctl(PR_SET_CHILD_SUBREAPER)")
