"""Replay Monday 2024-06-03, a quiet day, hour by hour, then run the tests: python run.py

The last training of each model before that day comes from the job history.
"""

import unittest

from scheduler import GPU_HOURS_PER_TRAINING, load_signals, replay

LAST_TRAINED = {
    "recommender": "2024-05-31T00:00:00+00:00",
    "search-ranker": "2024-06-01T09:30:00+02:00",
    "churn": "2024-05-30T18:00:00-04:00",
}

signals = load_signals("exports/signals_2024-06-03.csv")
total = 0
for model, hours in signals.items():
    started = replay(model, hours, LAST_TRAINED[model], print)
    total += len(started)
    print(f"== {model}: {len(started)} trainings in 24 hours\n")
print(f"GPU-hours spent on retraining: {total * GPU_HOURS_PER_TRAINING}\n")
unittest.main(module="tests.test_trigger", argv=["tests"], exit=False, verbosity=2)
