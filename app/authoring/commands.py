"""`assay items ...`: item analysis at the terminal."""

from __future__ import annotations

import asyncio
import json
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from enum import StrEnum
from typing import Annotated, Any, TextIO

import typer

from app.config import get_settings
from app.core.errors import error_body
from app.exams.exceptions import ExamNotFound

items_app = typer.Typer(no_args_is_help=True, help="Item analysis for exam authors.")

# Bad input (an unknown exam), as click exits on a bad option.
EXIT_BAD_INPUT = 2


class Format(StrEnum):
    table = "table"
    csv = "csv"
    json = "json"


def _terminal(stream: TextIO) -> bool:
    return stream.isatty()


@contextmanager
def _progress(length: int, label: str) -> Iterator[Callable[[int], None]]:
    """A progress bar on stderr while a terminal watches it, else nothing at all: stdout
    carries only the report (csv and json go to files and pipes), and a log does not
    fill up with bars. click's bar, which typer (the CLI's framework) is built on."""
    if length == 0 or not _terminal(sys.stderr):
        yield lambda _: None
        return
    with typer.progressbar(length=length, label=label, file=sys.stderr) as bar:
        yield bar.update


def _status(message: str) -> None:
    if _terminal(sys.stderr):
        typer.echo(message, err=True)


@items_app.command("stats")
def items_stats(
    exam: Annotated[str | None, typer.Option(help="Only this exam's code.")] = None,
    format: Annotated[Format, typer.Option(help="table, csv or json.")] = Format.table,
    min_n: Annotated[
        int, typer.Option(min=1, help="No statistic and no flag below this many responses.")
    ] = 50,
) -> None:
    """Facility, corrected point-biserial, upper-lower discrimination, omit rate, time
    to answer, exposure, distractors and flags (leak and drift tests included) of every
    item version, from scored attempts; statistics below --min-n responses are null (json)
    or empty (csv). Records the outcomes of attempts scored before recording at scoring
    existed first (a progress bar on stderr when it is a terminal). An unknown exam exits
    2 with the error on stderr (the API's error body with --format json)."""
    from app.authoring import formats, service
    from app.authoring.repository import AuthoringRepository
    from app.authoring.statistics import FlagRules
    from app.core.db import create_engine, create_sessionmaker, session_scope
    from app.core.migrate import upgrade_to_head
    from app.exams import service as exams_service

    settings = get_settings()

    async def run() -> list[dict[str, Any]]:
        engine = create_engine(settings.database_url)
        try:
            await upgrade_to_head(engine)
            sessions = create_sessionmaker(engine)
            if exam is not None:
                async with session_scope(sessions) as session:
                    await exams_service.require_published(session, exam)
            async with session_scope(sessions) as session:
                pending = await AuthoringRepository(session).pending_count()
                with _progress(pending, "recording scored attempts") as advance:
                    await service.record_outcomes(session, progress=advance)
            _status("computing the statistics")
            async with session_scope(sessions) as session:
                reports = await service.item_report(
                    session, exam_code=exam, rules=FlagRules(min_n=min_n)
                )
                drifts = await service.drift(session, [r.item_version_id for r in reports])
                return [r.as_dict(drifts[r.item_version_id].flags, min_n=min_n) for r in reports]
        finally:
            await engine.dispose()

    try:
        rows = asyncio.run(run())
    except ExamNotFound as exc:
        if format is Format.json:
            typer.echo(json.dumps(error_body(exc.code, exc.message)), err=True)
        else:
            typer.echo(f"error: {exc.message}", err=True)
        raise typer.Exit(EXIT_BAD_INPUT) from exc
    render = {Format.json: formats.as_json, Format.csv: formats.as_csv}.get(
        format, formats.as_table
    )
    # CSV ends its last record with its own line break; the others need one.
    typer.echo(render(rows), nl=format is not Format.csv)
