"""``assay scenarios ...``: grade a folder exactly as an exam would, or run its pipeline,
from a terminal."""

from __future__ import annotations

import asyncio
import os
import time
from pathlib import Path
from typing import Annotated, Any

import typer

from app.grading.exceptions import (
    GradingUnavailable,
    SandboxStartError,
    ScenarioInvalid,
    ScenarioNotFound,
    SubmissionRejected,
)
from app.grading.grader import GradingRecord, grade_submission
from app.grading.pipeline import command_line, run_pipeline
from app.grading.scenarios import load_scenarios
from app.grading.validation import validate_folders
from app.grading.variants import parse_cli

scenarios_app = typer.Typer(
    help="Scenarios: grade a submission folder, run a pipeline, validate content."
)

EXIT_CANNOT_GRADE = 2
EXIT_UNAVAILABLE = 3


def _scenarios_root(option: Path | None) -> Path:
    return option or Path(os.environ.get("ASSAY_SCENARIOS", "./scenarios"))


def _read_submission(folder: Path, editable: list[str]) -> dict[str, str]:
    """The editable files present in ``folder``; anything else there is ignored, as the
    exam only ever stores editable files."""
    files: dict[str, str] = {}
    for rel in editable:
        path = folder / rel
        if path.is_symlink():
            raise SubmissionRejected(f"{rel} is a symlink")
        if path.is_file():
            files[rel] = path.read_text(encoding="utf-8")
    return files


def _print_record(record: GradingRecord) -> None:
    typer.echo(f"{record.scenario_id} v{record.scenario_version}  seed {record.seed}")
    if record.params:
        shown = ", ".join(f"{k}={v}" for k, v in record.params.items())
        typer.echo(f"variant: {shown}")
    typer.echo(f"sandbox: {record.sandbox_layer}  grader {record.grader_version}")
    for check in record.checks:
        mark = "PASS" if check.passed else "FAIL"
        scope = "public" if check.public else "hidden"
        typer.echo(
            f"  {mark} {check.name} ({check.earned:g}/{check.points}, {scope}): {check.message}"
        )
    typer.echo(f"score: {record.earned:g}/{record.possible} = {record.score:.1%}")


@scenarios_app.command("grade")
def grade(
    scenario_id: Annotated[str, typer.Argument(help="The scenario's id.")],
    folder: Annotated[Path, typer.Argument(help="Folder holding the edited files.")],
    as_json: Annotated[
        bool, typer.Option("--json", help="Print the grading record as JSON.")
    ] = False,
    scenarios: Annotated[
        Path | None,
        typer.Option(
            "--scenarios", help="Scenarios folder (default $ASSAY_SCENARIOS or ./scenarios)."
        ),
    ] = None,
    seed: Annotated[
        int | None,
        typer.Option(help="Ignored: the inputs' seed comes from the scenario and variant."),
    ] = None,
    params: Annotated[
        str | None,
        typer.Option("--params", help="The variant's parameters: name=value,... or a JSON object."),
    ] = None,
    variant_seed: Annotated[
        int | None,
        typer.Option("--variant-seed", help="Grade variant N (as an attempt seeded N draws)."),
    ] = None,
    public_only: Annotated[
        bool, typer.Option("--public-only", help="Only the public checks.")
    ] = False,
) -> None:
    """Grade FOLDER as a submission to SCENARIO_ID; exit 0 whatever the score."""
    try:
        catalog = load_scenarios(_scenarios_root(scenarios))
        scenario = catalog.get(scenario_id)
        if scenario is None:
            raise ScenarioNotFound(f"no scenario {scenario_id!r}")
        if not folder.is_dir():
            raise SubmissionRejected(f"{folder} is not a folder")
        if params is not None and variant_seed is not None:
            raise SubmissionRejected("give --params or --variant-seed, not both")
        chosen: dict[str, Any] | None = None
        if params is not None:
            try:
                chosen = parse_cli(params)
            except ValueError as exc:
                raise SubmissionRejected(f"--params: {exc}") from exc
        elif variant_seed is not None:
            chosen = dict(scenario.draw_params(variant_seed))
        files = _read_submission(folder, scenario.editable)
        record = asyncio.run(
            grade_submission(scenario, files, params=chosen, public_only=public_only)
        )
    except GradingUnavailable as exc:
        typer.echo(f"error: {exc.message}", err=True)
        raise typer.Exit(EXIT_UNAVAILABLE) from exc
    except (ScenarioNotFound, ScenarioInvalid, SubmissionRejected, OSError, ValueError) as exc:
        typer.echo(f"error: {getattr(exc, 'message', exc)}", err=True)
        raise typer.Exit(EXIT_CANNOT_GRADE) from exc
    if as_json:
        typer.echo(record.to_json())
    else:
        _print_record(record)


