"""`assay content forms`: the standard-setting view for authors."""

from __future__ import annotations

import re
from pathlib import Path

from typer.testing import CliRunner

from app.cli import cli
from tests.bank import blueprint, standard_items, write_bank


def _run(root: Path, scenarios: Path) -> tuple[int, str]:
    result = CliRunner().invoke(
        cli, ["content", "forms", "--bank", str(root), "--scenarios", str(scenarios)]
    )
    return result.exit_code, result.output


def test_forms_on_the_pass_mark(tmp_path: Path) -> None:
    code, output = _run(write_bank(tmp_path / "bank", [blueprint()], standard_items()), tmp_path)
    assert code == 0, output
    assert "test-foundation                 70%   70.0%   70.0%   70.0%     0" in output
    assert "lifecycle/foundation.yaml              6   0.70   0.70   0.70  70%" in output


def test_a_file_rated_too_easy_shows_and_fails(tmp_path: Path) -> None:
    items = standard_items()
    for data in items:
        if data["id"].startswith("DAT-F"):
            data["difficulty"] = 0.9
    code, output = _run(write_bank(tmp_path / "bank", [blueprint()], items), tmp_path)
    assert code == 1
    assert "test-foundation                 70%   78.0%   78.0%   78.0%   200" in output
    assert "data/foundation.yaml                   4   0.90   0.90   0.90  70%" in output
    # No exam draws the professional items: no pass mark to compare them with.
    assert re.search(r"^lifecycle/professional.yaml +6 +0.70 +0.70 +0.70  -$", output, re.M)
