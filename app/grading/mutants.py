"""Mutants of a scenario's reference solution: small wrong versions of the right fix,
the kind a candidate who half-understood the incident would write. The hidden checks
must fail every one that behaves differently from the reference (``app.grading.mutation``).

Python files are mutated on the ``ast`` and written back with ``ast.unparse``. The
operators, each a classic of mutation testing or a shortcut seen in review:

==================  =====================================================================
``CmpBoundary``     ``<`` <-> ``<=``, ``>`` <-> ``>=``: a boundary made strict or not
``CmpFlip``         ``<`` <-> ``>``, ``<=`` <-> ``>=``, ``==`` <-> ``!=``, ``in`` <-> ``not in``
``Number``          an int constant plus one, a float times 1.5 (0.0 becomes 1.0)
``CondNegate``      the test of an ``if``, a conditional expression or a filter negated
``CondDrop``        an ``if`` test replaced by ``True``, a filter removed, one operand of
                    ``and``/``or`` dropped
``BranchSwap``      the two branches of an ``if``/``else`` or ``a if c else b`` swapped
``BoolOp``          ``and`` <-> ``or``
``MinMax``          ``min(...)`` <-> ``max(...)``
``ReturnConst``     ``return <condition>`` replaced by ``return True`` and ``return False``
``StmtDrop``        a call made for its effect (``log.info(...)``, ``rows.append(...)``,
                    ``os.replace(...)``) not made
``PolicyInline``    ``policy["key"]`` / ``.get("key")`` / ``.key`` replaced by the literal
                    value the workspace's own YAML/JSON config gives ``key``: today's
                    constant copied into the code
==================  =====================================================================

Only code in the functions the fix touches is mutated (every function of a file the
workspace does not have): the rest of a large workspace is context, not specification.

YAML and JSON files (manifests, rollout and policy configs) are mutated on their parsed
data, at the key paths the fix added or changed: a number moved, a boolean flipped, a value that the file refers to twice (labels
and selectors, port names) changed at one place, an image digest changed, a mapping or
list (a probe, ``resources``) removed.

Mutant ids are ``<file>:<line or key path>:<operator>:<detail>``: stable while the
solution file is, and what ``accepted_mutants`` in ``scenario.yaml`` names.
"""

from __future__ import annotations

import ast
import copy
import difflib
import hashlib
import json
import warnings
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

import yaml

MAX_MUTANTS = 40


@dataclass(frozen=True)
class Mutant:
    id: str
    path: str
    operator: str
    description: str
    # The whole mutated file.
    source: str
    # On a line the fix changed (these are tried first when there are too many).
    in_fix: bool


Mutation = Callable[[ast.AST, dict[ast.AST, ast.AST]], None]

_BOUNDARY: dict[type[ast.cmpop], type[ast.cmpop]] = {
    ast.Lt: ast.LtE,
    ast.LtE: ast.Lt,
    ast.Gt: ast.GtE,
    ast.GtE: ast.Gt,
}
_FLIP: dict[type[ast.cmpop], type[ast.cmpop]] = {
    ast.Lt: ast.Gt,
    ast.Gt: ast.Lt,
    ast.LtE: ast.GtE,
    ast.GtE: ast.LtE,
    ast.Eq: ast.NotEq,
    ast.NotEq: ast.Eq,
    ast.In: ast.NotIn,
    ast.NotIn: ast.In,
    ast.Is: ast.IsNot,
    ast.IsNot: ast.Is,
}
_SYMBOL = {
    ast.Lt: "<",
    ast.LtE: "<=",
    ast.Gt: ">",
    ast.GtE: ">=",
    ast.Eq: "==",
    ast.NotEq: "!=",
    ast.In: "in",
    ast.NotIn: "not in",
    ast.Is: "is",
    ast.IsNot: "is not",
}


