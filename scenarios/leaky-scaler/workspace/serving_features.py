"""What the scoring endpoint does with a request (read-only copy of the serving repo).

Requests are JSON: a field the CRM does not know is null or absent; 0 is a number like
any other. The endpoint loads `stats.json`, which is what `prep.prepare()` learned,
and never learns anything from the requests it serves.
"""

import json


def load_stats(path):
    with open(path) as fh:
        return json.load(fh)


def vector(request, columns, stats):
    """The model's input for one request, features in `columns` order."""
    out = []
    for col in columns:
        raw = request.get(col)
        x = stats["fill"][col] if raw is None else float(raw)
        scale = stats["scaler"][col]
        out.append((x - scale["mean"]) / scale["std"])
    return out
