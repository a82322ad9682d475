"""Judge for leaky-scaler: runs in the grader on data only.

Rows are the warehouse export's CSV cells (strings): unknown values written as the
variant's sentinel or left empty, real zeros, and real values equal to the *other*
variants' sentinels (a negative balance trend, a large bill), so a gap rule copied from
another variant or guessed ("negative means unknown") is wrong here. The battery is
fixed: two main cases with configs other than the workspace's (columns reordered or
left out, other split fractions and seeds), and one-fault-at-a-time gap cases (zeros
alone, the sentinel alone, empty cells alone, other sentinels as values alone). Seeded
extra cases can only find more failures.
"""

import math
import random

from app.grading.judging import Verdict, close

BATTERY_SEED = 81205
SENTINELS = (-1, -9, -99, -999, -9999, 99999)
# Count of present train values per column, modulo 6 (one residue per column, by
# position): even and odd counts, each with and without a factor of 3, so every way of
# taking the median is told apart.
MEDIAN_RESIDUES = (2, 3, 1, 0, 5)


def _columns(params):
    return ["age", params["spend_col"], params["tenure_col"], "support_calls", "balance_trend"]


def _num(x):
    return str(x) if isinstance(x, int) else repr(x)


def _row(rng, i, params, zeros=True, others=True):
    """One customer's cells, values only (no unknowns yet)."""
    s = params["gap_sentinel"]
    tenure = 0 if zeros and rng.random() < 0.15 else rng.randint(1, 120)
    calls = 0 if zeros and rng.random() < 0.5 else rng.randint(1, 9)
    trend = 0.0 if zeros and rng.random() < 0.1 else round(rng.gauss(-3, 90), 2) or 1.5
    spend = round(rng.lognormvariate(4.0, 0.45), 2)
    if others and rng.random() < 0.12:
        # A real value equal to another variant's sentinel.
        other = rng.choice([x for x in SENTINELS if x != s])
        if other > 0:
            spend = other
        else:
            trend = other
    age = round(rng.gauss(41, 12), 1)
    cells = [age, spend, tenure, calls, trend]
    return {"customer_id": f"C-{300000 + i}", **{c: _num(v) for c, v in zip(_columns(params), cells, strict=True)},
            "churned": str(rng.randint(0, 1))}


def _split_train(rows, config):
    """The rows the contract's split puts in train (split() is fixed by the contract)."""
    order = list(range(len(rows)))
    random.Random(config["split"]["seed"]).shuffle(order)
    test_idx = set(order[:int(round(len(rows) * config["split"]["test_fraction"]))])
    return [r for i, r in enumerate(rows) if i not in test_idx]


def _case(rng, params, columns, test_fraction, split_seed, n, *, gaps=True, empties=True, zeros=True, others=True):
    s = str(params["gap_sentinel"])
    rows = [_row(rng, i, params, zeros, others) for i in range(n)]
    config = {"id_column": "customer_id", "label": "churned", "features": columns,
              "split": {"test_fraction": test_fraction, "seed": split_seed}}
    for j, col in enumerate(columns):
        if gaps:
            for r in rng.sample(rows, 4 + j):
                r[col] = s
        if empties:
            for r in rng.sample(rows, 2 + j % 3):
                r[col] = ""
    # More unknowns in train rows until each column's count of present values has its
    # residue (in a case without gaps, the count is what it is: no unknown is added).
    if gaps or empties:
        train = _split_train(rows, config)
        for col, residue in zip(columns, MEDIAN_RESIDUES, strict=False):
            present = [r for r in train if r[col] not in (s, "")]
            while len(present) % 6 != residue:
                present.pop()[col] = s if gaps else ""
    return {"rows": rows, "config": config, "unknown": [s, ""],
            "shift_factor": round(rng.uniform(5, 50), 3), "shift_offset": round(rng.uniform(100, 1000), 3)}


