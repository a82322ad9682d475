# Inside the sandbox: ask the gate about generated cases; report its decisions.


def step_decisions(inputs):
    import yaml

    import gate

    with open("policy.yaml") as fh:
        policy = yaml.safe_load(fh)
    out = []
    for case in inputs["cases"]:
        result = gate.decide(dict(case["candidate"]), case["production"] and dict(case["production"]),
                             case["previous"] and dict(case["previous"]), policy)
        out.append({"promote": bool(result["promote"]), "reasons": [str(r) for r in result.get("reasons", [])]})
    return out
