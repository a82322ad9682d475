"""Routes that take ``OwnedAttempt`` cannot forget the ownership check: someone else's
attempt is a 404, exactly like one that does not exist. The autosave repository is the
app's own (``attach_engine``): it holds the batches of saves in flight."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import Depends, FastAPI, Request
from sqlalchemy.ext.asyncio import AsyncEngine

from app.attempts import service
from app.attempts.models import Attempt
from app.attempts.repository import AutosaveRepository
from app.core.db import driver_pool
from app.core.deps import SessionDep
from app.identity.dependencies import CurrentUserId


async def owned_attempt(
    attempt_id: uuid.UUID, session: SessionDep, user_id: CurrentUserId
) -> Attempt:
    return await service.owned_attempt(session, user_id, attempt_id)


OwnedAttempt = Annotated[Attempt, Depends(owned_attempt)]


def attach_engine(app: FastAPI, engine: AsyncEngine) -> None:
    app.state.autosave = AutosaveRepository(
        engine.execution_options(isolation_level="AUTOCOMMIT"), driver_pool(engine)
    )


def autosave_repository(request: Request) -> AutosaveRepository:
    # Read directly by the hot path, not as a dependency (FastAPI solves those per request).
    repository: AutosaveRepository = request.app.state.autosave
    return repository
