"""What a regrade request can be refused for.

AssayError
├── NotFound
│   ├── RegradeNotFound (404 regrade_not_found)      an unknown regrade id
│   └── ItemNotFound (404 item_not_found)            a correction to an item never published
│   (a check correction to an unknown scenario: grading's ScenarioNotFound, 404)
└── Conflict
    ├── KeyNotInItem (409 key_not_in_item)           a key naming options the item lacks
    ├── CheckNotInScenario (409 check_not_in_scenario)  a check the scenario does not have
    ├── LastCheck (409 last_check)                   dropping the only check still counted
    ├── RegradeNotProposed (409 regrade_not_proposed)  a preview of one already applied
    └── RegradeInProgress (409 regrade_in_progress)  another regrade of the item is applying
"""

from __future__ import annotations

from app.core.errors import Conflict, NotFound


class RegradeNotFound(NotFound):
    code = "regrade_not_found"
    default_message = "There is no regrade with this id."


class ItemNotFound(NotFound):
    code = "item_not_found"
    default_message = "No item with this id was ever published."


class KeyNotInItem(Conflict):
    code = "key_not_in_item"
    default_message = "The key names an option that a delivered version of the item lacks."


class RegradeNotProposed(Conflict):
    code = "regrade_not_proposed"
    default_message = "This regrade is already applied; its results are on the regrade."


class RegradeInProgress(Conflict):
    code = "regrade_in_progress"
    default_message = "Another regrade of this item is being applied; wait until it finishes."


class CheckNotInScenario(Conflict):
    code = "check_not_in_scenario"
    default_message = "The scenario has no check with this name."


class LastCheck(Conflict):
    code = "last_check"
    default_message = (
        "Every other check of this scenario is already dropped: dropping this one too "
        "would leave nothing to score it by."
    )
