"""Passwords, tokens and credential signatures. This is the only module that imports
python-jose.

Tokens are HS256 JWTs with the algorithm pinned, ``exp``/``iat``/``sub`` required and a
``purpose`` claim that every check names: an access token is never accepted where an
attempt or refresh token is expected. Expiry is judged against the injected clock, not
the library's, so tests and the sweeper agree on what "now" is.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import json
import math
import os
import time
from collections import OrderedDict
from collections.abc import AsyncIterator, Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Literal, TypeVar

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from jose import JWTError, jws, jwt
from jose.exceptions import JOSEError

from app.core.clock import Clock
from app.core.errors import NotAuthenticated, SignInBusy

TokenPurpose = Literal["access", "attempt", "refresh", "csrf"]
_T = TypeVar("_T")
_ALGORITHMS = ["HS256"]
_REQUIRED_CLAIMS = ("exp", "iat", "sub", "purpose")


class _Passwords:
    """argon2id with the configured cost; the dummy hash (verified against when the email
    is unknown, so a miss costs as long as a hit) is made with the same parameters."""

    def __init__(self, time_cost: int, memory_kib: int, parallelism: int) -> None:
        self.hasher = PasswordHasher(
            time_cost=time_cost, memory_cost=memory_kib, parallelism=parallelism
        )
        self.dummy = self.hasher.hash("assay-timing-equaliser")


_passwords = _Passwords(3, 65536, 4)


def configure_passwords(*, time_cost: int, memory_kib: int, parallelism: int) -> None:
    """The process's hashing cost (ASSAY_ARGON2_*), set once by the app factory."""
    global _passwords
    hasher = _passwords.hasher
    if (hasher.time_cost, hasher.memory_cost, hasher.parallelism) != (
        time_cost,
        memory_kib,
        parallelism,
    ):
        _passwords = _Passwords(time_cost, memory_kib, parallelism)


def hash_password(password: str) -> str:
    return _passwords.hasher.hash(password)


def verify_password(password: str, password_hash: str | None) -> bool:
    """Constant-time-ish: an unknown user (``password_hash=None``) still costs one verify.
    A hash keeps the parameters it was made with and is checked with them."""
    try:
        return (
            _passwords.hasher.verify(password_hash or _passwords.dummy, password)
            and password_hash is not None
        )
    except (VerificationError, InvalidHashError):
        return False


