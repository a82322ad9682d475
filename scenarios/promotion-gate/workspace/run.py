"""Replay Tuesday's decision: python run.py"""

import yaml

from gate import decide

with open("policy.yaml") as fh:
    policy = yaml.safe_load(fh)
production = {"rmse": 41.2, "latency_p95_ms": 88, "coverage": 0.97}
previous = {"rmse": 45.0, "latency_p95_ms": 90, "coverage": 0.97}
candidate = {"rmse": 48.7, "latency_p95_ms": 91, "coverage": 0.96}
print(decide(candidate, production, previous, policy))
