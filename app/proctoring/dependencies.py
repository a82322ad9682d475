"""What the proctoring routes hold for the app's life (the review policy, the events
rate limit, the clients noted lately) and what they take from each request (the
reviewer, the client)."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, FastAPI, Request
from sqlalchemy.ext.asyncio import AsyncEngine

from app.config import Settings
from app.core.clientaddr import client_address
from app.core.clock import Clock
from app.core.db import driver_pool
from app.core.ratelimit import TokenBuckets
from app.identity.dependencies import SESSION_COOKIE, require_role
from app.identity.models import Role, User
from app.proctoring.clients import ClientNotes
from app.proctoring.service import CLIENT_REFRESH_SECONDS, ClientInfo, policy_from
from app.proctoring.signals import ReviewPolicy


@dataclass(frozen=True)
class ProctoringState:
    policy: ReviewPolicy
    # Per (candidate, attempt): a burst of events_per_minute, refilled at that rate.
    events: TokenBuckets


def install(app: FastAPI, settings: Settings, clock: Clock) -> None:
    policy = policy_from(settings)
    app.state.proctoring = ProctoringState(
        policy=policy,
        events=TokenBuckets(
            app.state.limits, "events", capacity=policy.events_per_minute, per_seconds=60
        ),
    )


def attach_engine(app: FastAPI, engine: AsyncEngine) -> None:
    app.state.client_notes = ClientNotes(
        engine.execution_options(isolation_level="AUTOCOMMIT"),
        driver_pool(engine),
        refresh_seconds=CLIENT_REFRESH_SECONDS,
    )


def client_notes(request: Request) -> ClientNotes:
    """Read directly by the exam page's state route, not as a dependency."""
    notes: ClientNotes = request.app.state.client_notes
    return notes


def proctoring_state(app: FastAPI) -> ProctoringState:
    value: ProctoringState = app.state.proctoring
    return value


def review_policy(app: FastAPI) -> ReviewPolicy:
    return proctoring_state(app).policy


async def get_proctoring_state(request: Request) -> ProctoringState:
    return proctoring_state(request.app)


async def get_review_policy(request: Request) -> ReviewPolicy:
    return review_policy(request.app)


def client_info(request: Request) -> ClientInfo:
    """The client address (app/core/clientaddr.py: behind trusted proxies, the forwarded
    one), a hash of the sign-in the request carries, and its browser."""
    authorization = request.headers.get("authorization", "")
    token = authorization[7:] if authorization.lower().startswith("bearer ") else ""
    token = token or request.cookies.get(SESSION_COOKIE, "")
    return ClientInfo(
        ip=client_address(request),
        session_key=hashlib.sha256(token.encode()).hexdigest()[:32],
        user_agent=request.headers.get("user-agent", "")[:200].replace("\x00", ""),
    )


async def get_client_info(request: Request) -> ClientInfo:
    return client_info(request)


ProctoringStateDep = Annotated[ProctoringState, Depends(get_proctoring_state)]
ReviewPolicyDep = Annotated[ReviewPolicy, Depends(get_review_policy)]
ClientDep = Annotated[ClientInfo, Depends(get_client_info)]
Reviewer = Annotated[User, Depends(require_role(Role.proctor, Role.admin))]
