"""The comparison point for the autosave benchmark: a FastAPI endpoint doing the same
token check and body parsing as autosave, and nothing else (no database)."""

from __future__ import annotations

import os
import uuid
from typing import Annotated

from fastapi import Depends, FastAPI
from fastapi.security import OAuth2PasswordBearer

from app.attempts.schemas import ResponseIn
from app.core.clock import SystemClock
from app.core.security import TokenService
from app.main import TELEMETRY

tokens = TokenService(os.environ["ASSAY_SECRET_KEY"], SystemClock())
scheme = OAuth2PasswordBearer(tokenUrl="/token")
app = FastAPI(telemetry=TELEMETRY)  # configured as the real app is


@app.put("/bare/{attempt_id}/responses/{ref}")
async def bare(
    attempt_id: uuid.UUID, ref: str, body: ResponseIn, token: Annotated[str, Depends(scheme)]
) -> dict[str, object]:
    claims = tokens.verify(token, "access")
    return {"ref": ref, "seq": body.seq, "sub": claims["sub"]}
