"""The exam screen's import map: the bare module names that the vendored CodeMirror files
import (``@codemirror/view``, ``@lezer/lr``...) mapped to their pinned files under
static/vendor/codemirror. A browser takes an import map only inline, so the page writes
it in a script element and its Content-Security-Policy admits that one script by hash.
CodeMirror writes its own base styles into a style element: the page's policy admits
that by a nonce made for each response, which the page hands to the editor."""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from markupsafe import Markup

from app.core.observability import content_security_policy

VENDOR = Path(__file__).parent / "static" / "vendor" / "codemirror"
URL_PREFIX = "/static/vendor/codemirror/"


@dataclass(frozen=True)
class ImportMap:
    imports: dict[str, str]  # bare specifier -> URL of its pinned file
    script: Markup  # the script element's text, exactly as hashed

    def policy(self, style_nonce: str) -> str:
        """The page's Content-Security-Policy: this script, and styles with the nonce."""
        return content_security_policy(self.script, style_nonce=style_nonce)


@cache
def import_map() -> ImportMap:
    imports: dict[str, str] = json.loads((VENDOR / "importmap.json").read_text())["imports"]
    # "<" escaped (still the same JSON), so nothing in it can close the element.
    text = json.dumps({"imports": imports}, separators=(",", ":"), sort_keys=True)
    text = text.replace("<", "\\u003c")
    return ImportMap(imports, Markup(text))  # noqa: S704
