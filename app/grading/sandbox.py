"""Run one Python script on untrusted files, inside limits, and collect what it wrote.

The sandbox knows nothing about scenarios: it runs ``python -I -B SCRIPT CHANNEL_FD``
with bytes on stdin and hands back the bytes the script wrote to ``CHANNEL_FD`` (a
pipe no one else shares), plus capped stdout and stderr. The grader decides what the
bytes mean.

Layers (the strongest available is detected once; ``Sandbox.layer`` says which ran):

``process`` (always)
    A fresh 0700 directory, a clean environment, ``python -I -B`` (no site-packages of
    the user, no ``PYTHON*`` variables, no script directory on ``sys.path``), rlimits
    (address space, CPU, file size, open files, processes, no core dumps), its own
    process group killed on the wall clock, stdout/stderr capped. As root each slot
    runs under its own unprivileged uid, so ``RLIMIT_NPROC`` counts only that slot and
    anything left behind can be found and killed by uid.

``bubblewrap`` (Linux with unprivileged user namespaces)
    All of the above, plus every namespace unshared (no network at all), only
    ``/usr`` mounted (read-only) and a root that is itself remounted read-only,
    size-capped tmpfs for ``/tmp`` and the working directory, no ``/proc``, a seccomp
    deny-list (see ``seccomp.py``), nested user namespaces disabled, a new session
    (no terminal injection), ``--die-with-parent``. bwrap itself is started as the
    slot's unprivileged uid: the grader never runs bwrap as root.

Both layers add pids and memory cgroups per slot where the host lets us create them
(``cgroups.py``).

Limits are in force before any untrusted code runs. The first process is ``prlimit``
(which sets the rlimits on itself: setting them from outside needs CAP_SYS_RESOURCE,
which containers drop), which execs bwrap or python. Where the slot has a cgroup, a
shell that waits for one line on stdin (``_HOLD``) comes first; meanwhile the grader
moves it into the cgroup, and the line releases it. Everything after inherits both.

Every run ends the same way, however it went: the process group is killed, then the
slot is swept (``_sweep``) until no process of its uid is left, zombies included.
"""

from __future__ import annotations

import asyncio
import atexit
import contextlib
import errno
import fcntl
import logging
import os
import shutil
import signal
import subprocess
import tempfile
import time
from abc import ABC, abstractmethod
from collections.abc import AsyncIterator, Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from app.grading.cgroups import CgroupManager, SlotCgroup, create_manager
from app.grading.exceptions import IsolationUnavailable, SandboxStartError
from app.grading.seccomp import seccomp_program

DEFAULT_PYTHON = "/usr/bin/python3"
# Below systemd's DynamicUser range (61184-65519) and above Debian's ordinary users.
DEFAULT_UID_BASE = 60900
UID_SPAN = 256
LOCK_DIR = Path("/run/assay-sandbox")

_MiB = 1024 * 1024
log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Limits:
    """Per-run limits. Memory figures are bytes; ``processes`` counts the whole slot."""

    wall_seconds: float = 10.0
    cpu_seconds: int = 10
    address_space_bytes: int = 768 * _MiB
    memory_bytes: int = 256 * _MiB
    file_size_bytes: int = 8 * _MiB
    open_files: int = 64
    processes: int = 16
    tmpfs_bytes: int = 32 * _MiB
    output_keep_bytes: int = 64 * 1024
    output_drain_bytes: int = 8 * _MiB
    channel_bytes: int = 4 * _MiB


@dataclass(frozen=True)
class SandboxResult:
    layer: str
    exit_code: int | None
    timed_out: bool
    channel: bytes
    channel_overflow: bool
    stdout: bytes
    stderr: bytes
    output_truncated: bool
    duration_seconds: float
    stragglers_killed: int

    @property
    def killed_by_signal(self) -> int | None:
        if self.exit_code is not None and self.exit_code < 0:
            return -self.exit_code
        return None


@dataclass
class _Slot:
    index: int
    uid: int | None
    gid: int | None
    cgroup: SlotCgroup | None
    lock_fd: int | None = None


@dataclass
class _SlotPool:
    slots: list[_Slot]
    _free: list[_Slot] = field(default_factory=list)
    _waiters: list[asyncio.Future[None]] = field(default_factory=list)

    def __post_init__(self) -> None:
        self._free = list(self.slots)

    @contextlib.asynccontextmanager
    async def acquire(self) -> AsyncIterator[_Slot]:
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