def _replace(parents: dict[ast.AST, ast.AST], old: ast.AST, new: ast.AST) -> None:
    parent = parents[old]
    for name, value in ast.iter_fields(parent):
        if value is old:
            setattr(parent, name, new)
            return
        if isinstance(value, list):
            for i, item in enumerate(value):
                if item is old:
                    value[i] = new
                    return
    raise LookupError("node not found in its parent")


def _short(node: ast.AST) -> str:
    text = ast.unparse(node).replace("\n", " ")
    return text if len(text) <= 60 else text[:57] + "..."


def _is_condition(node: ast.AST) -> bool:
    return isinstance(node, ast.Compare | ast.BoolOp) or (
        isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.Not)
    )


def _sites(node: ast.AST, policy: Mapping[str, Any]) -> Iterator[tuple[str, str, Mutation]]:
    """(operator, detail, mutation) for every way to mutate ``node``."""
    if isinstance(node, ast.Compare):
        for i, op in enumerate(node.ops):
            for table, name in ((_BOUNDARY, "CmpBoundary"), (_FLIP, "CmpFlip")):
                target = table.get(type(op))
                if target is None:
                    continue

                def cmp(n: ast.AST, _p: Any, i: int = i, target: type = target) -> None:
                    assert isinstance(n, ast.Compare)
                    n.ops[i] = target()

                yield name, f"{_SYMBOL[type(op)]}>{_SYMBOL[target]}", cmp
    elif isinstance(node, ast.Constant) and not isinstance(node.value, bool):
        value = node.value
        if isinstance(value, int | float):
            new: int | float = value + 1 if isinstance(value, int) else value * 1.5 or 1.0

            def num(n: ast.AST, _p: Any, new: int | float = new) -> None:
                assert isinstance(n, ast.Constant)
                n.value = new

            yield "Number", f"{value!r}>{new!r}", num
    elif isinstance(node, ast.If):

        def negate(n: ast.AST, _p: Any) -> None:
            assert isinstance(n, ast.If)
            n.test = ast.UnaryOp(op=ast.Not(), operand=n.test)

        def always(n: ast.AST, _p: Any) -> None:
            assert isinstance(n, ast.If)
            n.test = ast.Constant(value=True)

        yield "CondNegate", "if", negate
        yield "CondDrop", "if", always
        if node.orelse:

            def swap(n: ast.AST, _p: Any) -> None:
                assert isinstance(n, ast.If)
                if not n.orelse:
                    raise LookupError("no else")
                n.body, n.orelse = n.orelse, n.body

            yield "BranchSwap", "if", swap
    elif isinstance(node, ast.IfExp):

        def negate_exp(n: ast.AST, _p: Any) -> None:
            assert isinstance(n, ast.IfExp)
            n.test = ast.UnaryOp(op=ast.Not(), operand=n.test)

        def swap_exp(n: ast.AST, _p: Any) -> None:
            assert isinstance(n, ast.IfExp)
            n.body, n.orelse = n.orelse, n.body

        yield "CondNegate", "ifexp", negate_exp
        yield "BranchSwap", "ifexp", swap_exp
    elif isinstance(node, ast.comprehension):
        for i in range(len(node.ifs)):

            def neg_filter(n: ast.AST, _p: Any, i: int = i) -> None:
                assert isinstance(n, ast.comprehension)
                n.ifs[i] = ast.UnaryOp(op=ast.Not(), operand=n.ifs[i])

            def drop_filter(n: ast.AST, _p: Any, i: int = i) -> None:
                assert isinstance(n, ast.comprehension)
                del n.ifs[i]

            yield "CondNegate", f"filter{i}", neg_filter
            yield "CondDrop", f"filter{i}", drop_filter
    elif isinstance(node, ast.BoolOp):
        other = ast.Or if isinstance(node.op, ast.And) else ast.And

        def boolop(n: ast.AST, _p: Any, other: type = other) -> None:
            assert isinstance(n, ast.BoolOp)
            n.op = other()

        yield "BoolOp", f"{type(node.op).__name__.lower()}>{other.__name__.lower()}", boolop
        for i in range(len(node.values)):

            def drop(n: ast.AST, p: dict[ast.AST, ast.AST], i: int = i) -> None:
                assert isinstance(n, ast.BoolOp)
                rest = [v for j, v in enumerate(n.values) if j != i]
                if len(rest) == 1:
                    _replace(p, n, rest[0])
                else:
                    n.values = rest

            yield "CondDrop", f"operand{i}", drop
    elif isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
        swapped = {"min": "max", "max": "min"}.get(node.func.id)
        if swapped is not None:

            def minmax(n: ast.AST, _p: Any, swapped: str = swapped) -> None:
                assert isinstance(n, ast.Call) and isinstance(n.func, ast.Name)
                n.func.id = swapped

            yield "MinMax", f"{node.func.id}>{swapped}", minmax
    elif isinstance(node, ast.Return) and node.value is not None and _is_condition(node.value):
        for const in (True, False):

            def ret(n: ast.AST, _p: Any, const: bool = const) -> None:
                assert isinstance(n, ast.Return)
                n.value = ast.Constant(value=const)

            yield "ReturnConst", str(const), ret
    if isinstance(node, ast.Expr) and isinstance(node.value, ast.Call):

        def drop_call(n: ast.AST, p: dict[ast.AST, ast.AST]) -> None:
            _replace(p, n, ast.Pass())

        yield "StmtDrop", "call", drop_call
    key = _policy_key(node)
    if key is not None and key in policy:
        value = policy[key]

        def inline(n: ast.AST, p: dict[ast.AST, ast.AST], value: Any = value) -> None:
            _replace(p, n, ast.Constant(value=value))

        yield "PolicyInline", f"{key}={value!r}", inline


