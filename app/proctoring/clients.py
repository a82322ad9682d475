"""Noting the clients that work on an attempt, cheaply on the exam page's clock sync.

``observe`` (service.py) reads the attempt's clients and writes when something is new.
Two things make the common cases cost little or nothing:

- the first client of an attempt (every candidate's first state read at a sitting's
  start) is noted by one autocommit statement that inserts only while the attempt has no
  client at all: no read, no transaction around it;
- a client this process found noted, from the same address, within the refresh period
  (``CLIENT_REFRESH_SECONDS``) costs no database work: nothing would be written, and its
  row's ``last_seen`` is what this process read. Only rows read from the database (or
  written by the autocommit insert) are remembered, never a write still to be
  committed. A change another process noted meanwhile (the same sign-in from elsewhere)
  is seen here at the end of the period at the latest.
"""

from __future__ import annotations

import uuid
from collections import OrderedDict
from datetime import datetime
from typing import Any

from sqlalchemy import Uuid, bindparam, exists, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncEngine

from app.core.db import DriverPool, UTCDateTime, driver_statement
from app.proctoring.models import AttemptClient

_clients = AttemptClient.__table__


def _first_client(dialect: Any) -> Any:
    """The client, inserted only if the attempt has none; returns a row if it did."""
    values = select(
        bindparam("attempt_id", type_=Uuid),
        bindparam("session_key"),
        bindparam("ip"),
        bindparam("user_agent"),
        bindparam("seen", type_=UTCDateTime()),
        bindparam("seen", type_=UTCDateTime()),
    ).where(~exists().where(_clients.c.attempt_id == bindparam("attempt_id", type_=Uuid)))
    columns = ["attempt_id", "session_key", "ip", "user_agent", "first_seen", "last_seen"]
    return (
        dialect.insert(AttemptClient)
        .from_select(columns, values)
        .on_conflict_do_nothing(index_elements=["attempt_id", "session_key"])
        .returning(_clients.c.attempt_id)
    )


_PG_FIRST_CLIENT, _PG_FIRST_CLIENT_ORDER = driver_statement(_first_client(postgresql))
_SQLITE_FIRST_CLIENT = _first_client(sqlite)


class ClientNotes:
    """One per app (``proctoring.dependencies.attach_engine``)."""

    def __init__(
        self,
        engine: AsyncEngine,
        driver: DriverPool | None,
        refresh_seconds: float,
        max_entries: int = 50_000,
    ) -> None:
        self._engine = engine
        self._driver = driver
        self._refresh = refresh_seconds
        self._max_entries = max_entries
        # attempt id + session key (one string, which the collector does not track)
        # -> (address, last_seen as epoch seconds).
        self._seen: OrderedDict[str, tuple[str, float]] = OrderedDict()

    @staticmethod
    def _key(attempt_id: uuid.UUID, session_key: str) -> str:
        return attempt_id.hex + session_key

    def fresh(self, attempt_id: uuid.UUID, session_key: str, ip: str, now: datetime) -> bool:
        """Noted from this address within the refresh period: nothing to read or write."""
        hit = self._seen.get(self._key(attempt_id, session_key))
        return hit is not None and hit[0] == ip and now.timestamp() - hit[1] < self._refresh

    def remember(
        self, attempt_id: uuid.UUID, session_key: str, ip: str, last_seen: datetime
    ) -> None:
        """What the database holds for this client (read, or written and committed)."""
        key = self._key(attempt_id, session_key)
        self._seen[key] = (ip, last_seen.timestamp())
        self._seen.move_to_end(key)
        if len(self._seen) > self._max_entries:
            self._seen.popitem(last=False)

    async def note_first(
        self,
        attempt_id: uuid.UUID,
        session_key: str,
        ip: str,
        user_agent: str,
        now: datetime,
    ) -> bool:
        """Notes the client if the attempt has none yet (committed at once); False when
        it has one, and the caller reads them."""
        values = {
            "attempt_id": attempt_id,
            "session_key": session_key,
            "ip": ip,
            "user_agent": user_agent,
            "seen": now,
        }
        if self._driver is not None:
            row = await self._driver.fetchrow(
                _PG_FIRST_CLIENT, *(values[n] for n in _PG_FIRST_CLIENT_ORDER)
            )
        else:
            async with self._engine.connect() as connection:
                row = (await connection.execute(_SQLITE_FIRST_CLIENT, values)).first()
        if row is None:
            return False
        self.remember(attempt_id, session_key, ip, now)
        return True
