"""`assay content forms`: the standard-setting view for authors."""

from __future__ import annotations

import re
from pathlib import Path

from typer.testing import CliRunner

from app.cli import cli
from app.exams.content import load_bank
from app.exams.form_balance import balance_table, check_balance
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


def test_the_form_balance_table_shows_as_validate_prints_it(tmp_path: Path) -> None:
    items = standard_items()
    spread = iter([0.5, 0.6, 0.7, 0.8, 0.9, 0.95])
    for data in items:
        if data["id"].startswith("LIF-F"):
            data["difficulty"] = next(spread)
    root = write_bank(tmp_path / "bank", [blueprint()], items)
    code, output = _run(root, tmp_path)
    assert code == 1  # some unbalanced forms are off the pass mark
    bank = load_bank(root)
    [spec] = bank.blueprints.values()
    check = check_balance(spec, bank.items.values())
    assert check is not None
    table = balance_table({spec.code: check})
    assert table in output
    assert "test-foundation                72.5%         17.0p         3.0p     0" in table
    # After the expected scores, before the items files.
    assert output.index("Expected score of") < output.index(table) < output.index("per items file")
