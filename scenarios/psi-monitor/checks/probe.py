# Inside the sandbox: run the candidate's monitor on generated sample pairs.


def _run(pairs):
    import math

    import drift

    out = []
    for p in pairs:
        result = drift.check(list(p["reference"]), list(p["current"]))
        value = float(result["psi"])
        out.append({"psi": value if math.isfinite(value) else str(value), "alert": bool(result["alert"])})
    return out


def step_monitor(inputs):
    return _run(inputs["pairs"])


def step_empty_bins_safe(inputs):
    return _run(inputs["sparse_pairs"])
