"""The sandbox on its own: what a script inside can and cannot do, and how runs end."""

from __future__ import annotations

import asyncio
import os
import shutil
import struct
import textwrap
from collections.abc import Iterator

import pytest

from app.grading.driver import safe_relative_path, write_workspace
from app.grading.exceptions import IsolationUnavailable
from app.grading.sandbox import (
    BubblewrapSandbox,
    Limits,
    ProcessSandbox,
    Sandbox,
    SandboxResult,
    detect_sandbox,
)
from app.grading.seccomp import DENIED_X86_64, build_x86_64

pytestmark = pytest.mark.sandbox

HAVE_BWRAP = shutil.which("bwrap") is not None
FAST = Limits(wall_seconds=5, cpu_seconds=5)


@pytest.fixture(scope="module", params=["bubblewrap", "process"])
def sandbox(request: pytest.FixtureRequest) -> Iterator[Sandbox]:
    box: Sandbox
    if request.param == "bubblewrap":
        if not HAVE_BWRAP:
            pytest.skip("bubblewrap is not installed")
        box = BubblewrapSandbox(slots=2)
    else:
        box = ProcessSandbox(slots=2)
    yield box
    box.close()


@pytest.fixture(scope="module")
def bwrap() -> Iterator[Sandbox]:
    if not HAVE_BWRAP:
        pytest.skip("bubblewrap is not installed")
    box = BubblewrapSandbox(slots=2)
    yield box
    box.close()


def script(body: str) -> bytes:
    """A script that reports through the channel: ``report(obj)`` writes JSON there."""
    head = "import json, os, sys\nCH = int(sys.argv[1])\n"
    head += "def report(obj):\n    os.write(CH, json.dumps(obj).encode())\n"
    return (head + textwrap.dedent(body)).encode()


async def run(box: Sandbox, body: str, limits: Limits = FAST, stdin: bytes = b"") -> SandboxResult:
    return await box.run(script(body), stdin=stdin, limits=limits)


def reported(result: SandboxResult) -> object:
    import json

    return json.loads(result.channel)


async def test_script_runs_isolated_with_a_clean_environment(sandbox: Sandbox) -> None:
    result = await run(
        sandbox,
        """
        import sys
        report({"isolated": sys.flags.isolated, "no_bytecode": sys.flags.dont_write_bytecode,
                "env": sorted(os.environ), "stdin": sys.stdin.read(), "uid": os.getuid()})
        print("hello out")
        """,
        stdin=b"payload",
    )
    got = reported(result)
    assert isinstance(got, dict)
    assert got["isolated"] == 1 and got["no_bytecode"] == 1
    # PWD is set by the holding shell; nothing of the grader's environment gets in.
    assert set(got["env"]) <= {"HOME", "LANG", "PATH", "TMPDIR", "PWD"}
    assert got["stdin"] == "payload"
    if os.geteuid() == 0:
        assert got["uid"] != 0
    assert result.stdout == b"hello out\n"
    assert result.exit_code == 0 and not result.timed_out
    assert result.layer == sandbox.layer


async def test_rlimits_are_in_force(sandbox: Sandbox) -> None:
    result = await run(
        sandbox,
        """
        import resource as r
        report({name: r.getrlimit(getattr(r, name))[1] for name in
                ("RLIMIT_AS", "RLIMIT_FSIZE", "RLIMIT_NOFILE", "RLIMIT_CORE", "RLIMIT_NPROC")})
        """,
    )
    got = reported(result)
    assert got["RLIMIT_AS"] == FAST.address_space_bytes  # type: ignore[index]
    assert got["RLIMIT_FSIZE"] == FAST.file_size_bytes  # type: ignore[index]
    assert got["RLIMIT_NOFILE"] == FAST.open_files  # type: ignore[index]
    assert got["RLIMIT_CORE"] == 0  # type: ignore[index]
    if os.geteuid() == 0:
        assert got["RLIMIT_NPROC"] == FAST.processes  # type: ignore[index]


async def test_wall_clock_kills_a_hung_run(sandbox: Sandbox) -> None:
    result = await run(sandbox, "import time\ntime.sleep(60)\n", Limits(wall_seconds=0.5))
    assert result.timed_out and result.exit_code is None
    assert result.duration_seconds < 5


async def test_output_is_capped_and_a_flood_ends_the_run(sandbox: Sandbox) -> None:
    result = await run(
        sandbox,
        """
        chunk = b"x" * (1 << 20)
        try:
            for _ in range(4096):
                os.write(1, chunk)
        except BrokenPipeError:
            report("cut off")
        """,
        Limits(wall_seconds=10, output_keep_bytes=1000, output_drain_bytes=2 << 20),
    )
    assert len(result.stdout) == 1000 and result.output_truncated
    assert reported(result) == "cut off"
    assert not result.timed_out


async def test_background_processes_do_not_survive(sandbox: Sandbox) -> None:
    result = await run(
        sandbox,
        """
        import time
        if os.fork() == 0:
            os.setsid()
            if os.fork() == 0:
                time.sleep(300)
            os._exit(0)
        report("parent done")
        """,
    )
    assert reported(result) == "parent done"
    if os.geteuid() == 0:
        assert not _processes_of_slot_uids(sandbox)


def _processes_of_slot_uids(box: Sandbox) -> list[int]:
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


