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
inputs on every run (a scenario's path along the links also follows the random ids the
app answers with). The app runs on an event loop of its own in a thread (its engine
is its own), so the synchronous fuzzer reaches it without a network.
"""

from __future__ import annotations

import asyncio
import os
import threading
from collections import Counter
from collections.abc import Coroutine, Iterator
from datetime import timedelta
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

from app.config import Settings
from app.core.clock import ManualClock
from app.core.db import create_engine, dispose_engine, session_scope
from app.identity import service as identity_service
from app.identity.models import Role
from app.main import create_app
from tests.conftest import PASSWORD

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

    def __init__(self, app: FastAPI) -> None:
        self.loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self._thread.start()
        transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
        self.client = httpx.AsyncClient(transport=transport, base_url=BASE)
        # (operation, status) -> how many: what the run reached.
        self.seen: Counter[tuple[str, int]] = Counter()

    def run(self, coro: Coroutine[Any, Any, T]) -> T:
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(timeout=120)

    def send(self, case: Any, headers: dict[str, str]) -> Response:
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

    def close(self, engine: Any) -> None:
        self.run(self.client.aclose())
        self.run(dispose_engine(engine))
        self.loop.call_soon_threadsafe(self.loop.stop)
        self._thread.join(timeout=30)
        self.loop.close()


@pytest.fixture
def fuzz_app(settings: Settings, clock: ManualClock, database_url: str) -> Iterator[InProcess]:
    engine = create_engine(database_url)
    app = create_app(settings, clock, engine=engine, run_sweeper=False)
    served = InProcess(app)
    served.app = app  # type: ignore[attr-defined]
    yield served
    served.close(engine)


async def _token(
    clock: ManualClock, settings: Settings, app: FastAPI, role: Role
) -> dict[str, str]:
    """A signed-in user of this role, made through the fuzzed app's own engine."""
    async with session_scope(app.state.sessionmaker) as session:
        user = await identity_service.create_user(
            session,
            clock,
            email=f"fuzz-{role.value}@example.org",
            password=PASSWORD,
            full_name=f"Fuzz {role.value.title()}",
            role=role,
        )
        ttl = timedelta(minutes=settings.access_token_minutes)
        signed_in = await identity_service.open_session(session, clock, user, via="token", ttl=ttl)
    token, _ = app.state.tokens.issue(
        str(user.id), "access", ttl, role=role.value, sid=str(signed_in.id)
    )
    return {"Authorization": f"Bearer {token}"}


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


def _fuzz_stateless(schema: Any, served: InProcess, headers: dict[str, str]) -> list[str]:
    failures: list[str] = []
    for result in schema.get_all_operations():
        operation = result.ok()

        @_settings(STATELESS_EXAMPLES)
        @hypothesis.given(case=operation.as_strategy())
        def one(case: Any) -> None:
            response = served.send(case, headers)
            case.validate_response(response, checks=CHECKS, headers=headers)

        try:
            one()
        except Exception as exc:
            failures.append(f"{operation.label}: {exc}")
    return failures


def _fuzz_stateful(schema: Any, served: InProcess, headers: dict[str, str]) -> None:
    class Machine(schema.as_state_machine()):  # type: ignore[misc]
        def get_call_kwargs(self, case: Any) -> dict[str, Any]:
            return {"headers": headers}

        def call(self, case: Any, **kwargs: Any) -> Response:
            return served.send(case, kwargs["headers"])

        def validate_response(
            self, response: Response, case: Any, additional_checks: Any = None, **kwargs: Any
        ) -> None:
            case.validate_response(response, checks=CHECKS, headers=kwargs.get("headers"))

    Machine.run(settings=_settings(STATEFUL_EXAMPLES))


# Following the links generates each step from the server's earlier answers, and the
# server's state outlives a Hypothesis example, so Hypothesis sometimes cannot replay a
# sequence it drew ("FlakyStrategyDefinition", seen on PostgreSQL). Until each example
# starts from a clean database, that run is opt-in: ASSAY_FUZZ_STATEFUL=1.
STATEFUL = os.environ.get("ASSAY_FUZZ_STATEFUL") == "1"


def _headers(
    fuzz_app: InProcess, identity: str, clock: ManualClock, settings: Settings
) -> dict[str, str]:
    app: FastAPI = fuzz_app.app  # type: ignore[attr-defined]
    if identity == "anonymous":
        return {}
    role = Role.candidate if identity == "candidate" else Role.proctor
    headers: dict[str, str] = fuzz_app.run(_token(clock, settings, app, role))
    return headers


@pytest.mark.parametrize("identity", ["anonymous", "candidate", "proctor"])
def test_every_operation_holds_under_fuzzing(
    identity: str,
    fuzz_app: InProcess,
    published: Any,
    clock: ManualClock,
    settings: Settings,
) -> None:
    headers = _headers(fuzz_app, identity, clock, settings)
    schema = schemathesis.openapi.from_dict(fuzz_app.app.openapi())  # type: ignore[attr-defined]
    failures = _fuzz_stateless(schema, fuzz_app, headers)
    assert not failures, "\n\n".join(failures)


@pytest.mark.skipif(not STATEFUL, reason="opt-in (ASSAY_FUZZ_STATEFUL=1): see STATEFUL")
@pytest.mark.parametrize("identity", ["anonymous", "candidate", "proctor"])
def test_linked_sequences_hold_under_fuzzing(
    identity: str,
    fuzz_app: InProcess,
    published: Any,
    clock: ManualClock,
    settings: Settings,
) -> None:
    headers = _headers(fuzz_app, identity, clock, settings)
    schema = schemathesis.openapi.from_dict(fuzz_app.app.openapi())  # type: ignore[attr-defined]
    _fuzz_stateful(schema, fuzz_app, headers)
    # The links were followed: a sign-in made from a registration's own values, and an
    # attempt started with an exam code from the catalog's answer (a generated code is
    # a 404). How far each scenario goes past that varies from run to run: the app's
    # ids are random, and the links feed them back.
    if identity == "candidate":
        assert fuzz_app.seen[("POST /api/v1/auth/session", 200)] > 0
        assert fuzz_app.seen[("POST /api/v1/exams/{code}/attempts", 201)] > 0
