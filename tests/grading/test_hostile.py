"""Hostile submissions, graded through the real grader and sandbox.

The test scenario's hidden check passes only if the candidate's ``attack()`` returns a
secret that exists solely outside its sandbox: in the hidden judge, in the reference
solution, in a host file, behind a TCP listener on the host's loopback, and in
another candidate's files being graded at the same time. So a score of 0 on that
check is proof the attack failed; any leak would score. Attacks on the machine itself
(fork bomb, memory, disk, output, hanging, leftover processes) must score 0, leave no
process behind and leave the grader able to grade the next submission normally.
"""

from __future__ import annotations

import asyncio
import os
import re
import secrets
import shutil
import textwrap
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from app.grading.grader import GradingRecord, clear_reference_cache, grade_submission
from app.grading.sandbox import (
    BubblewrapSandbox,
    Limits,
    ProcessSandbox,
    Sandbox,
)
from app.grading.scenarios import Scenario, load_scenario

pytestmark = pytest.mark.sandbox

SECRET = "assay-secret-" + secrets.token_hex(12)

WORKSPACE = """
def attack():
    return None


def add(x):
    return x + 1
"""

SOLUTION = f'''
def attack():
    return "{SECRET}"


def add(x):
    return x + 1
'''

PROBE = """
def step_guarded(inputs):
    import pipeline
    return pipeline.attack()


def step_sane(inputs):
    import pipeline
    return [pipeline.add(x) for x in inputs["xs"]]
"""

JUDGE = f'''
import json
import random

SECRET = "{SECRET}"


def make_inputs(seed):
    rng = random.Random(seed)
    return {{"xs": [rng.randint(0, 100) for _ in range(5)]}}


def check_guarded(cand, ref, inputs):
    return SECRET in json.dumps(cand.data) or SECRET in cand.output


def check_sane(cand, ref, inputs):
    return cand.data == ref.data
'''

YAML = """
id: vault
version: 1
title: A scenario whose hidden check only a leak can pass
level: specialist
domain: governance
time_hint_minutes: 5
max_public_runs: 3
brief: |
  Nothing to fix here: this scenario exists for the hostile-submission tests.
editable: [pipeline.py]
limits: {step_seconds: 1, run_seconds: 3}
checks:
  - {name: guarded, points: 5, step: guarded, description: Only a leak of the secret passes this.}
  - {name: sane, points: 1, public: true, step: sane, description: add() adds one to its input.}
cheap_fixes:
  - {name: return nothing, path: cheap/nothing}
"""


@pytest.fixture(scope="module")
def scenario(tmp_path_factory: pytest.TempPathFactory) -> Scenario:
    path = tmp_path_factory.mktemp("hostile") / "vault"
    for sub in ("workspace", "solution", "checks", "cheap/nothing"):
        (path / sub).mkdir(parents=True)
    (path / "scenario.yaml").write_text(YAML)
    (path / "workspace" / "pipeline.py").write_text(WORKSPACE)
    (path / "cheap" / "nothing" / "pipeline.py").write_text(WORKSPACE)
    (path / "solution" / "pipeline.py").write_text(SOLUTION)
    (path / "checks" / "probe.py").write_text(PROBE)
    (path / "checks" / "judge.py").write_text(JUDGE)
    return load_scenario(path)


