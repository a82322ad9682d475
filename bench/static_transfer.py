"""What the exam page with a scenario transfers in JavaScript, on a first visit and on a
return visit.

The page loads exam.js, which imports the workbench the first time a scenario is shown,
which imports the editor and the vendored CodeMirror modules through the import map. The
module graph is followed from exam.js with the same import scanner and resolution the
import-map test uses (tests/web/test_importmap.py), and each module is fetched from the
app (in process, no server) as a browser would: ``Accept-Encoding: gzip, deflate, br``.
First visit: the bytes on the wire (the Content-Length sent). Return visit: modules a
browser may reuse without asking (``immutable`` within ``max-age``), modules it asks
about (If-None-Match) and their answers.

    python bench/static_transfer.py
"""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from app.config import Settings  # noqa: E402
from app.main import create_app  # noqa: E402
from app.web.importmap import import_map  # noqa: E402
from tests.web.test_importmap import STATIC, resolve, specifiers  # noqa: E402

BROWSER = {"Accept-Encoding": "gzip, deflate, br"}


def module_graph(entry: Path) -> list[Path]:
    imports = import_map().imports
    seen: list[Path] = []
    todo = [entry]
    while todo:
        module = todo.pop()
        if module in seen:
            continue
        seen.append(module)
        for specifier in specifiers(module.read_text()):
            target = resolve(specifier, module, imports)
            if target is not None and target.is_file():
                todo.append(target)
    return seen


async def main() -> None:
    modules = module_graph(STATIC / "exam.js")
    raw = sum(m.stat().st_size for m in modules)
    app = create_app(Settings(log_level="WARNING"))
    transport = httpx.ASGITransport(app=app)
    wire = 0
    cached_free, revalidated, unchanged = 0, 0, 0
    async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1") as client:
        for module in modules:
            url = "/static/" + module.relative_to(STATIC).as_posix()
            r = await client.get(url, headers=BROWSER)
            assert r.status_code == 200, (url, r.status_code)
            wire += int(r.headers["content-length"])
            cache_control = r.headers.get("cache-control", "")
            if "immutable" in cache_control:
                cached_free += 1
                continue
            revalidated += 1
            etag = r.headers.get("etag")
            if etag:
                again = await client.get(url, headers={**BROWSER, "If-None-Match": etag})
                unchanged += again.status_code == 304
    print(f"scenario page: {len(modules)} JS modules, {raw / 1024:.1f} KiB on disk")
    print(f"first visit: {wire / 1024:.1f} KiB transferred ({wire / raw:.0%} of the files)")
    print(
        f"return visit: {cached_free} modules reused without a request (immutable), "
        f"{revalidated} revalidated ({unchanged} answered 304 Not Modified)"
    )


if __name__ == "__main__":
    asyncio.run(main())
