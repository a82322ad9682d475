"""Passwords, tokens and credential signatures. This is the only module that imports
python-jose.

Tokens are HS256 JWTs with the algorithm pinned, ``exp``/``iat``/``sub`` required and a
``purpose`` claim that every check names: an access token is never accepted where an
attempt or refresh token is expected. Expiry is judged against the injected clock, not
the library's, so tests and the sweeper agree on what "now" is.
"""

from __future__ import annotations

import base64
import hashlib
import json
from collections import OrderedDict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Literal

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from jose import JWTError, jws, jwt
from jose.exceptions import JOSEError

from app.core.clock import Clock
from app.core.errors import NotAuthenticated

TokenPurpose = Literal["access", "attempt", "refresh", "csrf"]
_ALGORITHMS = ["HS256"]
_REQUIRED_CLAIMS = ("exp", "iat", "sub", "purpose")

_hasher = PasswordHasher()
# Verified against when the email is unknown, so a miss costs as long as a hit.
_DUMMY_HASH = _hasher.hash("assay-timing-equaliser")


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password: str, password_hash: str | None) -> bool:
    """Constant-time-ish: an unknown user (``password_hash=None``) still costs one verify."""
    try:
        return _hasher.verify(password_hash or _DUMMY_HASH, password) and password_hash is not None
    except (VerificationError, InvalidHashError):
        return False


class InvalidToken(NotAuthenticated):
    code = "invalid_token"
    default_message = "The token is missing, expired or not valid here."


class TokenService:
    """Issues and checks signed tokens.

    Verified claims are cached by token string (bounded): the autosave hot path sees the
    same token every few seconds, and an HMAC plus JSON parse per request is measurable
    at thousands of requests a second. Expiry is re-checked on every use.
    """

    def __init__(self, secret: str, clock: Clock, *, cache_size: int = 20_000) -> None:
        if len(secret) < 16:
            raise ValueError("token secret too short")
        self._secret = secret
        self._clock = clock
        self._cache: OrderedDict[str, dict[str, Any]] = OrderedDict()
        self._cache_size = cache_size

    def issue(
        self, subject: str, purpose: TokenPurpose, ttl: timedelta, **claims: Any
    ) -> tuple[str, datetime]:
        now = self._clock.now()
        expires = now + ttl
        payload = {
            **claims,
            "sub": subject,
            "purpose": purpose,
            "iat": int(now.timestamp()),
            "exp": int(expires.timestamp()),
        }
        return jwt.encode(payload, self._secret, algorithm="HS256"), expires

    def verify(self, token: str, purpose: TokenPurpose) -> dict[str, Any]:
        claims = self._cache.get(token)
        if claims is None:
            claims = self._decode(token)
            self._cache[token] = claims
            if len(self._cache) > self._cache_size:
                self._cache.popitem(last=False)
        if claims["purpose"] != purpose:
            raise InvalidToken()
        if claims["exp"] <= self._clock.now().timestamp():
            raise InvalidToken("The token has expired; sign in again.")
        return claims

    def _decode(self, token: str) -> dict[str, Any]:
        try:
            header = jwt.get_unverified_header(token)
            if header.get("alg") not in _ALGORITHMS:
                raise InvalidToken()
            claims: dict[str, Any] = jwt.decode(
                token,
                self._secret,
                algorithms=_ALGORITHMS,
                # exp is judged below against our clock; jose would use the wall clock.
                options={"verify_exp": False, "verify_iat": False, "verify_aud": False},
            )
        except JWTError as exc:
            raise InvalidToken() from exc
        if any(claim not in claims for claim in _REQUIRED_CLAIMS):
            raise InvalidToken()
        if not isinstance(claims["exp"], int) or not isinstance(claims["sub"], str):
            raise InvalidToken()
        return claims


# --- Credentials: ES256 JWS ---------------------------------------------------------
#
# Certificates are published as VC-JWTs signed with ES256 (python-jose has no EdDSA).
# The verifier picks the key by the ``kid`` we set, accepts ES256 and nothing else (so
# neither ``none`` nor an HS256 token keyed with our public key gets through), and judges
# ``nbf``/``exp`` by the injected clock.

_CREDENTIAL_ALGORITHMS = ["ES256"]


class InvalidCredential(InvalidToken):
    code = "invalid_credential"
    default_message = "The credential is not signed by this issuer, or is no longer valid."


@dataclass(frozen=True)
class SigningKey:
    kid: str
    private_pem: str
    created_at: str


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def new_signing_key(created_at: datetime) -> SigningKey:
    private = ec.generate_private_key(ec.SECP256R1())
    pem = private.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()
    numbers = private.public_key().public_numbers()
    x, y = _b64url(numbers.x.to_bytes(32, "big")), _b64url(numbers.y.to_bytes(32, "big"))
    # RFC 7638 thumbprint: the kid names the key itself, so it cannot be reused by accident.
    canonical = json.dumps({"crv": "P-256", "kty": "EC", "x": x, "y": y}, separators=(",", ":"))
    kid = _b64url(hashlib.sha256(canonical.encode()).digest())
    return SigningKey(kid=kid, private_pem=pem, created_at=created_at.isoformat())


def public_jwk(key: SigningKey) -> dict[str, str]:
    private = serialization.load_pem_private_key(key.private_pem.encode(), password=None)
    if not isinstance(private, ec.EllipticCurvePrivateKey):
        raise ValueError(f"signing key {key.kid} is not an EC key")
    numbers = private.public_key().public_numbers()
    return {
        "kty": "EC",
        "crv": "P-256",
        "x": _b64url(numbers.x.to_bytes(32, "big")),
        "y": _b64url(numbers.y.to_bytes(32, "big")),
        "kid": key.kid,
        "use": "sig",
        "alg": "ES256",
    }


class CredentialKeys:
    """The issuer's keys: the newest signs, every one (old ones after a rotation) verifies.
    Only public halves ever leave through :meth:`jwks`."""

    def __init__(self, keys: Sequence[SigningKey], active_kid: str) -> None:
        by_kid = {k.kid: k for k in keys}
        if active_kid not in by_kid:
            raise ValueError("the active signing key is not in the key set")
        self._active = by_kid[active_kid]
        self._public = {k.kid: public_jwk(k) for k in keys}
        self._jwks = {"keys": list(self._public.values())}

    @property
    def active_kid(self) -> str:
        return self._active.kid

    def jwks(self) -> dict[str, list[dict[str, str]]]:
        return self._jwks

    def sign(self, claims: Mapping[str, Any], *, typ: str = "vc+jwt") -> str:
        token: str = jws.sign(
            dict(claims),
            self._active.private_pem,
            headers={"kid": self._active.kid, "typ": typ},
            algorithm="ES256",
        )
        return token

    def verify(self, token: str, clock: Clock) -> dict[str, Any]:
        """The payload of a JWS we signed that is valid now; anything else is refused."""
        try:
            header = jws.get_unverified_header(token)
        except JOSEError as exc:
            raise InvalidCredential() from exc
        key = self._public.get(str(header.get("kid")))
        if header.get("alg") not in _CREDENTIAL_ALGORITHMS or key is None:
            raise InvalidCredential()
        try:
            payload = jws.verify(token, key, algorithms=_CREDENTIAL_ALGORITHMS)
            claims: dict[str, Any] = json.loads(payload)
        except (JOSEError, ValueError) as exc:
            raise InvalidCredential() from exc
        now = clock.now().timestamp()
        exp, nbf = claims.get("exp"), claims.get("nbf")
        if not isinstance(exp, int) or not isinstance(nbf, int) or not nbf <= now < exp:
            raise InvalidCredential()
        return claims