async def test_bubblewrap_has_no_network(bwrap: Sandbox) -> None:
    # A listener on the host's loopback: the only address a test here may target.
    async def serve(_: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        writer.close()

    server = await asyncio.start_server(serve, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    try:
        result = await run(
            bwrap,
            f"""
            import socket
            try:
                socket.create_connection(("127.0.0.1", {port}), timeout=1).close()
                reached = True
            except OSError:
                reached = False
            report({{"reached": reached, "interfaces": [n for _, n in socket.if_nameindex()]}})
            """,
        )
    finally:
        server.close()
        await server.wait_closed()
    assert reported(result) == {"reached": False, "interfaces": ["lo"]}


async def test_bubblewrap_sees_only_the_system_and_its_own_dirs(bwrap: Sandbox) -> None:
    result = await run(
        bwrap,
        """
        seen = {}
        for path in ("/work", "/root", "/home", "/etc/shadow", "/etc/passwd", "/proc/1", "/run"):
            seen[path] = os.path.exists(path)
        try:
            open("/usr/evil", "w")
            seen["usr_writable"] = True
        except OSError:
            seen["usr_writable"] = False
        try:
            open("/evil", "w")
            seen["root_writable"] = True
        except OSError:
            seen["root_writable"] = False
        report(seen)
        """,
    )
    assert not any(reported(result).values())  # type: ignore[attr-defined]


async def test_bubblewrap_tmpfs_is_size_capped(bwrap: Sandbox) -> None:
    result = await run(
        bwrap,
        """
        import errno
        written = 0
        try:
            with open("/tmp/fill", "wb") as fh:
                for _ in range(64):
                    fh.write(b"x" * (1 << 20))
                    fh.flush()
                    written += 1
        except OSError as exc:
            report({"errno": exc.errno, "mib": written})
        """,
        Limits(wall_seconds=5, tmpfs_bytes=4 << 20, file_size_bytes=64 << 20),
    )
    got = reported(result)
    assert got["mib"] <= 4  # type: ignore[index]


async def test_bubblewrap_seccomp_refuses_ptrace_and_namespaces(bwrap: Sandbox) -> None:
    result = await run(
        bwrap,
        """
        import ctypes
        libc = ctypes.CDLL(None, use_errno=True)
        out = {}
        for name, nr, args in (("ptrace", 101, (16, 1, 0, 0)), ("unshare", 272, (0x10000000,))):
            rc = libc.syscall(nr, *args)
            out[name] = ctypes.get_errno() if rc == -1 else 0
        report(out)
        """,
    )
    assert reported(result) == {"ptrace": 1, "unshare": 1}


def test_seccomp_program_is_well_formed() -> None:
    prog = build_x86_64()
    assert len(prog) % 8 == 0
    insns = [struct.unpack("<HBBI", prog[i : i + 8]) for i in range(0, len(prog), 8)]
    assert len(insns) == 4 + len(set(DENIED_X86_64.values())) + 3
    # every jump lands inside the program
    for at, (code, jt, jf, _) in enumerate(insns):
        if code & 0x07 == 0x05:
            assert at + 1 + max(jt, jf) < len(insns)


def test_detect_picks_bubblewrap_when_it_works() -> None:
    if not HAVE_BWRAP:
        pytest.skip("bubblewrap is not installed")
    assert detect_sandbox().layer == "bubblewrap"


def test_production_refuses_to_fall_back_to_the_process_layer() -> None:
    with pytest.raises(IsolationUnavailable):
        detect_sandbox(require_isolation=True, bwrap="/nonexistent/bwrap", slots=1)


def test_without_bubblewrap_the_process_layer_is_used() -> None:
    box = detect_sandbox(bwrap="/nonexistent/bwrap", slots=1)
    try:
        assert box.layer == "process"
    finally:
        box.close()


def test_workspace_paths_are_whitelisted(tmp_path: os.PathLike[str]) -> None:
    for bad in (
        "../x.py",
        "/etc/passwd",
        "a//b.py",
        "conftest.py",
        "pkg/sitecustomize.py",
        "usercustomize.py",
        "evil.pth",
        "a\\b.py",
        "",
        "x\x00.py",
    ):
        assert not safe_relative_path(bad), bad
    assert safe_relative_path("pkg/pipeline.py")
    with pytest.raises(ValueError):
        write_workspace(os.path.join(tmp_path, "ws"), {"conftest.py": ""})


def test_storage_limits_are_never_zero() -> None:
    # tmpfs reads 0 as "unlimited"
    with pytest.raises(ValueError, match="positive"):
        Limits(tmpfs_inodes=0)
    with pytest.raises(ValueError, match="positive"):
        Limits(tmpfs_bytes=0)


async def test_without_user_namespaces_the_process_layer_still_runs(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Where no run can get its own storage (no user namespaces: the machines where the
    process layer is the fallback), runs go on in host directories and the sandbox says
    that files are not bounded."""
    from app.grading.sandbox import storage

    monkeypatch.setattr(storage.Storage, "works", lambda self, launcher: "no user namespaces")
    box = ProcessSandbox(slots=1)
    try:
        assert box.details["storage"] == "not bounded in files (no user namespaces)"
        result = await run(box, 'report(os.getcwd().endswith("/work"))')
        assert reported(result) is True
    finally:
        box.close()
