"""The `assay` command."""

from __future__ import annotations

import asyncio
import contextlib
import sys
from collections import Counter
from pathlib import Path
from typing import Annotated

import typer

from app.authoring.commands import items_app
from app.certificates.commands import certs_app, employers_app, keys_app
from app.config import get_settings
from app.exams.validation import ValidationReport
from app.grading.commands import scenarios_app
from app.proctoring.commands import audit_app

cli = typer.Typer(no_args_is_help=True, add_completion=False, help="Assay exam service.")
content_cli = typer.Typer(no_args_is_help=True, help="The question bank and scenarios.")
users_cli = typer.Typer(no_args_is_help=True, help="Accounts.")
gradings_cli = typer.Typer(no_args_is_help=True, help="Final gradings.")
cli.add_typer(content_cli, name="content")
cli.add_typer(users_cli, name="users")
cli.add_typer(gradings_cli, name="gradings")
cli.add_typer(scenarios_app, name="scenarios")
cli.add_typer(keys_app, name="keys")
cli.add_typer(employers_app, name="employers")
cli.add_typer(certs_app, name="certs")
cli.add_typer(audit_app, name="audit")
cli.add_typer(items_app, name="items")


# The asyncio loop, not uvloop: uvloop's subprocess_exec refuses the process_group and
# user arguments the grading sandbox starts candidate code with. The benchmarks serve
# their bare endpoints on the same loop, so that ratios compare like with like.
SERVE_LOOP = "asyncio"


