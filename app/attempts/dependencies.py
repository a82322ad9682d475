"""Routes that take ``OwnedAttempt`` cannot forget the ownership check: someone else's
attempt is a 404, exactly like one that does not exist."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import Depends

from app.attempts import service
from app.attempts.models import Attempt
from app.core.deps import SessionDep
from app.identity.dependencies import CurrentUserId


async def owned_attempt(
    attempt_id: uuid.UUID, session: SessionDep, user_id: CurrentUserId
) -> Attempt:
    return await service.owned_attempt(session, user_id, attempt_id)


OwnedAttempt = Annotated[Attempt, Depends(owned_attempt)]
