"""Judge for unsafe-model-load."""

import json
import random

from app.grading.judging import Verdict, close


def make_inputs(seed, params):
    """A fixed battery: the same artifacts on every seed, half of them written
    pretty-printed as the training job does since v2, half ending with a newline (the
    digest is over the bytes exactly as written), in manifests with the variant's
    digest algorithm."""
    rng = random.Random(20240404)
    models = []
    for k in range(4):
        spec = {"format": "linear-v1", "weights": {f: round(rng.uniform(-1, 1), 4) for f in ("tenure", "spend", "tickets")}, "bias": round(rng.uniform(-1, 1), 4)}
        tampered = dict(spec, bias=spec["bias"] + rng.choice([-1, 1]) * round(rng.uniform(0.5, 3), 3))
        indent = 2 if k % 2 else None
        end = "\n" if k >= 2 else ""  # some writers end the file with a newline: still its bytes
        models.append({"json": json.dumps(spec, sort_keys=True, indent=indent) + end,
                       "tampered_json": json.dumps(tampered, sort_keys=True, indent=indent) + end})
    features = [{"tenure": rng.randint(0, 60), "spend": round(rng.uniform(0, 200), 2), "tickets": rng.randint(0, 5)} for _ in range(5)]
    return {"models": models, "features": features, "algo": params["digest_algo"]}


def check_refuses_pickle(cand, ref, inputs):
    executed = any(r["executed"] for r in cand.data)
    refused = sum(r["outcome"] == "refused" for r in cand.data)
    if executed:
        return Verdict.fail("Loading a pickled artifact executed code from it.")
    n = len(cand.data)
    if refused == n:
        return Verdict.ok("Pickled artifacts are refused.")
    return Verdict.share(refused, n, f"{n - refused} of {n} pickled artifacts were not refused with UnsafeArtifact.")


def check_verifies_digest(cand, ref, inputs):
    refused = sum(r["outcome"] == "refused" for r in cand.data)
    n = len(cand.data)
    if refused == n:
        return Verdict.ok("Tampered artifacts are refused.")
    return Verdict.share(refused, n, f"{n - refused} of {n} artifacts that do not match the manifest were loaded or failed the wrong way.")


def check_loads_valid_models(cand, ref, inputs):
    good = sum(c.get("outcome") == "loaded" and close(c.get("predictions"), r["predictions"], 1e-12) for c, r in zip(cand.data, ref.data))
    n = len(ref.data)
    if good == n:
        return Verdict.ok("Valid artifacts load and predict as before.")
    return Verdict.share(good, n, f"{n - good} of {n} valid artifacts did not load or predict differently.")


def check_refuses_unknown_artifacts(cand, ref, inputs):
    if all(r["outcome"] == "refused" for r in cand.data):
        return Verdict.ok("Unlisted artifacts are refused.")
    return Verdict.fail("An artifact missing from the manifest was loaded.")