class _PipeCollector:
    """Reads a pipe without blocking the loop, keeping ``keep`` bytes and closing the
    pipe once ``limit`` bytes went by, so a writer flooding it gets EPIPE instead of
    costing the grader CPU until the wall clock."""

    def __init__(self, fd: int, keep: int, limit: int) -> None:
        self.fd = fd
        self.keep = keep
        self.limit = limit
        self.data = bytearray()
        self.total = 0
        self.overflow = False
        self._loop = asyncio.get_running_loop()
        self.done: asyncio.Future[None] = self._loop.create_future()
        os.set_blocking(fd, False)
        self._loop.add_reader(fd, self._on_readable)

    def _on_readable(self) -> None:
        try:
            chunk = os.read(self.fd, 65536)
        except BlockingIOError:
            return
        except OSError:
            chunk = b""
        if not chunk:
            self.close()
            return
        self.total += len(chunk)
        room = self.keep - len(self.data)
        if room > 0:
            self.data += chunk[:room]
        if self.total > self.limit:
            self.overflow = True
            self.close()

    def close(self) -> None:
        if self.done.done():
            return
        self._loop.remove_reader(self.fd)
        os.close(self.fd)
        self.done.set_result(None)


class _PipeFeeder:
    """Writes ``data`` to a pipe as the reader takes it; a reader that never reads
    (or closes its end) just leaves the rest unsent."""

    def __init__(self, fd: int, data: bytes) -> None:
        self.fd = fd
        self.view = memoryview(data)
        self._loop = asyncio.get_running_loop()
        self.closed = False
        os.set_blocking(fd, False)
        if self.view:
            self._loop.add_writer(fd, self._on_writable)
        else:
            self.close()

    def _on_writable(self) -> None:
        try:
            n = os.write(self.fd, self.view[:65536])
        except BlockingIOError:
            return
        except OSError:
            self.close()
            return
        self.view = self.view[n:]
        if not self.view:
            self.close()

    def close(self) -> None:
        if self.closed:
            return
        self.closed = True
        self._loop.remove_writer(self.fd)
        os.close(self.fd)


# The first process: a shell that waits for one line on stdin before it execs the real
# command, so the grader can put it into the slot's cgroup while it is one process that
# is not forking (moving a process mid-clone waits on the kernel's cgroup lock for up to
# 15 ms here). Everything it starts inherits the cgroup. EOF (the grader gave up) exits.
_HOLD = ["/bin/sh", "-c", 'read -r _ && exec "$@"', "assay-sandbox"]


def _prlimit_args(prlimit: str, limits: Limits, *, per_uid: bool) -> list[str]:
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


def _confine_tree(root: int, apply: Callable[[int], None]) -> None:
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


