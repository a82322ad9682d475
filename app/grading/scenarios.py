"""Scenarios on disk: ``scenarios/<id>/`` parsed into ``Scenario`` values.

Layout of one scenario (see ``scenarios/README.md`` for authors)::

    scenario.yaml      id, version, title, level, domain, brief, editable, checks, ...
    workspace/         the files as the candidate gets them
    solution/          the reference fix: the edited files only
    checks/probe.py    runs INSIDE the sandbox: exercises the pipeline, returns data
    checks/judge.py    runs in the grader: make_inputs(seed), check_<name>(...)
    cheap/<name>/      wrong fixes the validator must see fail

Loading reads files and checks their shape; it never imports a judge (that happens
at grading time, see ``Scenario.judge``) and never runs anything.
"""

from __future__ import annotations

import hashlib
import importlib.util
import sys
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from types import ModuleType

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from app.core.program import Domain, ScenarioLevel
from app.grading.driver import FORBIDDEN_NAMES, safe_relative_path
from app.grading.exceptions import ScenarioInvalid

MAX_FILE_BYTES = 256 * 1024
MAX_WORKSPACE_BYTES = 1024 * 1024

_SLUG = r"^[a-z][a-z0-9_]{1,40}$"
_ID = r"^[a-z][a-z0-9-]{2,60}$"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class CheckSpec(_Strict):
    name: str = Field(pattern=_SLUG)
    points: int = Field(ge=1, le=100)
    public: bool = False
    description: str = Field(min_length=10, max_length=500)
    step: str | None = Field(default=None, pattern=_SLUG)


class CheapFixSpec(_Strict):
    name: str = Field(min_length=5, max_length=120)
    path: str
    fails: list[str] = Field(default_factory=list)


class LimitsSpec(_Strict):
    step_seconds: float = Field(default=3.0, gt=0, le=30)
    run_seconds: float = Field(default=15.0, gt=0, le=120)


class ScenarioSpec(_Strict):
    id: str = Field(pattern=_ID)
    version: int = Field(ge=1)
    title: str = Field(min_length=5, max_length=120)
    level: ScenarioLevel
    domain: Domain
    brief: str = Field(min_length=50)
    editable: list[str] = Field(min_length=1)
    checks: list[CheckSpec] = Field(min_length=2)
    time_hint_minutes: int = Field(ge=5, le=120)
    max_public_runs: int = Field(ge=1, le=100)
    cheap_fixes: list[CheapFixSpec] = Field(min_length=1)
    limits: LimitsSpec = Field(default_factory=LimitsSpec)
    # Modified-Angoff estimate: the share of the points a minimally qualified candidate
    # earns. Optional; without it the scenario counts at its exam's pass mark.
    difficulty: float | None = Field(default=None, ge=0.2, le=0.95)

    @model_validator(mode="after")
    def _consistent(self) -> ScenarioSpec:
        names = [c.name for c in self.checks]
        if len(set(names)) != len(names):
            raise ValueError("check names must be unique")
        if not any(c.public for c in self.checks):
            raise ValueError("at least one check must be public")
        if len(set(self.editable)) != len(self.editable):
            raise ValueError("editable files are listed twice")
        for path in self.editable:
            if not safe_relative_path(path):
                raise ValueError(f"editable path {path!r} is not a plain relative path")
        for fix in self.cheap_fixes:
            unknown = set(fix.fails) - set(names)
            if unknown:
                raise ValueError(f"cheap fix {fix.name!r} names unknown checks {sorted(unknown)}")
        return self


@dataclass(frozen=True)
class Check:
    name: str
    points: int
    public: bool
    description: str
    step: str


@dataclass(frozen=True)
class CheapFix:
    name: str
    files: dict[str, str]
    fails: tuple[str, ...]


