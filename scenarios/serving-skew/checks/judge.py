"""Judge for serving-skew. Requests are the CRM's payload of the variant (its income and
tenure field names, income per month, plan codes in upper case); training rows are what
the batch sees. The battery is fixed (every age edge and one either side, zero tenure,
zero income, tenure absent, null and -1, each unseen plan); seeded extra requests can only
find more failures."""

import random

from app.grading.judging import Verdict, close

BATTERY_SEED = 20240520
EDGES = [(25, 52000, 0, "basic"), (24.5, 0, 12, "plus"), (25.5, 310.5, 96, "pro"),
         (35, 41000, 0, "plus"), (50, 87000.25, 3, "pro"), (65, 12, 0, "basic"),
         (65.01, 23000, 40, "plus"), (34.99, 64000, 1, "basic"), (49.5, 1200, 0, "pro")]


def _row(rng, plan=None, tenure="draw"):
    return {
        "age": rng.choice([rng.randint(18, 80), rng.choice([25, 35, 50, 65]), round(rng.uniform(18, 80), 2)]),
        "income": round(rng.lognormvariate(10.5, 0.6), 2),
        "tenure": rng.randint(0, 96) if tenure == "draw" else tenure,
        "plan": plan or rng.choice(["basic", "plus", "pro"]),
    }


def _request(i, row, params, unknown="null"):
    """The CRM payload for a customer whose training row is ``row``; an unknown tenure
    is sent as ``unknown``: the field absent, null, or -1 (clients before v2.3)."""
    req = {"customer_id": f"C-{20000 + i}", "age": row["age"],
           params["income_field"]: round(row["income"] / 12, 2), "plan": row["plan"].upper()}
    if row["tenure"] is not None:
        req[params["tenure_field"]] = row["tenure"]
    elif unknown != "absent":
        req[params["tenure_field"]] = None if unknown == "null" else -1
    return req


def make_inputs(seed, params):
    rng, x = random.Random(BATTERY_SEED), random.Random(seed)
    train = [_row(rng) for _ in range(rng.randint(41, 60))] + [_row(x) for _ in range(x.randint(0, 9))]
    for r in rng.sample(train, 5):
        r["tenure"] = None
    complete = [{"age": a, "income": inc, "tenure": t, "plan": p} for a, inc, t, p in EDGES]
    complete += [_row(rng) for _ in range(40)] + [_row(x) for _ in range(5)]
    missing = [(_row(rng, tenure=None), ("absent", "null", "sentinel")[i % 3]) for i in range(12)]
    unseen = [_row(rng, plan=p) for p in ("enterprise", "trial", "edu") for _ in range(3)]
    unseen += [_row(x, plan=x.choice(["enterprise", "trial", "edu", "family"]))]
    return {
        "train": train,
        "complete": [_request(i, r, params) for i, r in enumerate(complete)],
        "missing_tenure": [_request(100 + i, r, params, absent) for i, (r, absent) in enumerate(missing)],
        "unseen_plan": [_request(200 + i, r, params) for i, r in enumerate(unseen)],
    }


def _compare(cand, ref, what):
    pairs = list(zip(cand.data, ref.data))
    if len(cand.data) != len(ref.data):
        return Verdict.fail(f"Expected one vector per request for {what}.")
    errors = sum(isinstance(a, dict) for a, _ in pairs)
    good = sum(close(a, b, 1e-9) for a, b in pairs)
    if good == len(pairs):
        return Verdict.ok(f"Serving matches training for {what}.")
    msg = f"{len(pairs) - good} of {len(pairs)} {what} get a different vector than in training"
    if errors:
        msg += f" ({errors} raised an error)"
    return Verdict.share(good, len(pairs), msg + ".")


def check_features_match_training(cand, ref, inputs):
    return _compare(cand, ref, "complete requests")


def check_missing_tenure_like_training(cand, ref, inputs):
    return _compare(cand, ref, "requests without a tenure")


def check_unseen_plan_like_training(cand, ref, inputs):
    return _compare(cand, ref, "requests with a plan training never saw")


def check_scores_match_offline(cand, ref, inputs):
    good = sum(close(a, b, 1e-9) for a, b in zip(cand.data, ref.data))
    n = len(ref.data)
    if good == n and len(cand.data) == n:
        return Verdict.ok("Online scores equal offline scores.")
    return Verdict.share(good, n, f"{n - good} of {n} online scores differ from offline scores.")