@scenarios_app.command("validate")
def validate(
    scenarios: Annotated[
        Path | None, typer.Argument(help="Scenarios folder, or one scenario's folder.")
    ] = None,
    verbose: Annotated[
        bool, typer.Option("--verbose", "-v", help="List every mutant with its outcome.")
    ] = False,
) -> None:
    """Validate scenarios: format, workspace fails, solution passes, cheap fixes fail,
    and every mutant of the reference fails the hidden checks (scores printed)."""
    root = _scenarios_root(scenarios)
    paths = (
        [root]
        if (root / "scenario.yaml").is_file()
        else sorted(p for p in root.iterdir() if (p / "scenario.yaml").is_file())
    )
    problems: list[str] = []
    started = time.perf_counter()
    for _path, report in validate_folders(paths):
        typer.echo(report.line())
        if verbose and report.mutation is not None:
            for result in report.mutation.results:
                typer.echo(
                    f"    {result.status:<10} {result.mutant.id}: {result.mutant.description}"
                )
        problems += report.problems
    typer.echo(f"{len(paths)} scenario(s) in {time.perf_counter() - started:.1f} s")
    for problem in problems:
        typer.echo(f"  {problem}", err=True)
    if problems:
        raise typer.Exit(1)


@scenarios_app.command("run")
def run(
    scenario_id: Annotated[str, typer.Argument(help="The scenario's id.")],
    folder: Annotated[
        Path | None,
        typer.Argument(help="Folder holding edited files (default: the workspace as given)."),
    ] = None,
    scenarios: Annotated[
        Path | None,
        typer.Option(
            "--scenarios", help="Scenarios folder (default $ASSAY_SCENARIOS or ./scenarios)."
        ),
    ] = None,
    variant_seed: Annotated[
        int,
        typer.Option(
            "--variant-seed", help="Run variant N (as an attempt seeded N draws); default 0."
        ),
    ] = 0,
) -> None:
    """Run SCENARIO_ID's pipeline (its entry command) in the sandbox, as "Run pipeline"
    does on the exam page, and print its output; exit with the pipeline's status. A
    scenario with parameters runs one variant's rendered workspace."""
    try:
        scenario = load_scenarios(_scenarios_root(scenarios)).get(scenario_id)
        if scenario is None:
            raise ScenarioNotFound(f"no scenario {scenario_id!r}")
        if scenario.parameters:
            scenario = scenario.variant(scenario.draw_params(variant_seed))
            shown = ", ".join(f"{k}={v}" for k, v in scenario.params.items())
            typer.echo(f"variant: {shown}")
        if scenario.entry is None:
            raise ScenarioInvalid(f"{scenario_id} has no pipeline to run (no entry, no run.py)")
        files = _read_submission(folder, scenario.editable) if folder is not None else {}
        output = asyncio.run(run_pipeline(scenario, files))
    except SandboxStartError as exc:
        typer.echo(f"error: {exc.message}", err=True)
        raise typer.Exit(EXIT_UNAVAILABLE) from exc
    except (ScenarioNotFound, ScenarioInvalid, SubmissionRejected, OSError) as exc:
        typer.echo(f"error: {getattr(exc, 'message', exc)}", err=True)
        raise typer.Exit(EXIT_CANNOT_GRADE) from exc
    typer.echo(f"$ {command_line(scenario.entry)}   ({output.layer}, {output.duration_ms} ms)")
    typer.echo(output.stdout, nl=False)
    typer.echo(output.stderr, nl=False, err=True)
    if output.truncated:
        typer.echo("(output cut at 64 KiB)", err=True)
    if output.timed_out:
        typer.echo(f"stopped at the {scenario.run_seconds:g} s time limit", err=True)
        raise typer.Exit(124)
    code = output.exit_code or 0
    raise typer.Exit(code if code >= 0 else 128 - code)
