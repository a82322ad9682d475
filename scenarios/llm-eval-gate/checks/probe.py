# Inside the sandbox: run the release gate on generated evaluation runs and report
# what it decided and the per-slice table it built. Nothing here judges anything.


def _plain(table):
    out = {}
    for name, row in dict(table).items():
        out[str(name)] = {k: (v if isinstance(v, int | float) else str(v)) for k, v in dict(row).items()}
    return out


def step_decisions(inputs):
    import eval_gate

    results = []
    for case in inputs["cases"]:
        try:
            verdict = eval_gate.evaluate(case["policy"], case["baseline"], case["candidate"])
            results.append({"passed": bool(verdict["passed"]), "slices": _plain(verdict.get("slices", {}))})
        except Exception as exc:  # one case's crash is that case's failure
            results.append({"error": type(exc).__name__})
    return results