def _memfd(name: str, data: bytes) -> int:
    fd = os.memfd_create(name, 0)
    os.write(fd, data)
    os.lseek(fd, 0, os.SEEK_SET)
    return fd


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
        self._uid_base = uid_base if uid_base is not None else _env_uid_base()
        self._use_cgroups = use_cgroups
        self._pool: _SlotPool | None = None
        self._cgroups: CgroupManager | None = None
        self.details: dict[str, str] = {}
        prlimit, setpriv = shutil.which("prlimit"), shutil.which("setpriv")
        if prlimit is None or setpriv is None:
            raise SandboxStartError(
                "util-linux `prlimit` and `setpriv` are needed for sandbox runs"
            )
        self._prlimit, self._setpriv = prlimit, setpriv
        self._setup_slots()
        atexit.register(self.close)

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
        slots: list[_Slot] = []
        uids = _lock_uids(self._uid_base, self._slot_count) if as_root else []
        if uids:
            _become_subreaper()
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
            slots.append(_Slot(index=index, uid=uid, gid=uid, cgroup=cg, lock_fd=lock_fd))
        self._pool = _SlotPool(slots)
        self.details = {
            "layer": self.layer,
            "python": self.python,
            "uid": (f"per-slot {uids[0][0]}..{uids[-1][0]}" if uids else f"own ({os.geteuid()})"),
            "cgroup": manager.description if manager else f"none ({reason})",
            "slots": str(self._slot_count),
        }

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

    def _launcher(self, slot: _Slot, limits: Limits) -> list[str]:
        """What the command runs under: ``prlimit`` (as root, so any limit can be set),
        then, with a slot uid, ``setpriv`` switching to it. The switch is an exec rather
        than the spawn's own setuid: a spawn that changes uid cannot use vfork, and
        forking the server's whole address space cost 6-8 ms per run (measured with a
        150 MB process; ~0.3 ms with vfork)."""
        argv = _prlimit_args(self._prlimit, limits, per_uid=slot.uid is not None)
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
        self, slot: _Slot, script: bytes, channel_fd: int, limits: Limits
    ) -> tuple[list[str], list[int], str | None, Callable[[], None]]:
        """argv, extra fds to pass, cwd, and a cleanup for whatever the command needed."""

    def _env(self, home: str) -> dict[str, str]:
        # /tmp is the sandbox's own size-capped tmpfs under bubblewrap; the process
        # layer points TMPDIR into the run's private directory instead.
        return {"PATH": "/usr/bin:/bin", "LANG": "C.UTF-8", "HOME": home, "TMPDIR": "/tmp"}  # noqa: S108

    async def _run(self, slot: _Slot, script: bytes, stdin: bytes, limits: Limits) -> SandboxResult:
        started = time.perf_counter()
        chan_r, chan_w = os.pipe()
        in_r, in_w = os.pipe()
        out_r, out_w = os.pipe()
        err_r, err_w = os.pipe()
        child_ends = [chan_w, in_r, out_w, err_w]
        cleanup: Callable[[], None] = _nothing
        proc: asyncio.subprocess.Process | None = None
        try:
            argv, extra_fds, cwd, cleanup = self._command(slot, script, chan_w, limits)
            rlimits = self._launcher(slot, limits)
            # The hold is there for the cgroup move only: without one, a shell less.
            held = slot.cgroup is not None
            argv = [*_HOLD, *rlimits, *argv] if held else [*rlimits, *argv]
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
        channel = _PipeCollector(chan_r, limits.channel_bytes, limits.channel_bytes)
        out = _PipeCollector(out_r, limits.output_keep_bytes, limits.output_drain_bytes)
        err = _PipeCollector(err_r, limits.output_keep_bytes, limits.output_drain_bytes)
        feeder: _PipeFeeder | None = None
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
            # Only now may a held process go on: the newline releases ``_HOLD``. On any
            # failure above nothing is written and the tree is killed.
            feeder = _PipeFeeder(in_w, b"\n" + stdin if held else stdin)
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
            if cleanup is not _nothing:
                await asyncio.to_thread(cleanup)
        if not channel.total and proc.returncode == 1 and err.data.startswith(b"bwrap: "):
            raise SandboxStartError(err.data.decode(errors="replace").strip())
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

    def _confine(self, pid: int, slot: _Slot) -> None:
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

        _confine_tree(pid, attach)

    async def _terminate(self, proc: asyncio.subprocess.Process, slot: _Slot) -> int:
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
        return await _sweep(slot.uid, slot.cgroup)


async def _sweep(uid: int, cgroup: SlotCgroup | None, budget_seconds: float = 5.0) -> int:
    """SIGKILL and reap what is left of a run until nothing of its uid remains.

    The grader is a child subreaper (``_become_subreaper``): when a run's main process
    is gone, everything it left (bubblewrap's pid 1, a double-forked background
    process) is re-parented to us, so "our children running as the slot's uid" is the
    complete list, found without scanning all of /proc. Bubblewrap's pid 1 only
    finishes exiting once every process of its pid namespace is gone, so reaping it
    proves the namespace empty. Zombies count: they hold RLIMIT_NPROC and pids.
    """
    alive_seen: set[int] = set()
    deadline = time.monotonic() + budget_seconds
    while True:
        found, left = _sweep_once(uid, cgroup, alive_seen)
        if not found and not left:
            return len(alive_seen)
        if time.monotonic() > deadline:
            raise SandboxStartError("could not clear a sandbox slot")
        if left:
            await _until_one_exits(left, at_most=0.05)
        # else: all reaped; one more pass, for what they may have left to us meanwhile


