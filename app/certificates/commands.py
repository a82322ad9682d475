"""`assay keys ...`, `assay employers ...` and `assay certs ...`."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Annotated, TypeVar

import typer

from app.config import get_settings

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession

    from app.certificates.models import Certificate
    from app.core.clock import Clock

T = TypeVar("T")

keys_app = typer.Typer(no_args_is_help=True, help="Credential signing keys.")
employers_app = typer.Typer(no_args_is_help=True, help="Employers' bulk verification keys.")
certs_app = typer.Typer(no_args_is_help=True, help="Certificates.")


@keys_app.command("rotate")
def keys_rotate(
    algorithm: Annotated[
        str | None,
        typer.Option(help="ES256 or RS256; default ASSAY_CREDENTIAL_ALGORITHM."),
    ] = None,
) -> None:
    """Add a new signing key and make it the one that signs; old keys stay published
    (each with its own algorithm) so earlier credentials keep verifying. Restart the
    servers afterwards.

    With ASSAY_SIGNING_KEYS set, the new key set is printed for you to store there;
    otherwise ASSAY_SIGNING_KEYS_FILE is updated (and created if missing)."""
    from app.certificates.keys import rotate_file, rotated
    from app.core.clock import SystemClock
    from app.core.security import CREDENTIAL_ALGORITHMS

    settings = get_settings()
    alg = (algorithm or settings.credential_algorithm).upper()
    if alg not in CREDENTIAL_ALGORITHMS:
        raise typer.BadParameter(f"{alg} is not one of {', '.join(CREDENTIAL_ALGORITHMS)}")
    chosen = alg
    if settings.signing_keys:
        kid, document = rotated(settings.signing_keys, SystemClock(), chosen)
        typer.echo(document)
        typer.echo(f"new signing key {kid}: store the JSON above in ASSAY_SIGNING_KEYS", err=True)
        return
    kid = rotate_file(settings.signing_keys_file, SystemClock(), chosen)
    typer.echo(kid)
    typer.echo(f"new signing key {kid} in {settings.signing_keys_file}", err=True)


@keys_app.command("jwks")
def keys_jwks() -> None:
    """Print the public keys as served at /.well-known/jwks.json."""
    from app.certificates.keys import load_credential_keys
    from app.core.clock import SystemClock

    keys = load_credential_keys(get_settings(), SystemClock())
    typer.echo(json.dumps(keys.jwks(), indent=2))


def _in_session(work: Callable[[AsyncSession, Clock], Awaitable[T]]) -> T:
    """Runs ``work(session, clock)`` in one committed transaction at head."""
    from app.core.clock import SystemClock
    from app.core.db import create_engine, create_sessionmaker, session_scope
    from app.core.migrate import upgrade_to_head

    settings = get_settings()

    async def run() -> T:
        engine = create_engine(settings.database_url)
        try:
            await upgrade_to_head(engine)
            async with session_scope(create_sessionmaker(engine)) as session:
                return await work(session, SystemClock())
        finally:
            await engine.dispose()

    return asyncio.run(run())


@employers_app.command("create")
def employers_create(
    name: Annotated[str, typer.Option(help="The employer's name, for the records.")],
) -> None:
    """Create an API key for POST /api/v1/verify/batch; it is printed once, keep it."""
    from app.certificates import service

    async def work(session: AsyncSession, clock: Clock) -> str:
        _, plain = await service.create_employer_key(session, clock, name)
        return plain

    typer.echo(_in_session(work))
    typer.echo("Send it as 'Authorization: Bearer <key>'; it is not shown again.", err=True)


@certs_app.command("revoke")
def certs_revoke(
    certificate_id: str,
    reason: Annotated[str, typer.Option(help="Why, as verifiers with the name will see it.")],
) -> None:
    """Revoke a certificate; verification and the status list show it at once."""
    from app.certificates import service
    from app.core.errors import AssayError
    from app.proctoring import service as proctoring_service
    from app.proctoring.audit import Actor

    async def work(session: AsyncSession, clock: Clock) -> Certificate:
        certificate = await service.revoke(session, clock, certificate_id, reason)
        await proctoring_service.record_revocation(
            session,
            clock,
            Actor(None, "command line (assay certs revoke)"),
            certificate_id=service.display_id(certificate.public_id),
            reason=reason,
            attempt_id=certificate.source_attempt_id or certificate.attempt_id,
        )
        return certificate

    try:
        certificate = _in_session(work)
    except AssayError as exc:
        typer.echo(exc.message, err=True)
        raise typer.Exit(code=1) from exc
    typer.echo(f"revoked {service.display_id(certificate.public_id)}")
