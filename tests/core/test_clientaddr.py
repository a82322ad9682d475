"""The client address (app/core/clientaddr.py): X-Forwarded-For is believed only from a
proxy named in ASSAY_TRUSTED_PROXIES, and then only its right-most untrusted hop."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from pydantic import ValidationError

from app import cli
from app.config import Settings
from app.core.clientaddr import TrustedProxies, parse_networks
from app.core.clock import ManualClock
from app.main import create_app


def proxies(*values: str) -> TrustedProxies:
    return TrustedProxies(parse_networks(values))


def test_without_trusted_proxies_the_peer_is_the_client() -> None:
    assert proxies().client("127.0.0.1", ["203.0.113.9"]) == "127.0.0.1"


def test_a_forwarded_header_from_an_untrusted_peer_is_ignored() -> None:
    assert proxies("10.0.0.0/8").client("198.51.100.4", ["203.0.113.9"]) == "198.51.100.4"


def test_the_right_most_untrusted_hop_is_the_client() -> None:
    trusted = proxies("10.0.0.0/8", "192.0.2.7")
    # The client wrote the first entry itself; the trusted chain appended the rest.
    header = ["1.2.3.4, 203.0.113.9", "192.0.2.7"]
    assert trusted.client("10.1.2.3", header) == "203.0.113.9"
    assert trusted.client("10.1.2.3", ["203.0.113.9, 10.9.9.9"]) == "203.0.113.9"


def test_garbage_in_the_header_is_not_an_address() -> None:
    assert proxies("127.0.0.1").client("127.0.0.1", ["<script>"]) == "unknown"


def test_a_chain_of_trusted_proxies_only() -> None:
    trusted = proxies("10.0.0.0/8")
    assert trusted.client("10.0.0.1", ["10.0.0.2"]) == "10.0.0.2"
    assert trusted.client("10.0.0.1", []) == "10.0.0.1"


def test_ipv6_and_mapped_addresses() -> None:
    trusted = proxies("2001:db8::/32", "127.0.0.1")
    assert trusted.client("2001:db8::1", ["2001:db9::5"]) == "2001:db9::5"
    assert trusted.client("::ffff:127.0.0.1", ["203.0.113.9"]) == "203.0.113.9"


def test_a_bad_setting_is_refused_at_start(settings: Settings) -> None:
    with pytest.raises(ValidationError, match="not an address or CIDR block"):
        Settings(**{**settings.model_dump(), "trusted_proxies": "10.0.0.0/8, nonsense"})


def test_serve_leaves_forwarded_headers_to_the_app(monkeypatch: pytest.MonkeyPatch) -> None:
    """uvicorn's own proxy-header handling trusts 127.0.0.1 by default: any local caller
    could then choose its address (and its rate limits). The server turns it off."""
    seen: dict[str, Any] = {}

    async def prepared(*_: Any) -> Any:
        return type("Report", (), {"new_exam_versions": 0, "new_item_versions": 0})()

    monkeypatch.setattr(cli, "_prepare", prepared)
    monkeypatch.setattr("uvicorn.run", lambda app, **kw: seen.update(kw))
    monkeypatch.setattr("app.main.create_app", lambda *a, **kw: FastAPI())
    cli.serve(host="127.0.0.1", port=0)
    assert seen["proxy_headers"] is False


async def _lookups_until_refused(client: httpx.AsyncClient, forwarded: bool) -> int:
    for n in range(1, 50):
        headers = {"X-Forwarded-For": f"203.0.113.{n}"} if forwarded else {}
        r = await client.get("/api/v1/verify/NOPE-NOPE", headers=headers)
        if r.status_code == 429:
            return n
    return 0


@pytest.mark.parametrize("trusted", ["", "127.0.0.1"])
async def test_verification_limits_follow_the_client_address(
    settings: Settings,
    clock: ManualClock,
    engine: Any,
    sessionmaker: Any,
    tmp_path: Path,
    trusted: str,
) -> None:
    """The probe of issue 17: a local caller changing X-Forwarded-For at will. Untrusted,
    it is one client and is refused after its budget; trusted (a proxy), each forwarded
    address has its own budget."""
    settings = settings.model_copy(update={"verify_per_minute": 5, "trusted_proxies": trusted})
    app = create_app(settings, clock, engine=engine, run_sweeper=False)
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://assay.test") as client:
        refused_at = await _lookups_until_refused(client, forwarded=True)
    assert refused_at == (6 if not trusted else 0)
