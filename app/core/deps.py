"""Request-scoped dependencies shared by every domain, and the route class that owns
the one commit per request.

FastAPI (since 0.118) runs the code after ``yield`` in a dependency after the response
has been sent, so a commit there could answer 200 for an answer that was never stored.
``UnitOfWorkRoute`` commits instead, between the endpoint returning and the response
leaving; a failed commit becomes an error response, never a false success.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Coroutine
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import Depends, Request
from fastapi.routing import APIRoute
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from starlette.responses import Response

from app.config import Settings
from app.core.clock import Clock
from app.core.jobs import JobPort, PendingJobs
from app.core.security import TokenService


async def get_session(request: Request) -> AsyncIterator[AsyncSession]:
    sessionmaker: async_sessionmaker[AsyncSession] = request.app.state.sessionmaker
    async with sessionmaker() as session:
        request.state.session = session
        yield session


class UnitOfWorkRoute(APIRoute):
    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def handle(request: Request) -> Response:
            try:
                response = await handler(request)
            except BaseException:
                await _finish(request, commit=False)
                raise
            await _finish(request, commit=response.status_code < 400)
            return response

        return handle


async def _finish(request: Request, *, commit: bool) -> None:
    session: AsyncSession | None = getattr(request.state, "session", None)
    pending: PendingJobs | None = getattr(request.state, "pending_jobs", None)
    request.state.pending_jobs = None
    if session is not None:
        request.state.session = None
        if commit:
            await session.commit()
        else:
            await session.rollback()
    # Jobs go out only once what they work on is committed.
    if pending is not None and commit:
        await pending.send(runtime(request).jobs)


async def get_pending_jobs(request: Request) -> PendingJobs:
    pending = PendingJobs()
    request.state.pending_jobs = pending
    return pending


async def get_sessionmaker(request: Request) -> async_sessionmaker[AsyncSession]:
    """For work that must commit on its own, apart from the request's unit of work."""
    sessionmaker: async_sessionmaker[AsyncSession] = request.app.state.sessionmaker
    return sessionmaker


# The small dependencies below are ``async`` on purpose: FastAPI runs a plain ``def``
# dependency in a thread pool, and that hop was a tenth of an autosave request.


async def get_clock(request: Request) -> Clock:
    clock: Clock = request.app.state.clock
    return clock


async def get_settings_dep(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


async def get_tokens(request: Request) -> TokenService:
    tokens: TokenService = request.app.state.tokens
    return tokens


@dataclass(frozen=True)
class Runtime:
    """What the app holds for every request; read directly by hot paths, where each
    extra dependency costs measurable time (FastAPI resolves them per request)."""

    settings: Settings
    clock: Clock
    tokens: TokenService
    jobs: JobPort


def runtime(request: Request) -> Runtime:
    value: Runtime = request.app.state.runtime
    return value


SessionDep = Annotated[AsyncSession, Depends(get_session)]
PendingJobsDep = Annotated[PendingJobs, Depends(get_pending_jobs)]
SessionmakerDep = Annotated[async_sessionmaker[AsyncSession], Depends(get_sessionmaker)]
ClockDep = Annotated[Clock, Depends(get_clock)]
SettingsDep = Annotated[Settings, Depends(get_settings_dep)]
TokensDep = Annotated[TokenService, Depends(get_tokens)]
