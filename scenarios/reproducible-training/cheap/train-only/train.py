"""Logistic regression trained by SGD: the credit model's training job."""

import json
import math
import random

LEARNING_RATE = 0.05
LABEL = "{{ label_column }}"  # the target column of the credit feature table


def train(rows, seed, epochs=5):
    """rows: dicts of numeric features plus a 0/1 LABEL. Returns {feature: weight}.

    Reproducible: the shuffle draws from a generator of its own seeded with ``seed``
    (never the shared, unseeded module state), and features are iterated in sorted
    order and duplicates dropped in first-seen order (a set's order changes with each
    interpreter's hash seed).
    """
    rng = random.Random(seed)
    features = sorted({k for row in rows for k in row if k != LABEL})
    weights = {f: 0.0 for f in features}
    bias = 0.0
    # Drop duplicate rows (the feed re-sends some), keeping first-seen order.
    examples = [json.loads(s) for s in dict.fromkeys(json.dumps(r, sort_keys=True) for r in rows)]
    for _ in range(epochs):
        rng.shuffle(examples)
        for row in examples:
            z = bias + sum(weights[f] * row[f] for f in features)
            z = max(-30.0, min(30.0, z))
            error = 1.0 / (1.0 + math.exp(-z)) - row[LABEL]
            for f in features:
                weights[f] -= LEARNING_RATE * error * row[f]
            bias -= LEARNING_RATE * error
    return {"weights": weights, "bias": bias, "features": features}
