"""The gate step of every retraining pipeline: validate a feed's batch against that
feed's contract, write the rejects for the producers' data-quality dashboard, and hand
the accepted rows to training.

Each feed trained on has its own contract (`feeds.yaml`, under `{{ feeds_key }}`); any other
feed, a retired one included, is not trained on.
"""

import json
import os

import yaml

import validate


class NoContract(Exception):
    """The feed has no data contract: its rows must not reach training."""


def load_contract(feed, config_dir="."):
    """The data contract of ``feed``, as `feeds.yaml` names it."""
    with open(os.path.join(config_dir, "feeds.yaml")) as fh:
        registry = yaml.safe_load(fh) or {}
    feeds = {}
    for section in registry.values():
        if isinstance(section, dict):
            feeds.update(section)
    if feed not in feeds:
        raise NoContract(f"feed {feed!r} is not a feed trained on (feeds.yaml)")
    with open(os.path.join(config_dir, feeds[feed])) as fh:
        return yaml.safe_load(fh)


def run_gate(feed, rows, config_dir=".", rejects_path=None):
    """(accepted, rejected) for one batch of ``feed``; the accepted rows go to training."""
    contract = load_contract(feed, config_dir)
    accepted, rejected = validate.split_rows(rows, contract)
    if rejects_path:
        with open(rejects_path, "w") as fh:
            for item in rejected:
                fh.write(json.dumps(item, default=str) + "\n")
    print(f"gate feed={feed} rows_in={len(rows)} accepted={len(accepted)} rejected={len(rejected)}")
    return accepted, rejected
