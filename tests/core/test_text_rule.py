"""The input rule for text (app/core/text.py): a NUL character (U+0000), which PostgreSQL
cannot store, is refused with a 422 in the error shape wherever a request carries text.

Two tests cover every field without naming them, so a field added later is covered too:
- a structural one walks every route of the app (pages included) and every input it
  reads (path, query, form and body, into nested models, lists and dict keys and
  values): each text input must be ``Text``;
- a behavioural one enumerates every text slot of the OpenAPI document and sends a NUL
  there as a signed-in admin with a real attempt (so ownership checks pass and the input
  is reached): 422 naming the slot, never a 500, on SQLite and on PostgreSQL.
"""

from __future__ import annotations

import types
import typing
import uuid
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute, iter_route_contexts
from pydantic import BaseModel
from pydantic.fields import FieldInfo

from app.core.text import NoNul
from app.identity.models import Role
from tests.conftest import Candidate
from tests.proctoring.conftest import staff_member

# --- structural: every text input is Text --------------------------------------------


def _text_problems(annotation: Any, metadata: list[Any], where: str, seen: set[type]) -> list[str]:
    """Text slots of a type that do not carry the rule."""
    origin = typing.get_origin(annotation)
    if origin is typing.Annotated:
        inner, *extra = typing.get_args(annotation)
        return _text_problems(inner, [*metadata, *extra], where, seen)
    if annotation is str:
        return [] if any(isinstance(m, NoNul) for m in metadata) else [where]
    if origin in (typing.Union, types.UnionType):
        return [
            p for arg in typing.get_args(annotation) for p in _text_problems(arg, [], where, seen)
        ]
    if origin in (list, set, frozenset, tuple):
        return [
            p
            for arg in typing.get_args(annotation)
            if arg is not Ellipsis
            for p in _text_problems(arg, [], f"{where}[]", seen)
        ]
    if origin is dict:
        key, value = typing.get_args(annotation)
        return _text_problems(key, [], f"{where}{{key}}", seen) + _text_problems(
            value, [], f"{where}{{}}", seen
        )
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        if annotation in seen:
            return []
        seen.add(annotation)
        return [
            p
            for name, field in annotation.model_fields.items()
            for p in _field_problems(field, f"{where}.{name}", seen)
        ]
    return []


def _field_problems(field: FieldInfo, where: str, seen: set[type]) -> list[str]:
    return _text_problems(field.annotation, list(field.metadata), where, seen)


def _inputs(dependant: Dependant) -> list[tuple[str, Any]]:
    fields = [
        *(("path", f) for f in dependant.path_params),
        *(("query", f) for f in dependant.query_params),
        *(("body", f) for f in dependant.body_params),
    ]
    for sub in dependant.dependencies:
        fields.extend(_inputs(sub))
    return fields


def test_every_text_input_of_every_route_carries_the_rule(app: FastAPI) -> None:
    problems: list[str] = []
    checked = 0
    for context in iter_route_contexts(app.routes):
        route = context.original_route
        if not isinstance(route, APIRoute):
            continue
        for where, field in _inputs(route.dependant):
            checked += 1
            problems += _field_problems(
                field.field_info, f"{route.methods} {context.path} {where}:{field.name}", set()
            )
    assert checked > 30
    assert not problems, "text inputs without the NUL rule (use app.core.text.Text):\n" + (
        "\n".join(problems)
    )


# --- behavioural: a NUL in each text slot of the OpenAPI document ------------------


# Long enough for every minimum length, short enough for every maximum.
BAD = "nul here:\x00 and on"


@dataclass(frozen=True)
class Slot:
    method: str
    path: str
    where: str  # "path", "query", or a media type
    name: str  # a parameter name or a dotted body location ("files.{key}")

    def __str__(self) -> str:
        return f"{self.method.upper()} {self.path} {self.where}:{self.name}"


