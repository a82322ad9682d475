"""Judge for holdout-overlap-gate: runs in the grader on data only."""

import random
from datetime import date, timedelta

from app.grading.judging import Verdict, close


def _table(rng, kind, run, holdout_days, first_id):
    """One events table. "stable": customers keep their behaviour; "shifted": half of
    them change it around the start of the holdout period (a price change), which a
    model that only saw the past cannot know; "stalled": the export stopped a few days
    into the holdout period."""
    start = run - timedelta(days=holdout_days)
    first = start - timedelta(days=30)
    last = run + timedelta(days=2)
    if kind == "stalled":
        last = start + timedelta(days=rng.randint(0, 3))
    customers = []
    for c in range(100):
        flip = None
        if kind == "shifted" and rng.random() < 0.55:
            flip = start + timedelta(days=rng.randint(-2, 3))
        elif rng.random() < 0.04:
            flip = first + timedelta(days=rng.randint(0, 50))
        joined = first if rng.random() < 0.9 else first + timedelta(days=rng.randint(10, 45))
        customers.append({"id": f"C{rng.randint(10000, 99999)}-{c}", "churner": rng.random() < 0.3,
                          "flip": flip, "joined": joined, "tenure": rng.randint(1, 60)})
    rows, next_id, day = [], first_id, first
    while day <= last:
        for cust in customers:
            if day < cust["joined"] or rng.random() > 0.18:
                continue
            state = cust["churner"] != (cust["flip"] is not None and day >= cust["flip"])
            calls = rng.randint(2, 7) if state else rng.randint(0, 3)
            label = int(state) if rng.random() > 0.07 else int(not state)
            if day >= run:
                label = 0  # not final yet: the churn job has not looked at these days
            rows.append([next_id, cust["id"], day.isoformat(), cust["tenure"], calls, label])
            next_id += rng.randint(1, 3)
        day += timedelta(days=1)
    rng.shuffle(rows)  # a table has no order
    return rows


BATTERY_SEED = 20240415


def _holdout_count(rows, run, holdout_days):
    start = (run - timedelta(days=holdout_days)).isoformat()
    return sum(1 for r in rows if start <= r[2] < run.isoformat())


def _tied_model(rows, run, holdout_days, rng, above):
    """A model the probe substitutes for the trainer's, right on exactly k of the n
    holdout rows, and the minimum accuracy at k / n (the accuracy the gate computes, to
    the bit) or at (k + 1) / n: the decision's boundary, on it and just above it."""
    start, end = (run - timedelta(days=holdout_days)).isoformat(), run.isoformat()
    holdout = sorted(r[0] for r in rows if start <= r[2] < end)
    right = set(rng.sample(holdout, round(0.8 * len(holdout))))
    holdout = set(holdout)
    churn = [r[0] for r in rows if (r[5] == 1) == (r[0] in right or r[0] not in holdout)]
    return sorted(churn), (len(right) + (1 if above else 0)) / len(holdout)


def _cases(rng, plan, battery, next_id):
    """``plan``: (kind, holdout_days, min_accuracy or "tie"/"tie+1", min_holdout_rows or
    "exact"/"exact+1")."""
    cases = []
    for kind, days, min_acc, min_rows in plan:
        run = date(2024, 1, 1) + timedelta(days=rng.randint(60, 300))
        rows = _table(rng, kind, run, days, next_id)
        next_id = max(r[0] for r in rows) + rng.randint(1, 50)
        if min_rows in ("exact", "exact+1"):
            # The policy's minimum exactly at this table's holdout size, or one above it.
            min_rows = _holdout_count(rows, run, days) + (1 if min_rows == "exact+1" else 0)
        case = {"run_date": run.isoformat(), "rows": rows, "battery": battery}
        if min_acc in ("tie", "tie+1"):
            case["predict_churn"], min_acc = _tied_model(rows, run, days, rng, min_acc == "tie+1")
        case["cfg"] = {"holdout_days": days, "min_holdout_rows": min_rows, "min_accuracy": min_acc}
        cases.append(case)
    return cases, next_id


def make_inputs(seed, params):
    """A fixed battery (settings vary per table: holdout length, minimum rows, minimum
    accuracy; minimum rows exactly at and one above a table's holdout size; a model
    whose holdout accuracy is exactly the minimum, or just below it) plus seeded
    extra tables that can only find more failures. ``holdout_code`` is the code
    reason_routing.yaml gives the gate's "cannot judge" reason in this variant."""
    b, x = random.Random(BATTERY_SEED), random.Random(seed)
    plan = [
        ("stable", 14, 0.75, 150), ("stable", 7, 0.65, 60), ("stable", 21, 0.9, 120),
        ("shifted", 12, 0.72, 120), ("shifted", 14, 0.55, 100), ("stalled", 14, 0.75, 150),
        ("stalled", 12, 0.6, 40), ("stable", 10, 0.7, "exact"), ("stable", 10, 0.7, "exact+1"),
        ("shifted", 7, 0.6, "exact"), ("stable", 14, 0.8, 300),
        ("stable", 14, "tie", 100), ("shifted", 10, "tie+1", 100),
    ]
    cases, next_id = _cases(b, plan, True, b.randint(1, 5000))
    extra_plan = [(x.choice(["stable", "shifted", "stalled"]), x.choice([7, 10, 14, 21]),
                   x.choice([0.6, 0.7, 0.75, 0.85]), x.choice([60, 120, 200])) for _ in range(2)]
    extra, _ = _cases(x, extra_plan, False, next_id)
    return {"cases": cases + extra, "holdout_code": params["holdout_code"]}


