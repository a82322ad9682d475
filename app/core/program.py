"""The certification programme's fixed vocabulary (../shared/PROGRAM.md): its domains,
its levels and the range every pass mark must lie in. Shared by the question bank and
the scenarios, so that both speak of the same domains."""

from __future__ import annotations

from typing import Literal, get_args

Domain = Literal[
    "lifecycle",
    "data",
    "tracking",
    "cicd",
    "containers",
    "serving",
    "features",
    "monitoring",
    "governance",
    "cost",
]
Level = Literal["foundation", "professional", "advanced", "specialist"]
# Scenarios belong to the levels whose exams have a practical part.
ScenarioLevel = Literal["professional", "advanced", "specialist"]

DOMAINS: tuple[str, ...] = get_args(Domain)
LEVELS: tuple[str, ...] = get_args(Level)
PASS_MARK_MIN, PASS_MARK_MAX = 0.70, 0.75
