"""Judge for leaky-scaler: runs in the grader on data only. Rows carry missing values
(null and empty) and real zeros, so that what the preparation learns includes the
fill-ins for gaps as well as the scaler."""

import math
import random

from app.grading.judging import Verdict, close

# More columns than the sample file has, in another order: a preparation that
# hard-codes the sample's columns or their statistics is wrong here.
COLUMNS = ["tenure", "age", "monthly_calls", "income"]


def make_inputs(seed):
    rng = random.Random(seed)
    n = rng.randint(160, 240)
    rows = [
        {
            "id": i,
            "age": round(rng.gauss(rng.uniform(35, 45), 12), 1),
            "income": round(rng.lognormvariate(10.4, 0.45), 2),
            "tenure": rng.randint(0, 120),
            "monthly_calls": rng.randint(0, 40),
        }
        for i in range(n)
    ]
    # Missing values (null and empty, as the customer table writes them), a different
    # number in each column so that medians of odd and even counts both occur, and
    # real zeros (customers in their first month), which are values, not gaps.
    for j, col in enumerate(COLUMNS):
        for k, r in enumerate(rng.sample(rows, 5 + j + rng.randint(0, 3))):
            r[col] = None if k % 2 else ""
    for col in ("tenure", "monthly_calls"):
        for r in rng.sample(rows, 8):
            if r[col] not in (None, ""):
                r[col] = 0
    test_fraction, split_seed = rng.choice([0.2, 0.25, 0.3]), rng.randint(1, 10**6)
    _median_counts(rows, test_fraction, split_seed)
    return {
        "rows": rows,
        "columns": COLUMNS,
        "test_fraction": test_fraction,
        "split_seed": split_seed,
        "shift_factor": rng.uniform(5, 50),
        "shift_offset": rng.uniform(100, 1000),
    }


# Count of train values present per column, modulo 6: even and odd counts, each with
# and without a factor of 3, so every way of taking the median is told apart.
MEDIAN_RESIDUES = (2, 3, 1, 0)


def _median_counts(rows, test_fraction, split_seed):
    """More gaps in train rows until each column's count of present train values has
    its residue (the split is the workspace's own, which the contract fixes)."""
    order = list(range(len(rows)))
    random.Random(split_seed).shuffle(order)
    test_idx = set(order[:int(round(len(rows) * test_fraction))])
    train = [r for i, r in enumerate(rows) if i not in test_idx]
    for col, residue in zip(COLUMNS, MEDIAN_RESIDUES, strict=True):
        present = [r for r in train if r[col] not in (None, "")]
        while len(present) % 6 != residue:
            present.pop()[col] = None


def check_train_standardised(cand, ref, inputs):
    train = cand.data["train"]
    if not train:
        return Verdict.fail("prepare() returned no train rows.")
    good = 0
    for j, col in enumerate(inputs["columns"]):
        values = [row[j] for row in train]
        mean = sum(values) / len(values)
        std = math.sqrt(sum((v - mean) ** 2 for v in values) / len(values))
        good += abs(mean) < 1e-6 and abs(std - 1) < 1e-6
    n = len(inputs["columns"])
    if good == n:
        return Verdict.ok("Train features are standardised.")
    return Verdict.share(good, n, f"{n - good} of {n} train features are not centred and scaled on the train rows.")


def check_scaler_from_train_only(cand, ref, inputs):
    good = sum(close(cand.data.get(c), ref.data[c], 1e-6) for c in inputs["columns"])
    n = len(inputs["columns"])
    if good == n:
        return Verdict.ok("The scaler is learned from the train rows.")
    return Verdict.share(good, n, f"The scaler statistics of {n - good} of {n} columns are not those of the train rows.")


def check_test_rows_cannot_move_scaler(cand, ref, inputs):
    if cand.data["train_ids"] != ref.data["train_ids"]:
        return Verdict.fail("The train/test split changed: keep split() as it is.")
    if close(cand.data["before"], cand.data["after"], 1e-9):
        return Verdict.ok("Changing test rows does not change the scaler.")
    return Verdict.fail("Changing only the test rows changed the scaler: test data still leaks into preprocessing.")


def check_test_transformed_like_serving(cand, ref, inputs):
    if cand.data["ids"] != ref.data["ids"]:
        return Verdict.fail("The test rows are not the ones split() selects.")
    rows = list(zip(cand.data["test"], ref.data["test"]))
    good = sum(close(a, b, 1e-6) for a, b in rows)
    if good == len(rows):
        return Verdict.ok("Test rows are transformed with the train statistics.")
    return Verdict.fail("Test rows are not transformed with the statistics learned from the train rows.")
