"""Release gate of the support assistant.

Nightly CI runs the offline evaluation set through the candidate build (new prompt,
retriever or model) and through the build serving production, an LLM judge scores
every answer, and this gate decides whether the candidate may ship. Its verdict is
posted on the release ticket by ``run.py`` (see RUNBOOK.md).
"""

import json

import yaml

# Float noise allowance for comparisons with the policy's limits.
EPS = 1e-9


def load_policy(path):
    with open(path, encoding="utf-8") as fh:
        return yaml.safe_load(fh)


def load_results(path):
    """One judged example per line (the harness's JSONL export)."""
    with open(path, encoding="utf-8") as fh:
        return [json.loads(line) for line in fh if line.strip()]


def _score(record, metric):
    return (record.get("scores") or {}).get(metric)


def _normalise(score, scale):
    """Judge scores on the policy's scale, mapped to 0..1."""
    return (score - scale["min"]) / (scale["max"] - scale["min"])


def _slice_of(record, field):
    """The slice at ``field``, a dotted path into the record (``metadata.slice``)."""
    value = record
    for key in field.split("."):
        if not isinstance(value, dict) or key not in value:
            return None
        value = value[key]
    return value


def _mean(values):
    return sum(values) / len(values) if values else 0.0


def summarise(records, policy):
    """Mean normalised score overall and per slice, with example counts."""
    metric = policy["metric"]
    scale = policy["judge_scale"]
    overall = []
    slices = {}
    missing = 0
    for record in records:
        score = _score(record, metric)
        if score is None:
            missing += 1
            continue
        value = _normalise(score, scale)
        overall.append(value)
        name = _slice_of(record, policy["slice_field"])
        if name is not None:
            slices.setdefault(str(name), []).append(value)
    return {
        "mean": _mean([_mean(v) for v in slices.values()]) if slices else _mean(overall),
        "n": len(overall),
        "total": len(records),
        "missing": missing,
        "slices": {name: {"mean": _mean(v), "n": len(v)} for name, v in slices.items()},
    }


def evaluate(policy, baseline, candidate):
    """Gate ``candidate`` (judged examples) against ``baseline`` (production's run of
    the same evaluation set) under ``policy``.

    Returns ``{"passed": bool, "failures": [str], "slices": {name: {"baseline",
    "candidate", "n"}}}``; means are on the 0..1 scale.
    """
    base = summarise(baseline, policy)
    cand = summarise(candidate, policy)
    failures = []

    overall_limit = policy["overall"]["max_drop"]
    drop = base["mean"] - cand["mean"]
    if drop > overall_limit + EPS:
        failures.append(f"overall {policy['metric']} dropped by {drop:.3f} (limit {overall_limit})")

    missing_limit = policy["missing"]["max_share"]
    missing_share = cand["missing"] / cand["total"] if cand["total"] else 1.0
    if missing_share > missing_limit + EPS:
        failures.append(f"{missing_share:.1%} of examples unscored (limit {missing_limit:.1%})")

    slice_rules = policy["per_slice"]
    table = {}
    for name in sorted(set(base["slices"]) & set(cand["slices"])):
        b, c = base["slices"][name], cand["slices"][name]
        table[name] = {"baseline": b["mean"], "candidate": c["mean"], "n": c["n"]}
        if c["n"] < slice_rules["min_examples"]:
            continue  # too few examples for a per-slice verdict; still in the overall mean
        slice_drop = b["mean"] - c["mean"]
        if slice_drop > slice_rules["max_drop"] + EPS:
            failures.append(f"slice {name} dropped by {slice_drop:.3f} (limit {slice_rules['max_drop']})")
    return {"passed": not failures, "failures": failures, "slices": table}
