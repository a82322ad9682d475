"""The question bank on disk: YAML files parsed into validated specs.

Nothing here touches the database. ``load_bank`` returns the specs plus every problem
found, each tied to a file and line, so `assay content validate` can list them all and
`assay serve` can refuse to publish a broken bank.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from app.core.program import PASS_MARK_MAX, PASS_MARK_MIN, Domain, Level


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class OptionSpec(_Strict):
    id: str = Field(pattern=r"^[a-e]$")
    text: str = Field(min_length=1, max_length=600)


class RationaleSpec(_Strict):
    key: str = Field(min_length=10)
    distractors: dict[str, str]


class ItemSpec(_Strict):
    id: str = Field(pattern=r"^[A-Z]{3}-[FPAS]-\d{3}$")
    domain: Domain
    level: Level
    type: Literal["single", "multiple"]
    difficulty: float = Field(ge=0.2, le=0.95)
    tags: list[str] = Field(default_factory=list)
    stem: str = Field(min_length=20, max_length=3000)
    options: list[OptionSpec] = Field(min_length=4, max_length=5)
    key: list[str] = Field(min_length=1)
    rationale: RationaleSpec
    status: Literal["active", "retired"] = "active"

    @model_validator(mode="after")
    def _key_and_rationale_fit_options(self) -> ItemSpec:
        ids = [o.id for o in self.options]
        if ids != list("abcde"[: len(ids)]):
            raise ValueError(f"option ids must be a, b, c... in order, got {ids}")
        missing = [k for k in self.key if k not in ids]
        if missing:
            raise ValueError(f"key {missing} is not among the options {ids}")
        if len(set(self.key)) != len(self.key):
            raise ValueError("key lists an option twice")
        if self.type == "single" and len(self.key) != 1:
            raise ValueError("a single-answer item has exactly one key")
        if self.type == "multiple" and not 2 <= len(self.key) < len(ids):
            raise ValueError("a multiple-response item has at least two keys and a wrong option")
        wrong = sorted(set(ids) - set(self.key))
        if sorted(self.rationale.distractors) != wrong:
            raise ValueError(
                f"rationale.distractors must explain exactly the wrong options {wrong}"
            )
        return self

    def content_hash(self) -> str:
        return _hash(self.model_dump(mode="json"))


class DrawSpec(_Strict):
    count: int = Field(ge=1, le=200)
    level: Level
    domain: Domain | None = None


class SectionSpec(_Strict):
    kind: Literal["mcq", "scenario"]
    weight: float = Field(gt=0, le=1)
    draw: list[DrawSpec] = Field(min_length=1)

    @property
    def item_count(self) -> int:
        return sum(d.count for d in self.draw)


class RetakeSpec(_Strict):
    wait_days: int = Field(default=14, ge=0)
    max_attempts: int = Field(default=3, ge=1)
    window_months: int = Field(default=12, ge=1)


class BlueprintSpec(_Strict):
    code: str = Field(pattern=r"^[a-z0-9][a-z0-9-]{2,62}$")
    title: str = Field(min_length=3, max_length=200)
    track: str = "mlops"
    level: Level
    kind: Literal["certification", "renewal"] = "certification"
    renews: str | None = None
    duration_minutes: int = Field(ge=5, le=480)
    pass_mark: float
    validity_months: int = Field(ge=1, le=120)
    prerequisites: list[str] = Field(default_factory=list)
    retake: RetakeSpec = RetakeSpec()
    sections: list[SectionSpec] = Field(min_length=1)

    @field_validator("pass_mark")
    @classmethod
    def _pass_mark_in_program_range(cls, value: float) -> float:
        if not PASS_MARK_MIN <= value <= PASS_MARK_MAX:
            raise ValueError(
                f"pass mark {value} is outside {PASS_MARK_MIN:.2f}-{PASS_MARK_MAX:.2f}"
            )
        return value

    @model_validator(mode="after")
    def _renewal_names_its_exam(self) -> BlueprintSpec:
        if (self.kind == "renewal") != (self.renews is not None):
            raise ValueError("a renewal exam names the exam it renews, and only a renewal does")
        return self

    def content_hash(self) -> str:
        return _hash(self.model_dump(mode="json"))


def _hash(data: Any) -> str:
    return hashlib.sha256(json.dumps(data, sort_keys=True).encode()).hexdigest()


@dataclass(frozen=True)
class Problem:
    path: Path
    line: int
    message: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.message}"


@dataclass
class Bank:
    items: dict[str, ItemSpec] = field(default_factory=dict)
    blueprints: dict[str, BlueprintSpec] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)
    # Where each item and blueprint was defined, for later cross-file checks.
    locations: dict[str, tuple[Path, int]] = field(default_factory=dict)


def load_bank(root: Path) -> Bank:
    bank = Bank()
    if not root.is_dir():
        bank.problems.append(Problem(root, 0, "question bank folder not found"))
        return bank
    for path in sorted((root / "exams").glob("*.yaml")):
        node = _compose(path, bank)
        if node is not None:
            _load_blueprint(path, node, bank)
    for path in sorted((root / "items").glob("**/*.yaml")):
        node = _compose(path, bank)
        if node is not None:
            _load_items(path, node, bank)
    return bank


def _compose(path: Path, bank: Bank) -> yaml.Node | None:
    try:
        node = yaml.compose(path.read_text(encoding="utf-8"), Loader=yaml.SafeLoader)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark is not None else 0
        bank.problems.append(Problem(path, line, f"not valid YAML: {exc}"))
        return None
    if node is None:
        bank.problems.append(Problem(path, 1, "file is empty"))
    return node


def _construct(node: yaml.Node) -> Any:
    return yaml.SafeLoader("").construct_document(node)


def _line_of(node: yaml.Node, loc: tuple[int | str, ...]) -> int:
    """The line a Pydantic error location points at, as deep as the YAML goes."""
    for part in loc:
        child: yaml.Node | None = None
        if isinstance(node, yaml.MappingNode):
            child = next((v for k, v in node.value if k.value == part), None)
        elif isinstance(node, yaml.SequenceNode) and isinstance(part, int):
            child = node.value[part] if part < len(node.value) else None
        if child is None:
            break
        node = child
    return int(node.start_mark.line) + 1


def _errors(exc: ValidationError, node: yaml.Node, path: Path) -> list[Problem]:
    problems = []
    for err in exc.errors():
        where = ".".join(str(p) for p in err["loc"]) or "item"
        message = err["msg"].removeprefix("Value error, ")
        problems.append(Problem(path, _line_of(node, err["loc"]), f"{where}: {message}"))
    return problems


def _load_blueprint(path: Path, node: yaml.Node, bank: Bank) -> None:
    try:
        spec = BlueprintSpec.model_validate(_construct(node))
    except ValidationError as exc:
        bank.problems.extend(_errors(exc, node, path))
        return
    if spec.code in bank.blueprints:
        bank.problems.append(Problem(path, 1, f"exam code {spec.code} is defined twice"))
        return
    bank.blueprints[spec.code] = spec
    bank.locations[spec.code] = (path, 1)


def _load_items(path: Path, node: yaml.Node, bank: Bank) -> None:
    if not isinstance(node, yaml.MappingNode) or [k.value for k, _ in node.value] != ["items"]:
        bank.problems.append(Problem(path, 1, "an item file holds one key, `items`, a list"))
        return
    items_node = node.value[0][1]
    if not isinstance(items_node, yaml.SequenceNode):
        bank.problems.append(Problem(path, 1, "`items` must be a list"))
        return
    for item_node in items_node.value:
        line = int(item_node.start_mark.line) + 1
        try:
            spec = ItemSpec.model_validate(_construct(item_node))
        except ValidationError as exc:
            bank.problems.extend(_errors(exc, item_node, path))
            continue
        if spec.id in bank.items:
            first, first_line = bank.locations[spec.id]
            bank.problems.append(
                Problem(path, line, f"item id {spec.id} already used at {first}:{first_line}")
            )
            continue
        bank.items[spec.id] = spec
        bank.locations[spec.id] = (path, line)
