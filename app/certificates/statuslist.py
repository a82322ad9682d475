"""The revocation list, as a W3C Bitstring Status List: bit ``i`` is set when the
certificate holding index ``i`` is revoked. Pure except for the signing key given."""

from __future__ import annotations

import base64
import gzip
from collections.abc import Iterable
from datetime import datetime
from typing import Any

# The spec's minimum (16 KiB), which hides how many certificates exist.
STATUS_LIST_SIZE = 131_072
STATUS_LIST_ID = "1"


def encode_bits(revoked: Iterable[int], size: int = STATUS_LIST_SIZE) -> str:
    """GZIP, then multibase base64url without padding (the ``u`` prefix); bit 0 is the
    most significant bit of the first byte, as the spec counts."""
    bits = bytearray(size // 8)
    for index in revoked:
        bits[index // 8] |= 0x80 >> (index % 8)
    # mtime=0: the same revocations always give the same bytes.
    packed = gzip.compress(bytes(bits), mtime=0)
    return "u" + base64.urlsafe_b64encode(packed).rstrip(b"=").decode()


def decode_bits(encoded: str) -> bytes:
    body = encoded.removeprefix("u")
    return gzip.decompress(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))


def is_set(bits: bytes, index: int) -> bool:
    return bool(bits[index // 8] & (0x80 >> (index % 8)))


def status_list_credential(
    *, url: str, issuer: str, revoked: Iterable[int], now: datetime
) -> dict[str, Any]:
    return {
        "@context": ["https://www.w3.org/ns/credentials/v2"],
        "id": url,
        "type": ["VerifiableCredential", "BitstringStatusListCredential"],
        "issuer": issuer,
        "validFrom": now.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "credentialSubject": {
            "id": f"{url}#list",
            "type": "BitstringStatusList",
            "statusPurpose": "revocation",
            "encodedList": encode_bits(revoked),
        },
    }