def _resolve(openapi: dict[str, Any], schema: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in schema:
        node: Any = openapi
        for part in schema["$ref"].removeprefix("#/").split("/"):
            node = node[part]
        schema = node
    return schema


def _string_slots(openapi: dict[str, Any], schema: dict[str, Any], at: str) -> list[str]:
    schema = _resolve(openapi, schema)
    slots: list[str] = []
    for option in schema.get("anyOf", []):
        slots += _string_slots(openapi, option, at)
    kind = schema.get("type")
    if kind == "string" and "enum" not in schema and "format" not in schema:
        slots.append(at)
    elif kind == "array":
        slots += _string_slots(openapi, schema.get("items", {}), f"{at}.[0]")
    elif kind == "object":
        for name, sub in schema.get("properties", {}).items():
            slots += _string_slots(openapi, sub, f"{at}.{name}".lstrip("."))
        for sub in [
            schema.get("additionalProperties"),
            *schema.get("patternProperties", {}).values(),
        ]:
            if isinstance(sub, dict):
                slots.append(f"{at}.{{key}}".lstrip("."))
                slots += _string_slots(openapi, sub, f"{at}.{{value}}".lstrip("."))
    return list(dict.fromkeys(slots))


def text_slots(openapi: dict[str, Any]) -> list[Slot]:
    slots: list[Slot] = []
    for path, operations in openapi["paths"].items():
        for method, op in operations.items():
            for param in op.get("parameters", []):
                if param["in"] in ("path", "query") and _string_slots(
                    openapi, param["schema"], "x"
                ):
                    slots.append(Slot(method, path, param["in"], param["name"]))
            for media, content in op.get("requestBody", {}).get("content", {}).items():
                for at in _string_slots(openapi, content["schema"], ""):
                    slots.append(Slot(method, path, media, at))
    return slots


def _nested(at: str) -> Any:
    """A body holding a NUL at a dotted location; ``{key}`` is a dict key, ``{value}`` a
    dict value, ``[0]`` a list's first item."""
    head, _, rest = at.partition(".")
    if head == "{key}":
        return {BAD: "x"}
    if head == "{value}":
        return {"key": _nested(rest) if rest else BAD}
    if head == "[0]":
        return [_nested(rest) if rest else BAD]
    return {head: _nested(rest) if rest else BAD}


def _request(slot: Slot, path_values: dict[str, str]) -> dict[str, Any]:
    url = slot.path
    for name, value in path_values.items():
        url = url.replace(f"{{{name}}}", value)
    request: dict[str, Any] = {"method": slot.method.upper(), "url": url}
    if slot.where == "path":
        request["url"] = slot.path.replace(f"{{{slot.name}}}", BAD.replace("\x00", "%00"))
        for name, value in path_values.items():
            request["url"] = request["url"].replace(f"{{{name}}}", value)
    elif slot.where == "query":
        request["params"] = {slot.name: BAD}
    elif slot.where == "application/json":
        request["json"] = _nested(slot.name)
    elif slot.where == "application/x-www-form-urlencoded":
        request["data"] = {slot.name: BAD}
    else:
        raise AssertionError(f"no rule for {slot.where} bodies in this test")
    return request


def test_the_slots_found_include_the_known_ones(app: FastAPI) -> None:
    """The enumeration itself is checked, so the test below cannot pass by finding
    nothing: the fields of the issue are all there."""
    found = {str(s) for s in text_slots(app.openapi())}
    for expected in (
        "PUT /api/v1/attempts/{attempt_id}/responses/{ref} application/json:files.{key}",
        "PUT /api/v1/attempts/{attempt_id}/responses/{ref} application/json:files.{value}",
        "PUT /api/v1/attempts/{attempt_id}/responses/{ref} path:ref",
        "POST /api/v1/attempts/{attempt_id}/events application/json:data.{value}",
        "POST /api/v1/auth/register application/json:full_name",
        "POST /api/v1/auth/token application/x-www-form-urlencoded:username",
        "POST /api/v1/auth/session application/json:email",
        "POST /api/v1/review/attempts/{attempt_id}/decisions application/json:reason",
        "POST /api/v1/certificates/{certificate_id}/revocation application/json:reason",
        "GET /api/v1/verify/{certificate_id} path:certificate_id",
    ):
        assert expected in found, expected


@pytest.fixture
async def admin_with_attempt(
    client: httpx.AsyncClient, sessionmaker: Any, clock: Any, published: Any
) -> tuple[Candidate, str]:
    admin = await staff_member(client, sessionmaker, clock, Role.admin, "Ada Admin")
    r = await admin.post("/api/v1/exams/test-foundation/attempts")
    assert r.status_code == 201, r.text
    return admin, r.json()["id"]


async def test_a_nul_in_any_text_field_is_a_422_naming_it(
    app: FastAPI, client: httpx.AsyncClient, admin_with_attempt: tuple[Candidate, str]
) -> None:
    admin, attempt_id = admin_with_attempt
    path_values = {
        "attempt_id": attempt_id,
        "run_id": str(uuid.uuid4()),
        "code": "test-foundation",
        "ref": "q1",
        "certificate_id": "NONE",
        "list_id": "1",
    }
    slots = text_slots(app.openapi())
    assert len(slots) > 20
    failures = []
    for slot in slots:
        request = _request(slot, path_values)
        request["headers"] = dict(admin.headers)
        r = await client.request(**request)
        body = r.json() if r.headers.get("content-type", "").startswith("application/json") else {}
        error = body.get("error", {})
        problems = error.get("details", {}).get("problems", [])
        named = any(
            "U+0000" in p["problem"] and slot.name.split(".")[0] in p["where"] for p in problems
        )
        if r.status_code != 422 or error.get("code") != "invalid_request" or not named:
            failures.append(f"{slot}: {r.status_code} {r.text[:200]}")
    assert not failures, "\n".join(failures)