class HashingLine:
    """Password hashing runs on these threads (argon2 releases the GIL), never on the
    event loop, at most one hash per thread, so memory stays at threads x
    ASSAY_ARGON2_MEMORY_KIB. A sign-in storm queues here while every other request is
    served; the line is bounded in time, not length: when the hashes already waiting
    would hold a new one longer than ``max_wait_seconds`` (the mean hashing time
    measured here, times the hashes ahead per thread), it is refused at once with
    ``SignInBusy`` and a Retry-After of when the line will have shortened enough, rather
    than held until a proxy or browser gives up on it. The sign-in page asks again by
    itself, so a storm is a wait for the person, not an error. 0 never refuses."""

    def __init__(
        self,
        threads: int,
        max_wait_seconds: float,
        *,
        seconds: float = 0.2,
        timer: Callable[[], float] = time.perf_counter,
    ) -> None:
        self.threads = threads
        self.max_wait_seconds = max_wait_seconds
        self.seconds = seconds  # moving average of one hash, as measured
        self.in_line = 0  # waiting or hashing
        self._timer = timer
        self._pool = ThreadPoolExecutor(max_workers=threads, thread_name_prefix="argon2")

    def expected_wait(self) -> float:
        """Seconds a hash asked for now would wait before its own starts."""
        return (self.in_line // self.threads) * self.seconds

    @asynccontextmanager
    async def place(self) -> AsyncIterator[HashingLine]:
        """A place in line, taken now (or ``SignInBusy`` if it would wait past the
        bound) and held until the block ends: a sign-in takes it before it reads
        anything, so a storm is shed before any database work and every arrival sees
        the line as it really is."""
        wait = self.expected_wait()
        if self.max_wait_seconds and wait > self.max_wait_seconds:
            raise SignInBusy(retry_after=min(60, math.ceil(wait - self.max_wait_seconds) + 1))
        self.in_line += 1
        try:
            yield self
        finally:
            self.in_line -= 1

    async def hash_here(self, work: Callable[..., _T], *args: Any) -> _T:
        """Runs ``work`` on a hashing thread, from inside a ``place``."""
        result, took = await asyncio.get_running_loop().run_in_executor(
            self._pool, self._timed, work, *args
        )
        self.seconds = 0.9 * self.seconds + 0.1 * took
        return result

    async def run(self, work: Callable[..., _T], *args: Any) -> _T:
        """A place in line and the hash in it."""
        async with self.place():
            return await self.hash_here(work, *args)

    def _timed(self, work: Callable[..., _T], *args: Any) -> tuple[_T, float]:
        started = self._timer()
        result = work(*args)
        return result, self._timer() - started


_hashing = HashingLine(os.cpu_count() or 1, 20.0)


def configure_hashing_line(max_wait_seconds: float) -> None:
    """The process's bound on a sign-in's wait (ASSAY_SIGN_IN_MAX_WAIT_SECONDS)."""
    _hashing.max_wait_seconds = max_wait_seconds


def sign_in_place() -> AbstractAsyncContextManager[HashingLine]:
    """A sign-in's place in the process's hashing line (``HashingLine.place``)."""
    return _hashing.place()


async def hash_password_off_loop(password: str) -> str:
    return await _hashing.run(hash_password, password)


async def verify_password_off_loop(password: str, password_hash: str | None) -> bool:
    return await _hashing.run(verify_password, password, password_hash)


def password_needs_rehash(password_hash: str) -> bool:
    """Made with other parameters than the configured ones (rehashed at the next sign-in)."""
    try:
        return _passwords.hasher.check_needs_rehash(password_hash)
    except InvalidHashError:
        return True


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


# --- Credentials: ES256 or RS256 JWS -------------------------------------------------
#
# Certificates are published as VC-JWTs signed with ES256 or RS256 (Open Badges 3.0's
# baseline; python-jose has no EdDSA). Each key carries its algorithm, fixed when it was
# made: the verifier picks the key by the ``kid`` we set and accepts that key's algorithm
# and nothing else (so neither ``none`` nor an HS256 token keyed with our public key, nor
# an RS256 header on an EC key, gets through), and judges ``nbf``/``exp`` by the injected
# clock.

CredentialAlgorithm = Literal["ES256", "RS256"]
CREDENTIAL_ALGORITHMS: tuple[CredentialAlgorithm, ...] = ("ES256", "RS256")
# RSA keys sign credentials that stay valid for years: 3072 bits (NIST's size past 2030).
_RSA_BITS = 3072


class InvalidCredential(InvalidToken):
    code = "invalid_credential"
    default_message = "The credential is not signed by this issuer, or is no longer valid."


@dataclass(frozen=True)
class SigningKey:
    kid: str
    private_pem: str
    created_at: str
    alg: CredentialAlgorithm = "ES256"


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _int_b64(value: int) -> str:
    return _b64url(value.to_bytes((value.bit_length() + 7) // 8 or 1, "big"))


def _public_members(private_pem: str) -> tuple[CredentialAlgorithm, dict[str, str]]:
    """The key's algorithm and the required members of its public JWK (RFC 7638 order)."""
    private = serialization.load_pem_private_key(private_pem.encode(), password=None)
    if isinstance(private, ec.EllipticCurvePrivateKey):
        numbers = private.public_key().public_numbers()
        return "ES256", {
            "crv": "P-256",
            "kty": "EC",
            "x": _b64url(numbers.x.to_bytes(32, "big")),
            "y": _b64url(numbers.y.to_bytes(32, "big")),
        }
    if isinstance(private, rsa.RSAPrivateKey):
        rsa_numbers = private.public_key().public_numbers()
        return "RS256", {"e": _int_b64(rsa_numbers.e), "kty": "RSA", "n": _int_b64(rsa_numbers.n)}
    raise ValueError("a credential signing key is an EC P-256 or an RSA key")


def key_algorithm(private_pem: str) -> CredentialAlgorithm:
    return _public_members(private_pem)[0]


def key_thumbprint(private_pem: str) -> str:
    """RFC 7638 thumbprint of the public key: the kid names the key itself, so it cannot
    be reused by accident."""
    _, members = _public_members(private_pem)
    canonical = json.dumps(members, separators=(",", ":"), sort_keys=True)
    return _b64url(hashlib.sha256(canonical.encode()).digest())


def new_signing_key(created_at: datetime, alg: CredentialAlgorithm = "ES256") -> SigningKey:
    private: ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey
    if alg == "RS256":
        private = rsa.generate_private_key(public_exponent=65537, key_size=_RSA_BITS)
    else:
        private = ec.generate_private_key(ec.SECP256R1())
    pem = private.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()
    return SigningKey(
        kid=key_thumbprint(pem), private_pem=pem, created_at=created_at.isoformat(), alg=alg
    )


def public_jwk(key: SigningKey) -> dict[str, str]:
    alg, members = _public_members(key.private_pem)
    if alg != key.alg:
        raise ValueError(f"signing key {key.kid} is recorded as {key.alg} but is an {alg} key")
    return {**members, "kid": key.kid, "use": "sig", "alg": alg}


class CredentialKeys:
    """The issuer's keys: the newest signs, every one (old ones after a rotation) verifies.
    Only public halves ever leave, through :meth:`jwks` and the signed header's ``jwk``.

    ``key_url`` turns a thumbprint into the URL that answers that key: the header's
    ``kid``, so a verifier holding only the credential can find the key (Open Badges 3.0
    VC-JWT). Tokens signed before keys had URLs name the bare thumbprint: both resolve."""

    def __init__(
        self,
        keys: Sequence[SigningKey],
        active_kid: str,
        key_url: Callable[[str], str] | None = None,
    ) -> None:
        by_kid = {k.kid: k for k in keys}
        if active_kid not in by_kid:
            raise ValueError("the active signing key is not in the key set")
        self._active = by_kid[active_kid]
        self._by_kid = by_kid
        self._public = {k.kid: public_jwk(k) for k in keys}
        self._key_url = key_url
        published = list(self._public.values())
        if key_url is not None:
            published += [{**jwk, "kid": key_url(kid)} for kid, jwk in self._public.items()]
        self._jwks = {"keys": published}

    @property
    def active_kid(self) -> str:
        return self._active.kid

    @property
    def active_algorithm(self) -> CredentialAlgorithm:
        return self._active.alg

    def jwks(self) -> dict[str, list[dict[str, str]]]:
        """Every public key, under its thumbprint and (with ``key_url``) its URL."""
        return self._jwks

    def public_key(self, kid: str) -> dict[str, str] | None:
        return self._public.get(kid)

    def header(self) -> dict[str, Any]:
        """The JOSE header of what the active key signs: ``typ`` as Open Badges 3.0 says,
        the key itself (``jwk``) and where it is published (``kid``)."""
        kid = self._active.kid
        return {
            "alg": self._active.alg,
            "typ": "JWT",
            "kid": self._key_url(kid) if self._key_url else kid,
            "jwk": self._public[kid],
        }

    def sign(self, claims: Mapping[str, Any]) -> str:
        header = self.header()
        token: str = jws.sign(
            dict(claims),
            self._active.private_pem,
            headers={k: v for k, v in header.items() if k != "alg"},
            algorithm=self._active.alg,
        )
        return token

    def _key_for(self, kid: object) -> SigningKey | None:
        if not isinstance(kid, str):
            return None
        key = self._by_kid.get(kid)
        if key is None and self._key_url is not None:
            thumbprint = kid.rsplit("/", 1)[-1]
            if self._key_url(thumbprint) == kid:
                key = self._by_kid.get(thumbprint)
        return key

    def verify(self, token: str, clock: Clock) -> dict[str, Any]:
        """The payload of a JWS we signed that is valid now; anything else is refused."""
        try:
            header = jws.get_unverified_header(token)
        except JOSEError as exc:
            raise InvalidCredential() from exc
        key = self._key_for(header.get("kid"))
        # The algorithm is the key's, never the token's say.
        if key is None or header.get("alg") != key.alg:
            raise InvalidCredential()
        try:
            payload = jws.verify(token, self._public[key.kid], algorithms=[key.alg])
            claims: dict[str, Any] = json.loads(payload)
        except (JOSEError, ValueError) as exc:
            raise InvalidCredential() from exc
        now = clock.now().timestamp()
        exp, nbf = claims.get("exp"), claims.get("nbf")
        if not isinstance(exp, int) or not isinstance(nbf, int) or not nbf <= now < exp:
            raise InvalidCredential()
        return claims
