"""Judge for reproducible-training.

The feature names and hash seeds are fixed, and for them a set iterates in
different orders (checked when this scenario was written), so a model that depends
on set order differs between the fresh interpreters deterministically, not by luck.
"""

import random

from app.grading.judging import Verdict, close

FEATURES = ["age", "debt_ratio", "income", "open_lines", "tenure_years", "utilisation"]
HASH_SEEDS = [1, 2, 3]


def make_inputs(seed):
    rng = random.Random(seed)
    w = {f: rng.uniform(-2, 2) for f in FEATURES}
    rows = []
    for _ in range(rng.randint(80, 140)):
        row = {f: round(rng.random(), 4) for f in FEATURES}
        z = sum(w[f] * row[f] for f in FEATURES) - 0.5
        row["label"] = int(rng.random() < 1 / (1 + 2.718281828 ** -z))
        rows.append(row)
    rows += [dict(r) for r in rng.sample(rows, 10)]  # the feed re-sends some rows
    # A snapshot folder: shards created in an order that is neither their names' nor its
    # reverse, plus the writer's marker; each shard repeats a row of an earlier one.
    shard_rows = [[{f: round(rng.random(), 4) for f in FEATURES} | {"label": rng.randint(0, 1)} for _ in range(6)]
                  for _ in range(5)]
    for k in range(1, 5):
        shard_rows[k].append(dict(shard_rows[k - 1][0]))
    shards = [[f"part-{k:05d}.jsonl", shard_rows[k]] for k in (3, 0, 4, 1, 2)]
    return {
        "shards": shards,
        "rows": rows,
        "seed": rng.randint(1, 10**6),
        "epochs": 3,
        "hash_seeds": HASH_SEEDS,
        "other_seeds": [rng.randint(1, 10**6) for _ in range(2)],
    }


def _model(m):
    return {"weights": m["weights"], "bias": m["bias"]}


def check_same_seed_same_model(cand, ref, inputs):
    a, b = cand.data
    if close(_model(a), _model(b), 1e-12):
        return Verdict.ok("The same seed gives the same model.")
    return Verdict.fail("Two runs with the same seed give different models.")


def check_independent_of_process(cand, ref, inputs):
    models = [_model(m) for m in cand.data]
    if all(close(models[0], m, 1e-12) for m in models[1:]):
        return Verdict.ok("Fresh interpreters give the same model.")
    return Verdict.fail("The model changes from one interpreter to the next with the same seed.")


def check_matches_logged_run(cand, ref, inputs):
    if close(_model(cand.data), _model(ref.data), 1e-9):
        return Verdict.ok("The model matches the approved algorithm's.")
    return Verdict.fail("The model differs from what the approved algorithm produces with this seed.")


def check_seed_controls_order(cand, ref, inputs):
    a, b = (_model(m) for m in cand.data)
    if not close(a, b, 1e-12):
        return Verdict.ok("Different seeds give different models.")
    return Verdict.fail("Different seeds give the same model: the seed does not control the shuffle.")


def check_snapshot_read_in_order(cand, ref, inputs):
    if cand.data == ref.data:
        return Verdict.ok("The snapshot's rows are read in the writer's order.")
    if sorted(map(str, cand.data)) == sorted(map(str, ref.data)):
        return Verdict.fail("The snapshot's rows are all read, but not in the order its writer wrote them.")
    return Verdict.fail("The rows read from the snapshot folder are not the snapshot's rows.")
