"""What the certificate routes hold for the app's life: keys, issuer, lookup cache and
rate limits, set up by ``install`` (at app creation) and ``attach_engine``."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Annotated

import structlog
from fastapi import Depends, FastAPI, Request
from sqlalchemy.ext.asyncio import AsyncEngine

from app.certificates.credential import Issuer
from app.certificates.exceptions import CertificateNotFound
from app.certificates.keys import issuer_of, load_credential_keys
from app.certificates.lookup import CertificateLookup, CertificateRecord
from app.certificates.outbox import Mailer, mailer_for
from app.certificates.service import Verification, verify_public
from app.config import Settings
from app.core.clientaddr import client_address
from app.core.clock import Clock
from app.core.db import driver_pool
from app.core.errors import RateLimited
from app.core.ratelimit import LimitStore, TokenBuckets
from app.core.security import CredentialKeys

log = structlog.get_logger("assay.certificates")


@dataclass
class CertificatesState:
    settings: Settings
    clock: Clock
    issuer: Issuer
    lookups: TokenBuckets
    misses: TokenBuckets
    employer_ids: TokenBuckets
    mailer: Mailer
    linkedin_organization_id: str
    batch_max: int
    lookup: CertificateLookup | None = field(default=None)
    # The public lookup's JSON by (ID, record kind, status), with the cached record it
    # was made from: rendered once, not per request (see the router's verify).
    rendered: dict[tuple[str, bool, str], tuple[CertificateRecord, bytes]] = field(
        default_factory=dict
    )
    _keys: CredentialKeys | None = field(default=None)

    @property
    def keys(self) -> CredentialKeys:
        # Loaded on first use, and at server start by the lifespan (``load_keys``): an app
        # built for a test that never signs needs no key file.
        if self._keys is None:
            self._keys = load_credential_keys(self.settings, self.clock)
        return self._keys


def install(app: FastAPI, settings: Settings, clock: Clock) -> None:
    limits: LimitStore = app.state.limits
    app.state.certificates = CertificatesState(
        settings=settings,
        clock=clock,
        issuer=issuer_of(settings),
        lookups=TokenBuckets(limits, "verify", capacity=settings.verify_per_minute, per_seconds=60),
        misses=TokenBuckets(
            limits, "verify_misses", capacity=settings.verify_misses_per_hour, per_seconds=3600
        ),
        employer_ids=TokenBuckets(
            limits, "employer_ids", capacity=settings.employer_ids_per_hour, per_seconds=3600
        ),
        mailer=mailer_for(settings),
        linkedin_organization_id=settings.linkedin_organization_id,
        batch_max=settings.employer_batch_max,
    )


def attach_engine(app: FastAPI, engine: AsyncEngine) -> None:
    settings: Settings = app.state.settings
    certificates_state(app).lookup = CertificateLookup(
        engine.execution_options(isolation_level="AUTOCOMMIT"),
        app.state.clock,
        ttl=settings.verify_cache_seconds,
        pushed_ttl=settings.verify_cache_pushed_seconds,
        driver=driver_pool(engine),
    )


@asynccontextmanager
async def change_feed(app: FastAPI) -> AsyncIterator[None]:
    """For the server's life: the verification cache hears of every change to a
    certificate (PostgreSQL). Start-up waits briefly for it; until it listens, the cache
    keeps entries only ASSAY_VERIFY_CACHE_SECONDS."""
    lookup = certificates_state(app).lookup
    feed = lookup.feed if lookup is not None else None
    if feed is None:
        yield
        return
    feed.start()
    try:
        await asyncio.wait_for(feed.wait_listening(), 10)
    except TimeoutError:
        log.error("verification cache: change feed not listening yet; short cache until it is")
    try:
        yield
    finally:
        await feed.stop()


def certificates_state(app: FastAPI) -> CertificatesState:
    value: CertificatesState = app.state.certificates
    return value


async def get_certificates_state(request: Request) -> CertificatesState:
    return certificates_state(request.app)


def lookup_of(state: CertificatesState) -> CertificateLookup:
    if state.lookup is None:
        raise RuntimeError("no database attached")
    return state.lookup


def client_key(request: Request) -> str:
    """Rate limits are per client address (behind trusted proxies, the forwarded one)."""
    return client_address(request)


async def verify_for_client(
    state: CertificatesState, clock: Clock, client: str, raw_id: str, last_name: str | None
) -> Verification:
    """A public lookup by one client (the API and the verify page alike), within its rate
    limits. A client that spent its budget of misses is refused every lookup: it cannot
    know in advance which ID will miss, and neither can we."""
    await state.lookups.take(client)
    # A miss is paid for before the lookup, in one atomic take (checked first and
    # charged after, concurrent lookups all passed the check: the budget was overrun
    # in one process and across several), and given back when it was no miss.
    try:
        await state.misses.take(client)
    except RateLimited as refused:
        wait = refused.details["retry_after"]
        raise RateLimited(
            f"Too many lookups of unknown certificates; try again in {wait} seconds.",
            retry_after=wait,
        ) from None
    missed = False
    try:
        return await verify_public(lookup_of(state), clock, raw_id[:64], last_name)
    except CertificateNotFound:
        missed = True
        raise
    finally:
        if not missed:
            await state.misses.give_back(client)


CertificatesStateDep = Annotated[CertificatesState, Depends(get_certificates_state)]


def load_keys(app: FastAPI) -> None:
    """At server start: a production server without its keys stops here, not at the
    first credential download."""
    _ = certificates_state(app).keys
