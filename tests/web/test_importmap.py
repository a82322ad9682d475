"""The vendored editor modules and the import map that names them: every module the map
names is there with its licence, every import of every module (theirs and the page's
own) resolves within the map, and the exam page's policy admits exactly its import map
and the editor's styles by this response's nonce."""

from __future__ import annotations

import base64
import hashlib
import json
import re
from pathlib import Path

import httpx

from app.web.importmap import URL_PREFIX, VENDOR, import_map
from tests.conftest import PASSWORD, sign_up

STATIC = VENDOR.parents[1]
# Static imports and re-exports (`import x from "m"`, `import "m"`, `export {x} from "m"`,
# over several lines too) and dynamic `import("m")` of a literal.
_IMPORT = re.compile(
    r"""(?:^|[;}\n])\s*(?:import|export)\s*(?:[\w$*{}\s,]+?\s*from\s*)?["']([^"'\n]+)["']"""
    r"""|\bimport\(\s*["']([^"'\n]+)["']\s*\)""",
    re.M,
)


def specifiers(source: str) -> set[str]:
    return {a or b for a, b in _IMPORT.findall(source)}


def resolve(specifier: str, importer: Path, imports: dict[str, str]) -> Path | None:
    """Where the browser would load ``specifier`` from, or None if it cannot."""
    if specifier.startswith(("./", "../")):
        return (importer.parent / specifier).resolve()
    if specifier.startswith("/static/"):
        return STATIC / specifier.removeprefix("/static/")
    url = imports.get(specifier)
    return STATIC / url.removeprefix("/static/") if url else None


def test_the_import_scanner_sees_every_form_of_import() -> None:
    source = (
        'import { a,\n  b } from "@x/one";\nimport "two";\nexport { c } from \'three\';\n'
        'export * from "four";\nconst m = await import("./five.js");\n'
        'const text = "not an import from here";\n'
    )
    assert specifiers(source) == {"@x/one", "two", "three", "four", "./five.js"}


def test_every_module_the_map_names_is_vendored_with_its_licence() -> None:
    imports = import_map().imports
    assert {"@codemirror/view", "@codemirror/lang-python", "@codemirror/lang-yaml"} <= set(imports)
    assert "@codemirror/lang-sql" in imports
    named = set()
    for specifier, url in imports.items():
        assert url.startswith(URL_PREFIX), url
        path = VENDOR / url.removeprefix(URL_PREFIX)
        assert path.is_file(), f"{specifier}: {path} is missing"
        # Pinned: the file's name carries the package and its exact version.
        assert re.fullmatch(
            re.escape(specifier) + r"@\d+\.\d+\.\d+\.js", str(path.relative_to(VENDOR))
        )
        assert path.with_suffix(".LICENSE").is_file(), f"{specifier} has no licence file"
        named.add(path)
    # Nothing vendored that the map does not name (it would be dead weight).
    assert set(VENDOR.rglob("*.js")) == named


def test_every_import_resolves_within_the_map() -> None:
    imports = import_map().imports
    modules = [*VENDOR.rglob("*.js"), *STATIC.glob("*.js")]
    unresolved = []
    for module in modules:
        for specifier in specifiers(module.read_text()):
            target = resolve(specifier, module, imports)
            if target is None or not target.is_file():
                unresolved.append(f"{module.relative_to(STATIC)}: {specifier}")
    assert unresolved == []
    # The page's editor reaches the vendored modules only by their mapped names.
    assert "@codemirror/view" in specifiers((STATIC / "editor.js").read_text())


def test_a_name_missing_from_the_map_is_caught() -> None:
    module = STATIC / "editor.js"
    imports = dict(import_map().imports)
    del imports["@codemirror/lang-yaml"]
    assert resolve("@codemirror/lang-yaml", module, imports) is None
    missing = resolve("./no-such-module.js", module, imports)
    assert missing is not None and not missing.is_file()


async def test_the_exam_page_admits_its_import_map_and_the_editors_styles_only(
    client: httpx.AsyncClient, published: Path
) -> None:
    candidate = await sign_up(client)
    signed_in = await client.post(
        "/api/v1/auth/session", json={"email": candidate.email, "password": PASSWORD}
    )
    assert signed_in.status_code == 200
    attempt = (await candidate.post("/api/v1/exams/test-foundation/attempts")).json()
    nonces = set()
    for _ in range(2):
        page = await client.get(f"/attempts/{attempt['id']}", headers={"Accept": "text/html"})
        assert page.status_code == 200
        inline = re.findall(r'<script type="importmap">(.*?)</script>', page.text, re.S)
        assert len(inline) == 1
        assert json.loads(inline[0]) == {"imports": import_map().imports}
        policy = page.headers["content-security-policy"]
        assert len(page.headers.get_list("content-security-policy")) == 1
        script_src = policy.split("script-src")[1].split(";")[0]
        digest = base64.b64encode(hashlib.sha256(inline[0].encode()).digest()).decode()
        assert script_src.split() == ["'self'", f"'sha256-{digest}'"]
        style_src = policy.split("style-src")[1].split(";")[0].split()
        assert style_src[0] == "'self'" and len(style_src) == 2
        nonce = style_src[1].removeprefix("'nonce-").removesuffix("'")
        assert f'data-style-nonce="{nonce}"' in page.text
        assert "frame-ancestors 'none'" in policy
        nonces.add(nonce)
    assert len(nonces) == 2  # a new nonce for each response
