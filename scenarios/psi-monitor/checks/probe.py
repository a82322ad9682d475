# Inside the sandbox: run the candidate's monitor on generated sample pairs, each with
# the policy the inputs give.


def step_monitor(inputs):
    import math

    import drift

    out = []
    for case in inputs["cases"]:
        try:
            result = drift.check(list(case["reference"]), list(case["current"]), dict(case["policy"]))
            value = float(result["psi"])
            out.append({"psi": value if math.isfinite(value) else str(value), "alert": result["alert"] is True})
        except (ArithmeticError, ValueError) as exc:
            out.append({"psi": f"raised {type(exc).__name__}", "alert": None})
    return out