@dataclass(frozen=True)
class Scenario:
    """One scenario, as loaded. The first block is what may be shown to candidates."""

    id: str
    version: int
    title: str
    level: str
    domain: str
    brief: str
    editable: list[str]
    workspace_files: dict[str, str]
    checks: list[Check]
    max_public_runs: int
    time_hint_minutes: int
    # Hidden: never leaves the server before review policy allows.
    path: Path = field(repr=False)
    probe_source: str = field(repr=False)
    solution_files: dict[str, str] = field(repr=False)
    cheap_fixes: list[CheapFix] = field(repr=False)
    step_seconds: float = 3.0
    run_seconds: float = 15.0
    difficulty: float | None = None

    @property
    def public_checks(self) -> list[Check]:
        return [c for c in self.checks if c.public]

    @property
    def total_points(self) -> int:
        return sum(c.points for c in self.checks)

    @cached_property
    def content_digest(self) -> str:
        """Changes whenever anything that decides a grade changes, so a cached
        reference result can never outlive the content it came from."""
        h = hashlib.sha256()
        h.update(f"{self.id}\0{self.version}\0".encode())
        for label, files in (("w", self.workspace_files), ("s", self.solution_files)):
            for name in sorted(files):
                h.update(f"{label}\0{name}\0".encode())
                h.update(files[name].encode())
        h.update(self.probe_source.encode())
        h.update((self.path / "checks" / "judge.py").read_bytes())
        return h.hexdigest()

    @cached_property
    def judge(self) -> ModuleType:
        """The scenario's judge module: our own content, reviewed in git, run in the
        grader. Loaded once per process under a name of its own."""
        judge_path = self.path / "checks" / "judge.py"
        module_name = f"assay_judge_{self.id.replace('-', '_')}_v{self.version}"
        spec = importlib.util.spec_from_file_location(module_name, judge_path)
        if spec is None or spec.loader is None:
            raise ScenarioInvalid(f"{self.id}: cannot load checks/judge.py")
        module = importlib.util.module_from_spec(spec)
        sys.modules[module_name] = module
        try:
            spec.loader.exec_module(module)
        except Exception as exc:
            sys.modules.pop(module_name, None)
            raise ScenarioInvalid(f"{self.id}: checks/judge.py fails to load: {exc}") from exc
        return module


class ScenarioFormatError(Exception):
    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        super().__init__("; ".join(problems))


def read_tree(root: Path, problems: list[str], label: str) -> dict[str, str]:
    """Every regular file under ``root`` as text, keyed by POSIX relative path.

    Symlinks, forbidden names (conftest.py, sitecustomize.py, *.pth), byte-code and
    non-UTF-8 files are reported as problems and left out.
    """
    files: dict[str, str] = {}
    if not root.is_dir():
        problems.append(f"{label}: missing folder {root.name}/")
        return files
    total = 0
    for path in sorted(root.rglob("*")):
        rel = path.relative_to(root).as_posix()
        if path.is_symlink():
            problems.append(f"{label}: {rel} is a symlink")
            continue
        if path.is_dir():
            if path.name == "__pycache__":
                continue
            continue
        if "__pycache__" in path.parts or path.suffix in (".pyc", ".pyo"):
            continue
        if not safe_relative_path(rel):
            problems.append(
                f"{label}: {rel} is not allowed ({', '.join(sorted(FORBIDDEN_NAMES))}, .pth)"
            )
            continue
        data = path.read_bytes()
        total += len(data)
        if len(data) > MAX_FILE_BYTES:
            problems.append(f"{label}: {rel} is larger than {MAX_FILE_BYTES} bytes")
            continue
        try:
            files[rel] = data.decode("utf-8")
        except UnicodeDecodeError:
            problems.append(f"{label}: {rel} is not UTF-8 text")
    if total > MAX_WORKSPACE_BYTES:
        problems.append(f"{label}: more than {MAX_WORKSPACE_BYTES} bytes in all")
    return files


