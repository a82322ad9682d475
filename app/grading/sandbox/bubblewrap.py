"""The bubblewrap layer: every namespace unshared, a read-only system, seccomp."""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import time
from collections.abc import Callable
from typing import Any

from app.grading.exceptions import IsolationUnavailable
from app.grading.sandbox.base import Sandbox, nothing
from app.grading.sandbox.pipes import memfd
from app.grading.sandbox.results import Limits
from app.grading.sandbox.slots import Slot
from app.grading.sandbox.storage import SHM, STORAGE
from app.grading.sandbox.sweep import sweep_once
from app.grading.seccomp import seccomp_program


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
        self, slot: Slot, script: bytes, channel_fd: int, limits: Limits
    ) -> tuple[list[str], list[int], str | None, Callable[[], None]]:
        fds: list[int] = []
        script_fd = memfd("driver", script)
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
            *self._writable(limits),
            "--dir",
            "/opt/assay",
            "--ro-bind-data",
            str(script_fd),
            self.SCRIPT_PATH,
            "--remount-ro",
            "/",
        ]
        if self._seccomp is not None:
            seccomp_fd = memfd("seccomp", self._seccomp)
            fds.append(seccomp_fd)
            argv += ["--seccomp", str(seccomp_fd)]
        argv += ["--clearenv"]
        for key, value in self._env(self.WORKDIR).items():
            argv += ["--setenv", key, value]
        argv += ["--chdir", self.WORKDIR, "--", self.python, "-I", "-B", self.SCRIPT_PATH]
        argv.append(str(channel_fd))
        if self._storage is not None:
            argv = [*self._storage.prefix(limits, STORAGE), *argv]
        return argv, fds, None, nothing

    def _writable(self, limits: Limits) -> list[str]:
        """The only writable places: the working directory, ``/tmp`` and ``/dev/shm``,
        all one directory on the run's storage (one budget of bytes and inodes), and
        ``/dev`` itself read only (bubblewrap's ``/dev`` is a tmpfs with no cap of its
        own)."""
        if self._storage is not None:
            return [
                *("--bind", STORAGE, self.WORKDIR),
                *("--bind", STORAGE, "/tmp"),  # noqa: S108 - inside the sandbox
                *("--bind", STORAGE, SHM),
                *("--remount-ro", "/dev"),
            ]
        # No private storage (no ``unshare`` here): bubblewrap's own tmpfs, capped in
        # bytes only.
        size = str(limits.tmpfs_bytes)
        return [
            *("--size", size, "--tmpfs", "/tmp"),  # noqa: S108 - inside the sandbox
            *("--size", size, "--tmpfs", self.WORKDIR),
            *("--size", size, "--tmpfs", SHM),
            *("--remount-ro", "/dev"),
        ]

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
                while any(sweep_once(slot.uid, slot.cgroup, set())) and time.monotonic() < deadline:
                    time.sleep(0.001)
        if got != b"ok":
            detail = done.stderr.decode(errors="replace").strip()[:500]
            raise IsolationUnavailable(f"bubblewrap cannot start here: {detail or done.returncode}")
