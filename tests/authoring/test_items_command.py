"""`assay items stats`: the JSON of API.md, the same columns as CSV, a table."""

from __future__ import annotations

import asyncio
import csv
import io
import json
from collections.abc import Iterator
from typing import Any

import jsonschema
import pytest
from typer.testing import CliRunner

from app.authoring import commands
from app.cli import cli
from app.config import get_settings
from app.core.db import create_engine, create_sessionmaker, session_scope
from app.core.migrate import upgrade_to_head
from app.exams.models import ExamVersion
from tests.authoring.simulation import AT, MISKEYED, RANDOM, Simulation, seed
from tests.conftest import clear_tables

# `assay items stats --format json` as API.md fixes it: a list, one object per item
# version, with at least these fields; a statistic is a number, or null when there are
# too few responses (or it is undefined, as a correlation without variance).
STATISTIC: dict[str, Any] = {"type": ["number", "null"], "minimum": -1, "maximum": 1}
API_SHAPE: dict[str, Any] = {
    "type": "array",
    "items": {
        "type": "object",
        "required": [
            "item_id",
            "version",
            "n",
            "facility",
            "point_biserial",
            "discrimination",
            "flags",
        ],
        "properties": {
            "item_id": {"type": "string", "minLength": 1},
            "version": {"type": "integer", "minimum": 1},
            "n": {"type": "integer", "minimum": 0},
            "facility": {**STATISTIC, "minimum": 0},
            "point_biserial": STATISTIC,
            "discrimination": STATISTIC,
            "flags": {"type": "array", "items": {"type": "string"}},
        },
    },
}
QUIET = "quiet-exam"  # published, never taken


async def _emptied(url: str) -> None:
    engine = create_engine(url)
    try:
        await clear_tables(engine)
    finally:
        await engine.dispose()