def _shadows_stdlib(path: str) -> bool:
    top = path.split("/")[0].removesuffix(".py")
    return top in sys.stdlib_module_names


def load_scenario(path: Path) -> Scenario:
    """Parse one scenario folder; raise ``ScenarioFormatError`` listing every problem."""
    problems: list[str] = []
    yaml_path = path / "scenario.yaml"
    try:
        raw = yaml.safe_load(yaml_path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise ScenarioFormatError([f"scenario.yaml: {exc}"]) from exc
    try:
        spec = ScenarioSpec.model_validate(raw)
    except ValidationError as exc:
        raise ScenarioFormatError(
            [f"scenario.yaml: {'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors()]
        ) from exc
    if spec.id != path.name:
        problems.append(f"scenario.yaml: id {spec.id!r} differs from the folder name {path.name!r}")

    workspace = read_tree(path / "workspace", problems, "workspace")
    solution = read_tree(path / "solution", problems, "solution")
    for rel in workspace:
        if _shadows_stdlib(rel):
            problems.append(f"workspace: {rel} shadows a standard-library module")
    for rel in spec.editable:
        if rel not in workspace:
            problems.append(f"editable: {rel} is not in workspace/")
    for rel in solution:
        if rel not in spec.editable:
            problems.append(f"solution: {rel} is not an editable file")
    if not solution:
        problems.append("solution: no files")

    cheap: list[CheapFix] = []
    for fix in spec.cheap_fixes:
        if not safe_relative_path(fix.path):
            problems.append(f"cheap fix {fix.name!r}: bad path {fix.path!r}")
            continue
        files = read_tree(path / fix.path, problems, f"cheap fix {fix.name!r}")
        for rel in files:
            if rel not in spec.editable:
                problems.append(f"cheap fix {fix.name!r}: {rel} is not an editable file")
        cheap.append(CheapFix(name=fix.name, files=files, fails=tuple(fix.fails)))

    probe_path = path / "checks" / "probe.py"
    try:
        probe_source = probe_path.read_text(encoding="utf-8")
    except OSError:
        problems.append("checks: missing probe.py")
        probe_source = ""
    if not (path / "checks" / "judge.py").is_file():
        problems.append("checks: missing judge.py")
    checks = [
        Check(
            name=c.name,
            points=c.points,
            public=c.public,
            description=c.description.strip(),
            step=c.step or c.name,
        )
        for c in spec.checks
    ]
    for c in checks:
        if f"def step_{c.step}(" not in probe_source:
            problems.append(f"checks/probe.py: no step_{c.step}() for check {c.name!r}")
    if problems:
        raise ScenarioFormatError(problems)
    return Scenario(
        id=spec.id,
        version=spec.version,
        title=spec.title,
        level=spec.level,
        domain=spec.domain,
        brief=spec.brief.strip(),
        editable=list(spec.editable),
        workspace_files=workspace,
        checks=checks,
        max_public_runs=spec.max_public_runs,
        time_hint_minutes=spec.time_hint_minutes,
        path=path,
        probe_source=probe_source,
        solution_files=solution,
        cheap_fixes=cheap,
        step_seconds=spec.limits.step_seconds,
        run_seconds=spec.limits.run_seconds,
        difficulty=spec.difficulty,
    )


def scenario_dirs(root: Path) -> list[Path]:
    return sorted(p for p in root.iterdir() if (p / "scenario.yaml").is_file())


def load_scenarios(root: Path) -> dict[str, Scenario]:
    """Every scenario under ``root`` by id. A broken one raises ``ScenarioInvalid``
    naming it; ``validate_scenario`` lists the problems one by one."""
    scenarios: dict[str, Scenario] = {}
    for path in scenario_dirs(root):
        try:
            scenario = load_scenario(path)
        except ScenarioFormatError as exc:
            raise ScenarioInvalid(f"{path.name}: {exc}") from exc
        scenarios[scenario.id] = scenario
    return scenarios
