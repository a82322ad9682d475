"""`assay content validate` judges whether each exam's pool can give forms of equal
difficulty, assembled as starts assemble them on the authors' estimates."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from app.cli import cli
from app.config import get_settings
from app.exams.content import BlueprintSpec, ItemSpec
from app.exams.difficulty import FORMS_SAMPLED
from app.exams.form_balance import check_balance
from app.exams.forms import BALANCE_TOLERANCE
from app.exams.validation import validate_bank
from tests.bank import blueprint, standard_items, write_bank

# One lifecycle item per form beside two data items: a lifecycle item moves the form by
# a third of its estimate's distance from the mean, in one step.
ONE_LIFECYCLE = [
    {"domain": "lifecycle", "level": "foundation", "count": 1},
    {"domain": "data", "level": "foundation", "count": 2},
]


def _lifecycle_estimates(low: float, high: float) -> list[dict[str, Any]]:
    items = standard_items()
    lifecycle = [d for d in items if d["id"].startswith("LIF-F")]
    for index, data in enumerate(lifecycle):
        data["difficulty"] = high if index % 2 else low
    return items


def impossible_bank(tmp_path: Path) -> Path:
    """Lifecycle estimates 0.62 and 0.78 around a mean of 0.70, one drawn per form: every
    form lands 2.7 points from the target whichever lifecycle item it takes (within the
    3 points the pass-mark rule allows, beyond the 2 balancing must reach)."""
    return write_bank(
        tmp_path / "impossible",
        [blueprint(draws=ONE_LIFECYCLE)],
        _lifecycle_estimates(0.62, 0.78),
    )


def balanceable_bank(tmp_path: Path) -> Path:
    """Lifecycle estimates 0.66 and 0.74, three drawn per form: a plain form with three of
    a kind is 2.4 points off; one swap brings it to 0.8."""
    return write_bank(tmp_path / "balanceable", [blueprint()], _lifecycle_estimates(0.66, 0.74))


def _balance_problems(root: Path) -> list[str]:
    return [str(p) for p in validate_bank(root).problems if "cannot be balanced" in str(p)]


def test_a_pool_whose_estimates_make_balance_impossible_fails(tmp_path: Path) -> None:
    report = validate_bank(impossible_bank(tmp_path))
    [problem] = [str(p) for p in report.problems]
    assert "exams/test-foundation.yaml:1:" in problem
    assert "within 2.0 points of the target expected score 70.0%" in problem
    assert f"{FORMS_SAMPLED} of {FORMS_SAMPLED} sampled forms stay off" in problem
    # The failing cell, with its estimates.
    assert "section 1, mcq lifecycle/foundation (1 item, estimates 62-78%)" in problem
    assert "2.7 points" in problem
    check = report.balance["test-foundation"]
    assert check.spread_before == pytest.approx(check.spread_after)
    assert check.spread_after == pytest.approx(0.16 / 3)
    assert check.worst_draw.where == "lifecycle/foundation"


def test_a_pool_that_balancing_evens_out_passes(tmp_path: Path) -> None:
    report = validate_bank(balanceable_bank(tmp_path))
    assert [str(p) for p in report.problems] == []
    check = report.balance["test-foundation"]
    assert check.target == pytest.approx(0.70)
    # Plain forms with three lifecycle items of a kind are 2.4 points off; balanced, 0.8.
    assert check.spread_before == pytest.approx(0.048)
    assert check.spread_after <= 2 * BALANCE_TOLERANCE
    assert all(abs(s - check.target) <= BALANCE_TOLERANCE + 1e-9 for s in check.after)
    assert check.off == []


def test_the_check_is_the_same_every_run(tmp_path: Path) -> None:
    root = balanceable_bank(tmp_path)
    assert validate_bank(root).balance == validate_bank(root).balance


def test_a_scenario_section_left_out_counts_at_the_pass_mark() -> None:
    spec = BlueprintSpec.model_validate(
        blueprint(
            draws=ONE_LIFECYCLE,
            sections=[
                {"kind": "mcq", "weight": 0.5, "draw": ONE_LIFECYCLE},
                {"kind": "scenario", "weight": 0.5, "draw": [{"level": "foundation", "count": 1}]},
            ],
        )
    )
    items = [ItemSpec.model_validate(i) for i in _lifecycle_estimates(0.62, 0.78)]
    check = check_balance(spec, items)
    assert check is not None
    # Half the weight at the pass mark halves the offsets: 1.3 points, within tolerance.
    assert check.target == pytest.approx(0.70)
    assert check.spread_after == pytest.approx(0.08 / 3)
    assert check.off == []


def test_cli_fails_on_the_impossible_bank_and_honours_the_configured_tolerance(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = impossible_bank(tmp_path)
    scenarios = tmp_path / "no-scenarios"
    scenarios.mkdir()
    args = ["content", "validate", str(root), "--scenarios", str(scenarios)]
    get_settings.cache_clear()
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 1
    assert "forms cannot be balanced" in result.stdout
    assert "Form balance on the authors' estimates" in result.stdout
    monkeypatch.setenv("ASSAY_FORM_BALANCE_TOLERANCE", "0.03")
    get_settings.cache_clear()
    try:
        relaxed = CliRunner().invoke(cli, args)
    finally:
        get_settings.cache_clear()
    assert relaxed.exit_code == 0, relaxed.stdout
    assert "refused beyond 3.0 points of the target" in relaxed.stdout