def _tally(oks, idx, inputs):
    """Battery cases right, one fewer when only a seeded extra case is wrong: the
    extras can only find more failures."""
    cases = inputs["cases"]
    battery = [ok for ok, i in zip(oks, idx, strict=True) if cases[i]["battery"]]
    good = sum(battery) - (1 if all(battery) and not all(oks) else 0)
    return max(good, 0), len(battery)


def _judged(ref):
    return [i for i, r in enumerate(ref.data) if r["accuracy"] is not None]


def _too_small(ref):
    return [i for i, r in enumerate(ref.data) if r["accuracy"] is None]


def _codes(result):
    return {str(text).partition(":")[0].strip() for text in result["reasons"]}


def _later_ids(case):
    start = (date.fromisoformat(case["run_date"]) - timedelta(days=case["cfg"]["holdout_days"])).isoformat()
    return {r[0] for r in case["rows"] if r[2] >= start}


def check_gate_decision(cand, ref, inputs):
    idx = _judged(ref)
    oks = [
        cand.data[i]["passed"] == ref.data[i]["passed"]
        and close(cand.data[i]["accuracy"], ref.data[i]["accuracy"], 1e-9)
        and (cand.data[i]["passed"] or bool(cand.data[i]["reasons"]))  # a failed gate says why
        for i in idx
    ]
    good, n = _tally(oks, idx, inputs)
    if good == n:
        return Verdict.ok("The gate reports the holdout accuracy and decides as the policy says.")
    return Verdict.share(good, n, f"In {n - good} of {n} CI runs the gate reports another accuracy or takes another decision than an honest evaluation would (or fails without saying why).")


def check_holdout_not_trained_on(cand, ref, inputs):
    idx = _judged(ref)
    leaked = sum(bool(set(cand.data[i]["trained_on"]) & _later_ids(inputs["cases"][i])) for i in idx)
    good, n = _tally([cand.data[i]["trained_on"] == ref.data[i]["trained_on"] for i in idx], idx, inputs)
    if good == n:
        return Verdict.ok("The evaluated model is trained only on rows dated before the holdout period.")
    if leaked:
        return Verdict.share(good, n, f"In {leaked} of {len(idx)} CI runs the evaluated model was trained on rows of the holdout period or later.")
    return Verdict.share(good, n, f"In {n - good} of {n} CI runs the evaluated model is not trained on all the rows before the holdout period.")


def check_holdout_window(cand, ref, inputs):
    idx = _judged(ref)
    good, n = _tally([cand.data[i]["scored"] == ref.data[i]["scored"] for i in idx], idx, inputs)
    if good == n:
        return Verdict.ok("The gate evaluates on exactly the holdout days before the run date.")
    return Verdict.share(good, n, f"In {n - good} of {n} CI runs the gate evaluates on other rows than those of the holdout days before the run date.")


def check_small_holdout_fails(cand, ref, inputs):
    idx = _too_small(ref)
    oks = [not cand.data[i]["passed"] and cand.data[i]["accuracy"] is None and bool(cand.data[i]["reasons"]) for i in idx]
    good, n = _tally(oks, idx, inputs)
    # Failing is only worth credit from a gate that also passes good models.
    wanted = [i for i in _judged(ref) if ref.data[i]["passed"]]
    refused = sum(not cand.data[i]["passed"] for i in wanted)
    if refused:
        return Verdict.share(0, n, f"The gate refuses {refused} of {len(wanted)} good models, so its failures on too few holdout rows say nothing.")
    if good == n:
        return Verdict.ok("With too few holdout rows the gate fails, says why, and reports no accuracy.")
    return Verdict.share(good, n, f"In {n - good} of {n} CI runs with too few holdout rows the gate still passes, reports an accuracy it could not measure honestly, or gives no reason.")


def check_small_holdout_pages_data_platform(cand, ref, inputs):
    """The "cannot judge" failure carries the code that pages the data platform; a model
    refused on its accuracy does not page anyone."""
    code = inputs["holdout_code"]
    small = _too_small(ref)
    refused = [i for i in _judged(ref) if not ref.data[i]["passed"] and not cand.data[i]["passed"]]
    idx = small + refused
    oks = [(code in _codes(cand.data[i])) == (i in small) for i in idx]
    good, n = _tally(oks, idx, inputs)
    if good == n:
        return Verdict.ok("A gate that cannot judge pages the data platform; a refused model pages nobody.")
    return Verdict.share(good, n, f"In {n - good} of {n} failed CI runs the PR bot routes the gate's reason to the wrong team (a gate that cannot judge must page the data platform; a refused model must not).")
