"""The continuous-training scheduler, reduced to what matters here.

Every hour the scheduler reads the monitoring signals of each model (the drift score of
its input features and the number of labels that arrived since its last training), asks
``trigger.should_retrain`` and, on a yes, submits a training job on the GPU pool and
resets the model's label counter. Training jobs cost about 6 GPU-hours each.
"""

import csv

import yaml

from trigger import should_retrain

GPU_HOURS_PER_TRAINING = 6


def load_policy(model):
    with open(f"policies/{model}.yaml") as fh:
        return yaml.safe_load(fh)


def load_signals(path):
    by_model = {}
    with open(path, newline="") as fh:
        for row in csv.DictReader(fh):
            by_model.setdefault(row["model"], []).append(
                {"now": row["hour_utc"], "drift": float(row["drift_psi"]), "labels": int(row["new_labels"])}
            )
    return by_model


def replay(model, hours, last_trained_at, log):
    """Run the hourly loop over ``hours`` for ``model``; returns the trainings started."""
    policy = load_policy(model)
    last, labels, started = last_trained_at, 0, []
    for hour in hours:
        labels += hour["labels"]
        decision = should_retrain(last, hour["now"], hour["drift"], labels, policy)
        verdict = "TRAIN" if decision["retrain"] else "skip"
        log(f"{hour['now']} {model:<14} drift={hour['drift']:.3f} labels={labels:<5} -> {verdict} ({decision['reason']})")
        if decision["retrain"]:
            started.append(hour["now"])
            last, labels = hour["now"], 0
    return started
