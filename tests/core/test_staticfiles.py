"""Static files: gzip for a browser that accepts it, ETags from the content, and caching
by URL: the vendored modules, whose URLs carry their version, for good; the pages' own
modules revalidated each time."""

from __future__ import annotations

import gzip
import hashlib

import httpx
import pytest

from app.core.staticfiles import IMMUTABLE, REVALIDATE, accepts_gzip
from app.web.importmap import VENDOR, import_map

STATIC = VENDOR.parents[1]
VIEW_URL = import_map().imports["@codemirror/view"]
VIEW = STATIC / VIEW_URL.removeprefix("/static/")


def _etag(body: bytes, suffix: str = "") -> str:
    return f'"{hashlib.sha256(body).hexdigest()[:32]}{suffix}"'


async def test_a_versioned_module_goes_compressed_and_is_cached_for_good(
    client: httpx.AsyncClient,
) -> None:
    raw = VIEW.read_bytes()
    r = await client.get(VIEW_URL, headers={"Accept-Encoding": "gzip, br"})
    assert r.status_code == 200
    assert r.headers["content-encoding"] == "gzip"
    assert int(r.headers["content-length"]) < len(raw) // 2
    assert r.content == raw  # httpx decoded it: the same file
    assert r.headers["cache-control"] == IMMUTABLE
    assert r.headers["vary"] == "Accept-Encoding"
    assert r.headers["etag"] == _etag(raw, "-gzip")
    assert r.headers["content-type"].split(";")[0] in ("text/javascript", "application/javascript")

    plain = await client.get(VIEW_URL, headers={"Accept-Encoding": "identity"})
    assert "content-encoding" not in plain.headers
    assert int(plain.headers["content-length"]) == len(raw) and plain.content == raw
    assert plain.headers["etag"] == _etag(raw)  # another representation, another tag


async def test_the_pages_own_module_is_revalidated_and_not_sent_again_unchanged(
    client: httpx.AsyncClient,
) -> None:
    raw = (STATIC / "exam.js").read_bytes()
    r = await client.get("/static/exam.js", headers={"Accept-Encoding": "gzip"})
    assert r.status_code == 200 and r.content == raw
    assert r.headers["cache-control"] == REVALIDATE
    etag = r.headers["etag"]
    again = await client.get(
        "/static/exam.js", headers={"Accept-Encoding": "gzip", "If-None-Match": etag}
    )
    assert again.status_code == 304 and again.content == b""
    assert again.headers["etag"] == etag
    # The tag of the uncompressed file does not stand for the compressed one.
    other = await client.get(
        "/static/exam.js", headers={"Accept-Encoding": "gzip", "If-None-Match": _etag(raw)}
    )
    assert other.status_code == 200


async def test_head_and_a_refused_gzip(client: httpx.AsyncClient) -> None:
    raw = (STATIC / "assay.css").read_bytes()
    head = await client.head("/static/assay.css", headers={"Accept-Encoding": "gzip"})
    assert head.status_code == 200 and head.content == b""
    packed = gzip.compress(raw, compresslevel=9, mtime=0)
    assert int(head.headers["content-length"]) == len(packed)
    refused = await client.get("/static/assay.css", headers={"Accept-Encoding": "gzip;q=0"})
    assert "content-encoding" not in refused.headers and refused.content == raw
    missing = await client.get("/static/no-such-file.js")
    assert missing.status_code == 404


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("gzip", True),
        ("gzip, deflate, br", True),
        ("br;q=1.0, gzip;q=0.8", True),
        ("*", True),
        ("gzip;q=0", False),
        ("gzip;q=nonsense", False),
        ("identity", False),
        ("", False),
    ],
)
def test_accept_encoding(header: str, expected: bool) -> None:
    assert accepts_gzip(header) is expected
