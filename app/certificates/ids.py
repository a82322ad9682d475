"""Certificate IDs: 85 random bits in Crockford base32 plus a check character, shown in
three groups of six (``K7M2QD-9XRT4P-HN3W8Z``) so they can be read aloud.

The check character is Luhn mod 32 over the same alphabet rather than Crockford's
mod-37 symbols (``* ~ $ = U``), which are awkward to say and to put in a URL; it catches
every single mistyped character and every swap of two neighbours.
"""

from __future__ import annotations

import secrets

ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
_VALUES = {c: i for i, c in enumerate(ALPHABET)}
# Crockford decoding: letters people confuse with digits read as those digits.
_ALIASES = str.maketrans({"O": "0", "I": "1", "L": "1"})
DATA_CHARS = 17  # 85 bits


def _check_char(data: str) -> str:
    total = 0
    for position, char in enumerate(reversed(data)):
        value = _VALUES[char]
        if position % 2 == 0:
            value *= 2
            value = value // 32 + value % 32
        total += value
    return ALPHABET[(32 - total % 32) % 32]


def new_certificate_id() -> str:
    data = "".join(secrets.choice(ALPHABET) for _ in range(DATA_CHARS))
    return data + _check_char(data)


def normalise(raw: str) -> str | None:
    """The canonical form of a typed ID, or None if it cannot be one of ours."""
    cleaned = raw.upper().replace("-", "").replace(" ", "").translate(_ALIASES)
    if len(cleaned) != DATA_CHARS + 1 or any(c not in _VALUES for c in cleaned):
        return None
    if _check_char(cleaned[:-1]) != cleaned[-1]:
        return None
    return cleaned


def display(certificate_id: str) -> str:
    return "-".join(certificate_id[i : i + 6] for i in range(0, len(certificate_id), 6))
