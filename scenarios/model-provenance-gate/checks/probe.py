# Inside the sandbox: ask the candidate's deploy gate about generated artifacts and
# attestations; report what it decided.


def step_gate(inputs):
    import base64
    import copy

    import provenance

    out = []
    for case in inputs["cases"]:
        try:
            verdict = provenance.verify(case["name"], base64.b64decode(case["bytes"]), case["declared_sha256"],
                                        copy.deepcopy(case["envelope"]), copy.deepcopy(case["policy"]),
                                        copy.deepcopy(case["keyring"]))
            out.append({"allowed": verdict["allowed"] is True})
        except Exception as exc:
            out.append({"error": type(exc).__name__})
    return out
