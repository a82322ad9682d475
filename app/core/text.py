"""The one input rule for text: what the databases cannot store is refused at the door.

PostgreSQL stores no NUL character (U+0000) in ``text``/``varchar`` nor in ``jsonb``;
SQLite does. Left to the database, a NUL became a 500 on PostgreSQL wherever text is
stored or compared (a file's text on autosave, an event's data, a name, an email looked
up at sign-in, a reason, a path parameter). Every text a request carries is typed
``Text`` instead of ``str``: request bodies, form fields, path and query parameters.
It refuses a NUL with the usual 422 (``invalid_request``, naming the field) and its
JSON schema says so (``pattern``), so clients and fuzzers see the rule in the OpenAPI
document. ``tests/core/test_text_rule.py`` walks every route and fails on a text input
that is not ``Text``.
"""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import GetCoreSchemaHandler, GetJsonSchemaHandler
from pydantic.json_schema import JsonSchemaValue
from pydantic_core import PydanticCustomError, core_schema

NUL = "\x00"
# ECMA-262 (JSON Schema) syntax: any string without U+0000.
NO_NUL_PATTERN = "^[^\\u0000]*$"
NUL_MESSAGE = "must not contain the NUL character (U+0000)"


def refuse_nul(value: str) -> str:
    if NUL in value:
        raise PydanticCustomError("nul_character", NUL_MESSAGE)
    return value


class NoNul:
    """The marker behind ``Text``: an after-validator (one ``in`` scan, cheap even on a
    file's text) and a ``pattern`` in the JSON schema."""

    def __get_pydantic_core_schema__(
        self, source: Any, handler: GetCoreSchemaHandler
    ) -> core_schema.CoreSchema:
        return core_schema.no_info_after_validator_function(refuse_nul, handler(source))

    def __get_pydantic_json_schema__(
        self, schema: core_schema.CoreSchema, handler: GetJsonSchemaHandler
    ) -> JsonSchemaValue:
        json_schema = handler(schema)
        target = handler.resolve_ref_schema(json_schema)
        if target.get("type") == "string" and "pattern" not in target:
            target["pattern"] = NO_NUL_PATTERN
        return json_schema

    def __hash__(self) -> int:
        return hash(NoNul)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, NoNul)


Text = Annotated[str, NoNul()]