@cli.command()
def serve(
    host: Annotated[str, typer.Option(help="Interface to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8000,
    workers: Annotated[
        int,
        typer.Option(
            help="Serving processes on this port (PostgreSQL only): each is a replica, "
            "as behind a proxy; one per core.",
            min=1,
        ),
    ] = 1,
) -> None:
    """Migrate the database to head, publish the question bank, serve API and pages."""
    import uvicorn

    from app.main import create_app

    settings = get_settings()
    if workers > 1 and not settings.database_url.startswith("postgresql"):
        # SQLite is one writer, and its in-process job runner would run the periodic
        # work once per process.
        typer.echo("--workers needs PostgreSQL (ASSAY_DATABASE_URL).", err=True)
        raise typer.Exit(code=2)
    report = asyncio.run(_prepare(settings.database_url, settings.question_bank))
    typer.echo(
        f"database at head; bank published ({report.new_exam_versions} new exam versions, "
        f"{report.new_item_versions} new item versions)",
        err=True,
    )
    shown_host = f"[{host}]" if ":" in host else host
    typer.echo(
        f"Assay is serving at http://{shown_host}:{port}/ (API docs at /docs)\n"
        f"database: {describe_database(settings.database_url)}",
        err=True,
    )
    uvicorn.run(
        # Several workers: each process builds its own app (uvicorn imports the factory).
        "app.main:serving_app" if workers > 1 else create_app(settings, freeze_heap=True),
        factory=workers > 1,
        workers=workers,
        host=host,
        port=port,
        log_level="warning",
        access_log=False,
        loop=SERVE_LOOP,
        # The client address is ours to judge (app/core/clientaddr.py, ASSAY_TRUSTED_PROXIES);
        # uvicorn's own handling believes X-Forwarded-For from any local caller.
        proxy_headers=False,
    )


def describe_database(url: str) -> str:
    """Where the data is, for people: the file of an SQLite database, else the URL
    without its password."""
    from sqlalchemy.engine import make_url

    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite" and parsed.database:
        return f"SQLite file {Path(parsed.database).resolve()}"
    return parsed.render_as_string(hide_password=True)


async def _prepare(database_url: str, bank_root: Path):  # type: ignore[no-untyped-def]
    from app.core.clock import SystemClock
    from app.core.db import create_engine, create_sessionmaker, session_scope
    from app.core.migrate import upgrade_to_head
    from app.exams import service as exams_service
    from app.exams.content import load_bank

    bank = load_bank(bank_root)
    if bank.problems:
        for problem in bank.problems:
            typer.echo(str(problem), err=True)
        raise typer.Exit(code=2)
    engine = create_engine(database_url)
    try:
        await upgrade_to_head(engine)
        async with session_scope(create_sessionmaker(engine)) as session:
            return await exams_service.publish_bank(session, SystemClock(), bank)
    finally:
        await engine.dispose()


@cli.command()
def worker(
    queues: Annotated[
        str,
        typer.Option(
            help="Comma-separated queues to serve (interactive, grading, maintenance); "
            "all by default, the most urgent first."
        ),
    ] = "",
    concurrency: Annotated[
        int | None,
        typer.Option(help="Jobs run at once (default: ASSAY_GRADING_CONCURRENCY).", min=1),
    ] = None,
    metrics_port: Annotated[
        int,
        typer.Option(help="Serve this worker's /metrics (job durations, outcomes) here; 0: off."),
    ] = 0,
    metrics_host: Annotated[str, typer.Option(help="Interface for --metrics-port.")] = "127.0.0.1",
) -> None:
    """Run jobs without serving HTTP. On PostgreSQL: grading, pipeline runs and the
    periodic work (deadline sweep, recovery of stalled gradings, exposure fold, expiry
    reminders), run once per period however many workers run. On SQLite: the periodic
    work only (jobs run in the serving process)."""
    from app.core.jobs import Urgency
    from app.main import create_app

    chosen = [q.strip() for q in queues.split(",") if q.strip()]
    unknown = set(chosen) - {u.value for u in Urgency}
    if unknown:
        raise typer.BadParameter(f"unknown queues: {', '.join(sorted(unknown))}")
    settings = get_settings()
    app = create_app(settings, run_sweeper=False, freeze_heap=True)
    if metrics_port:
        from prometheus_client import start_http_server

        from app.core.observability import REGISTRY

        start_http_server(metrics_port, addr=metrics_host, registry=REGISTRY)

    async def run() -> None:
        async with app.router.lifespan_context(app):
            await app.state.jobs.work(
                queues=chosen or None, concurrency=concurrency or settings.grading_concurrency
            )

    asyncio.run(run())


@gradings_cli.command("retry-stuck")
def gradings_retry_stuck() -> None:
    """Queue every stuck final grading again with a fresh set of tries (after the graders
    are fixed). On PostgreSQL the workers grade them; on SQLite this command does."""
    from app.attempts.items import GRADE_RUN
    from app.core.db import session_scope
    from app.core.jobs import PendingJobs
    from app.grading import service as grading_service
    from app.main import create_app

    app = create_app(get_settings(), run_sweeper=False)

    async def run() -> int:
        async with app.router.lifespan_context(app):
            async with session_scope(app.state.sessionmaker) as session:
                reopened = await grading_service.reopen_stuck_final_runs(session)
            jobs = PendingJobs()
            for run_id in reopened:
                jobs.add(GRADE_RUN, {"run_id": str(run_id)})
            await jobs.send(app.state.jobs)
            await app.state.jobs.drain()
        return len(reopened)

    typer.echo(f"{asyncio.run(run())} stuck gradings queued again")


def content_report(
    bank_root: Path, scenario_root: Path, *, run_scenarios: bool = True
) -> tuple[ValidationReport, list[str]]:
    """The whole content check: every scenario run (the workspace must fail, the
    solution pass, each cheap fix and each mutant of the reference fail), then the bank,
    with scenario sections checked against the scenarios there are. Returns the report
    and every problem found. ``run_scenarios=False`` only loads the scenarios."""
    from app.exams.difficulty import ScenarioEstimate
    from app.exams.validation import validate_bank
    from app.grading.exceptions import ScenarioInvalid
    from app.grading.scenarios import Scenario, load_scenarios, scenario_dirs
    from app.grading.validation import validate_folders

    problems: list[str] = []
    lines: list[str] = []
    loaded: dict[str, Scenario] = {}
    if not scenario_root.is_dir():
        problems.append(f"{scenario_root}: scenarios folder not found")
    else:
        folders = scenario_dirs(scenario_root) if run_scenarios else []
        for folder, found in validate_folders(folders):
            problems += [f"{folder}: {problem}" for problem in found.problems]
            lines.append(found.line())
        # A broken scenario is listed above with its problems; the pool is then empty.
        with contextlib.suppress(ScenarioInvalid):
            loaded = load_scenarios(scenario_root)
    pool = Counter((s.domain, s.level) for s in loaded.values())
    # Without the scenarios, scenario sections count at the pass mark.
    estimates = [ScenarioEstimate(s.id, s.domain, s.level, s.difficulty) for s in loaded.values()]
    report = validate_bank(
        bank_root,
        scenario_pool=dict(pool),
        scenarios=estimates or None,
        balance_tolerance=get_settings().form_balance_tolerance,
    )
    report.scenario_ids = sorted(loaded)
    report.scenario_lines = lines
    return report, [str(p) for p in report.problems] + problems


@content_cli.command("validate")
def content_validate(
    path: Annotated[Path | None, typer.Argument(help="Question bank folder.")] = None,
    scenarios: Annotated[
        Path | None, typer.Option(help="Scenarios folder (default: ASSAY_SCENARIOS).")
    ] = None,
) -> None:
    """Check every item, blueprint and scenario; list every problem by file and line.

    Scenarios are run: the workspace as given must fail, the reference solution must pass
    every check, and each cheap fix the author lists must fail."""
    from app.exams.validation import summary_table

    settings = get_settings()
    report, problems = content_report(
        path or settings.question_bank, scenarios or settings.scenarios
    )
    for problem in problems:
        typer.echo(problem)
    typer.echo(summary_table(report))
    for line in report.scenario_lines:
        typer.echo(line)
    typer.echo(f"Scenarios: {len(report.scenario_ids)} ({', '.join(report.scenario_ids)})")
    if problems:
        typer.echo(f"{len(problems)} problem(s) found.", err=True)
        raise typer.Exit(code=1)
    typer.echo("The question bank and the scenarios are valid.", err=True)


@content_cli.command("cues")
def content_cues(
    path: Annotated[
        Path | None,
        typer.Argument(help="An items file or folder (default: the whole bank)."),
    ] = None,
    bank: Annotated[
        Path | None, typer.Option(help="Question bank folder (default: ASSAY_QUESTION_BANK).")
    ] = None,
) -> None:
    """Print the wording-cue table for the bank, its exam pools and the items under PATH,
    then, for each item under PATH, the strategies that find its key. Exits 1 when a
    strategy beats blind guessing by more than the validator allows on any column."""
    from app.exams.cue_command import cue_listing

    text, failed = cue_listing(bank or get_settings().question_bank, path)
    typer.echo(text)
    if failed:
        raise typer.Exit(code=1)


@content_cli.command("forms")
def content_forms(
    bank: Annotated[
        Path | None, typer.Option(help="Question bank folder (default: ASSAY_QUESTION_BANK).")
    ] = None,
    scenarios: Annotated[
        Path | None, typer.Option(help="Scenarios folder (default: ASSAY_SCENARIOS).")
    ] = None,
) -> None:
    """Print each exam's expected score for a minimally qualified candidate per sampled
    form, the form balance table (as `content validate` prints it) and every items
    file's difficulty estimates. Exits 1 when a form is off its pass mark."""
    from app.exams.forms_command import forms_listing

    settings = get_settings()
    text, failed = forms_listing(
        bank or settings.question_bank,
        scenarios or settings.scenarios,
        balance_tolerance=settings.form_balance_tolerance,
    )
    typer.echo(text)
    if failed:
        raise typer.Exit(code=1)


@users_cli.command("create")
def users_create(
    email: Annotated[str, typer.Option()],
    password: Annotated[str, typer.Option()],
    role: Annotated[str, typer.Option(help="candidate, proctor, author or admin")] = "candidate",
    name: Annotated[
        str | None, typer.Option(help="Full name (defaults to the email's name).")
    ] = None,
) -> None:
    """Create an account, for example the first admin or a proctor."""
    from app.core.clock import SystemClock
    from app.core.db import create_engine, create_sessionmaker, session_scope
    from app.core.errors import AssayError
    from app.core.migrate import upgrade_to_head
    from app.core.security import configure_passwords
    from app.identity import service as identity_service
    from app.identity.models import Role

    if role not in Role.__members__:
        typer.echo(f"unknown role {role!r}; choose from {', '.join(Role.__members__)}", err=True)
        raise typer.Exit(code=2)
    if len(password) < 10:
        typer.echo("password must be at least 10 characters", err=True)
        raise typer.Exit(code=2)
    settings = get_settings()
    configure_passwords(**settings.password_cost())

    async def run() -> tuple[str, str]:
        engine = create_engine(settings.database_url)
        try:
            await upgrade_to_head(engine)
            async with session_scope(create_sessionmaker(engine)) as session:
                user = await identity_service.create_user(
                    session,
                    SystemClock(),
                    email=email,
                    password=password,
                    full_name=name or email.split("@")[0],
                    role=Role(role),
                )
                return str(user.id), user.full_name
        finally:
            await engine.dispose()

    try:
        user_id, full_name = asyncio.run(run())
    except AssayError as exc:
        typer.echo(exc.message, err=True)
        raise typer.Exit(code=1) from exc
    # The id alone on stdout, for scripts; the sentence for the person at the terminal.
    typer.echo(
        f"created the {role} account {email} ({full_name}) in "
        f"{describe_database(settings.database_url)}; it can sign in now",
        err=True,
    )
    typer.echo(user_id)


def main() -> None:
    sys.exit(cli())


if __name__ == "__main__":
    main()
