"""No sandbox at all: the benchmark's baseline for the sandbox's overhead."""

from __future__ import annotations

import contextlib
import os
import subprocess
import tempfile
from collections.abc import Sequence
from pathlib import Path


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
