"""Fuzzing the whole API from its OpenAPI document (schemathesis), in process over ASGI.

Run alone with ``pytest -m fuzz``; it is part of the normal suite too, on SQLite and on
PostgreSQL. For each identity (anonymous, a candidate, a proctor):

- every operation alone, with generated inputs (``STATELESS_EXAMPLES`` each);
- sequences along the document's links (``app/api_docs.py``): register -> sign in ->
  exams -> start -> save -> submit -> result, review queue -> decision, ...
  (``STATEFUL_EXAMPLES`` scenarios of up to ``STATEFUL_STEPS`` steps).

Every answer must be: no server error; a status the operation documents; the documented
content type and schema (4xx: the error shape); and any error in the error shape.
Hypothesis is derandomized (a fixed seed per test), with no example database: the same
inputs on every run. Each stateful example starts from the same world (``reset``):
empty tables, the bank published, a fresh app on a clock at ``START`` with seeded forms
and empty in-memory limits, and the identity signed in again. Hypothesis replays a
prefix of choices and expects the same draws to follow; a server whose state outlived an
example answered differently the second time (``FlakyStrategyDefinition``). The app
runs on an event loop of its own in a thread (its engine is its own), so the synchronous
fuzzer reaches it without a network.
"""

from __future__ import annotations

import asyncio
import threading
import uuid
from collections import Counter
from collections.abc import Coroutine, Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any, TypeVar

import httpx
import hypothesis
import pytest
import schemathesis
from fastapi import FastAPI
from hypothesis import HealthCheck, Phase
from schemathesis.checks import not_a_server_error
from schemathesis.core.transport import Response
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from app.config import Settings
from app.core.clock import ManualClock
from app.core.db import create_engine, create_sessionmaker, dispose_engine, session_scope
from app.core.security import hash_password
from app.core.seeds import SeededSeeds
from app.exams import service as exams_service
from app.exams.content import Bank, load_bank
from app.grading import service as grading_service
from app.identity import service as identity_service
from app.identity.models import Role, User
from app.identity.repository import UserRepository
from app.main import create_app
from tests.conftest import FORM_SEED, PASSWORD, START, clear_tables

pytestmark = pytest.mark.fuzz

BASE = "http://assay.test"
SIGN_OUT = "DELETE /api/v1/auth/session"
STATELESS_EXAMPLES = 4
STATEFUL_EXAMPLES = 12
STATEFUL_STEPS = 8
T = TypeVar("T")
_TRANSPORT_KEYS = {
    "method",
    "url",
    "params",
    "headers",
    "json",
    "data",
    "files",
    "content",
}


@schemathesis.check
def error_shape(ctx: Any, response: Response, case: Any) -> bool | None:
    """Any error answers ``{"error": {"code", "message"}}`` (the pages excepted)."""
    if response.status_code < 400 or not case.path.startswith(("/api/", "/.well-known")):
        return None
    body = response.json()
    assert isinstance(body, dict) and set(body) == {"error"}, body
    assert isinstance(body["error"].get("code"), str) and body["error"]["code"], body
    assert isinstance(body["error"].get("message"), str) and body["error"]["message"], body
    return True


CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
    error_shape,
]


class InProcess:
    """The app on an event loop of its own, reached through httpx's ASGI transport."""

    def __init__(self, settings: Settings, engine: AsyncEngine, bank: Bank) -> None:
        # What every example's world is made of, prepared once: the bank, the scenarios
        # and the identity's password hash (argon2 is slow on purpose).
        self.bank = bank
        self.scenarios = grading_service.load_registry(settings.scenarios)
        self.password_hash = hash_password(PASSWORD)
        self.loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self._thread.start()
        self.settings = settings
        self.engine = engine
        self.app: FastAPI | None = None
        self.client: httpx.AsyncClient | None = None
        self.headers: dict[str, str] = {}
        # (operation, status) -> how many: what the run reached.
        self.seen: Counter[tuple[str, int]] = Counter()

    def run(self, coro: Coroutine[Any, Any, T]) -> T:
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(timeout=120)

    def reset(self, identity: str) -> None:
        """The same starting world for every example (see the module's docstring)."""
        self.run(self._reset(identity))

    async def _reset(self, identity: str) -> None:
        await self._stop_app()
        await clear_tables(self.engine)
        clock = ManualClock(START)
        async with session_scope(create_sessionmaker(self.engine)) as session:
            await exams_service.publish_bank(session, clock, self.bank)
        app = create_app(
            self.settings,
            clock,
            engine=self.engine,
            run_sweeper=False,
            seeds=SeededSeeds(FORM_SEED),
            scenarios=self.scenarios,
        )
        transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
        self.app = app
        self.client = httpx.AsyncClient(transport=transport, base_url=BASE)
        self.headers = await self._sign_in(clock, app, identity)

    async def _sign_in(self, clock: ManualClock, app: FastAPI, identity: str) -> dict[str, str]:
        """The identity's headers: none, or a signed-in user of its role."""
        if identity == "anonymous":
            return {}
        role = Role.candidate if identity == "candidate" else Role.proctor
        user = User(
            id=uuid.uuid4(),
            email=f"fuzz-{role.value}@example.org",
            full_name=f"Fuzz {role.value.title()}",
            password_hash=self.password_hash,
            role=role,
            created_at=clock.now(),
        )
        ttl = timedelta(minutes=self.settings.access_token_minutes)
        async with session_scope(app.state.sessionmaker) as session:
            await UserRepository(session).add(user)
            signed_in = await identity_service.open_session(
                session, clock, user, via="token", ttl=ttl
            )
        token, _ = app.state.tokens.issue(
            str(user.id), "access", ttl, role=role.value, sid=str(signed_in.id)
        )
        return {"Authorization": f"Bearer {token}"}

    async def _stop_app(self) -> None:
        if self.app is None or self.client is None:
            return
        await self.client.aclose()
        await self.app.state.jobs.drain()  # no grading job outlives its example

    def send(self, case: Any, headers: dict[str, str]) -> Response:
        assert self.client is not None, "reset() first"
        if case.operation.label == SIGN_OUT:
            headers = {}  # signing the identity out would end its session for the rest
        kwargs = case.as_transport_kwargs(base_url=BASE, headers=headers)
        kwargs = {k: v for k, v in kwargs.items() if k in _TRANSPORT_KEYS}
        if isinstance(kwargs.get("data"), bytes | str):
            # A raw body (a malformed one, say) is httpx's `content`; `data` is for forms.
            kwargs["content"] = kwargs.pop("data")
        # Who calls is the identity's header alone: no cookie from an earlier sign-in.
        self.client.cookies.clear()
        response = self.run(self.client.request(**kwargs))
        self.seen[(case.operation.label, response.status_code)] += 1
        return Response.from_any(response)

    def schema(self) -> Any:
        assert self.app is not None, "reset() first"
        return schemathesis.openapi.from_dict(self.app.openapi())

    def close(self) -> None:
        self.run(self._stop_app())
        self.run(dispose_engine(self.engine))
        self.loop.call_soon_threadsafe(self.loop.stop)
        self._thread.join(timeout=30)
        self.loop.close()