def _policy_key(node: ast.AST) -> str | None:
    """The config key ``node`` reads: ``x["key"]``, ``x.get("key", ...)`` or ``x.key``."""
    if (
        isinstance(node, ast.Subscript)
        and isinstance(node.ctx, ast.Load)
        and isinstance(node.slice, ast.Constant)
        and isinstance(node.slice.value, str)
    ):
        return node.slice.value
    if (
        isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and node.func.attr == "get"
        and node.args
        and isinstance(node.args[0], ast.Constant)
        and isinstance(node.args[0].value, str)
    ):
        return node.args[0].value
    if isinstance(node, ast.Attribute) and isinstance(node.ctx, ast.Load):
        return node.attr
    return None


def config_scalars(files: Mapping[str, str]) -> dict[str, Any]:
    """Keys of the workspace's YAML/JSON files with one scalar value everywhere: what a
    candidate could copy from today's config into the code."""
    seen: dict[str, set[str]] = {}
    values: dict[str, Any] = {}

    def walk(data: Any) -> None:
        if isinstance(data, dict):
            for k, v in data.items():
                if isinstance(k, str) and isinstance(v, str | int | float | bool) and v is not None:
                    seen.setdefault(k, set()).add(json.dumps(v))
                    values[k] = v
                walk(v)
        elif isinstance(data, list):
            for v in data:
                walk(v)

    for path, text in sorted(files.items()):
        try:
            if path.endswith((".yaml", ".yml")):
                for doc in yaml.safe_load_all(text):
                    walk(doc)
            elif path.endswith(".json"):
                walk(json.loads(text))
        except (yaml.YAMLError, ValueError):
            continue
    return {k: values[k] for k, v in seen.items() if len(v) == 1}


def _changed_lines(before: str | None, after: str) -> set[int]:
    """1-based lines of ``after`` that are not in ``before`` (all of them if new)."""
    lines = after.splitlines()
    if before is None:
        return set(range(1, len(lines) + 1))
    out: set[int] = set()
    matcher = difflib.SequenceMatcher(None, before.splitlines(), lines, autojunk=False)
    for tag, _i1, _i2, j1, j2 in matcher.get_opcodes():
        if tag in ("replace", "insert"):
            out.update(range(j1 + 1, j2 + 1))
    return out


