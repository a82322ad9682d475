"""The continuous-training scheduler, reduced to what matters here (owned by the
platform team; not part of the trigger).

Every hour the scheduler reads each model's monitoring signals (the drift score of its
input features and the labels that arrived that hour), asks `trigger.should_retrain`
and, on a yes, submits a training job to the GPU pool and resets the model's label
counter. A training job costs about 6 GPU-hours.
"""

import csv

import policy
from trigger import should_retrain

GPU_HOURS_PER_TRAINING = 6


def load_policy(model):
    return policy.load(f"policies/{model}.yaml")


def load_signals(path):
    by_model = {}
    with open(path, newline="") as fh:
        for row in csv.DictReader(fh):
            by_model.setdefault(row["model"], []).append(
                {"now": row["hour_utc"], "drift": float(row["drift_psi"]), "labels": int(row["new_labels"])}
            )
    return by_model


def replay(model, hours, last_trained_at, log):
    """Run the hourly loop over `hours` for `model`; returns the trainings started."""
    try:
        settings = load_policy(model)
    except policy.PolicyError as exc:
        log(f"{model}: policy refused ({exc}); paging the platform team, no retraining")
        return []
    last, labels, started = last_trained_at, 0, []
    for hour in hours:
        labels += hour["labels"]
        decision = should_retrain(last, hour["now"], hour["drift"], labels, settings)
        verdict = "TRAIN" if decision["retrain"] else "skip"
        log(f"{hour['now']} {model:<14} drift={hour['drift']:.3f} labels={labels:<5} -> {verdict} ({decision['reason']})")
        if decision["retrain"]:
            started.append(hour["now"])
            last, labels = hour["now"], 0
    return started
