"""Certificate IDs: 80 random bits in Crockford base32 plus two check characters, shown
in three groups of six (``K7M2QD-9XRT4P-HN3W8Z``) so they can be read aloud.

The check is a position-weighted sum modulo the prime 1021, written as two base32
characters. With weights 1..16 and values under 32, no single mistyped character and no
swap of two neighbours leaves the sum unchanged, so either is always caught; Crockford's
own mod-37 check symbols (``* ~ $ = U``) are avoided because they are awkward to say
and to put in a URL.
"""

from __future__ import annotations

import secrets

ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
_VALUES = {c: i for i, c in enumerate(ALPHABET)}
# Crockford decoding: letters people confuse with digits read as those digits.
_ALIASES = str.maketrans({"O": "0", "I": "1", "L": "1"})
DATA_CHARS = 16  # 80 bits
CHECK_CHARS = 2
_MODULUS = 1021


def _check(data: str) -> str:
    total = sum(weight * _VALUES[c] for weight, c in enumerate(data, start=1)) % _MODULUS
    return ALPHABET[total // 32] + ALPHABET[total % 32]


def new_certificate_id() -> str:
    data = "".join(secrets.choice(ALPHABET) for _ in range(DATA_CHARS))
    return data + _check(data)


def normalise(raw: str) -> str | None:
    """The canonical form of a typed ID, or None if it cannot be one of ours."""
    cleaned = raw.upper().replace("-", "").replace(" ", "").translate(_ALIASES)
    if len(cleaned) != DATA_CHARS + CHECK_CHARS or any(c not in _VALUES for c in cleaned):
        return None
    if _check(cleaned[:DATA_CHARS]) != cleaned[DATA_CHARS:]:
        return None
    return cleaned


def malformed(raw: str) -> str | None:
    """Why a typed ID cannot be a certificate ID, in words for the person who typed it,
    or None when it can be one. Says nothing about whether it exists."""
    cleaned = raw.upper().replace("-", "").replace(" ", "").translate(_ALIASES)
    wanted = DATA_CHARS + CHECK_CHARS
    if not cleaned:
        return f"Enter a certificate ID: {wanted} letters and digits."
    strange = sorted({c for c in cleaned if c not in _VALUES})
    if strange:
        return (
            f"A certificate ID has only letters and digits (no U); this one has "
            f"{', '.join(repr(c) for c in strange)}."
        )
    if len(cleaned) != wanted:
        return (
            f"A certificate ID has {wanted} letters and digits, in three groups of six; "
            f"this one has {len(cleaned)}."
        )
    if _check(cleaned[:DATA_CHARS]) != cleaned[DATA_CHARS:]:
        return (
            "This is not a valid certificate ID: a character is mistyped or two are "
            "swapped. Check it against the certificate."
        )
    return None


def display(certificate_id: str) -> str:
    return "-".join(certificate_id[i : i + 6] for i in range(0, len(certificate_id), 6))
