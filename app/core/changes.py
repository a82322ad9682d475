"""A feed of changes pushed by PostgreSQL (LISTEN/NOTIFY), for caches that must not
serve what another process has changed.

A trigger announces each change on a channel at commit; ``ChangeFeed`` listens on its own
connection and hands each payload to ``on_change``. Whenever the feed is not known to be
complete (at connect, at loss, at stop) it calls ``on_reset``: the cache drops what it
holds, since changes may have gone unheard, and keeps entries only briefly until the
feed is back (``up``). A connection lost or stuck (no answer to a ping) is reopened.
``requires`` is a query that must answer true for the feed to count (the trigger is
installed): without it no change would ever be heard, and the feed stays down.

LISTEN needs a session of its own: point the database URL at PostgreSQL itself or at a
pooler in session mode, not one in transaction mode.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable
from typing import Any

import asyncpg
import structlog

log = structlog.get_logger("assay.changes")


class ChangeFeed:
    def __init__(
        self,
        dsn: str,
        channel: str,
        *,
        on_change: Callable[[str], None],
        on_reset: Callable[[], None],
        requires: str | None = None,
        ping_seconds: float = 30.0,
        retry_seconds: float = 5.0,
    ) -> None:
        self._dsn = dsn
        self._channel = channel
        self._on_change = on_change
        self._on_reset = on_reset
        self._requires = requires
        self._ping_seconds = ping_seconds
        self._retry_seconds = retry_seconds
        self._task: asyncio.Task[None] | None = None
        self._listening = asyncio.Event()
        self.up = False

    def start(self) -> None:
        if self._task is None:
            self._task = asyncio.create_task(self._run(), name=f"listen {self._channel}")

    async def wait_listening(self) -> None:
        """Returns once the feed listens (for start-up and tests)."""
        await self._listening.wait()

    async def stop(self) -> None:
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    async def _run(self) -> None:
        while True:
            try:
                await self._listen_once()
            except FeedIncomplete as exc:
                log.error("change feed not usable", channel=self._channel, problem=str(exc))
            except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError, TimeoutError) as exc:
                log.warning("change feed lost; retrying", channel=self._channel, error=repr(exc))
            await asyncio.sleep(self._retry_seconds)

    async def _listen_once(self) -> None:
        connection: asyncpg.Connection = await asyncpg.connect(self._dsn, timeout=10)
        lost = asyncio.Event()
        connection.add_termination_listener(lambda _: lost.set())
        try:
            if self._requires is not None and not await connection.fetchval(self._requires):
                raise FeedIncomplete(f"nothing announces changes on {self._channel}")
            await connection.add_listener(self._channel, self._heard)
            self.up = True
            self._listening.set()
            # Anything cached before this point may have missed a change.
            self._on_reset()
            while not lost.is_set():
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(lost.wait(), self._ping_seconds)
                    break
                await connection.fetchval("SELECT 1", timeout=10)
        finally:
            self._listening.clear()
            if self.up:
                self.up = False
                self._on_reset()
            connection.terminate()

    def _heard(self, _connection: Any, _pid: int, _channel: str, payload: str) -> None:
        self._on_change(payload)


class FeedIncomplete(Exception):
    """The database would never announce a change (``requires`` answered false)."""
