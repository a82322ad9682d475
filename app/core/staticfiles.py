"""Static files, compressed and cached as their URLs allow.

- A text file (JS, CSS, SVG, JSON, Markdown, licences) goes gzip-compressed to a browser
  that accepts it (``Vary: Accept-Encoding``). Each file is read and compressed once per
  process, in the worker thread that looks it up, and kept (the files are package data:
  they change only with a deploy, which restarts the process; a changed size or mtime is
  read again all the same). No brotli: no well-kept brotli library is a dependency.
- ETags come from the file's content (and encoding), so every replica and every install
  gives the same one, unlike the default of size and mtime.
- A file whose name carries its version (``view@6.44.2.js``: the vendored modules, whose
  import map names them so) never changes under that URL: ``Cache-Control: public,
  max-age=31536000, immutable``. Any other (the pages' own modules, whose URLs stay put
  across releases) is ``no-cache``: kept, but checked each time, a 304 when unchanged.
"""

from __future__ import annotations

import gzip
import hashlib
import mimetypes
import os
import re
from dataclasses import dataclass

from starlette.datastructures import Headers
from starlette.responses import Response
from starlette.staticfiles import StaticFiles
from starlette.types import Scope

IMMUTABLE = "public, max-age=31536000, immutable"
REVALIDATE = "no-cache"
# ``name@1.2.3.js``: the version is in the URL.
_VERSIONED = re.compile(r"@\d+(?:\.\d+)+(?:[-+][\w.]+)?\.\w+$")
_COMPRESSIBLE = (".js", ".mjs", ".css", ".svg", ".json", ".map", ".md", ".txt", ".LICENSE")
# Below this a gzip header and a round trip's bytes gain nothing.
_MIN_COMPRESS_BYTES = 512


@dataclass(frozen=True)
class _Asset:
    stamp: tuple[int, int]  # size and mtime it was read at
    body: bytes
    etag: str
    gzipped: bytes | None
    gzip_etag: str


_assets: dict[str, _Asset] = {}


def _read(full_path: str, stamp: tuple[int, int]) -> _Asset:
    asset = _assets.get(full_path)
    if asset is not None and asset.stamp == stamp:
        return asset
    with open(full_path, "rb") as fh:
        body = fh.read()
    digest = hashlib.sha256(body).hexdigest()[:32]
    gzipped = None
    if full_path.endswith(_COMPRESSIBLE) and len(body) >= _MIN_COMPRESS_BYTES:
        packed = gzip.compress(body, compresslevel=9, mtime=0)
        gzipped = packed if len(packed) < len(body) else None
    asset = _Asset(stamp, body, f'"{digest}"', gzipped, f'"{digest}-gzip"')
    _assets[full_path] = asset
    return asset


def _stamp(stat_result: os.stat_result) -> tuple[int, int]:
    return stat_result.st_size, stat_result.st_mtime_ns


def accepts_gzip(accept_encoding: str) -> bool:
    """Whether an Accept-Encoding header admits gzip (not with ``q=0``)."""
    for part in accept_encoding.split(","):
        coding, _, params = part.strip().partition(";")
        if coding.strip().lower() in ("gzip", "*"):
            q = params.strip().lower().removeprefix("q=")
            try:
                return not params.strip() or float(q) > 0
            except ValueError:
                return False
    return False


def _matches(if_none_match: str, etag: str) -> bool:
    tags = {t.strip().removeprefix("W/") for t in if_none_match.split(",")}
    return "*" in tags or etag in tags


class CompressedStaticFiles(StaticFiles):
    def lookup_path(self, path: str) -> tuple[str, os.stat_result | None]:
        # Runs in a worker thread: read and compress there, never on the event loop.
        full_path, stat_result = super().lookup_path(path)
        if stat_result is not None and os.path.isfile(full_path):
            _read(full_path, _stamp(stat_result))
        return full_path, stat_result

    def file_response(
        self,
        full_path: str | os.PathLike[str],
        stat_result: os.stat_result,
        scope: Scope,
        status_code: int = 200,
    ) -> Response:
        path = os.fspath(full_path)
        asset = _read(path, _stamp(stat_result))
        request = Headers(scope=scope)
        compressed = asset.gzipped is not None and accepts_gzip(request.get("accept-encoding", ""))
        etag = asset.gzip_etag if compressed else asset.etag
        headers = {
            "ETag": etag,
            "Cache-Control": IMMUTABLE if _VERSIONED.search(path) else REVALIDATE,
            "Vary": "Accept-Encoding",
        }
        if _matches(request.get("if-none-match", ""), etag):
            return Response(status_code=304, headers=headers)
        if compressed:
            headers["Content-Encoding"] = "gzip"
        body = asset.gzipped if compressed and asset.gzipped is not None else asset.body
        media_type = mimetypes.guess_type(path)[0] or "text/plain"
        if scope["method"] == "HEAD":
            headers["Content-Length"] = str(len(body))
            body = b""
        return Response(body, status_code=status_code, headers=headers, media_type=media_type)
