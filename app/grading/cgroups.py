"""Per-slot pids and memory cgroups for sandbox runs, where the machine lets us make them.

Two shapes are met in practice:

- cgroup v2 (``/sys/fs/cgroup/cgroup.controllers``): one tree; we create
  ``<our cgroup>/assay-sandbox-<pid>/slot-N`` with ``pids.max`` and ``memory.max``.
  The kernel's "no internal processes" rule means our own cgroup must be able to
  delegate ``memory`` and ``pids``; where it cannot, there is no cgroup layer.
- cgroup v1 or hybrid (Debian/Docker hosts with the legacy layout): a ``pids`` and a
  ``memory`` hierarchy, each with our process somewhere in it; the same slot
  directories are created under our own path in each.

Slots are always created *under our own cgroup*, never beside it, so whatever limits
the host put on the grader still bound the candidates too.

What was found on the 2-core build machine (Linux 6.18, Docker-style hybrid layout):
``pids`` and ``memory`` are v1 hierarchies, writable by root (we are in
``memory:/process_api/<id>`` and ``pids:/``); the v2 tree at ``/sys/fs/cgroup/unified``
has no controllers to delegate. Moving a process between v1 cgroups waits out an RCU
grace period: 10-19 ms per run (0.4 ms when moves come back to back), so v1 is used
only when asked for (``ASSAY_SANDBOX_CGROUPS=1``); on v2 hosts it is on by default.

Everything here is best effort: ``CgroupManager.create`` returns None with a reason
when the layout is not writable, and the sandbox records that reason.
"""

from __future__ import annotations

import contextlib
import os
from dataclasses import dataclass, field
from pathlib import Path

CGROUP_ROOT = Path("/sys/fs/cgroup")


@dataclass
class SlotCgroup:
    """The cgroup directories of one sandbox slot (one per controller tree)."""

    dirs: list[Path]
    version: int

    def attach(self, pid: int) -> None:
        for d in self.dirs:
            (d / "cgroup.procs").write_text(f"{pid}\n")

    def pids(self) -> set[int]:
        found: set[int] = set()
        for d in self.dirs:
            with contextlib.suppress(OSError):
                found.update(int(p) for p in (d / "cgroup.procs").read_text().split())
        return found

    def occupied(self) -> int:
        """Processes charged to the slot, zombies included (``cgroup.procs`` leaves
        zombies out, ``pids.current`` does not)."""
        for d in self.dirs:
            with contextlib.suppress(OSError):
                return int((d / "pids.current").read_text())
        return len(self.pids())

    def kill_switch(self) -> None:
        """cgroup v2's one-write kill of the whole group (kernel 5.14+); the sweep that
        follows does the rest, and all of it on v1."""
        if self.version == 2:
            for d in self.dirs:
                with contextlib.suppress(OSError):
                    (d / "cgroup.kill").write_text("1\n")

    def remove(self) -> None:
        for d in self.dirs:
            with contextlib.suppress(OSError):
                d.rmdir()


@dataclass
class CgroupManager:
    """Creates slot cgroups under ``bases`` (our own cgroup in each controller tree)."""

    version: int
    bases: list[Path]
    created: list[Path] = field(default_factory=list)

    @property
    def description(self) -> str:
        return f"cgroup v{self.version} pids+memory"

    def slot(self, index: int, *, memory_bytes: int, max_pids: int) -> SlotCgroup:
        dirs = []
        for base in self.bases:
            d = base / f"slot-{index}"
            d.mkdir(exist_ok=True)
            self.created.append(d)
            dirs.append(d)
        for d in dirs:
            if (d / "pids.max").exists():
                (d / "pids.max").write_text(f"{max_pids}\n")
            for name in ("memory.max", "memory.limit_in_bytes"):
                if (d / name).exists():
                    (d / name).write_text(f"{memory_bytes}\n")
            # No swap on the graders; where swap accounting exists, keep it at the limit.
            for name in ("memory.swap.max",):
                if (d / name).exists():
                    with contextlib.suppress(OSError):
                        (d / name).write_text("0\n")
        return SlotCgroup(dirs=dirs, version=self.version)

    def remove_all(self) -> None:
        for d in reversed(self.created):
            with contextlib.suppress(OSError):
                d.rmdir()
        for base in self.bases:
            with contextlib.suppress(OSError):
                base.rmdir()


def _own_paths() -> dict[str, str]:
    """Controller name (or "" for the v2 tree) -> our cgroup path in that tree."""
    paths: dict[str, str] = {}
    for line in Path("/proc/self/cgroup").read_text().splitlines():
        _, controllers, path = line.split(":", 2)
        if controllers == "":
            paths[""] = path
        for c in controllers.split(","):
            paths[c] = path
    return paths


def _v1_mounts() -> dict[str, Path]:
    mounts: dict[str, Path] = {}
    for line in Path("/proc/self/mountinfo").read_text().splitlines():
        left, _, right = line.partition(" - ")
        fields = right.split()
        if len(fields) < 3 or fields[0] != "cgroup":
            continue
        mountpoint = Path(left.split()[4])
        for opt in fields[2].split(","):
            if opt in ("pids", "memory"):
                mounts[opt] = mountpoint
    return mounts


def create_manager(*, allow_v1: bool) -> tuple[CgroupManager | None, str]:
    """A manager for this process's slots, or None and the reason there is none."""
    if os.geteuid() != 0:
        return None, "not root: cgroups left to the host"
    try:
        own = _own_paths()
    except OSError as exc:
        return None, f"cannot read /proc/self/cgroup: {exc}"
    tag = f"assay-sandbox-{os.getpid()}"
    controllers_v2 = CGROUP_ROOT / "cgroup.controllers"
    if controllers_v2.exists():
        return _create_v2(own.get("", "/"), tag)
    if not allow_v1:
        return None, "cgroup v1 only here; off unless ASSAY_SANDBOX_CGROUPS=1"
    return _create_v1(own, tag)


def _create_v2(own_path: str, tag: str) -> tuple[CgroupManager | None, str]:
    own = CGROUP_ROOT / own_path.lstrip("/")
    try:
        available = (own / "cgroup.controllers").read_text().split()
        if not {"pids", "memory"} <= set(available):
            return None, f"cgroup v2 without pids+memory here (has: {' '.join(available)})"
        (own / "cgroup.subtree_control").write_text("+pids +memory\n")
        base = own / tag
        base.mkdir(exist_ok=True)
        (base / "cgroup.subtree_control").write_text("+pids +memory\n")
    except OSError as exc:
        return None, f"cgroup v2 not delegable from {own}: {exc.strerror}"
    return CgroupManager(version=2, bases=[base]), "cgroup v2"


def _create_v1(own: dict[str, str], tag: str) -> tuple[CgroupManager | None, str]:
    mounts = _v1_mounts()
    if not {"pids", "memory"} <= set(mounts):
        return None, "no pids+memory cgroup hierarchies mounted"
    bases: list[Path] = []
    try:
        for controller in ("pids", "memory"):
            base = mounts[controller] / own.get(controller, "/").lstrip("/") / tag
            base.mkdir(exist_ok=True)
            bases.append(base)
    except OSError as exc:
        for b in bases:
            with contextlib.suppress(OSError):
                b.rmdir()
        return None, f"cgroup v1 not writable: {exc.strerror}"
    return CgroupManager(version=1, bases=bases), "cgroup v1"
