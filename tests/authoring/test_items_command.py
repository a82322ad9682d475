"""`assay items stats`: the JSON of API.md, the same columns as CSV, a table."""

from __future__ import annotations

import asyncio
import csv
import io
import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from app.cli import cli
from app.config import get_settings
from app.core.db import create_engine, create_sessionmaker, session_scope
from app.core.migrate import upgrade_to_head
from tests.authoring.simulation import MISKEYED, RANDOM, Simulation, seed


@pytest.fixture
def database(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Simulation:
    url = f"sqlite+aiosqlite:///{tmp_path / 'items.db'}"

    async def prepare() -> Simulation:
        engine = create_engine(url)
        try:
            await upgrade_to_head(engine)
            async with session_scope(create_sessionmaker(engine)) as session:
                return await seed(session, candidates=150, clean_items=4)
        finally:
            await engine.dispose()

    sim = asyncio.run(prepare())
    monkeypatch.setenv("ASSAY_DATABASE_URL", url)
    get_settings.cache_clear()
    yield sim
    get_settings.cache_clear()


def test_json_lists_every_item_version_with_its_statistics_and_flags(
    database: Simulation,
) -> None:
    result = CliRunner().invoke(cli, ["items", "stats", "--format", "json"])
    assert result.exit_code == 0, result.output
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
    assert any(line.startswith(MISKEYED) and "likely_miskey" in line for line in lines)
    other = CliRunner().invoke(cli, ["items", "stats", "--exam", "another", "--format", "json"])
    assert json.loads(other.stdout) == []
    assert (
        "no scored responses yet"
        in CliRunner().invoke(cli, ["items", "stats", "--exam", "another"]).stdout
    )
