"""Retraining policies: a model's policy file as the trigger reads it.

The files belong to the platform team (`policies/FORMAT.md`); the trigger works on the
normalised form `{"cooldown_hours", "drift_threshold", "min_new_labels"}`.
"""

import re

import yaml

SUPPORTED_FORMAT = 2
HOURS_PER_UNIT = {"m": 1 / 60, "h": 1, "d": 24, "w": 168}
_DURATION = re.compile(r"(\d+)([mhdw])")


class PolicyError(ValueError):
    """A policy the trigger cannot follow; the scheduler skips the model and pages."""


def duration_hours(text):
    """`90m`, `36h`, `3d`, `1w` -> hours."""
    match = _DURATION.fullmatch(str(text).strip())
    if match is None:
        raise PolicyError(f"not a duration: {text!r}")
    return int(match.group(1)) * HOURS_PER_UNIT[match.group(2)]


def setting(doc, *path):
    """A required setting (format 2 has no defaults): a missing one refuses the policy."""
    value = doc
    for key in path:
        if not isinstance(value, dict) or key not in value:
            raise PolicyError(f"missing setting {'.'.join(path)}")
        value = value[key]
    return value


def normalise(doc):
    """The trigger's settings from a parsed policy file."""
    if not isinstance(doc, dict) or doc.get("policy_format") != SUPPORTED_FORMAT:
        raise PolicyError("not a format-2 policy")
    return {
        "cooldown_hours": duration_hours(setting(doc, "cooldown")),
        "drift_threshold": float(setting(doc, "drift", "{{ drift_key }}")),
        "min_new_labels": int(setting(doc, "labels", "min_new")),
    }


def load(path):
    with open(path) as fh:
        return normalise(yaml.safe_load(fh))