def _sweep_once(uid: int, cgroup: SlotCgroup | None, alive_seen: set[int]) -> tuple[bool, set[int]]:
    """One kill-and-reap pass: whether anything of the slot was found, and what is left
    unreaped; ``0`` stands for what we cannot wait on (a cgroup member that is not our
    child, a cgroup not yet empty whose processes we cannot see)."""
    kids = _children_of_uid(uid)
    if cgroup is not None:
        kids |= cgroup.pids()
    left: set[int] = set()
    for pid in kids:
        if _is_live_candidate(pid):
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


async def _until_one_exits(pids: set[int], *, at_most: float) -> None:
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


def _children_of_uid(uid: int) -> set[int]:
    found: set[int] = set()
    for task in os.listdir("/proc/self/task"):
        with contextlib.suppress(OSError):
            for kid in Path(f"/proc/self/task/{task}/children").read_text().split():
                if _real_uid(kid) == uid:
                    found.add(int(kid))
    return found


def _real_uid(pid: str) -> int | None:
    # Not the owner of /proc/PID: that turns to root for a non-dumpable process.
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("Uid:"):
                return int(line.split()[1])
    except OSError:
        return None
    return None


def _is_live_candidate(pid: int) -> bool:
    """A running process other than bubblewrap's own helpers."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    comm_end = stat.rfind(")")
    comm = stat[stat.find("(") + 1 : comm_end]
    state = stat[comm_end + 2 : comm_end + 3]
    return state not in ("Z", "X") and comm != "bwrap"


def _become_subreaper() -> None:
    """PR_SET_CHILD_SUBREAPER: orphans of sandbox runs come back to us, not to the
    machine's init (which, in containers, may never reap them)."""
    import ctypes

    libc = ctypes.CDLL(None, use_errno=True)
    if libc.prctl(36, 1, 0, 0, 0) != 0:
        raise OSError(ctypes.get_errno(), "prctl(PR_SET_CHILD_SUBREAPER)")


def _nothing() -> None:
    return None