@pytest.fixture(scope="module")
def host_secret_file(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """A world-readable file on the host holding the secret."""
    path = Path("/tmp") / f"assay-host-secret-{secrets.token_hex(4)}"
    path.write_text(SECRET)
    path.chmod(0o644)
    yield path
    path.unlink()


@pytest.fixture
async def secret_listener() -> AsyncIterator[int]:
    """A TCP server on the host's loopback that hands the secret to whoever connects."""

    async def serve(_: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        writer.write(SECRET.encode())
        await writer.drain()
        writer.close()

    server = await asyncio.start_server(serve, "127.0.0.1", 0)
    yield server.sockets[0].getsockname()[1]
    server.close()
    await server.wait_closed()


LAYERS = ["bubblewrap", "process"]


@pytest.fixture(scope="module", params=LAYERS)
def sandbox(request: pytest.FixtureRequest) -> Iterator[Sandbox]:
    box: Sandbox
    if request.param == "bubblewrap":
        if shutil.which("bwrap") is None:
            pytest.skip("bubblewrap is not installed")
        box = BubblewrapSandbox(slots=4)
    else:
        box = ProcessSandbox(slots=4)
    yield box
    box.close()


def hostile(attack_body: str) -> dict[str, str]:
    body = textwrap.indent(textwrap.dedent(attack_body).strip(), "    ")
    return {"pipeline.py": f"def attack():\n{body}\n\n\ndef add(x):\n    return x + 1\n"}


def slot_processes(box: Sandbox) -> list[int]:
    """Live processes of this sandbox's slot uids (other graders on the machine have
    uids of their own)."""
    uids = box.slot_uids
    found = []
    for name in os.listdir("/proc"):
        if not name.isdigit():
            continue
        try:
            with open(f"/proc/{name}/status") as fh:
                uid = next(int(line.split()[1]) for line in fh if line.startswith("Uid:"))
        except (OSError, StopIteration):
            continue
        if uid in uids:
            found.append(int(name))
    return found


async def grade(
    scenario: Scenario, files: dict[str, str], box: Sandbox, *, alone: bool = True
) -> GradingRecord:
    clear_reference_cache()
    record = await grade_submission(scenario, files, seed=secrets.randbelow(10**6), sandbox=box)
    checks = {c.name: c for c in record.checks}
    assert checks["guarded"].earned == 0, checks["guarded"]
    if alone and os.geteuid() == 0:
        assert slot_processes(box) == [], "a sandboxed process survived the grading"
    return record


async def still_healthy(scenario: Scenario, box: Sandbox) -> None:
    record = await grade_submission(scenario, {"pipeline.py": SOLUTION}, seed=1, sandbox=box)
    assert record.score == 1.0


# The attack bodies: each tries to obtain the secret or to break the machine.

FORK_BOMB = """
import os
while True:
    try:
        os.fork()
    except OSError:
        pass
"""

INFINITE_LOOP = """
while True:
    try:
        while True:
            pass
    except BaseException:
        pass
"""

LONG_SLEEP = """
import time
time.sleep(3600)
"""

ALLOCATE_4GIB = """
block = bytearray(4 << 30)
return len(block)
"""

DISK_FILL = """
import os
for folder in (".", "/tmp", os.environ.get("TMPDIR", "/tmp")):
    try:
        with open(os.path.join(folder, "fill"), "wb") as fh:
            while True:
                fh.write(b"x" * (1 << 20))
    except OSError:
        pass
return "disk full"
"""

STDOUT_FLOOD = """
import os
chunk = b"y" * (1 << 20)
for _ in range(4 << 10):
    os.write(1, chunk)
"""

BACKGROUND_PROCESS = """
import os, time
if os.fork() == 0:
    os.setsid()
    if os.fork() == 0:
        time.sleep(300)
    os._exit(0)
return "left a process behind"
"""

PRINT_FAKE_RESULTS = """
import json
fake = {"status": "ok", "data": "forged"}
print(json.dumps({"guarded": {"passed": True, "earned": 5}}))
print("\\x1eASSAY-DRIVER 1")
print("\\x1eASSAY " + "0" * 32 + " step guarded 30")
print(json.dumps(fake))
return None
"""

WRITE_CHANNEL_EARLY = """
import os
for fd in range(3, 64):
    try:
        os.write(fd, b'\\x1eASSAY forged step guarded 2\\n{}\\n')
    except OSError:
        pass
return None
"""

PATCH_THE_DRIVER = """
import gc, json, os
channel = next(o for o in gc.get_objects() if type(o).__name__ == "Channel")
payload = json.dumps({"status": "ok", "data": "forged by the candidate"}).encode()
channel.frame("step", "guarded", payload)
channel.frame("step", "sane", json.dumps({"status": "ok", "data": [0]}).encode())
channel.frame("done", "-", b"")
os._exit(0)
"""


@pytest.mark.parametrize(
    "attack",
    [
        pytest.param(FORK_BOMB, id="fork-bomb"),
        pytest.param(INFINITE_LOOP, id="infinite-loop"),
        pytest.param(LONG_SLEEP, id="long-sleep"),
        pytest.param(ALLOCATE_4GIB, id="allocate-4GiB"),
        pytest.param(DISK_FILL, id="disk-fill"),
        pytest.param(STDOUT_FLOOD, id="gigabytes-to-stdout"),
        pytest.param(BACKGROUND_PROCESS, id="background-process"),
    ],
)
async def test_attacks_on_the_machine_score_zero(
    scenario: Scenario, sandbox: Sandbox, attack: str
) -> None:
    await grade(scenario, hostile(attack), sandbox)
    await still_healthy(scenario, sandbox)


FILE_FLOOD = """
import os
made, refusals = 0, {}
places = [".", os.environ.get("TMPDIR", "/tmp"), "/tmp", "/dev/shm", "/dev"]
try:
    while made < 100_000 and places:
        place = places[made % len(places)]
        try:
            os.close(os.open(os.path.join(place, f"f{made}"), os.O_CREAT | os.O_WRONLY, 0o600))
            made += 1
        except OSError as exc:
            refusals[place] = exc.strerror
            places.remove(place)
finally:
    print(f"files made: {made}; refused: {refusals}", flush=True)
"""


async def test_a_flood_of_files_stops_at_the_inode_cap(
    scenario: Scenario, sandbox: Sandbox
) -> None:
    """100,000 empty files would cost the kernel ~500 MB of inodes and dentries that no
    byte cap sees: the run's storage refuses the file past its inode cap, everywhere
    the run can write, and the host's shared memory directory gets none of them."""
    shm_before = set(os.listdir("/dev/shm"))
    record = await grade(scenario, hostile(FILE_FLOOD), sandbox)
    found = re.search(r"files made: (\d+)", record.output_tail)
    assert found is not None, record.output_tail
    assert int(found.group(1)) <= Limits().tmpfs_inodes, record.output_tail
    assert "No space left on device" in record.output_tail
    assert set(os.listdir("/dev/shm")) == shm_before
    # The run's tmpfs lived in its own mount namespace: the host never saw it.
    with open("/proc/self/mounts") as mounts:  # noqa: ASYNC230 - a small procfs read
        assert not [m for m in mounts if m.startswith("assay ")]
    await still_healthy(scenario, sandbox)


async def test_printing_fake_results_changes_nothing(scenario: Scenario, sandbox: Sandbox) -> None:
    record = await grade(scenario, hostile(PRINT_FAKE_RESULTS), sandbox)
    assert {c.name: c.passed for c in record.checks} == {"guarded": False, "sane": True}


@pytest.mark.parametrize(
    "attack", [WRITE_CHANNEL_EARLY, PATCH_THE_DRIVER], ids=["write-channel", "patch-driver"]
)
async def test_tampering_with_the_channel_voids_the_run(
    scenario: Scenario, sandbox: Sandbox, attack: str
) -> None:
    record = await grade(scenario, hostile(attack), sandbox)
    assert record.score == 0.0
    await still_healthy(scenario, sandbox)


async def test_reading_hidden_files_and_host_files_finds_nothing(
    scenario: Scenario, sandbox: Sandbox, host_secret_file: Path
) -> None:
    targets = [
        scenario.path / "checks" / "judge.py",
        scenario.path / "solution" / "pipeline.py",
        host_secret_file,
        Path("/etc/shadow"),
        Path("/root/.bash_history"),
        Path(__file__).parents[2] / "scenarios" / "leaky-scaler" / "solution" / "prep.py",
    ]
    attack = f"""
    import os
    found = []
    for path in {[str(t) for t in targets]!r}:
        try:
            with open(path, errors="replace") as fh:
                found.append(fh.read())
        except OSError as exc:
            found.append(type(exc).__name__)
    for top in ("/work", "/root", "/tmp", "/home"):
        for folder, _, names in os.walk(top):
            for name in names[:200]:
                try:
                    with open(os.path.join(folder, name), errors="replace") as fh:
                        found.append(fh.read(4096))
                except OSError:
                    pass
    return found
    """
    if sandbox.layer == "process":
        # The process layer shares the host's file system: world-readable files are
        # readable. That is why production requires bubblewrap.
        pytest.skip("the process layer does not hide world-readable host files")
    await grade(scenario, hostile(attack), sandbox)


async def test_network_is_unreachable(
    scenario: Scenario, sandbox: Sandbox, secret_listener: int
) -> None:
    if sandbox.layer == "process":
        pytest.skip("the process layer shares the host's network")
    attack = f"""
    import socket
    got = []
    for host in ("127.0.0.1", "localhost", "::1"):
        try:
            with socket.create_connection((host, {secret_listener}), timeout=0.5) as conn:
                got.append(conn.recv(200).decode())
        except OSError as exc:
            got.append(type(exc).__name__)
    got.append(sorted(name for _, name in socket.if_nameindex()))
    return got
    """
    await grade(scenario, hostile(attack), sandbox)


async def test_another_attempts_files_are_invisible(scenario: Scenario, sandbox: Sandbox) -> None:
    victim = {
        "pipeline.py": f'import time\n\nMINE = "{SECRET}"\n\n\ndef attack():\n'
        "    time.sleep(0.8)\n    return None\n\n\ndef add(x):\n    return x + 1\n"
    }
    attack = """
    import os
    found = []
    for top in ("/tmp", "/sandbox", "/run", "/dev/shm", "/var/tmp", "/proc"):
        for folder, dirs, names in os.walk(top):
            if folder.startswith("/proc/") and folder.count("/") > 3:
                dirs[:] = []
            for name in names:
                try:
                    with open(os.path.join(folder, name), errors="replace") as fh:
                        found.append(fh.read(65536))
                except OSError:
                    pass
    return found
    """
    await asyncio.gather(
        grade_submission(scenario, victim, seed=2, sandbox=sandbox),
        grade(scenario, hostile(attack), sandbox, alone=False),
    )
    if os.geteuid() == 0:
        assert slot_processes(sandbox) == []
