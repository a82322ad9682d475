"""Builds small question banks on disk for tests, valid unless a test breaks them."""

from __future__ import annotations

import random
from pathlib import Path
from typing import Any

import yaml

PREFIX = {
    "lifecycle": "LIF",
    "data": "DAT",
    "tracking": "TRK",
    "cicd": "CIC",
    "containers": "CON",
    "serving": "SRV",
    "features": "FEA",
    "monitoring": "MON",
    "governance": "GOV",
    "cost": "COS",
}


_WORDS = [
    "pipeline",
    "model",
    "registry",
    "feature",
    "store",
    "drift",
    "alert",
    "canary",
    "rollback",
    "shadow",
    "latency",
    "budget",
    "quota",
    "schema",
    "contract",
    "lineage",
    "retrain",
    "trigger",
    "batch",
    "stream",
    "probe",
    "replica",
    "image",
    "digest",
    "secret",
    "token",
    "audit",
    "bias",
    "fairness",
    "cache",
    "warehouse",
    "lakehouse",
    "notebook",
    "cluster",
    "node",
    "queue",
    "backlog",
    "spike",
    "outage",
    "incident",
    "review",
    "approval",
    "gate",
    "metric",
    "threshold",
    "window",
    "baseline",
    "holdout",
    "split",
    "leakage",
    "seed",
    "artifact",
    "bucket",
    "region",
]


def _stem(label: str) -> str:
    """A distinct, readable stem per item, so fixture banks pass the duplicate rule."""
    rng = random.Random(label)
    words = rng.sample(_WORDS, 14)
    return f"On call for {label}: " + " ".join(words) + "; what do you do first?"


def item(
    domain: str = "lifecycle",
    level: str = "foundation",
    number: int = 1,
    *,
    key: tuple[str, ...] = ("b",),
    options: int = 4,
    stem: str | None = None,
    **overrides: Any,
) -> dict[str, Any]:
    ids = "abcde"[:options]
    data: dict[str, Any] = {
        "id": f"{PREFIX[domain]}-{level[0].upper()}-{number:03d}",
        "domain": domain,
        "level": level,
        "type": "single" if len(key) == 1 else "multiple",
        "difficulty": 0.7,
        "tags": ["test"],
        "stem": stem or _stem(f"{domain}{level}{number}"),
        "options": [{"id": i, "text": f"Action {i} for case {number}"} for i in ids],
        "key": list(key),
        "rationale": {
            "key": "Because the keyed action addresses the cause.",
            "distractors": {i: f"Option {i} treats a symptom." for i in ids if i not in key},
        },
    }
    data.update(overrides)
    return data


def blueprint(
    code: str = "test-foundation",
    *,
    level: str = "foundation",
    draws: list[dict[str, Any]] | None = None,
    **overrides: Any,
) -> dict[str, Any]:
    data: dict[str, Any] = {
        "code": code,
        "title": f"Test exam {code}",
        "track": "mlops",
        "level": level,
        "duration_minutes": 30,
        "pass_mark": 0.70,
        "validity_months": 36,
        "prerequisites": [],
        "sections": [
            {
                "kind": "mcq",
                "weight": 1.0,
                "draw": draws
                or [
                    {"domain": "lifecycle", "level": level, "count": 3},
                    {"domain": "data", "level": level, "count": 2},
                ],
            }
        ],
    }
    data.update(overrides)
    return data


def write_bank(
    root: Path,
    blueprints: list[dict[str, Any]],
    items: list[dict[str, Any]],
) -> Path:
    (root / "exams").mkdir(parents=True, exist_ok=True)
    for spec in blueprints:
        (root / "exams" / f"{spec['code']}.yaml").write_text(yaml.safe_dump(spec, sort_keys=False))
    by_file: dict[tuple[str, str], list[dict[str, Any]]] = {}
    for data in items:
        by_file.setdefault((data["domain"], data["level"]), []).append(data)
    for (domain, level), entries in by_file.items():
        folder = root / "items" / domain
        folder.mkdir(parents=True, exist_ok=True)
        (folder / f"{level}.yaml").write_text(yaml.safe_dump({"items": entries}, sort_keys=False))
    return root


def standard_items() -> list[dict[str, Any]]:
    """Enough for two forms of the default test blueprints, keys spread over a-d."""
    out = []
    for level in ("foundation", "professional"):
        for domain, count in (("lifecycle", 6), ("data", 4)):
            for n in range(1, count + 1):
                out.append(item(domain, level, n, key=("abcd"[n % 4],)))
    return out