class ProcessSandbox(Sandbox):
    layer = "process"

    def __init__(self, *, workdir: str | None = None, **kwargs: Any) -> None:
        self._workdir = workdir
        super().__init__(**kwargs)

    def _command(
        self, slot: _Slot, script: bytes, channel_fd: int, limits: Limits
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


class BubblewrapSandbox(Sandbox):
    layer = "bubblewrap"

    SCRIPT_PATH = "/opt/assay/driver.py"
    WORKDIR = "/sandbox"

    def __init__(self, *, bwrap: str = "bwrap", **kwargs: Any) -> None:
        found = shutil.which(bwrap)
        if found is None:
            raise IsolationUnavailable(f"bubblewrap ({bwrap}) is not installed")
        self.bwrap = found
        self._seccomp = seccomp_program()
        super().__init__(**kwargs)
        self.details["seccomp"] = "deny-list (x86_64)" if self._seccomp else "none (architecture)"
        self.details["network"] = "none (unshared)"

    def _system_binds(self) -> list[str]:
        args = ["--ro-bind", "/usr", "/usr"]
        for top in ("/bin", "/sbin", "/lib", "/lib64", "/lib32"):
            if os.path.islink(top):
                args += ["--symlink", os.readlink(top), top]
            elif os.path.isdir(top):
                args += ["--ro-bind", top, top]
        return args

    def _command(
        self, slot: _Slot, script: bytes, channel_fd: int, limits: Limits
    ) -> tuple[list[str], list[int], str | None, Callable[[], None]]:
        fds: list[int] = []
        script_fd = _memfd("driver", script)
        fds.append(script_fd)
        argv = [
            self.bwrap,
            "--unshare-all",
            "--unshare-user",
            "--disable-userns",
            "--die-with-parent",
            "--new-session",
            "--hostname",
            "sandbox",
            *self._system_binds(),
            "--dev",
            "/dev",
            "--size",
            str(limits.tmpfs_bytes),
            "--tmpfs",
            "/tmp",  # noqa: S108 - a private tmpfs inside the sandbox
            "--size",
            str(limits.tmpfs_bytes),
            "--tmpfs",
            self.WORKDIR,
            "--dir",
            "/opt/assay",
            "--ro-bind-data",
            str(script_fd),
            self.SCRIPT_PATH,
            "--remount-ro",
            "/",
        ]
        if self._seccomp is not None:
            seccomp_fd = _memfd("seccomp", self._seccomp)
            fds.append(seccomp_fd)
            argv += ["--seccomp", str(seccomp_fd)]
        argv += ["--clearenv"]
        for key, value in self._env(self.WORKDIR).items():
            argv += ["--setenv", key, value]
        argv += ["--chdir", self.WORKDIR, "--", self.python, "-I", "-B", self.SCRIPT_PATH]
        argv.append(str(channel_fd))
        return argv, fds, None, _nothing

    def smoke_test(self) -> None:
        """Start one sandbox the way a grading does (synchronously, so it works inside a
        running event loop too); raise ``IsolationUnavailable`` if it cannot start."""
        assert self._pool is not None
        slot = self._pool.slots[0]
        chan_r, chan_w = os.pipe()
        script = b"import os,sys\nos.write(int(sys.argv[1]), b'ok')\n"
        argv, fds, _, cleanup = self._command(slot, script, chan_w, self.limits)
        rlimits = self._launcher(slot, self.limits)
        try:
            done = subprocess.run(  # noqa: S603 - our own fixed argv
                [*rlimits, *argv],
                stdin=subprocess.DEVNULL,
                capture_output=True,
                pass_fds=(chan_w, *fds),
                env=self._env(self.WORKDIR),
                cwd="/",
                timeout=20,
                check=False,
            )
            os.close(chan_w)
            chan_w = -1
            got = os.read(chan_r, 16)
        except (OSError, subprocess.SubprocessError) as exc:
            raise IsolationUnavailable(f"bubblewrap cannot start here: {exc}") from exc
        finally:
            for fd in (chan_r, chan_w, *fds):
                if fd >= 0:
                    with contextlib.suppress(OSError):
                        os.close(fd)
            cleanup()
            if slot.uid is not None:
                deadline = time.monotonic() + 5
                while (
                    any(_sweep_once(slot.uid, slot.cgroup, set())) and time.monotonic() < deadline
                ):
                    time.sleep(0.001)
        if got != b"ok":
            detail = done.stderr.decode(errors="replace").strip()[:500]
            raise IsolationUnavailable(f"bubblewrap cannot start here: {detail or done.returncode}")


def _env_uid_base() -> int:
    raw = os.environ.get("ASSAY_SANDBOX_UID_BASE", "")
    return int(raw) if raw.isdigit() else DEFAULT_UID_BASE


def _lock_uids(base: int, count: int) -> list[tuple[int, int]]:
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


_detected: dict[bool, Sandbox] = {}


def detect_sandbox(*, require_isolation: bool = False, **kwargs: Any) -> Sandbox:
    """The strongest sandbox this machine supports.

    With ``require_isolation`` (production), a machine without working bubblewrap is an
    error (``IsolationUnavailable``) instead of a silent fall back to the process layer.
    Without arguments the result is cached for the life of the process.
    """
    if not kwargs and require_isolation in _detected:
        return _detected[require_isolation]
    sandbox: Sandbox
    try:
        bwrap = BubblewrapSandbox(**kwargs)
        try:
            bwrap.smoke_test()
        except IsolationUnavailable:
            bwrap.close()
            raise
        sandbox = bwrap
    except IsolationUnavailable as exc:
        if require_isolation:
            raise
        log.warning("grading sandbox: process layer only (%s)", exc.message)
        sandbox = ProcessSandbox(**{k: v for k, v in kwargs.items() if k != "bwrap"})
    if not kwargs:
        _detected[require_isolation] = sandbox
    return sandbox


def bare_python_run(python: str, script: bytes, stdin: bytes, args: Sequence[str] = ()) -> bytes:
    """The same script with no sandbox at all, for the benchmark's overhead figure."""
    with tempfile.TemporaryDirectory() as d:
        path = os.path.join(d, "driver.py")
        Path(path).write_bytes(script)
        r, w = os.pipe()
        try:
            proc = subprocess.Popen(  # noqa: S603 - fixed argv, our own script
                [python, "-I", "-B", path, str(w), *args],
                stdin=subprocess.PIPE,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
                pass_fds=(w,),
                cwd=d,
            )
            os.close(w)
            w = -1
            assert proc.stdin is not None
            with contextlib.suppress(BrokenPipeError):
                proc.stdin.write(stdin)
            proc.stdin.close()
            with os.fdopen(r, "rb") as fh:
                r = -1
                data = fh.read()
            proc.wait()
            return data
        finally:
            for fd in (r, w):
                if fd >= 0:
                    os.close(fd)
