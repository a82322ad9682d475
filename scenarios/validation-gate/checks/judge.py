"""Judge for validation-gate. Every batch carries its own data contract (column names,
types, bounds and allowed values differ: the transactions feed, a sensor feed, an
orders feed), so a gate with today's contract.yaml copied into code is wrong on most of
them. Contracts are written in the variant's format 2 (its names for the lower and
upper bounds and the allowed values) and the gate's feeds.yaml lists the feeds trained
on under the variant's key, next to a retired feed that still has a contract. The
battery is fixed and always runs: valid rows exactly on every bound and just inside
it, and one fault at a time per column: the value just outside each bound, a missing or blank
value, a value that is not a finite number of the declared type. A seeded extra
contract runs too; it can only find more failures (an extra failure costs one battery
row), so a gate's grade is the same on every seed."""

import random

from app.grading.judging import Verdict

CONTRACTS = [
    ("transaction_id", {
        "transaction_id": {"type": "int", "min": 1},
        "customer_age": {"type": "int", "min": 18, "max": 120},
        "amount": {"type": "float", "min": 0.01, "max": 50000},
        "currency": {"type": "str", "allowed": ["EUR", "USD", "GBP"]},
        "risk_score": {"type": "float", "min": 0.0, "max": 1.0},
    }),
    ("reading_id", {
        "reading_id": {"type": "int", "min": 1},
        "temperature_c": {"type": "float", "min": -40, "max": 85},
        "humidity_pct": {"type": "float", "min": 0, "max": 100},
        "status": {"type": "str", "allowed": ["ok", "degraded"]},
        "firmware": {"type": "str"},
        "battery_mv": {"type": "int", "min": 2800, "max": 4200},
    }),
    ("order_id", {
        "order_id": {"type": "int", "min": 1},
        "items": {"type": "int", "min": 1, "max": 99},
        "discount": {"type": "float", "max": 0.5},
        "basket_value": {"type": "float", "min": 0},
        "channel": {"type": "str", "allowed": ["web", "app", "store"]},
    }),
]
BAD_TEXT = ["NaN", "nan", "inf", "-inf", "12abc", "1,5", "0x10", "true"]


def _step(rule):
    return 1 if rule["type"] == "int" else 0.01


def _inside(rng, rule):
    """A valid value: on a bound or in between."""
    if rule["type"] == "str":
        return rng.choice(rule["allowed"]) if "allowed" in rule else rng.choice(["v1.2.0", "2024.06-rc1"])
    lo, hi = rule.get("min"), rule.get("max")
    lo = lo if lo is not None else (hi - 1000 if hi is not None else 0)
    hi = hi if hi is not None else lo + 1000
    if rule["type"] == "int":
        return rng.choice([lo, hi, rng.randint(lo, hi)])
    return rng.choice([lo, hi, round(rng.uniform(lo, hi), 2)])


def _valid(rng, id_col, columns, next_id, as_text):
    row = {col: _inside(rng, rule) for col, rule in columns.items()}
    row[id_col] = next_id
    return {k: str(v) for k, v in row.items()} if as_text else row


def _written(columns, keys):
    """The contract as the variant's format 2 spells it."""
    return {"columns": {c: {keys.get(k, k): v for k, v in r.items()} for c, r in columns.items()}}


def _batches(rng, id_col, columns, first_id, battery, keys):
    ids = iter(range(first_id, first_id + 10_000))
    valid, nulls, ranges, bad = [], [], [], []

    def base():
        return _valid(rng, id_col, columns, next(ids), rng.random() < 0.5)

    for col, rule in columns.items():
        # Valid rows exactly on each bound of this column and just inside it (the other
        # columns anywhere inside); just outside is in the out-of-range battery below.
        for bound, sign in (("min", 1), ("max", -1)):
            if bound in rule and col != id_col:
                for value in (rule[bound], round(rule[bound] + sign * _step(rule), 2)):
                    r = base()
                    r[col] = str(value) if isinstance(r[col], str) else value
                    valid.append(r)
            elif bound in rule:
                r = base()
                r[col] = str(rule[bound]) if isinstance(r[col], str) else rule[bound]
                valid.append(r)
        if col == id_col:
            continue
        for fault in (None, "", "   ", "drop"):
            r = base()
            if fault == "drop":
                del r[col]
            else:
                r[col] = fault
            nulls.append(r)
        if rule["type"] in ("int", "float"):
            for bound, sign in (("min", -1), ("max", 1)):
                if bound in rule:
                    r = base()
                    value = round(rule[bound] + sign * _step(rule), 2)
                    r[col] = str(value) if isinstance(r[col], str) else value
                    ranges.append(r)
            for text in BAD_TEXT + (["34.5", "34.0"] if rule["type"] == "int" else []):
                r = base()
                r[col] = text
                bad.append(r)
            r = base()
            r[col] = True
            bad.append(r)
        elif "allowed" in rule:
            for value in (rule["allowed"][0].lower() if rule["allowed"][0] != rule["allowed"][0].lower()
                          else rule["allowed"][0].upper(), "XXX", rule["allowed"][0] + " "):
                r = base()
                r[col] = value
                ranges.append(r)
    for _ in range(8):
        valid.append(base())
    rng.shuffle(valid)
    out = {}
    for key, rows in (("valid", valid), ("nulls", nulls), ("out_of_range", ranges), ("bad_numbers", bad)):
        out[key] = {"id_column": id_col, "contract": _written(columns, keys), "rows": rows, "battery": battery}
    return out


