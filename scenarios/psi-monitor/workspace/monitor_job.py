"""The hourly drift job: for every monitored model and feature, compare the last hour
of production inputs with the training reference and page on drift.

Production reads both samples from the feature store; here `samples.py` generates
them so the job can be replayed offline.
"""

import yaml

import drift
import samples


def model_policy(model):
    """monitor.yaml with the model's overrides applied."""
    with open("monitor.yaml") as fh:
        policy = yaml.safe_load(fh)
    with open(f"models/{model}.yaml") as fh:
        overrides = yaml.safe_load(fh) or {}
    features = overrides.pop("features", [])
    policy.update(overrides)
    return policy, features


def run_hour(model, hour, shifted_features=()):
    policy, features = model_policy(model)
    rows = []
    for feature in features:
        reference = samples.reference(model, feature)
        current = samples.current(model, feature, hour, shifted=feature in shifted_features)
        result = drift.check(reference, current, policy)
        rows.append({"model": model, "feature": feature, "hour": hour, **result})
    return rows


def page(rows):
    for row in rows:
        if row["alert"]:
            print(f"PAGE drift {row['model']}.{row['feature']} psi={row['psi']:.3f} hour={row['hour']}")
