"""The run's own storage: one tmpfs capped in bytes *and* in inodes.

A tmpfs's ``size=`` bounds the pages its files hold, not how many files there are:
empty files and directories cost no page but an inode and a dentry each, kernel memory
no rlimit counts (92,000 empty files added ~450 MB; only a cgroup v2 memory limit
charges it). bubblewrap's ``--size`` sets ``size=`` only, so the run's writable
storage is mounted here instead, with ``nr_inodes=``, where the kernel refuses the
file past the cap (ENOSPC) however fast the run creates them.

The mount needs CAP_SYS_ADMIN, which the grader does not have (it runs as an ordinary
user, or hands a slot's uid to the run). So the run starts in a user namespace of its
own, with a private mount namespace, as its own uid (``unshare --user
--map-current-user --mount --keep-caps``): there it may mount a tmpfs. A shell mounts
it (and binds it over the layer's other writable places), enters it, then every capability is
dropped (``setpriv``: inheritable, ambient and bounding sets cleared, no new
privileges) before the layer's command is exec'd, so nothing the candidate runs can
remount it larger. The mount lives only in that namespace: it is gone, contents and
all, when the run's last process is.
"""

from __future__ import annotations

import shutil
import subprocess

from app.grading.sandbox.results import Limits

# The exit status of a run whose storage could not be set up (nothing of it ran).
SETUP_FAILED = 125
# $1 size, $2 inodes, $3 mount point, $4.. the directories that get the same storage
# bound over them (the layer's other writable places), then "--" and the command. One
# directory serves as working directory and temporary directory alike: a ``mkdir`` of
# subdirectories would be one more process to start on every run.
_SCRIPT = (
    'size="$1"; inodes="$2"; at="$3"; shift 3; '
    f'mount -t tmpfs -o "size=$size,nr_inodes=$inodes,mode=0700" assay "$at" || exit {SETUP_FAILED}; '
    f'while [ "$1" != "--" ]; do mount --bind "$at" "$1" || exit {SETUP_FAILED}; shift; done; '
    'shift; cd "$at" && unset OLDPWD && exec "$@"'
)
# Where a run's storage is mounted, in its own mount namespace: the host's /tmp, hidden
# from that namespace alone (every uid can reach it, so the mount needs no directory of
# ours).
STORAGE = "/tmp"  # noqa: S108
# The host's shared-memory directory, a tmpfs every uid may write: a run gets its own.
SHM = "/dev/shm"  # noqa: S108


class Storage:
    """Builds the prefix that gives a command its capped storage."""

    def __init__(self, unshare: str, setpriv: str) -> None:
        self.unshare = unshare
        self.setpriv = setpriv

    @classmethod
    def find(cls) -> Storage | None:
        unshare, setpriv = shutil.which("unshare"), shutil.which("setpriv")
        if unshare is None or setpriv is None or shutil.which("mount") is None:
            return None
        return cls(unshare, setpriv)

    def prefix(self, limits: Limits, mount_point: str, shared: tuple[str, ...] = ()) -> list[str]:
        """argv to put before a command: it then runs in ``mount_point``, where the tmpfs
        is mounted, with the same tmpfs bound over each of ``shared``."""
        return [
            self.unshare,
            "--user",
            "--map-current-user",
            "--mount",
            "--propagation",
            "private",
            "--keep-caps",
            "--",
            "/bin/sh",
            "-c",
            _SCRIPT,
            "assay-storage",
            str(limits.tmpfs_bytes),
            str(limits.tmpfs_inodes),
            mount_point,
            *shared,
            "--",
            self.setpriv,
            "--inh-caps=-all",
            "--ambient-caps=-all",
            "--bounding-set=-all",
            "--no-new-privs",
            "--",
        ]

    def works(self, launcher: list[str]) -> str | None:
        """None if a run can get its storage here (user namespaces allowed), else why not.
        The trial mounts over ``/tmp``, which every uid can reach, in a namespace that
        ends with it."""
        argv = [*launcher, *self.prefix(Limits(), "/tmp"), "/bin/true"]  # noqa: S108
        try:
            done = subprocess.run(  # noqa: S603 - our own fixed argv
                argv,
                stdin=subprocess.DEVNULL,
                capture_output=True,
                cwd="/",
                env={"PATH": "/usr/bin:/bin", "LANG": "C.UTF-8"},
                timeout=20,
                check=False,
            )
        except (OSError, subprocess.SubprocessError) as exc:
            return str(exc)
        if done.returncode == 0:
            return None
        return done.stderr.decode(errors="replace").strip()[:300] or f"exit {done.returncode}"
