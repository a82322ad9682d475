"""The promotion stage of the continuous-training pipeline.

After training and evaluation, the pipeline asks the gate whether its new candidate
may replace the model in production, and records the answer in the registry. The
registry here is a JSON export (registry.json) of the real one.
"""

import json

import yaml

from gate import decide


def load_registry(path="registry.json"):
    with open(path) as fh:
        return json.load(fh)


def load_policy(pipeline):
    with open(f"policies/{pipeline}.yaml") as fh:
        return yaml.safe_load(fh)


def _latest(versions, stage):
    found = [v for v in versions if v["stage"] == stage]
    return max(found, key=lambda v: v["version"]) if found else None


def promotion_stage(pipeline, registry):
    """Decide on the newest candidate of ``pipeline``; returns (candidate, decision)."""
    versions = registry[pipeline]
    candidate = _latest(versions, "candidate")
    production = _latest(versions, "production")
    earlier = [v for v in versions if v["version"] < candidate["version"] and v["stage"] != "production"]
    previous = max(earlier, key=lambda v: v["version"]) if earlier else None
    decision = decide(
        dict(candidate["metrics"]),
        production and dict(production["metrics"]),
        previous and dict(previous["metrics"]),
        load_policy(pipeline),
    )
    return candidate, production, decision
