"""Mutant generation: the operators, the scope (the code the fix touches), stable ids."""

from __future__ import annotations

import ast

from app.grading.mutants import MAX_MUTANTS, config_scalars, data_mutants, generate, python_mutants

WORKSPACE = """
import json


def helper(rows):
    return [r for r in rows if r > 0]


def decide(policy, value, history):
    if value > 10:
        return "old"
    return "old"
"""

SOLUTION = """
import json


def helper(rows):
    return [r for r in rows if r > 0]


def decide(policy, value, history):
    limit = policy["max_drop"]
    history.append(value)
    if value >= limit and value < 2.5:
        return "alert"
    else:
        return "ok"


def is_bad(value, policy):
    return value > min(policy["floor"], 3)
"""


def _ops(mutants: list) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for m in mutants:
        out.setdefault(m.operator, []).append(m.id)
    return out


def test_every_operator_applies_in_the_functions_the_fix_touches() -> None:
    policy = {"max_drop": 0.2, "floor": 1}
    mutants = python_mutants("gate.py", SOLUTION, WORKSPACE, policy)
    ops = _ops(mutants)
    assert set(ops) >= {
        "CmpBoundary",
        "CmpFlip",
        "Number",
        "CondNegate",
        "CondDrop",
        "BranchSwap",
        "BoolOp",
        "MinMax",
        "ReturnConst",
        "PolicyInline",
        "StmtDrop",
    }
    # helper() is unchanged from the workspace: not the fix's code, not mutated.
    assert not [m for m in mutants if ":6:" in m.id]
    by_id = {m.id: m for m in mutants}
    inline = by_id["gate.py:10:PolicyInline:max_drop=0.2"]
    assert "limit = 0.2" in inline.source
    boundary = by_id["gate.py:12:CmpBoundary:>=>>"]
    assert "value > limit and value < 2.5" in boundary.source
    assert "history.append" not in by_id["gate.py:11:StmtDrop:call"].source
    for m in mutants:
        ast.parse(m.source)
        assert m.source != ast.unparse(ast.parse(SOLUTION))


def test_ids_are_stable_and_unique() -> None:
    first = python_mutants("gate.py", SOLUTION, WORKSPACE, {})
    second = python_mutants("gate.py", SOLUTION, WORKSPACE, {})
    assert [m.id for m in first] == [m.id for m in second]
    assert len({m.id for m in first}) == len(first)


def test_a_new_file_is_mutated_everywhere() -> None:
    mutants = python_mutants("gate.py", SOLUTION, None, {})
    assert [m for m in mutants if ":6:" in m.id]


def test_config_scalars_are_the_keys_with_one_value() -> None:
    files = {
        "policy.yaml": "gate:\n  max_drop: 0.2\n  floor: 1\nother:\n  floor: 2\n",
        "thresholds.json": '{"window": 7}',
        "notes.md": "floor: 3",
    }
    assert config_scalars(files) == {"max_drop": 0.2, "window": 7}


def test_data_mutants_only_touch_what_the_fix_changed() -> None:
    before = "a:\n  keep: 1\n  fixed: 5\nlabels: {app: x}\nselector: {app: y}\n"
    after = (
        "a:\n  keep: 1\n  fixed: 6\n  probe: {port: http}\nlabels: {app: x}\nselector: {app: x}\n"
    )
    mutants = data_mutants("m.yaml", after, before)
    ids = {m.id for m in mutants}
    assert "m.yaml:a/fixed:Number:6>7" in ids
    assert "m.yaml:selector/app:Reference:x>xx" in ids
    assert "m.yaml:a/probe:DropKey:probe" in ids
    assert not [i for i in ids if i.startswith("m.yaml:a/keep") or i.startswith("m.yaml:labels")]


def test_generation_is_capped_deterministically_fix_lines_first() -> None:
    body = "\n".join(f"    if x > {i}:\n        y += {i}" for i in range(40))
    solution = {"big.py": f"def f(x):\n    y = 0\n{body}\n    return y\n"}
    every, chosen = generate(solution, {})
    assert len(every) > MAX_MUTANTS and len(chosen) == MAX_MUTANTS
    assert [m.id for m in generate(solution, {})[1]] == [m.id for m in chosen]
