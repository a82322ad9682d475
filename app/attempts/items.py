"""What an attempt's items refer to: option labels and the scenarios they draw."""

from __future__ import annotations

from collections.abc import Mapping

from app.attempts.exceptions import ScenarioUnavailable
from app.attempts.models import AttemptItem, Response
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


def chosen_options(slot: AttemptItem, response: Response | None) -> list[str]:
    """The item's own option ids the candidate chose (their labels are per attempt)."""
    order = slot.option_order or []
    return [
        order[OPTION_LABELS.index(label)] for label in (response.choices or [] if response else [])
    ]
