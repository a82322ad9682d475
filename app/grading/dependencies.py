from __future__ import annotations

from collections.abc import Mapping

from fastapi import Request

from app.grading.scenarios import Scenario


def scenario_registry(request: Request) -> Mapping[str, Scenario]:
    """The scenarios loaded at start (read directly, like the runtime, on hot paths)."""
    registry: Mapping[str, Scenario] = request.app.state.scenarios
    return registry
