"""The driver: the one file of ours that runs inside the sandbox, beside candidate code.

Run as ``python -I -B driver.py CHANNEL_FD``, standard library only (it runs on the
system interpreter, never imports ``app``). It:

1. writes a hello frame to the channel (so the grader can tell "the sandbox never
   started", an infrastructure fault, from "the candidate's code broke it");
2. reads one request from stdin (marshal: files, probe source, steps, inputs, nonce;
   or files and an ``entry`` for a pipeline run, see ``run_entry``) and closes stdin;
3. writes the workspace as regular files into ``./workspace`` and makes it the first
   entry of ``sys.path`` and the working directory;
4. runs each probe step with its own timer and writes one frame per step holding only
   data: the step's JSON result, or the kind of failure.

It decides nothing. Candidate code shares this process, so anything here can be
patched by it; that is why verdicts are computed outside, against a reference run on
inputs the candidate could not know in advance, and why any stray or duplicated frame
voids the run (see ``grader.parse_channel``).
"""

from __future__ import annotations

import marshal
import os
import sys
from _json import encode_basestring_ascii  # C; json itself imports re (~6 ms)

# typing.TYPE_CHECKING without importing typing (8 ms, re included); mypy goes by the name.
TYPE_CHECKING = False
if TYPE_CHECKING:
    import signal as _signal
    from collections.abc import Callable
    from types import FrameType
    from typing import Any
else:
    import _signal  # the signal module without its enum wrappers: enum costs ~3 ms a run

HELLO = b"\x1eASSAY-DRIVER 1\n"
FRAME_MARK = b"\x1eASSAY "
MAX_MESSAGE = 300
FORBIDDEN_NAMES = frozenset(
    {"conftest.py", "sitecustomize.py", "usercustomize.py", "__main__.py", "pyvenv.cfg"}
)

MAX_DEPTH = 100

# Bound before candidate code exists, so that a patched ``os.write`` at least has to be
# patched here too, not just in the module.
_write = os.write


def encode(value: Any) -> bytes:
    """Plain data as compact ASCII JSON, or TypeError/ValueError for anything else.

    Only JSON's own types are written; NaN and infinities as JSON's usual extensions
    (the grader's parser reads them). Depth is bounded, which also ends cycles.
    """
    out: list[str] = []
    _encode_into(value, out, 0)
    return "".join(out).encode("ascii")


def _encode_into(value: Any, out: list[str], depth: int) -> None:
    if depth > MAX_DEPTH:
        raise ValueError("the result is nested too deeply")
    if value is None:
        out.append("null")
    elif value is True:
        out.append("true")
    elif value is False:
        out.append("false")
    elif isinstance(value, int):
        out.append(int.__repr__(value))
    elif isinstance(value, float):
        if value != value:
            out.append("NaN")
        elif value in (float("inf"), float("-inf")):
            out.append("Infinity" if value > 0 else "-Infinity")
        else:
            out.append(float.__repr__(value))
    elif isinstance(value, str):
        out.append(encode_basestring_ascii(str.__str__(value)))
    elif isinstance(value, list | tuple):
        out.append("[")
        for i, item in enumerate(value):
            if i:
                out.append(",")
            _encode_into(item, out, depth + 1)
        out.append("]")
    elif isinstance(value, dict):
        out.append("{")
        for i, (key, item) in enumerate(dict.items(value)):
            if i:
                out.append(",")
            if isinstance(key, str):
                out.append(encode_basestring_ascii(str.__str__(key)))
            elif key is None or isinstance(key, bool | int | float):
                inner: list[str] = []
                _encode_into(key, inner, depth + 1)
                out.append(encode_basestring_ascii("".join(inner)))
            else:
                raise TypeError(f"a {type(key).__name__} key is not plain data")
            out.append(":")
            _encode_into(item, out, depth + 1)
        out.append("}")
    else:
        raise TypeError(f"a {type(value).__name__} is not plain data")


class StepTimeout(BaseException):
    """Raised by the step timer; a BaseException so ``except Exception`` in candidate
    code does not swallow it."""


def safe_relative_path(path: str) -> bool:
    if not path or "\x00" in path or "\\" in path or path.startswith("/"):
        return False
    parts = path.split("/")
    if any(p in ("", ".", "..") for p in parts):
        return False
    name = parts[-1]
    return name not in FORBIDDEN_NAMES and not name.endswith(".pth")


def write_workspace(root: str, files: dict[str, str]) -> None:
    os.mkdir(root, 0o755)
    for path, text in sorted(files.items()):
        if not safe_relative_path(path):
            raise ValueError(f"refused path {path!r}")
        parent = os.path.join(root, *path.split("/")[:-1])
        os.makedirs(parent, exist_ok=True)
        flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW
        fd = os.open(os.path.join(root, path), flags, 0o644)
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as fh:
            fh.write(text)


