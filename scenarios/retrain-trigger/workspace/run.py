"""Replay a quiet day, hour by hour: python run.py"""

from datetime import datetime, timedelta, timezone

import yaml

from trigger import should_retrain

with open("policy.yaml") as fh:
    policy = yaml.safe_load(fh)
start = datetime(2024, 6, 3, tzinfo=timezone.utc)
last, runs = (start - timedelta(days=3)).isoformat(), 0
for hour in range(24):
    now = (start + timedelta(hours=hour)).isoformat()
    if should_retrain(last, now, drift_score=0.03, new_labels=12 * hour, policy=policy)["retrain"]:
        last, runs = now, runs + 1
print(f"{runs} retrains in a quiet day")
