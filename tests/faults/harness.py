"""Real processes for the fault tests: `assay serve` on a free port of 127.0.0.1 with a
database of its own, a TCP proxy that can cut PostgreSQL away from it, and the few
database looks the tests take from outside the service (asyncpg, never the app's code).

Every wait here polls a real process with a bound; nothing sleeps to let time pass."""

from __future__ import annotations

import asyncio
import contextlib
import json
import signal
import socket
import sys
import time
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import asyncpg
import httpx

REPO = Path(__file__).resolve().parents[2]
PASSWORD = "correct horse battery"
START_SECONDS = 60
CANDIDATES = 12  # registered in every test database, candidate_email(0..11)
T = TypeVar("T")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def driver_url(url: str) -> str:
    """asyncpg's spelling of a SQLAlchemy PostgreSQL URL."""
    return url.replace("postgresql+asyncpg://", "postgresql://", 1)


async def until(
    probe: Callable[[], Awaitable[T | None]], what: str, seconds: float = 20, every: float = 0.05
) -> T:
    """Polls ``probe`` until it returns something other than None or False; fails with
    ``what`` after ``seconds``."""
    deadline = time.monotonic() + seconds
    while True:
        found = await probe()
        if found is not None and found is not False:
            return found
        if time.monotonic() > deadline:
            raise AssertionError(f"not within {seconds} s: {what}")
        await asyncio.sleep(every)


@dataclass
class Server:
    """One `assay serve` process. ``kill`` is SIGKILL: no lifespan shutdown, no drain."""

    url: str
    process: asyncio.subprocess.Process
    log_path: Path

    @property
    def alive(self) -> bool:
        return self.process.returncode is None

    async def kill(self) -> None:
        if self.alive:
            self.process.send_signal(signal.SIGKILL)
        await asyncio.wait_for(self.process.wait(), 10)

    async def stop(self) -> None:
        """SIGTERM: the server shuts down as deployed ones do (lifespan end)."""
        if self.alive:
            self.process.terminate()
        await asyncio.wait_for(self.process.wait(), 30)

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def log_events(self, event: str) -> list[dict[str, Any]]:
        """The JSON log lines of this process whose event is ``event``."""
        found = []
        for line in self.log().splitlines():
            with contextlib.suppress(ValueError):
                entry = json.loads(line)
                if isinstance(entry, dict) and entry.get("event") == event:
                    found.append(entry)
        return found


@dataclass
class Launcher:
    """Starts servers for one test and kills every one of them at its end, whatever
    happened. ``env`` is the environment all of them share."""

    root: Path
    env: dict[str, str]
    servers: list[Server] = field(default_factory=list)
    started: int = 0

    async def start(self, database_url: str, **env: str) -> Server:
        port = free_port()
        self.started += 1
        name = f"server-{self.started}"
        log_path = self.root / f"{name}.log"
        with log_path.open("wb") as log:
            process = await asyncio.create_subprocess_exec(
                *(sys.executable, "-m", "app.cli", "serve"),
                *("--host", "127.0.0.1", "--port", str(port)),
                cwd=REPO,
                env={
                    **self.env,
                    "ASSAY_DATABASE_URL": database_url,
                    "ASSAY_PUBLIC_BASE_URL": f"http://127.0.0.1:{port}",
                    **env,
                },
                stdout=log,
                stderr=asyncio.subprocess.STDOUT,
            )
        server = Server(f"http://127.0.0.1:{port}", process, log_path)
        self.servers.append(server)

        async def ready() -> bool | None:
            if not server.alive:
                raise AssertionError(f"{name} exited:\n{server.log()}")
            try:
                async with httpx.AsyncClient(timeout=2) as client:
                    return (await client.get(server.url + "/healthz")).status_code == 200
            except httpx.TransportError:
                return None

        await until(ready, f"{name} answering /healthz", START_SECONDS, every=0.1)
        return server

    async def close(self) -> None:
        for server in self.servers:
            await server.kill()
        for server in self.servers:
            # Shown by pytest only when the test failed.
            print(f"--- {server.log_path.name}\n{server.log()[-4000:]}")


