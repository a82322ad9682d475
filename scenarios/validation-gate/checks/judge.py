"""Judge for validation-gate."""

import random

from app.grading.judging import Verdict

CURRENCIES = ["EUR", "USD", "GBP"]


def _valid(rng, tid, as_text):
    row = {
        "transaction_id": tid,
        "customer_age": rng.choice([18, 120, rng.randint(18, 120)]),
        "amount": rng.choice([0.01, 50000, round(rng.uniform(0.01, 50000), 2)]),
        "currency": rng.choice(CURRENCIES),
        "risk_score": rng.choice([0.0, 1.0, round(rng.random(), 4)]),
    }
    if as_text:  # rows read from CSV arrive as text
        row = {k: str(v) for k, v in row.items()}
    return row


def make_inputs(seed):
    rng = random.Random(seed)
    ids = iter(rng.sample(range(1000, 99999), 400))
    valid = [_valid(rng, next(ids), rng.random() < 0.5) for _ in range(30)]
    nulls, out_of_range, bad = [], [], []
    for _ in range(20):
        r = _valid(rng, next(ids), rng.random() < 0.5)
        col = rng.choice([c for c in r if c != "transaction_id"])
        choice = rng.random()
        if choice < 0.4:
            r[col] = None
        elif choice < 0.7:
            r[col] = "" if rng.random() < 0.5 else "   "
        else:
            del r[col]
        nulls.append(r)
    for _ in range(20):
        r = _valid(rng, next(ids), rng.random() < 0.5)
        col, value = rng.choice([
            ("customer_age", rng.choice([17, 121, 212, -3])),
            ("amount", rng.choice([0, -5.5, 50000.01, 1e9])),
            ("risk_score", rng.choice([-0.01, 1.7, 42])),
            ("currency", rng.choice(["JPY", "eur", "EURO", ""])),
        ])
        if value == "":
            value = "XXX"
        r[col] = str(value) if isinstance(r[col], str) else value
        out_of_range.append(r)
    for _ in range(20):
        r = _valid(rng, next(ids), True)
        col = rng.choice(["customer_age", "amount", "risk_score"])
        r[col] = rng.choice(["NaN", "nan", "inf", "-inf", "12abc", "1,5", "0x10", "true"])
        if col == "customer_age" and rng.random() < 0.3:
            r[col] = "34.5"
        bad.append(r)
    for _ in range(5):
        r = _valid(rng, next(ids), False)
        r[rng.choice(["customer_age", "amount"])] = True
        bad.append(r)
    return {"valid": valid, "nulls": nulls, "out_of_range": out_of_range, "bad_numbers": bad}


def check_keeps_valid_rows(cand, ref, inputs):
    want = [r["transaction_id"] for r in inputs["valid"]]
    got = cand.data["accepted"]
    if got == want:
        return Verdict.ok("All valid rows are accepted, in order.")
    kept = sum(1 for t in want if t in got)
    return Verdict.share(kept, len(want), f"{len(want) - kept} of {len(want)} valid rows are not accepted (or the order changed).")


def _kept_share(cand, inputs):
    """A gate that also refuses good rows is not doing its job: rejection credit is
    scaled by the share of valid rows it keeps."""
    valid = cand.steps.get("keeps_valid_rows")
    if valid is None:
        return 1.0
    want = [r["transaction_id"] for r in inputs["valid"]]
    return sum(1 for t in want if t in valid["accepted"]) / len(want)


def _rejects(cand, inputs, key, what):
    verdict = _rejects_only(cand, inputs, key, what)
    kept = _kept_share(cand, inputs)
    if kept < 1.0:
        return Verdict(verdict.fraction * kept, verdict.message + " (Credit is reduced because valid rows are rejected too.)")
    return verdict


def _rejects_only(cand, inputs, key, what):
    bad_ids = [r["transaction_id"] for r in inputs[key]]
    let_through = [t for t in bad_ids if t in cand.data["accepted"]]
    if not let_through and cand.data["reasons_given"]:
        return Verdict.ok(f"Rows with {what} are rejected.")
    if not let_through:
        return Verdict(0.5, f"Rows with {what} are rejected, but some rejections give no reason.")
    n = len(bad_ids)
    return Verdict.share(n - len(let_through), n, f"{len(let_through)} of {n} rows with {what} are accepted.")


def check_rejects_nulls(cand, ref, inputs):
    return _rejects(cand, inputs, "nulls", "missing values")


def check_rejects_out_of_range(cand, ref, inputs):
    return _rejects(cand, inputs, "out_of_range", "out-of-range values")


def check_rejects_bad_numbers(cand, ref, inputs):
    return _rejects(cand, inputs, "bad_numbers", "values that are not finite numbers")
