"""Similarity of two candidates' scenario submissions. Pure.

Every candidate starts from the same workspace, and honest candidates who fix the bug
tend to write what the reference solution writes; neither says anything about copying.
So a submission's *fingerprint* is the set of token shingles of its files that appear in
neither the workspace nor the reference solution: what the candidate wrote of their own.
Two fingerprints are compared by Jaccard similarity (shared / all).

Tokens are normalised so that layout and comments change nothing: comments and blank
space are dropped, names and keywords are lower-cased, and each string literal counts
as one token. Renaming every variable does change the tokens; catching that is a job
for a person comparing the pair side by side, which the review page shows.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable, Mapping

SHINGLE_TOKENS = 4

_TOKEN = re.compile(
    r"""
      (?P<comment>\#[^\n]*)
    | (?P<string>"(?:[^"\\\n]|\\.)*"|'(?:[^'\\\n]|\\.)*')
    | (?P<word>[A-Za-z_][A-Za-z0-9_]*)
    | (?P<number>\d+(?:\.\d+)?)
    | (?P<symbol>[^\sA-Za-z0-9_])
    """,
    re.VERBOSE,
)


def normalised_tokens(text: str) -> list[str]:
    tokens = []
    for match in _TOKEN.finditer(text):
        kind = match.lastgroup
        if kind == "comment":
            continue
        value = match.group()
        tokens.append(value.lower() if kind == "word" else value)
    return tokens


def _shingle_ids(tokens: list[str], size: int) -> set[str]:
    if len(tokens) < size:
        return {_digest(" ".join(tokens))} if tokens else set()
    return {_digest(" ".join(tokens[i : i + size])) for i in range(len(tokens) - size + 1)}


def _digest(text: str) -> str:
    return hashlib.blake2b(text.encode(), digest_size=8).hexdigest()


def shingles(text: str, size: int = SHINGLE_TOKENS) -> set[str]:
    return _shingle_ids(normalised_tokens(text), size)


def fingerprint(files: Mapping[str, str], expected: Iterable[str]) -> frozenset[str]:
    """The shingles of ``files`` found in none of the ``expected`` texts (the workspace
    and the reference solution)."""
    own: set[str] = set()
    for text in files.values():
        own |= shingles(text)
    for text in expected:
        own -= shingles(text)
    return frozenset(own)


def jaccard(a: frozenset[str], b: frozenset[str]) -> float:
    if not a and not b:
        return 0.0
    return len(a & b) / len(a | b)
