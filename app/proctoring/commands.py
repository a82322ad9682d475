"""`assay audit ...`."""

from __future__ import annotations

import asyncio

import typer

from app.config import get_settings

audit_app = typer.Typer(no_args_is_help=True, help="The audit trail of review decisions.")


@audit_app.command("verify")
def audit_verify() -> None:
    """Recompute the audit chain from its first entry; name the first entry that does not
    hold and exit 1 if any. Prints the head hash: keep it elsewhere to detect entries cut
    from the end."""
    from app.core.db import create_engine, create_sessionmaker
    from app.proctoring.audit import ChainReport, verify

    settings = get_settings()

    async def run() -> ChainReport:
        engine = create_engine(settings.database_url)
        try:
            async with create_sessionmaker(engine)() as session:
                return await verify(session)
        finally:
            await engine.dispose()

    report = asyncio.run(run())
    if not report.intact:
        typer.echo(f"audit chain broken: {report.problem}", err=True)
        typer.echo(f"{report.entries - 1} entries hold before it.", err=True)
        raise typer.Exit(code=1)
    typer.echo(f"audit chain intact: {report.entries} entries, head {report.head}")
