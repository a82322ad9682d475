"""Autosave receipts: a hash of a candidate's whole answer state for an attempt.

Each stored answer carries its own digest, written by the upsert that stores it:
``sha256(canonical JSON of {"ref", "choices", "files", "flagged"})``. The receipt is
``sha256(canonical JSON of [[ref, digest], ...] sorted by ref)``; no answers at all give
the hash of ``[]``. Canonical JSON: keys sorted, no spaces, UTF-8 (not ASCII-escaped).
Anyone holding the stored answers can recompute both without the service."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from typing import Any


def canonical(value: Any) -> bytes:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def item_digest(
    ref: str, choices: list[str] | None, files: dict[str, str] | None, flagged: bool
) -> str:
    """The digest of one stored answer, as the upsert writes it beside the answer."""
    return hashlib.sha256(
        canonical({"ref": ref, "choices": choices, "files": files, "flagged": flagged})
    ).hexdigest()


def receipt(digests: Iterable[tuple[str, str]]) -> str:
    """The receipt of an attempt's answers from their ``(ref, digest)`` pairs."""
    return hashlib.sha256(canonical(sorted([ref, d] for ref, d in digests))).hexdigest()
