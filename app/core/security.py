"""Passwords and tokens. This is the only module that imports python-jose.

Tokens are HS256 JWTs with the algorithm pinned, ``exp``/``iat``/``sub`` required and a
``purpose`` claim that every check names: an access token is never accepted where an
attempt or refresh token is expected. Expiry is judged against the injected clock, not
the library's, so tests and the sweeper agree on what "now" is.
"""

from __future__ import annotations

from collections import OrderedDict
from datetime import datetime, timedelta
from typing import Any, Literal

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from jose import JWTError, jwt

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
