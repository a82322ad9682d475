"""Judge for reproducible-training.

The feature names and hash seeds are fixed, and for them a set iterates in
different orders (checked when this scenario was written), so a model that depends
on set order differs between the fresh interpreters deterministically, not by luck.
The label column and the seed's key in the run parameters are the variant's. The
battery is fixed: a snapshot of twelve shards written in an order that is neither their
numbers', nor their names' text order, nor a reverse (so `sorted()` of the names is
wrong too), and a run whose parameters hold a decoy seed next to the recorded one. The
seed draws the training rows and the seeds tried; every seed meets the same battery.
"""

import random

from app.grading.judging import Verdict, close

FEATURES = ["age", "debt_ratio", "income", "open_lines", "tenure_years", "utilisation"]
HASH_SEEDS = [1, 2, 3]


BATTERY_SEED = 20240612
# Shard numbers in the order the battery's writer creates their files.
CREATED = (7, 2, 11, 0, 9, 4, 1, 10, 5, 3, 8, 6)


def _snapshot(rng, label):
    """Twelve shards of six rows; each repeats the first row of the shard written
    before it, so the first-seen duplicate rule depends on reading them in order."""
    shard_rows = [[{f: round(rng.random(), 4) for f in FEATURES} | {label: rng.randint(0, 1)} for _ in range(6)]
                  for _ in range(len(CREATED))]
    for k in range(1, len(CREATED)):
        shard_rows[k].append(dict(shard_rows[k - 1][0]))
    return [[f"part-{k}.jsonl", shard_rows[k]] for k in CREATED]


def make_inputs(seed, params):
    label = params["label_column"]
    battery = random.Random(BATTERY_SEED)
    rng = random.Random(seed)
    w = {f: rng.uniform(-2, 2) for f in FEATURES}
    rows = []
    for _ in range(rng.randint(80, 140)):
        row = {f: round(rng.random(), 4) for f in FEATURES}
        z = sum(w[f] * row[f] for f in FEATURES) - 0.5
        row[label] = int(rng.random() < 1 / (1 + 2.718281828 ** -z))
        rows.append(row)
    rows += [dict(r) for r in rng.sample(rows, 10)]  # the feed re-sends some rows
    return {
        "shards": _snapshot(battery, label),
        # The job run with a parameters file: the recorded seed under the variant's key,
        # the holdout's seed before it, epochs other than the workspace's.
        "job": {"shards": _snapshot(battery, label),
                "params": {"holdout_seed": 11, "epochs": 2, params["seed_key"]: battery.randint(1, 10**6),
                           "learning_rate": 0.05}},
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


def check_job_reproduces_record(cand, ref, inputs):
    runs = [_model(m) for m in cand.data]
    if all(close(m, _model(ref.data[0]), 1e-9) for m in runs):
        return Verdict.ok("The job reproduces the recorded run from its parameters.")
    if close(runs[0], runs[1], 1e-12):
        return Verdict.fail("The job's model is not the one the recorded run's parameters give.")
    return Verdict.fail("The job gives a different model on every run with the same parameters.")