@pytest.fixture
def fuzz_app(
    settings: Settings,
    database_url: str,
    bank_dir: Path,
    sessionmaker: async_sessionmaker[AsyncSession],
) -> Iterator[InProcess]:
    """``sessionmaker``: the schema migrated before, every table emptied after."""
    bank = load_bank(bank_dir)
    assert not bank.problems, bank.problems
    served = InProcess(settings, create_engine(database_url), bank)
    yield served
    served.close()


def _settings(max_examples: int) -> hypothesis.settings:
    return hypothesis.settings(
        max_examples=max_examples,
        derandomize=True,
        database=None,
        deadline=None,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
        stateful_step_count=STATEFUL_STEPS,
        print_blob=False,
    )


def _fuzz_stateless(schema: Any, served: InProcess) -> list[str]:
    failures: list[str] = []
    for result in schema.get_all_operations():
        operation = result.ok()

        @_settings(STATELESS_EXAMPLES)
        @hypothesis.given(case=operation.as_strategy())
        def one(case: Any) -> None:
            response = served.send(case, served.headers)
            case.validate_response(response, checks=CHECKS, headers=served.headers)

        try:
            one()
        except Exception as exc:
            failures.append(f"{operation.label}: {exc}")
    return failures


def _fuzz_stateful(schema: Any, served: InProcess, identity: str) -> None:
    class Machine(schema.as_state_machine()):  # type: ignore[misc]
        def setup(self) -> None:
            # Called as each example's machine is made: the example starts from scratch.
            served.reset(identity)

        def get_call_kwargs(self, case: Any) -> dict[str, Any]:
            return {"headers": served.headers}

        def call(self, case: Any, **kwargs: Any) -> Response:
            return served.send(case, kwargs["headers"])

        def validate_response(
            self, response: Response, case: Any, additional_checks: Any = None, **kwargs: Any
        ) -> None:
            case.validate_response(response, checks=CHECKS, headers=kwargs.get("headers"))

    Machine.run(settings=_settings(STATEFUL_EXAMPLES))


@pytest.mark.parametrize("identity", ["anonymous", "candidate", "proctor"])
def test_every_operation_holds_under_fuzzing(identity: str, fuzz_app: InProcess) -> None:
    fuzz_app.reset(identity)
    failures = _fuzz_stateless(fuzz_app.schema(), fuzz_app)
    assert not failures, "\n\n".join(failures)


CANDIDATE_JOURNEY = r"^/api/v1/(auth|me|exams|attempts)(/|$)"


@pytest.mark.parametrize("identity", ["anonymous", "candidate", "proctor"])
def test_linked_sequences_hold_under_fuzzing(identity: str, fuzz_app: InProcess) -> None:
    fuzz_app.reset(identity)
    schema = fuzz_app.schema()
    if identity == "candidate":
        # The candidate's chains run along the journey's links (register, sign in,
        # catalog, start, answer, submit); every other route has its examples in the run
        # without links, and here would only crowd those chains out.
        schema = schema.include(path_regex=CANDIDATE_JOURNEY)
    _fuzz_stateful(schema, fuzz_app, identity)
    # The links were followed: a sign-in made from a registration's own values, and an
    # attempt started with an exam code from the catalog's answer (a generated code is
    # a 404).
    if identity == "candidate":
        assert fuzz_app.seen[("POST /api/v1/auth/session", 200)] > 0
        assert fuzz_app.seen[("POST /api/v1/exams/{code}/attempts", 201)] > 0