@pytest.fixture
def database(database_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[Simulation]:
    """The simulation in the test database (SQLite, or PostgreSQL on that run), emptied
    before and after: the command opens its own engine on it."""
    url = database_url

    async def prepare() -> Simulation:
        engine = create_engine(url)
        try:
            await upgrade_to_head(engine)
            await clear_tables(engine)
            async with session_scope(create_sessionmaker(engine)) as session:
                sim = await seed(session, candidates=150, clean_items=4)
                session.add(
                    ExamVersion(
                        code=QUIET,
                        version=1,
                        content_hash="1" * 64,
                        title="Never taken",
                        level="foundation",
                        track="sim",
                        duration_minutes=60,
                        pass_mark=0.7,
                        validity_months=12,
                        definition={"sections": [{"kind": "mcq", "weight": 1.0}]},
                        created_at=AT,
                    )
                )
                return sim
        finally:
            await engine.dispose()

    sim = asyncio.run(prepare())
    monkeypatch.setenv("ASSAY_DATABASE_URL", url)
    get_settings.cache_clear()
    yield sim
    get_settings.cache_clear()
    asyncio.run(_emptied(url))


def test_json_lists_every_item_version_with_its_statistics_and_flags(
    database: Simulation,
) -> None:
    result = CliRunner().invoke(cli, ["items", "stats", "--format", "json"])
    assert result.exit_code == 0, result.output
    jsonschema.validate(json.loads(result.stdout), API_SHAPE)
    rows = {r["item_id"]: r for r in json.loads(result.stdout)}
    assert set(rows) == set(database.item_ids)
    for row in rows.values():
        assert {"item_id", "version", "n", "facility", "point_biserial", "discrimination"} <= set(
            row
        )
        assert row["version"] == 1
        assert row["n"] == 150
        assert 0 <= row["facility"] <= 1
        assert isinstance(row["flags"], list)
        assert len(row["distractors"]) == 4
        # Times to first answer: the robust median beside the mean (README).
        assert row["median_seconds"] > 0 and row["mean_seconds"] > 0
    assert "likely_miskey" in rows[MISKEYED]["flags"]
    # Random answers: at n = 150 its correlation lands near zero or, by chance, below.
    assert {"non_discriminating", "negative_discrimination"} & set(rows[RANDOM]["flags"])
    # Run again: nothing new to record, the same figures.
    again = CliRunner().invoke(cli, ["items", "stats", "--format", "json"])
    assert json.loads(again.stdout) == json.loads(result.stdout)


def test_csv_has_the_same_columns_and_values(database: Simulation) -> None:
    as_json = json.loads(CliRunner().invoke(cli, ["items", "stats", "--format", "json"]).stdout)
    result = CliRunner().invoke(cli, ["items", "stats", "--format", "csv"])
    assert result.exit_code == 0, result.output
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    assert [r["item_id"] for r in rows] == [r["item_id"] for r in as_json]
    # Every scalar field of the JSON is a column; the lists become flags and share_*.
    scalars = [k for k, v in as_json[0].items() if not isinstance(v, list | dict)]
    assert list(rows[0])[: len(scalars) + 1] == [*scalars, "flags"]
    for row, expected in zip(rows, as_json, strict=True):
        assert int(row["n"]) == expected["n"]
        assert float(row["facility"]) == pytest.approx(expected["facility"], abs=1e-6)
        assert float(row["point_biserial"]) == pytest.approx(expected["point_biserial"], abs=1e-6)
        assert row["flags"] == ";".join(expected["flags"])
        assert float(row["median_seconds"]) == pytest.approx(expected["median_seconds"], abs=1e-6)
        assert float(row["mean_seconds"]) == pytest.approx(expected["mean_seconds"], abs=1e-6)
        assert float(row["exposure"]) == pytest.approx(expected["exposure"], abs=1e-6)
        shares = {d["option"]: d["share"] for d in expected["distractors"]}
        assert float(row["share_w"]) == pytest.approx(shares["w"], abs=1e-6)


def test_table_by_default_and_the_exam_filter(database: Simulation) -> None:
    result = CliRunner().invoke(cli, ["items", "stats"])
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[0].split() == ["item", "v", "n", "p", "r_pb", "D", "omit", "flags"]
    assert set(lines[1]) <= {"-", " "}
    assert len(lines) == 2 + len(database.item_ids)
    assert any(line.startswith(MISKEYED) and "likely_miskey" in line for line in lines)
    same = CliRunner().invoke(cli, ["items", "stats", "--exam", database.exam_code])
    assert same.stdout == result.stdout


def test_below_the_minimum_every_statistic_is_null(database: Simulation) -> None:
    result = CliRunner().invoke(cli, ["items", "stats", "--format", "json", "--min-n", "151"])
    assert result.exit_code == 0, result.output
    rows = json.loads(result.stdout)
    jsonschema.validate(rows, API_SHAPE)
    for row in rows:
        assert row["n"] == 150
        for name in ("facility", "point_biserial", "discrimination", "omit_rate"):
            assert row[name] is None, name
        assert all(d["share"] is None for d in row["distractors"])
        assert row["flags"] == []
    table = CliRunner().invoke(cli, ["items", "stats", "--min-n", "151"]).stdout
    [miskeyed] = [line for line in table.splitlines() if line.startswith(MISKEYED)]
    assert miskeyed.split()[2:] == ["150", "-", "-", "-", "-", "-"]
    csv_rows = list(
        csv.DictReader(
            io.StringIO(
                CliRunner()
                .invoke(cli, ["items", "stats", "--format", "csv", "--min-n", "151"])
                .stdout
            )
        )
    )
    assert {r["facility"] for r in csv_rows} == {""}


@pytest.mark.parametrize("format", ["json", "csv", "table"])
def test_an_exam_without_scored_attempts_has_no_rows(database: Simulation, format: str) -> None:
    result = CliRunner().invoke(cli, ["items", "stats", "--exam", QUIET, "--format", format])
    assert result.exit_code == 0, result.output
    if format == "json":
        assert json.loads(result.stdout) == []
    elif format == "csv":
        [header] = list(csv.reader(io.StringIO(result.stdout)))
        assert header[:3] == ["item_id", "version", "n"]
    else:
        assert result.stdout.splitlines()[-1] == "no scored responses yet"


def test_an_unknown_exam_is_an_error_in_the_contracts_shape(database: Simulation) -> None:
    result = CliRunner().invoke(cli, ["items", "stats", "--exam", "nope", "--format", "json"])
    assert result.exit_code == commands.EXIT_BAD_INPUT == 2
    assert result.stdout == ""
    assert json.loads(result.stderr) == {
        "error": {"code": "exam_not_found", "message": "There is no exam with the code 'nope'."}
    }
    for format in ("csv", "table"):
        other = CliRunner().invoke(cli, ["items", "stats", "--exam", "nope", "--format", format])
        assert other.exit_code == 2
        assert other.stdout == ""
        assert other.stderr == "error: There is no exam with the code 'nope'.\n"


@pytest.mark.parametrize("terminal", [True, False])
def test_progress_goes_to_stderr_and_only_to_a_terminal(
    database: Simulation, monkeypatch: pytest.MonkeyPatch, terminal: bool
) -> None:
    monkeypatch.setattr(commands, "_terminal", lambda stream: terminal)
    result = CliRunner().invoke(cli, ["items", "stats", "--format", "json"])
    assert result.exit_code == 0, result.output
    jsonschema.validate(json.loads(result.stdout), API_SHAPE)  # stdout: the report alone
    assert ("recording scored attempts" in result.stderr) is terminal
    assert ("computing the statistics" in result.stderr) is terminal
    if not terminal:
        assert result.stderr == ""
