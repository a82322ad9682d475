"""Database plumbing: the declarative base, column types that behave the same on SQLite
and PostgreSQL, and the engine/session factory."""

from __future__ import annotations

import asyncio
import socket
import weakref
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from typing import Any

import asyncpg
from sqlalchemy import JSON, DateTime, MetaData, event
from sqlalchemy.dialects import postgresql
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.engine import Dialect
from sqlalchemy.exc import DBAPIError, DisconnectionError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)
from sqlalchemy.orm import DeclarativeBase
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.expression import ClauseElement
from sqlalchemy.types import TypeDecorator

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class UTCDateTime(TypeDecorator[datetime]):
    """An aware UTC timestamp on every backend. SQLite keeps no zone, so values are
    stored as naive UTC there and made aware again on the way out."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTCDateTime column")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


# JSONB on PostgreSQL (indexable, compact), JSON text elsewhere.
JSONType = JSON().with_variant(JSONB(), "postgresql")


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map = {  # noqa: RUF012 (read by SQLAlchemy, never mutated)
        datetime: UTCDateTime(),
        dict[str, Any]: JSONType,
        list[Any]: JSONType,
    }


def create_engine(url: str, *, driver_pool_size: int = 20, **kwargs: Any) -> AsyncEngine:
    """``driver_pool_size``: the connections of its asyncpg pool (``driver_pool``)."""
    if url.startswith("sqlite"):
        engine = create_async_engine(url, connect_args={"timeout": 30}, **kwargs)
        _configure_sqlite(engine)
        return engine
    # A pool big enough for the concurrency one process serves: overflow connections
    # are opened and closed per request, which under load costs more than the query.
    # No pre-ping (a round trip per checkout on the hot path): a connection known to be
    # closed is replaced at checkout, one found dead in use is invalidated with the rest
    # of the pool (the request answers 503, see database_unreachable).
    kwargs.setdefault("pool_size", 40)
    kwargs.setdefault("max_overflow", 10)
    kwargs.setdefault("pool_recycle", 1800)
    engine = create_async_engine(url, **kwargs)
    event.listen(engine.sync_engine, "checkout", _replace_if_closed)
    _driver_sizes[engine.sync_engine] = driver_pool_size
    return engine


def _replace_if_closed(dbapi_connection: Any, _record: Any, _proxy: Any) -> None:
    """A connection PostgreSQL closed while it sat in the pool (a restart, a network
    cut) is known to be closed without a round trip: the pool replaces it here rather
    than fail the request that would have used it."""
    if dbapi_connection.driver_connection.is_closed():
        raise DisconnectionError()


class DriverPool:
    """asyncpg's own pool, beside SQLAlchemy's, for the few hot single-statement paths
    (autosave). Checking a raw connection out of SQLAlchemy's pool costs a greenlet
    switch and the pool's bookkeeping per request, measured at about a third of an
    autosave's CPU time; asyncpg's pool runs the statement directly. Opened on first use
    in the serving event loop; autocommit, like the engine these paths used before."""

    def __init__(self, dsn: str, max_size: int) -> None:
        self.dsn = dsn
        self._max_size = max_size
        self._pool: asyncpg.Pool | None = None
        self._lock = asyncio.Lock()

    async def fetchrow(self, sql: str, *args: Any) -> asyncpg.Record | None:
        pool = self._pool or await self._open()
        return await pool.fetchrow(sql, *args)

    async def fetch(self, sql: str, *args: Any) -> list[asyncpg.Record]:
        pool = self._pool or await self._open()
        records: list[asyncpg.Record] = await pool.fetch(sql, *args)
        return records

    async def _open(self) -> asyncpg.Pool:
        async with self._lock:
            if self._pool is None:
                self._pool = await asyncpg.create_pool(
                    self.dsn, min_size=1, max_size=self._max_size, reset=_keep_session
                )
        return self._pool

    async def close(self) -> None:
        if self._pool is not None:
            pool, self._pool = self._pool, None
            await pool.close()


async def _keep_session(_: asyncpg.Connection) -> None:
    """No reset round trip on release: these paths run single autocommit statements and
    change no session state (asyncpg still rolls back a transaction left open)."""


def driver_statement(statement: ClauseElement) -> tuple[str, tuple[str, ...]]:
    """A Core statement compiled once for asyncpg: its SQL with $n parameters, and the
    parameter names in the order the driver takes them."""
    compiled = statement.compile(
        dialect=postgresql.asyncpg.dialect(paramstyle="numeric_dollar")  # type: ignore[no-untyped-call]
    )
    assert isinstance(compiled, SQLCompiler)
    return str(compiled), tuple(compiled.positiontup or ())


_driver_pools: weakref.WeakKeyDictionary[Any, DriverPool] = weakref.WeakKeyDictionary()
_driver_sizes: weakref.WeakKeyDictionary[Any, int] = weakref.WeakKeyDictionary()


def driver_pool(engine: AsyncEngine) -> DriverPool | None:
    """The engine's asyncpg pool (one per engine), or None when the engine is not on
    PostgreSQL."""
    if engine.dialect.name != "postgresql":
        return None
    key = engine.sync_engine
    pool = _driver_pools.get(key)
    if pool is None:
        url = engine.url.set(drivername="postgresql")
        pool = DriverPool(
            url.render_as_string(hide_password=False), max_size=_driver_sizes.get(key, 20)
        )
        _driver_pools[key] = pool
    return pool


async def dispose_engine(engine: AsyncEngine) -> None:
    """Closes the engine's pools: SQLAlchemy's and the driver pool beside it."""
    pool = _driver_pools.pop(engine.sync_engine, None)
    if pool is not None:
        await pool.close()
    await engine.dispose()


def _configure_sqlite(engine: AsyncEngine) -> None:
    @event.listens_for(engine.sync_engine, "connect")
    def _pragmas(dbapi_connection: Any, _record: Any) -> None:
        # WAL lets readers run beside the one writer; foreign keys are off by default.
        # aiosqlite's implicit BEGIN is replaced by our own BEGIN IMMEDIATE below so
        # that a read-then-write transaction cannot deadlock on lock upgrade.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.close()

    @event.listens_for(engine.sync_engine, "begin")
    def _begin(conn: Any) -> None:
        # Not on autocommit connections: a BEGIN there is never committed, and the
        # pool's reset would silently roll the write back.
        if conn.get_execution_options().get("isolation_level") != "AUTOCOMMIT":
            conn.exec_driver_sql("BEGIN IMMEDIATE")


# What a database that cannot be reached looks like from here: no connection could be
# made, or the one in use is gone (a restart, a failover, a network cut).
_UNREACHABLE: tuple[type[BaseException], ...] = (
    ConnectionError,  # refused, reset, aborted
    socket.gaierror,  # the host name does not resolve
    asyncpg.PostgresConnectionError,  # class 08: the connection failed or was closed
    asyncpg.exceptions.CannotConnectNowError,  # 57P03: starting up or shutting down
    asyncpg.exceptions.AdminShutdownError,  # 57P01: shut down under us
    asyncpg.exceptions.CrashShutdownError,  # 57P02: another backend crashed
    asyncpg.exceptions.TooManyConnectionsError,  # 53300: no connection slot
    PoolTimeout,  # this process's own pool had no connection free in time (saturated)
)


def database_unreachable(exc: BaseException) -> bool:
    """Whether ``exc`` (or the error it wraps) says the database could not be reached,
    as opposed to a statement that failed: the request did nothing and may be retried."""
    cause: BaseException | None = exc
    for _ in range(4):  # SQLAlchemy's error -> the adapter's -> asyncpg's
        if cause is None:
            return False
        if isinstance(cause, _UNREACHABLE):
            return True
        if isinstance(cause, DBAPIError):
            if cause.connection_invalidated:
                return True
            cause = cause.orig
        else:
            cause = cause.__cause__
    return False


def create_sessionmaker(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return async_sessionmaker(engine, expire_on_commit=False, autoflush=False)


async def end_read(session: AsyncSession) -> None:
    """Ends a unit of work's transaction while it has only read, so a slow step that
    needs no database (a password hash, which may wait in line) does not hold a pooled
    connection; the next statement takes one again. Refuses if anything is pending."""
    if session.new or session.dirty or session.deleted:
        raise RuntimeError("end_read() with changes pending: they would be committed early")
    await session.commit()


@asynccontextmanager
async def session_scope(
    sessionmaker: async_sessionmaker[AsyncSession],
) -> AsyncIterator[AsyncSession]:
    """A unit of work outside a request (jobs, CLI): commit on success, roll back on error."""
    async with sessionmaker() as session:
        try:
            yield session
            await session.commit()
        except BaseException:
            await session.rollback()
            raise
