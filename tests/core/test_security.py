from __future__ import annotations

import base64
import json
from datetime import timedelta

import pytest
from jose import jwt

from app.core.clock import ManualClock
from app.core.security import InvalidToken, TokenService, hash_password, verify_password

SECRET = "a-test-secret-of-decent-length-123"


def test_password_hashes_are_argon2_and_verify() -> None:
    hashed = hash_password("correct horse battery")
    assert hashed.startswith("$argon2id$")
    assert verify_password("correct horse battery", hashed)
    assert not verify_password("wrong horse battery", hashed)
    assert not verify_password("anything", None)  # unknown user: still a full verify
    assert not verify_password("anything", "not-a-hash")


def test_token_round_trip_and_purpose(clock: ManualClock) -> None:
    tokens = TokenService(SECRET, clock)
    token, expires = tokens.issue("user-1", "access", timedelta(minutes=5), role="candidate")
    claims = tokens.verify(token, "access")
    assert claims["sub"] == "user-1" and claims["role"] == "candidate"
    assert expires == clock.now() + timedelta(minutes=5)
    with pytest.raises(InvalidToken):
        tokens.verify(token, "refresh")


def test_expiry_follows_the_injected_clock(clock: ManualClock) -> None:
    tokens = TokenService(SECRET, clock)
    token, _ = tokens.issue("user-1", "access", timedelta(minutes=5))
    tokens.verify(token, "access")
    clock.advance(minutes=5)
    with pytest.raises(InvalidToken):
        tokens.verify(token, "access")  # refused even though it was cached as valid


def _b64(data: dict[str, object]) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()


@pytest.mark.parametrize(
    "forge",
    [
        # alg none
        lambda now: (
            f"{_b64({'alg': 'none', 'typ': 'JWT'})}."
            f"{_b64({'sub': 'x', 'purpose': 'access', 'iat': now, 'exp': now + 60})}."
        ),
        # right shape, wrong key
        lambda now: jwt.encode(
            {"sub": "x", "purpose": "access", "iat": now, "exp": now + 60}, "other-secret-xxxxxxxx"
        ),
        # another algorithm
        lambda now: jwt.encode(
            {"sub": "x", "purpose": "access", "iat": now, "exp": now + 60},
            SECRET,
            algorithm="HS512",
        ),
        # missing purpose
        lambda now: jwt.encode({"sub": "x", "iat": now, "exp": now + 60}, SECRET),
        # missing exp
        lambda now: jwt.encode({"sub": "x", "purpose": "access", "iat": now}, SECRET),
        lambda now: "not.a.token",
    ],
    ids=["alg-none", "wrong-key", "hs512", "no-purpose", "no-exp", "garbage"],
)
def test_forged_tokens_are_refused(clock: ManualClock, forge: object) -> None:
    tokens = TokenService(SECRET, clock)
    now = int(clock.now().timestamp())
    with pytest.raises(InvalidToken):
        tokens.verify(forge(now), "access")  # type: ignore[operator]


def test_tampered_payload_is_refused(clock: ManualClock) -> None:
    tokens = TokenService(SECRET, clock)
    token, _ = tokens.issue("user-1", "access", timedelta(minutes=5), role="candidate")
    header, payload, signature = token.split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=="))
    claims["role"] = "admin"
    with pytest.raises(InvalidToken):
        tokens.verify(f"{header}.{_b64(claims)}.{signature}", "access")