def python_mutants(
    path: str, source: str, workspace_source: str | None, policy: Mapping[str, Any]
) -> list[Mutant]:
    tree = ast.parse(source)
    changed = _changed_lines(workspace_source, source)
    nodes = list(ast.walk(tree))
    parents = {child: parent for parent in nodes for child in ast.iter_child_nodes(parent)}

    def unit(node: ast.AST) -> ast.AST | None:
        cur = parents.get(node)
        while cur is not None and not isinstance(cur, ast.FunctionDef | ast.AsyncFunctionDef):
            cur = parents.get(cur)
        return cur

    def span(node: ast.AST) -> set[int]:
        start: int | None = getattr(node, "lineno", None)
        if start is None:
            return set()
        end: int = getattr(node, "end_lineno", None) or start
        return set(range(start, end + 1))

    touched_units: dict[ast.AST | None, bool] = {}
    mutants: list[Mutant] = []
    ids: dict[str, int] = {}
    for index, node in enumerate(nodes):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.Module):
            continue
        owner = unit(node)
        if owner is None:
            in_scope = bool(span(node) & changed)
        else:
            if owner not in touched_units:
                touched_units[owner] = bool(span(owner) & changed)
            in_scope = touched_units[owner]
        if not in_scope:
            continue
        line = getattr(node, "lineno", None)
        if line is None:
            line = getattr(parents.get(node), "lineno", 0)
        in_fix = line in changed
        for operator, detail, mutate in _sites(node, policy):
            copy_tree = ast.parse(source)
            copy_nodes = list(ast.walk(copy_tree))
            copy_parents = {
                child: parent for parent in copy_nodes for child in ast.iter_child_nodes(parent)
            }
            target = copy_nodes[index]
            before = (
                _short(parents.get(node, node)) if not hasattr(node, "lineno") else _short(node)
            )
            try:
                mutate(target, copy_parents)
                ast.fix_missing_locations(copy_tree)
                mutated = ast.unparse(copy_tree)
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    compile(mutated, path, "exec")
            except (LookupError, SyntaxError, ValueError, TypeError):
                continue
            base_id = f"{path}:{line}:{operator}:{detail}"
            n = ids.get(base_id, 0) + 1
            ids[base_id] = n
            mutant_id = base_id if n == 1 else f"{base_id}#{n}"
            mutants.append(
                Mutant(
                    id=mutant_id,
                    path=path,
                    operator=operator,
                    description=f"line {line}: {operator} {detail} in `{before}`",
                    source=mutated,
                    in_fix=in_fix,
                )
            )
    return mutants


def _leaves(data: Any, path: tuple[str, ...] = ()) -> Iterator[tuple[tuple[str, ...], Any]]:
    if isinstance(data, dict):
        for k, v in data.items():
            yield (*path, str(k)), v
            yield from _leaves(v, (*path, str(k)))
    elif isinstance(data, list):
        for i, v in enumerate(data):
            yield (*path, str(i)), v
            yield from _leaves(v, (*path, str(i)))


def _set(docs: list[Any], path: tuple[str, ...], value: Any, *, delete: bool = False) -> None:
    cur: Any = docs
    for part in path[:-1]:
        cur = cur[int(part)] if isinstance(cur, list) else cur[_key(cur, part)]
    last = path[-1]
    if isinstance(cur, list):
        if delete:
            del cur[int(last)]
        else:
            cur[int(last)] = value
    elif delete:
        del cur[_key(cur, last)]
    else:
        cur[_key(cur, last)] = value


def _key(mapping: dict[Any, Any], part: str) -> Any:
    for k in mapping:
        if str(k) == part:
            return k
    raise KeyError(part)


