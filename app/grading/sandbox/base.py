"""The sandbox interface: slots, the launcher and one run from start to sweep; the
layers (``process``, ``bubblewrap``) say only what command a run is."""

from __future__ import annotations

import asyncio
import atexit
import contextlib
import errno
import os
import shutil
import signal
import time
from abc import ABC, abstractmethod
from collections.abc import Callable

from app.grading.cgroups import CgroupManager, create_manager
from app.grading.exceptions import SandboxStartError
from app.grading.sandbox.launch import HOLD, confine_tree, prlimit_args
from app.grading.sandbox.pipes import PipeCollector, PipeFeeder
from app.grading.sandbox.results import Limits, SandboxResult
from app.grading.sandbox.slots import Slot, SlotPool, become_subreaper, env_uid_base, lock_uids
from app.grading.sandbox.storage import SETUP_FAILED, Storage
from app.grading.sandbox.sweep import sweep

DEFAULT_PYTHON = "/usr/bin/python3"


class Sandbox(ABC):
    """Runs scripts under one isolation layer, at most ``slots`` at a time."""

    layer: str = ""

    def __init__(
        self,
        *,
        python: str = DEFAULT_PYTHON,
        slots: int | None = None,
        limits: Limits | None = None,
        uid_base: int | None = None,
        use_cgroups: bool | None = None,
    ) -> None:
        self.python = python
        self.limits = limits or Limits()
        self._slot_count = slots or max(2, 2 * (os.cpu_count() or 1))
        self._uid_base = uid_base if uid_base is not None else env_uid_base()
        self._use_cgroups = use_cgroups
        self._pool: SlotPool | None = None
        self._cgroups: CgroupManager | None = None
        self.details: dict[str, str] = {}
        prlimit, setpriv = shutil.which("prlimit"), shutil.which("setpriv")
        if prlimit is None or setpriv is None:
            raise SandboxStartError(
                "util-linux `prlimit` and `setpriv` are needed for sandbox runs"
            )
        self._prlimit, self._setpriv = prlimit, setpriv
        self._setup_slots()
        self._storage = self._find_storage()
        atexit.register(self.close)

    def _find_storage(self) -> Storage | None:
        """The run's capped storage (``storage.py``), if user namespaces allow it here."""
        assert self._pool is not None
        storage = Storage.find()
        if storage is None:
            problem: str | None = "util-linux `unshare` or `mount` is missing"
        else:
            problem = storage.works(self._launcher(self._pool.slots[0], self.limits))
        if storage is None or problem is not None:
            self.details["storage"] = f"not bounded in files ({problem})"
            return None
        self.details["storage"] = (
            f"private tmpfs per run: {self.limits.tmpfs_bytes // (1024 * 1024)} MiB, "
            f"{self.limits.tmpfs_inodes} inodes"
        )
        return storage

    def _setup_slots(self) -> None:
        as_root = os.geteuid() == 0
        manager: CgroupManager | None = None
        wanted = self._use_cgroups
        if wanted is None:
            env = os.environ.get("ASSAY_SANDBOX_CGROUPS", "auto")
            wanted = None if env == "auto" else env == "1"
        reason = "disabled (ASSAY_SANDBOX_CGROUPS=0)"
        if wanted is not False:
            # Auto means v2 only: on v1 every run pays a cgroup move of 10-20 ms (see
            # cgroups.py) for limits RLIMIT_NPROC and RLIMIT_AS already give per slot.
            manager, reason = create_manager(allow_v1=wanted is True)
        self._cgroups = manager
        slots: list[Slot] = []
        uids = lock_uids(self._uid_base, self._slot_count) if as_root else []
        if uids:
            become_subreaper()
        for index in range(self._slot_count):
            uid, lock_fd = uids[index] if uids else (None, None)
            cg = None
            if manager is not None:
                try:
                    cg = manager.slot(
                        index, memory_bytes=self.limits.memory_bytes, max_pids=self.limits.processes
                    )
                except OSError as exc:
                    manager.remove_all()
                    manager, self._cgroups, cg = None, None, None
                    reason = f"cgroup slot setup failed: {exc}"
                    for s in slots:
                        s.cgroup = None
            slots.append(Slot(index=index, uid=uid, gid=uid, cgroup=cg, lock_fd=lock_fd))
        self._pool = SlotPool(slots)
        self.details = {
            "layer": self.layer,
            "python": self.python,
            "uid": (f"per-slot {uids[0][0]}..{uids[-1][0]}" if uids else f"own ({os.geteuid()})"),
            "cgroup": manager.description if manager else f"none ({reason})",
            "slots": str(self._slot_count),
        }

    @property
    def slot_uids(self) -> frozenset[int]:
        """The uids this sandbox's slots run as (none without root)."""
        slots = self._pool.slots if self._pool is not None else []
        return frozenset(s.uid for s in slots if s.uid is not None)

    def close(self) -> None:
        if self._pool is not None:
            for slot in self._pool.slots:
                if slot.lock_fd is not None:
                    with contextlib.suppress(OSError):
                        os.close(slot.lock_fd)
                    slot.lock_fd = None
        if self._cgroups is not None:
            self._cgroups.remove_all()
            self._cgroups = None

    def _launcher(self, slot: Slot, limits: Limits) -> list[str]:
        """What the command runs under: ``prlimit`` (as root, so any limit can be set),
        then, with a slot uid, ``setpriv`` switching to it. The switch is an exec rather
        than the spawn's own setuid: a spawn that changes uid cannot use vfork, and
        forking the server's whole address space cost 6-8 ms per run (measured with a
        150 MB process; ~0.3 ms with vfork)."""
        argv = prlimit_args(self._prlimit, limits, per_uid=slot.uid is not None)
        if slot.uid is not None:
            argv += [
                self._setpriv,
                f"--reuid={slot.uid}",
                f"--regid={slot.gid}",
                "--clear-groups",
                "--",
            ]
        return argv

    async def run(
        self, script: bytes, *, stdin: bytes = b"", limits: Limits | None = None
    ) -> SandboxResult:
        """Run ``script`` as ``__main__`` with ``argv[1]`` = the channel fd number."""
        assert self._pool is not None
        lim = limits or self.limits
        async with self._pool.acquire() as slot:
            return await self._run(slot, script, stdin, lim)

    @abstractmethod
    def _command(
        self, slot: Slot, script: bytes, channel_fd: int, limits: Limits
    ) -> tuple[list[str], list[int], str | None, Callable[[], None]]:
        """argv, extra fds to pass, cwd, and a cleanup for whatever the command needed."""

    def _env(self, home: str) -> dict[str, str]:
        # /tmp is the sandbox's own size-capped tmpfs under bubblewrap; the process
        # layer points TMPDIR into the run's private directory instead.
        return {"PATH": "/usr/bin:/bin", "LANG": "C.UTF-8", "HOME": home, "TMPDIR": "/tmp"}  # noqa: S108

    async def _run(self, slot: Slot, script: bytes, stdin: bytes, limits: Limits) -> SandboxResult:
        started = time.perf_counter()
        chan_r, chan_w = os.pipe()
        in_r, in_w = os.pipe()
        out_r, out_w = os.pipe()
        err_r, err_w = os.pipe()
        child_ends = [chan_w, in_r, out_w, err_w]
        cleanup: Callable[[], None] = nothing
        proc: asyncio.subprocess.Process | None = None
        try:
            argv, extra_fds, cwd, cleanup = self._command(slot, script, chan_w, limits)
            rlimits = self._launcher(slot, limits)
            # The hold is there for the cgroup move only: without one, a shell less.
            held = slot.cgroup is not None
            argv = [*HOLD, *rlimits, *argv] if held else [*rlimits, *argv]
            child_ends += extra_fds
            try:
                proc = await asyncio.create_subprocess_exec(
                    *argv,
                    stdin=in_r,
                    stdout=out_w,
                    stderr=err_w,
                    pass_fds=(chan_w, *extra_fds),
                    env=self._env(cwd or "/sandbox"),
                    cwd=cwd or "/",
                    process_group=0,
                )
            except OSError as exc:
                raise SandboxStartError(f"could not start the sandbox: {exc}") from exc
        except BaseException:
            for fd in (*child_ends, chan_r, in_w, out_r, err_r):
                with contextlib.suppress(OSError):
                    os.close(fd)
            cleanup()
            raise
        for fd in child_ends:
            os.close(fd)
        channel = PipeCollector(chan_r, limits.channel_bytes, limits.channel_bytes)
        out = PipeCollector(out_r, limits.output_keep_bytes, limits.output_drain_bytes)
        err = PipeCollector(err_r, limits.output_keep_bytes, limits.output_drain_bytes)
        feeder: PipeFeeder | None = None
        timed_out = False
        stragglers = 0
        try:
            try:
                if slot.cgroup is not None:
                    # A cgroup move waits out an RCU grace period (10-20 ms measured on
                    # cgroup v1): wait for it off the event loop.
                    await asyncio.to_thread(self._confine, proc.pid, slot)
            except OSError as exc:
                raise SandboxStartError(f"could not apply the sandbox limits: {exc}") from exc
            # Only now may a held process go on: the newline releases ``HOLD``. On any
            # failure above nothing is written and the tree is killed.
            feeder = PipeFeeder(in_w, b"\n" + stdin if held else stdin)
            try:
                await asyncio.wait_for(proc.wait(), timeout=limits.wall_seconds)
            except TimeoutError:
                timed_out = True
        finally:
            stragglers = await self._terminate(proc, slot)
            if feeder is None:
                os.close(in_w)
            else:
                feeder.close()
            # Every writer is dead now, so EOF is near; a pipe still held open means a
            # process escaped us, and we stop listening rather than wait for it.
            _, still = await asyncio.wait([c.done for c in (channel, out, err)], timeout=2.0)
            if still:
                for c in (channel, out, err):
                    c.close()
            if cleanup is not nothing:
                await asyncio.to_thread(cleanup)
        if not channel.total and proc.returncode == 1 and err.data.startswith(b"bwrap: "):
            raise SandboxStartError(err.data.decode(errors="replace").strip())
        if not channel.total and proc.returncode == SETUP_FAILED and self._storage is not None:
            detail = err.data.decode(errors="replace").strip()[:300]
            raise SandboxStartError(f"the run's storage could not be mounted: {detail}")
        return SandboxResult(
            layer=self.layer,
            exit_code=None if timed_out else proc.returncode,
            timed_out=timed_out,
            channel=bytes(channel.data),
            channel_overflow=channel.overflow,
            stdout=bytes(out.data),
            stderr=bytes(err.data),
            output_truncated=out.total > len(out.data) or err.total > len(err.data),
            duration_seconds=time.perf_counter() - started,
            stragglers_killed=stragglers,
        )

    def _confine(self, pid: int, slot: Slot) -> None:
        cgroup = slot.cgroup
        if cgroup is None:
            return

        def attach(target: int) -> None:
            try:
                cgroup.attach(target)
            except OSError as exc:
                if exc.errno == errno.ESRCH:
                    raise ProcessLookupError(target) from exc
                raise

        confine_tree(pid, attach)

    async def _terminate(self, proc: asyncio.subprocess.Process, slot: Slot) -> int:
        """Kill the run's whole tree and reap it; returns how many live processes were
        still there after the main one (background processes the run left)."""
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(proc.pid, signal.SIGKILL)
        # asyncio's watcher reaps the main process; sweeping it ourselves would steal
        # its exit status, so the sweep starts after.
        await proc.wait()
        if slot.uid is None:
            return 0
        if slot.cgroup is not None:
            slot.cgroup.kill_switch()
        return await sweep(slot.uid, slot.cgroup)


def nothing() -> None:
    return None