def make_inputs(seed, params):
    rng, x = random.Random(BATTERY_SEED), random.Random(seed)
    cols = _columns(params)
    fraction = params["test_fraction"]
    cases = [
        _case(rng, params, cols, fraction, 20240527, 180),
        # Columns reordered and one left out, another split: nothing is the workspace's.
        _case(rng, params, [cols[3], cols[0], cols[4], cols[2]], round(0.55 - fraction, 2), 31, 150),
        _case(x, params, x.sample(cols, 5), x.choice([0.2, 0.25, 0.3]), x.randint(8, 10**6), x.randint(120, 200)),
    ]
    one_fault = [
        _case(rng, params, cols, fraction, 11, 90, gaps=False, empties=False, others=False),  # zeros alone
        _case(rng, params, cols, fraction, 12, 90, empties=False, zeros=False, others=False),  # sentinel alone
        _case(rng, params, cols, fraction, 13, 90, gaps=False, zeros=False, others=False),  # empty cells alone
        _case(rng, params, cols, fraction, 14, 90, gaps=False, empties=False, zeros=False),  # other sentinels alone
    ]
    return {"cases": cases, "gap_cases": one_fault}


def _errors(data):
    return sum(isinstance(d, dict) and set(d) == {"error"} for d in data)


def _raised(data):
    n = _errors(data)
    return f" (prepare() raised on {n} of them)" if n else ""


def check_train_standardised(cand, ref, inputs):
    good = total = 0
    for case, train in zip(inputs["cases"], cand.data, strict=True):
        columns = case["config"]["features"]
        total += len(columns)
        if not isinstance(train, list) or not train:
            continue
        for j in range(len(columns)):
            values = [row[j] for row in train]
            mean = sum(values) / len(values)
            std = math.sqrt(sum((v - mean) ** 2 for v in values) / len(values))
            good += abs(mean) < 1e-6 and abs(std - 1) < 1e-6
    if good == total:
        return Verdict.ok("Train features are standardised.")
    return Verdict.share(good, total, f"{total - good} of {total} train features are not centred and scaled "
                                      f"on the train rows{_raised(cand.data)}.")


def _same_stats(cand, ref):
    """(columns whose fill-in and scaler match, columns) over every case."""
    good = total = 0
    for a, b in zip(cand.data, ref.data, strict=True):
        total += len(b)
        if isinstance(a, dict) and "error" not in a:
            good += sum(close(a.get(c), b[c], 1e-6) for c in b)
    return good, total


def check_stats_from_train_only(cand, ref, inputs):
    good, total = _same_stats(cand, ref)
    if good == total:
        return Verdict.ok("The fill-ins and the scaler are those of the train rows.")
    return Verdict.share(good, total, f"The fill-in or scaler of {total - good} of {total} features is not "
                                      f"what the train rows give{_raised(cand.data)}.")


def check_unknowns_per_export_contract(cand, ref, inputs):
    good = sum(isinstance(a, dict) and "error" not in a and all(close(a.get(c), b[c], 1e-6) for c in b)
               for a, b in zip(cand.data, ref.data, strict=True))
    n = len(ref.data)
    if good == n:
        return Verdict.ok("Unknown values and real values are told apart as the export writes them.")
    return Verdict.share(good, n, f"In {n - good} of {n} exports, what the preparation learned is wrong: "
                                  f"unknown and real values are mixed up{_raised(cand.data)}.")


def check_test_rows_cannot_move_stats(cand, ref, inputs):
    good = 0
    for a, b in zip(cand.data, ref.data, strict=True):
        if "error" in a:
            continue
        if a["train_ids"] != b["train_ids"]:
            return Verdict.fail("The train/test split changed: keep split() as it is and every row.")
        good += close(a["before"], a["after"], 1e-9)
    n = len(ref.data)
    if good == n:
        return Verdict.ok("Changing test rows changes nothing the preparation learns.")
    return Verdict.share(good, n, "Changing only the test rows changed what the preparation learns: "
                                  f"test data still reaches the shipped statistics{_raised(cand.data)}.")


def check_test_prepared_like_serving(cand, ref, inputs):
    good = 0
    for a, b in zip(cand.data, ref.data, strict=True):
        if "error" in a:
            continue
        if a["ids"] != b["ids"]:
            return Verdict.fail("The test rows are not the ones split() selects.")
        good += close(a["test"], b["test"], 1e-6)
    n = len(ref.data)
    if good == n:
        return Verdict.ok("Test rows are prepared as serving prepares new requests.")
    return Verdict.share(good, n, "Test rows are not prepared the way serving prepares new requests "
                                  f"with the shipped statistics{_raised(cand.data)}.")