def candidate_email(n: int) -> str:
    return f"candidate-{n}@example.org"


async def sign_in(client: httpx.AsyncClient, n: int) -> dict[str, str]:
    """Signs candidate ``n`` in: their bearer header."""
    r = await client.post(
        "/api/v1/auth/token", data={"username": candidate_email(n), "password": PASSWORD}
    )
    assert r.status_code == 200, r.text
    return {"Authorization": f"Bearer {r.json()['access_token']}"}


async def keyed_labels(db: asyncpg.Connection, attempt_id: str) -> dict[str, list[str]]:
    """For each multiple-choice ref of the attempt, the labels that answer it right."""
    rows = await db.fetch(
        "SELECT ai.ref, ai.option_order, iv.key FROM attempt_items ai"
        " JOIN item_versions iv ON iv.id = ai.item_version_id WHERE ai.attempt_id = $1",
        uuid.UUID(attempt_id),
    )
    labels = {}
    for row in rows:
        order, key = json.loads(row["option_order"]), json.loads(row["key"])
        labels[row["ref"]] = sorted("abcde"[order.index(k)] for k in key)
    return labels


async def lock_waiters(db: asyncpg.Connection, statement_start: str) -> list[int]:
    """The backends (pids) of this database waiting on a lock in a statement that
    starts with ``statement_start``."""
    rows = await db.fetch(
        "SELECT pid FROM pg_stat_activity WHERE datname = current_database()"
        " AND wait_event_type = 'Lock' AND query ILIKE $1",
        statement_start + "%",
    )
    return [row["pid"] for row in rows]


async def backend_gone(db: asyncpg.Connection, pid: int) -> bool:
    return not await db.fetchval("SELECT count(*) FROM pg_stat_activity WHERE pid = $1", pid)


class TcpProxy:
    """A TCP proxy on 127.0.0.1 in front of PostgreSQL. ``cut`` closes every connection
    through it and stops listening (connections are refused, as by a server that is
    down); ``restore`` listens again on the same port."""

    def __init__(self, target_host: str, target_port: int) -> None:
        self.target = (target_host, target_port)
        self.port = free_port()
        self._server: asyncio.Server | None = None
        self._writers: set[asyncio.StreamWriter] = set()
        self._pumps: set[asyncio.Task[None]] = set()
        self.connections = 0

    async def restore(self) -> None:
        self._server = await asyncio.start_server(self._accept, "127.0.0.1", self.port)

    async def cut(self) -> None:
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()
            self._server = None
        for writer in list(self._writers):
            writer.transport.abort()
        self._writers.clear()
        for pump in list(self._pumps):
            pump.cancel()
        await asyncio.gather(*self._pumps, return_exceptions=True)

    async def _accept(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            up_reader, up_writer = await asyncio.open_connection(*self.target)
        except OSError:
            writer.transport.abort()
            return
        self.connections += 1
        self._writers |= {writer, up_writer}
        for source, sink in ((reader, up_writer), (up_reader, writer)):
            pump = asyncio.create_task(self._pump(source, sink))
            self._pumps.add(pump)
            pump.add_done_callback(self._pumps.discard)

    async def _pump(self, source: asyncio.StreamReader, sink: asyncio.StreamWriter) -> None:
        try:
            while data := await source.read(65536):
                sink.write(data)
                await sink.drain()
        except (OSError, asyncio.IncompleteReadError):
            pass
        finally:
            self._writers.discard(sink)
            sink.transport.abort()


async def start_attempt(
    client: httpx.AsyncClient, headers: dict[str, str], exam: str = "fault-one"
) -> dict[str, Any]:
    r = await client.post(f"/api/v1/exams/{exam}/attempts", headers=headers)
    assert r.status_code == 201, r.text
    attempt: dict[str, Any] = r.json()
    return attempt
