# Inside the sandbox: ask the gate about generated cases, each with its own policy;
# report its decisions.


def step_decisions(inputs):
    import copy

    import gate

    out = []
    for case in inputs["cases"]:
        result = gate.decide(
            dict(case["candidate"]),
            case["production"] and dict(case["production"]),
            case["previous"] and dict(case["previous"]),
            copy.deepcopy(case["policy"]),
        )
        out.append({"promote": result["promote"] is True, "reasons": [str(r) for r in result.get("reasons", [])]})
    return out
