"""Judge for serving-skew."""

import random

from app.grading.judging import Verdict, close


def _row(rng, plan=None, tenure="draw"):
    age = rng.choice([rng.randint(18, 80), rng.choice([25, 35, 50, 65])])
    return {
        "age": age,
        "income": round(rng.lognormvariate(10.5, 0.6), 2),
        "tenure": rng.randint(0, 96) if tenure == "draw" else tenure,
        "plan": plan or rng.choice(["basic", "plus", "pro"]),
    }


def make_inputs(seed):
    """A fixed battery (every age edge and one either side, zero tenure, zero income)
    plus seeded extra requests."""
    rng = random.Random(20240520)
    x = random.Random(seed)
    edges = [{"age": a, "income": inc, "tenure": t, "plan": p}
             for a, inc, t, p in [(25, 52000, 0, "basic"), (24.5, 0, 12, "plus"), (25.5, 310.5, 96, "pro"),
                                  (35, 41000, 0, "plus"), (50, 87000.25, 3, "pro"), (65, 1, 0, "basic"),
                                  (65.01, 23000, 40, "plus"), (34.99, 64000, 1, "basic")]]
    train = [_row(rng) for _ in range(rng.randint(41, 60))]
    for r in rng.sample(train, 5):
        r["tenure"] = None
    return {
        "train": train,
        "complete": edges + [_row(rng) for _ in range(40)] + [_row(x) for _ in range(5)],
        "missing_tenure": [_row(rng, tenure=None) for _ in range(10)],
        "unseen_plan": [_row(rng, plan=rng.choice(["enterprise", "trial", "edu"])) for _ in range(10)],
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
    return _compare(cand, ref, "requests with a missing tenure")


def check_unseen_plan_like_training(cand, ref, inputs):
    return _compare(cand, ref, "requests with an unseen plan")


def check_scores_match_offline(cand, ref, inputs):
    good = sum(close(a, b, 1e-9) for a, b in zip(cand.data, ref.data))
    n = len(ref.data)
    if good == n and len(cand.data) == n:
        return Verdict.ok("Online scores equal offline scores.")
    return Verdict.share(good, n, f"{n - good} of {n} online scores differ from offline scores.")