def describe_error(exc: BaseException, workspace: str) -> str:
    """``Type: message (at file.py:LINE)`` with the deepest frame in the candidate's
    own files: enough to debug, nothing about the probe or the grader."""
    import traceback  # only on failure: it costs ~2 ms to import

    text = str(exc).replace("\n", " ")
    if len(text) > MAX_MESSAGE:
        text = text[:MAX_MESSAGE] + "..."
    where = ""
    prefix = workspace.rstrip("/") + "/"
    for frame in traceback.extract_tb(exc.__traceback__):
        if frame.filename.startswith(prefix):
            where = f" (at {frame.filename[len(prefix) :]}:{frame.lineno})"
    name = type(exc).__name__
    return f"{name}: {text}{where}" if text else f"{name}{where}"


class Channel:
    def __init__(self, fd: int, nonce: str) -> None:
        self.fd = fd
        self.nonce = nonce.encode("ascii")

    def frame(self, kind: str, name: str, payload: bytes) -> None:
        header = b"%s%s %s %s %d\n" % (
            FRAME_MARK,
            self.nonce,
            kind.encode("ascii"),
            name.encode("ascii"),
            len(payload),
        )
        data = memoryview(header + payload + b"\n")
        while data:
            data = data[_write(self.fd, data) :]


def run_step(
    fn: Callable[[Any], Any], inputs: Any, timeout: float, workspace: str
) -> dict[str, Any]:
    def on_alarm(signum: int, frame: FrameType | None) -> None:
        raise StepTimeout

    _signal.signal(_signal.SIGALRM, on_alarm)
    _signal.setitimer(_signal.ITIMER_REAL, timeout)
    try:
        try:
            value = fn(inputs)
        finally:
            _signal.setitimer(_signal.ITIMER_REAL, 0)
    except StepTimeout:
        return {"status": "timeout"}
    except BaseException as exc:
        return {"status": "error", "error": describe_error(exc, workspace)}
    return {"status": "ok", "data": value}


def run_entry(entry: list[str], workspace: str, channel_fd: int) -> int:
    """A pipeline run: the workspace's entry script as ``python ENTRY ARGS...`` runs it
    (``__main__``, ``sys.argv``, its folder first on ``sys.path``), with nothing on the
    channel after the hello. Its output is all it gives back, and it is only shown."""
    os.close(channel_fd)
    script = os.path.join(workspace, entry[0])
    sys.argv = list(entry)
    sys.path[0] = os.path.dirname(script)
    main_module = type(sys)("__main__")
    main_module.__file__ = script
    main_module.__dict__["__builtins__"] = __builtins__
    driver_module = sys.modules["__main__"]  # noqa: F841 - kept alive for the lines below
    sys.modules["__main__"] = main_module
    try:
        with open(script, "rb") as fh:
            code = compile(fh.read(), script, "exec")
        exec(code, main_module.__dict__)  # noqa: S102 - the candidate's pipeline, sandboxed
    except SystemExit:
        raise
    except BaseException as exc:
        import traceback

        # The traceback as python would print it, from the candidate's first frame on.
        tb = exc.__traceback__
        prefix = workspace.rstrip("/") + "/"
        while tb is not None and not tb.tb_frame.f_code.co_filename.startswith(prefix):
            tb = tb.tb_next
        traceback.print_exception(type(exc), exc, tb)
        return 1
    return 0


def main(argv: list[str]) -> int:
    channel_fd = int(argv[1])
    _write(channel_fd, HELLO)
    # marshal: the request is ours (trusted) and plain data; no import needed to read it.
    request = marshal.loads(sys.stdin.buffer.read())  # noqa: S302 - the grader wrote it
    devnull = os.open(os.devnull, os.O_RDONLY)
    os.dup2(devnull, 0)
    os.close(devnull)
    channel = Channel(channel_fd, request["nonce"])

    workspace = os.path.abspath("workspace")
    write_workspace(workspace, request["files"])
    os.chdir(workspace)
    sys.path.insert(0, workspace)
    if "entry" in request:
        return run_entry(request["entry"], workspace, channel_fd)

    probe: dict[str, Any] = {"__name__": "assay_probe", "__builtins__": __builtins__}
    try:
        exec(compile(request["probe"], "<probe>", "exec"), probe)  # noqa: S102 - our probe
    except BaseException as exc:
        channel.frame("probe", "-", encode({"error": describe_error(exc, workspace)}))
        return 3

    for step in request["steps"]:
        name = step["name"]
        fn = probe.get(f"step_{name}")
        if not callable(fn):
            outcome: dict[str, Any] = {"status": "missing"}
        else:
            outcome = run_step(fn, request["inputs"], float(step["timeout"]), workspace)
        try:
            payload = encode(outcome)
        except Exception as exc:
            payload = encode({"status": "error", "error": f"the result is not plain data ({exc})"})
        channel.frame("step", name, payload)
    channel.frame("done", "-", b"")
    for stream in (sys.stdout, sys.stderr):
        try:  # noqa: SIM105 - contextlib would be one more import on every run
            stream.flush()
        except BaseException:  # noqa: S110 - a closed stream is the candidate's doing
            pass
    # Skip interpreter shutdown: atexit hooks and finalizers are the candidate's.
    os._exit(0)


if __name__ == "__main__":
    sys.exit(main(sys.argv))
