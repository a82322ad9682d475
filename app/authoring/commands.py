"""`assay items ...`: item analysis at the terminal."""

from __future__ import annotations

import asyncio
import sys
from enum import StrEnum
from typing import Annotated, Any

import typer

from app.config import get_settings

items_app = typer.Typer(no_args_is_help=True, help="Item analysis for exam authors.")


class Format(StrEnum):
    table = "table"
    csv = "csv"
    json = "json"


@items_app.command("stats")
def items_stats(
    exam: Annotated[str | None, typer.Option(help="Only this exam's code.")] = None,
    format: Annotated[Format, typer.Option(help="table, csv or json.")] = Format.table,
    min_n: Annotated[int, typer.Option(help="No flag below this many responses.")] = 50,
) -> None:
    """Facility, corrected point-biserial, upper-lower discrimination, omit rate, time
    to answer, exposure, distractors and flags (leak and drift tests included) of every
    item version, from scored attempts. Records the outcomes of attempts scored before
    recording at scoring existed first."""
    from app.authoring import formats, service
    from app.authoring.repository import AuthoringRepository
    from app.authoring.statistics import FlagRules
    from app.core.db import create_engine, create_sessionmaker, session_scope
    from app.core.migrate import upgrade_to_head

    settings = get_settings()

    async def run() -> list[dict[str, Any]]:
        engine = create_engine(settings.database_url)
        try:
            await upgrade_to_head(engine)
            sessions = create_sessionmaker(engine)
            async with session_scope(sessions) as session:
                pending = await AuthoringRepository(session).pending_count()
                with typer.progressbar(
                    length=pending, label="recording scored attempts", file=sys.stderr
                ) as bar:
                    await service.record_outcomes(session, progress=bar.update)
            async with session_scope(sessions) as session:
                reports = await service.item_report(
                    session, exam_code=exam, rules=FlagRules(min_n=min_n)
                )
                drifts = await service.drift(session, [r.item_version_id for r in reports])
                return [r.as_dict(drifts[r.item_version_id].flags) for r in reports]
        finally:
            await engine.dispose()

    rows = asyncio.run(run())
    render = {Format.json: formats.as_json, Format.csv: formats.as_csv}.get(
        format, formats.as_table
    )
    typer.echo(render(rows))
