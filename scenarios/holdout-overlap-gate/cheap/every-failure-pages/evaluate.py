"""The evaluation gate of the churn model's CI pipeline.

CI calls ``gate(rows, run_date, cfg, train)`` with every row of the events table,
the run date (ISO date), the content of ci.yaml and the trainer (``model.train``).
A build is promoted only if the gate passes; the PR bot (``pr_report.py``) posts the
reasons of a failed gate on the pull request and routes them by their code.

Each row: ``{"id": int, "customer_id": str, "event_date": "YYYY-MM-DD",
"tenure_months": int, "support_calls": int, "churned": 0 or 1}``.
"""

from datetime import date, timedelta

LOW_ACCURACY = "{{ holdout_code }}"
TOO_LITTLE_HOLDOUT = "{{ holdout_code }}"  # pages the data platform (reason_routing.yaml)


def reason(code, detail):
    """One reason as the PR bot reads it: ``"<code>: <detail>"``."""
    return f"{code}: {detail}"


def split(rows, run_date, cfg):
    """Train on the rows dated before the holdout period; hold out the rows of the
    ``holdout_days`` full days before the run date. Rows dated on or after the run
    date (partial loads, labels not final) are used for nothing."""
    end = date.fromisoformat(run_date)
    start = end - timedelta(days=cfg["holdout_days"])
    train, holdout = [], []
    for r in rows:
        day = date.fromisoformat(r["event_date"])
        if day < start:
            train.append(r)
        elif day < end:
            holdout.append(r)
    return train, holdout


def accuracy(model, rows):
    return sum(model(r) == int(r["churned"]) for r in rows) / len(rows)


def gate(rows, run_date, cfg, train):
    """``{"passed": bool, "accuracy": float or None, "holdout_rows": int, "reasons": [str]}``"""
    train_rows, holdout = split(rows, run_date, cfg)
    if len(holdout) < cfg["min_holdout_rows"]:
        detail = f"only {len(holdout)} holdout rows, fewer than {cfg['min_holdout_rows']}: cannot judge"
        return {"passed": False, "accuracy": None, "holdout_rows": len(holdout),
                "reasons": [reason(TOO_LITTLE_HOLDOUT, detail)]}
    model = train(train_rows)
    acc = accuracy(model, holdout)
    passed = acc >= cfg["min_accuracy"]
    reasons = [] if passed else [reason(LOW_ACCURACY, f"holdout accuracy {acc:.3f} is below {cfg['min_accuracy']}")]
    return {"passed": passed, "accuracy": acc, "holdout_rows": len(holdout), "reasons": reasons}