def _load_data(path: str, text: str) -> list[Any] | None:
    try:
        return [json.loads(text)] if path.endswith(".json") else list(yaml.safe_load_all(text))
    except (yaml.YAMLError, ValueError):
        return None


def data_mutants(path: str, text: str, workspace_text: str | None = None) -> list[Mutant]:
    """Mutants of a YAML/JSON file, at the key paths the fix added or changed (every
    path of a file the workspace does not have)."""
    is_json = path.endswith(".json")
    docs = _load_data(path, text)
    if docs is None:
        return []
    before = _load_data(path, workspace_text) if workspace_text is not None else None
    unchanged = dict(_leaves(before)) if before is not None else {}
    strings: dict[str, int] = {}
    for _, v in _leaves(docs):
        if isinstance(v, str):
            strings[v] = strings.get(v, 0) + 1

    def dump(data: list[Any]) -> str:
        if is_json:
            return json.dumps(data[0], indent=2) + "\n"
        return yaml.safe_dump_all(data, sort_keys=False)

    out: list[Mutant] = []
    for key_path, value in _leaves(docs):
        if key_path in unchanged and unchanged[key_path] == value:
            continue
        where = "/".join(key_path[1:])
        where = f"{key_path[0]}/{where}" if len(docs) > 1 else where
        changes: list[tuple[str, str, Any, bool]] = []
        if isinstance(value, bool):
            changes.append(("BoolFlip", f"{value}>{not value}", not value, False))
        elif isinstance(value, int):
            changes.append(("Number", f"{value}>{value + 1}", value + 1, False))
        elif isinstance(value, float):
            new = value * 1.5 or 1.0
            changes.append(("Number", f"{value}>{new}", new, False))
        elif isinstance(value, str) and "@sha256:" in value:
            last = value[-1]
            other = "0" if last != "0" else "1"
            changes.append(("Digest", "other digest", value[:-1] + other, False))
        elif isinstance(value, str) and strings.get(value, 0) >= 2:
            changes.append(("Reference", f"{value}>{value}x", value + "x", False))
        elif isinstance(value, dict | list) and value and len(key_path) > 2:
            changes.append(("DropKey", key_path[-1], None, True))
        for operator, detail, new_value, delete in changes:
            mutated = copy.deepcopy(docs)
            try:
                _set(mutated, key_path, new_value, delete=delete)
            except (KeyError, IndexError, ValueError):
                continue
            out.append(
                Mutant(
                    id=f"{path}:{where}:{operator}:{detail}",
                    path=path,
                    operator=operator,
                    description=f"{where}: {operator} {detail}",
                    source=dump(mutated),
                    in_fix=True,
                )
            )
    return out


def generate(
    solution: Mapping[str, str], workspace: Mapping[str, str]
) -> tuple[list[Mutant], list[Mutant]]:
    """(every mutant, the ones to run): at most ``MAX_MUTANTS``, chosen deterministically,
    those on the fix's own lines first."""
    policy = config_scalars(workspace)
    every: list[Mutant] = []
    for path in sorted(solution):
        text = solution[path]
        if path.endswith(".py"):
            try:
                every += python_mutants(path, text, workspace.get(path), policy)
            except SyntaxError:
                continue
        elif path.endswith((".yaml", ".yml", ".json")):
            every += data_mutants(path, text, workspace.get(path))
    # Mutants that produce the same files are one mutant.
    unique: dict[str, Mutant] = {}
    for m in every:
        unique.setdefault(hashlib.sha256(f"{m.path}\0{m.source}".encode()).hexdigest(), m)
    every = list(unique.values())

    def rank(m: Mutant) -> tuple[bool, str]:
        return (not m.in_fix, hashlib.sha256(m.id.encode()).hexdigest())

    chosen = sorted(every, key=rank)[:MAX_MUTANTS]
    chosen.sort(key=lambda m: m.id)
    return every, chosen
