"""The end of every run: kill and reap what is left of the slot's uid, zombies included."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import time
from pathlib import Path

from app.grading.cgroups import SlotCgroup
from app.grading.exceptions import SandboxStartError


async def sweep(uid: int, cgroup: SlotCgroup | None, budget_seconds: float = 5.0) -> int:
    """SIGKILL and reap what is left of a run until nothing of its uid remains.

    The grader is a child subreaper (``become_subreaper``): when a run's main process
    is gone, everything it left (bubblewrap's pid 1, a double-forked background
    process) is re-parented to us, so "our children running as the slot's uid" is the
    complete list, found without scanning all of /proc. Bubblewrap's pid 1 only
    finishes exiting once every process of its pid namespace is gone, so reaping it
    proves the namespace empty. Zombies count: they hold RLIMIT_NPROC and pids.
    """
    alive_seen: set[int] = set()
    deadline = time.monotonic() + budget_seconds
    while True:
        found, left = sweep_once(uid, cgroup, alive_seen)
        if not found and not left:
            return len(alive_seen)
        if time.monotonic() > deadline:
            raise SandboxStartError("could not clear a sandbox slot")
        if left:
            await until_one_exits(left, at_most=0.05)
        # else: all reaped; one more pass, for what they may have left to us meanwhile


def sweep_once(uid: int, cgroup: SlotCgroup | None, alive_seen: set[int]) -> tuple[bool, set[int]]:
    """One kill-and-reap pass: whether anything of the slot was found, and what is left
    unreaped; ``0`` stands for what we cannot wait on (a cgroup member that is not our
    child, a cgroup not yet empty whose processes we cannot see)."""
    kids = children_of_uid(uid)
    if cgroup is not None:
        kids |= cgroup.pids()
    left: set[int] = set()
    for pid in kids:
        if is_live_candidate(pid):
            alive_seen.add(pid)
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
        try:
            if os.waitpid(pid, os.WNOHANG)[0] != pid:
                left.add(pid)  # not dead yet
        except ChildProcessError:
            left.add(0)  # not ours to reap (a cgroup member): look again shortly
    if not left and cgroup is not None and cgroup.occupied() > 0:
        left.add(0)
    return bool(kids), left


async def until_one_exits(pids: set[int], *, at_most: float) -> None:
    """Waits until one of ``pids`` has exited (its pidfd turns readable), or ``at_most``
    seconds: the sweep's next pass then reaps it, without polling /proc in between."""
    loop = asyncio.get_running_loop()
    exited: asyncio.Future[None] = loop.create_future()

    def on_exit() -> None:
        if not exited.done():
            exited.set_result(None)

    fds: list[int] = []
    try:
        for pid in pids:
            try:
                fd = os.pidfd_open(pid) if pid > 0 else -1
            except ProcessLookupError:
                return  # gone already
            except OSError:
                fd = -1  # no pidfd here (an old kernel): poll
            if fd < 0:
                await asyncio.sleep(0.0005)
                return
            fds.append(fd)
            loop.add_reader(fd, on_exit)
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(exited, at_most)
    finally:
        for fd in fds:
            loop.remove_reader(fd)
            os.close(fd)


def children_of_uid(uid: int) -> set[int]:
    found: set[int] = set()
    for task in os.listdir("/proc/self/task"):
        with contextlib.suppress(OSError):
            for kid in Path(f"/proc/self/task/{task}/children").read_text().split():
                if real_uid(kid) == uid:
                    found.add(int(kid))
    return found


def real_uid(pid: str) -> int | None:
    # Not the owner of /proc/PID: that turns to root for a non-dumpable process.
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("Uid:"):
                return int(line.split()[1])
    except OSError:
        return None
    return None


def is_live_candidate(pid: int) -> bool:
    """A running process other than bubblewrap's own helpers."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    comm_end = stat.rfind(")")
    comm = stat[stat.find("(") + 1 : comm_end]
    state = stat[comm_end + 2 : comm_end + 3]
    return state not in ("Z", "X") and comm != "bwrap"