def make_inputs(seed, params):
    keys = {"min": params["min_key"], "max": params["max_key"], "allowed": params["allowed_key"]}
    b, x = random.Random(20240610), random.Random(seed)
    batches = {"valid": [], "nulls": [], "out_of_range": [], "bad_numbers": []}
    for k, (id_col, columns) in enumerate(CONTRACTS):
        for key, batch in _batches(b, id_col, columns, 1000 + 20_000 * k, True, keys).items():
            batches[key].append(batch)
    # A seeded extra contract: today's, with its bounds moved.
    id_col, columns = CONTRACTS[0]
    moved = {c: dict(r) for c, r in columns.items()}
    moved["customer_age"].update(min=x.choice([16, 18, 21]), max=x.choice([99, 110, 120]))
    moved["amount"]["max"] = x.choice([10000, 25000, 75000])
    moved["currency"]["allowed"] = x.sample(["EUR", "USD", "GBP", "CHF", "SEK"], 3)
    for key, batch in _batches(x, id_col, moved, 90_000, False, keys).items():
        batches[key].append(batch)
    batches["gate"] = _gate(batches, str(params["feeds_key"]))
    return batches


FEED_FILES = {"transactions": "contract.yaml", "sensor-readings": "contracts/sensor-readings.yaml",
              "orders": "contracts/orders.yaml"}


def _gate(batches, feeds_key):
    """The gate as pipelines run it: each feed's battery rows (valid and out of range)
    under the feed's name, its contract found through feeds.yaml (under ``feeds_key``);
    a retired feed whose kept contract would accept its rows, and a feed with no
    contract at all."""
    feeds, runs = {}, []
    for (feed, path), k in zip(FEED_FILES.items(), range(len(CONTRACTS)), strict=True):
        valid, bad = batches["valid"][k], batches["out_of_range"][k]
        feeds[feed] = {"path": path, "contract": valid["contract"]}
        runs.append({"feed": feed, "id_column": valid["id_column"], "rows": valid["rows"] + bad["rows"]})
    retired = {"clickstream": {"path": "contracts/clickstream.yaml", "contract": batches["valid"][0]["contract"]}}
    for feed in ("clickstream", "partner-events"):
        runs.append({"feed": feed, "id_column": "transaction_id", "rows": batches["valid"][0]["rows"][:5]})
    return {"feeds_key": feeds_key, "feeds": feeds, "retired": retired, "runs": runs}


def check_gate_applies_the_feeds_contract(cand, ref, inputs):
    runs = inputs["gate"]["runs"]
    good = sum(c == r for c, r in zip(cand.data, ref.data, strict=True))
    if good == len(runs):
        return Verdict.ok("The gate validates each feed against its own contract and stops a feed without one.")
    wrong = [run["feed"] for run, c, r in zip(runs, cand.data, ref.data, strict=True) if c != r]
    return Verdict.share(good, len(runs), f"The gate's outcome is wrong for {len(wrong)} of {len(runs)} feeds "
                         f"({', '.join(wrong)}).")


def _ids(inputs, key, battery):
    return [r[b["id_column"]] for b in inputs[key] if b["battery"] is battery for r in b["rows"]
            if b["id_column"] in r]


def _accepted(cand):
    return {a for batch in cand.data for a in batch["accepted"]} if isinstance(cand.data, list) else set()


def check_keeps_valid_rows(cand, ref, inputs):
    want = [[r[b["id_column"]] for r in b["rows"]] for b in inputs["valid"]]
    got = [batch["accepted"] for batch in cand.data] if isinstance(cand.data, list) else []
    battery = [i for i, b in enumerate(inputs["valid"]) if b["battery"]]
    if len(got) == len(want) and all(got[i] == want[i] for i in range(len(want))):
        return Verdict.ok("All valid rows are accepted, in order.")
    n = sum(len(want[i]) for i in battery)
    kept = sum(1 for i in battery for t in want[i] if i < len(got) and t in got[i])
    if kept == n:
        kept -= 1  # in order, or on the extra contract, something is off
    return Verdict.share(kept, n, f"{n - kept} of {n} valid rows are not accepted (or the order changed).")


def _kept_share(cand, inputs):
    """A gate that also refuses good rows is not doing its job: rejection credit is
    scaled by the share of valid battery rows it keeps."""
    valid = cand.steps.get("keeps_valid_rows")
    if not isinstance(valid, list):
        return 0.0
    accepted = {a for batch in valid for a in batch["accepted"]}
    want = _ids(inputs, "valid", True)
    return sum(1 for t in want if t in accepted) / len(want)


def _rejects(cand, inputs, key, what):
    accepted = _accepted(cand)
    battery, extra = _ids(inputs, key, True), _ids(inputs, key, False)
    through = [t for t in battery if t in accepted]
    good = len(battery) - len(through)
    if not through and any(t in accepted for t in extra):
        good -= 1
    reasons = isinstance(cand.data, list) and all(batch["reasons_given"] for batch in cand.data)
    n = len(battery)
    if good == n and reasons:
        verdict = Verdict.ok(f"Rows with {what} are rejected.")
    elif good == n:
        verdict = Verdict(0.5, f"Rows with {what} are rejected, but some rejections give no reason.")
    else:
        verdict = Verdict.share(good, n, f"{n - good} of {n} rows with {what} are accepted.")
    kept = _kept_share(cand, inputs)
    if kept < 1.0:
        return Verdict(verdict.fraction * kept, verdict.message + " (Credit is reduced because valid rows are rejected too.)")
    return verdict


def check_rejects_nulls(cand, ref, inputs):
    return _rejects(cand, inputs, "nulls", "missing values")


def check_rejects_out_of_range(cand, ref, inputs):
    return _rejects(cand, inputs, "out_of_range", "out-of-range or unlisted values")


def check_rejects_bad_numbers(cand, ref, inputs):
    return _rejects(cand, inputs, "bad_numbers", "values that are not finite numbers of the declared type")
