"""Where the credential signing keys live.

The key set is a small JSON document, ``{"active": kid, "keys": [{kid, alg, private_pem,
created_at}]}`` (``alg`` ES256 or RS256; a key from before it was recorded is told by its
PEM), read from ``ASSAY_SIGNING_KEYS`` or else from ``ASSAY_SIGNING_KEYS_FILE``.
In dev the file is created with one key on first start; production refuses to start
without one (a key made up at start would sign credentials nobody could check later).
``assay keys rotate [--algorithm RS256]`` appends a key (of
``ASSAY_CREDENTIAL_ALGORITHM`` by default) and makes it the signer; old keys stay, so every
credential signed before keeps verifying against the published JWKS. Running servers
read the set at start: restart them after a rotation.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from app.certificates.credential import Issuer
from app.config import Settings
from app.core.clock import Clock
from app.core.security import (
    CredentialAlgorithm,
    CredentialKeys,
    SigningKey,
    key_algorithm,
    new_signing_key,
)


class SigningKeysMissing(RuntimeError):
    pass


def _parse(document: str) -> tuple[list[SigningKey], str]:
    data: dict[str, Any] = json.loads(document)
    keys = [
        SigningKey(
            k["kid"],
            k["private_pem"],
            k["created_at"],
            k.get("alg") or key_algorithm(k["private_pem"]),
        )
        for k in data["keys"]
    ]
    return keys, str(data["active"])


def _dump(keys: list[SigningKey], active: str) -> str:
    return json.dumps(
        {
            "active": active,
            "keys": [
                {
                    "kid": k.kid,
                    "alg": k.alg,
                    "private_pem": k.private_pem,
                    "created_at": k.created_at,
                }
                for k in keys
            ],
        },
        indent=2,
    )


def _write_private(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    # Created 0600 from the start: the file holds private keys.
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as out:
        out.write(text)
    tmp.replace(path)


def issuer_of(settings: Settings) -> Issuer:
    return Issuer(settings.public_base_url.rstrip("/"), settings.issuer_name)


def load_credential_keys(settings: Settings, clock: Clock) -> CredentialKeys:
    key_url = issuer_of(settings).key_url
    if settings.signing_keys:
        return CredentialKeys(*_parse(settings.signing_keys), key_url=key_url)
    path = settings.signing_keys_file
    if path.exists():
        return CredentialKeys(*_parse(path.read_text()), key_url=key_url)
    if settings.env == "production":
        raise SigningKeysMissing(
            "production needs credential signing keys: set ASSAY_SIGNING_KEYS or "
            "ASSAY_SIGNING_KEYS_FILE (create them with `assay keys rotate`)"
        )
    key = new_signing_key(clock.now(), settings.credential_algorithm)
    if settings.env == "dev":
        _write_private(path, _dump([key], key.kid))
    # Tests get a key of their own in memory and leave no file behind.
    return CredentialKeys([key], key.kid, key_url=key_url)


def rotated(
    document: str | None, clock: Clock, alg: CredentialAlgorithm = "ES256"
) -> tuple[str, str]:
    """The key set with a new signing key added and made active: (new kid, JSON)."""
    keys, _ = _parse(document) if document else ([], "")
    key = new_signing_key(clock.now(), alg)
    keys.append(key)
    return key.kid, _dump(keys, key.kid)


def rotate_file(path: Path, clock: Clock, alg: CredentialAlgorithm = "ES256") -> str:
    kid, document = rotated(path.read_text() if path.exists() else None, clock, alg)
    _write_private(path, document)
    return kid
