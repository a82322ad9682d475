"""What an attempt's items refer to: option labels and the scenarios they draw."""

from __future__ import annotations

from collections.abc import Mapping

from app.attempts.exceptions import ScenarioUnavailable
from app.attempts.models import AttemptItem, Response
from app.grading.exceptions import ScenarioInvalid
from app.grading.scenarios import Scenario

# Options are labelled a, b, c... per attempt, in the attempt's shuffled order.
OPTION_LABELS = "abcde"
# The job that grades one scenario run (public or final).
GRADE_RUN = "grade_run"


def scenario_of(scenarios: Mapping[str, Scenario], scenario_id: str) -> Scenario:
    scenario = scenarios.get(scenario_id)
    if scenario is None:
        raise ScenarioUnavailable()
    return scenario


def scenario_for(scenarios: Mapping[str, Scenario], slot: AttemptItem) -> Scenario:
    """The scenario as this attempt got it: rendered with the item's parameters (its
    variant), so two candidates' correct fixes differ."""
    scenario = scenario_of(scenarios, slot.scenario_id or "")
    return scenario.variant(slot.scenario_params) if slot.scenario_params else scenario


def scenario_variant(scenarios: Mapping[str, Scenario], slot: AttemptItem) -> Scenario | None:
    """The same, or None when the scenario is gone or no longer renders."""
    if scenarios.get(slot.scenario_id or "") is None:
        return None
    try:
        return scenario_for(scenarios, slot)
    except ScenarioInvalid:
        return None


def chosen_options(slot: AttemptItem, response: Response | None) -> list[str]:
    """The item's own option ids the candidate chose (their labels are per attempt)."""
    order = slot.option_order or []
    return [
        order[OPTION_LABELS.index(label)] for label in (response.choices or [] if response else [])
    ]
