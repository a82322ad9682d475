"""Population Stability Index drift monitor."""

import math

import yaml

with open("monitor.yaml") as _fh:
    POLICY = yaml.safe_load(_fh)


def quantile_edges(values, bins):
    """bins-1 inner edges at the 1/bins, 2/bins, ... quantiles (nearest rank)."""
    s = sorted(values)
    return [s[min(len(s) - 1, int(len(s) * k / bins))] for k in range(1, bins)]


def proportions(values, edges):
    """Share of values per bin; bin i holds edges[i-1] <= v < edges[i]."""
    counts = [0] * (len(edges) + 1)
    for v in values:
        i = 0
        while i < len(edges) and v >= edges[i]:
            i += 1
        counts[i] += 1
    return [c / len(values) for c in counts]


def psi(reference, current, bins=None, epsilon=None):
    """PSI = sum over bins of (cur - ref) * ln(cur / ref), edges from the reference,
    each proportion floored at epsilon."""
    bins = bins or POLICY["bins"]
    epsilon = POLICY["epsilon"] if epsilon is None else epsilon
    ref_p = proportions(reference, quantile_edges(reference, bins))
    cur_p = proportions(current, quantile_edges(reference, bins))
    total = 0.0
    for r, c in zip(ref_p, cur_p):
        r, c = max(r, epsilon), max(c, epsilon)
        total += (c - r) * math.log(c / r)
    return total


def check(reference, current, policy=None):
    """PSI of ``current`` against ``reference`` and whether it alerts, under ``policy``
    (a model's override of monitor.yaml; monitor.yaml when None)."""
    policy = policy or POLICY
    value = psi(reference, current, policy["bins"], policy["epsilon"])
    return {"psi": value, "alert": value >= policy["alert_threshold"]}
