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
shell that waits for one line on stdin (``launch.HOLD``) comes first; meanwhile the grader
moves it into the cgroup, and the line releases it. Everything after inherits both.

Every run ends the same way, however it went: the process group is killed, then the
slot is swept (``sweep.sweep``) until no process of its uid is left, zombies included.

The package, one job per module: ``results`` (Limits, SandboxResult), ``slots`` (the
slot pool, uids and their locks), ``pipes`` (collectors and the stdin feeder),
``launch`` (the first process: hold, prlimit, confining a tree), ``base`` (the
``Sandbox`` interface and one run from start to sweep), ``process`` and ``bubblewrap``
(the layers' commands), ``sweep`` (what is left after a run), ``detect`` (the layer
this machine gets) and ``bare`` (no sandbox, for the benchmark).
"""

from app.grading.sandbox.bare import bare_python_run
from app.grading.sandbox.base import DEFAULT_PYTHON, Sandbox
from app.grading.sandbox.bubblewrap import BubblewrapSandbox
from app.grading.sandbox.detect import detect_sandbox
from app.grading.sandbox.process import ProcessSandbox
from app.grading.sandbox.results import Limits, SandboxResult
from app.grading.sandbox.slots import DEFAULT_UID_BASE, LOCK_DIR, UID_SPAN

__all__ = [
    "DEFAULT_PYTHON",
    "DEFAULT_UID_BASE",
    "LOCK_DIR",
    "UID_SPAN",
    "BubblewrapSandbox",
    "Limits",
    "ProcessSandbox",
    "Sandbox",
    "SandboxResult",
    "bare_python_run",
    "detect_sandbox",
]
