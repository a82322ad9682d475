# Inside the sandbox: build a registry (with a secret outside it and a decoy model
# folder beside it), then try generated downloads. Returns outcomes and audit.


def step_downloads(inputs):
    import hashlib
    import os
    import tempfile

    import handlers
    from registry import Registry

    base = tempfile.mkdtemp()
    root = os.path.join(base, "models")
    for model, versions in inputs["models"].items():
        for v in versions + inputs["strays"][model]:
            os.makedirs(os.path.join(root, model, v))
            with open(os.path.join(root, model, v, "model.json"), "w") as fh:
                fh.write(f'{{"model": "{model}", "version": "{v}"}}')
    os.makedirs(os.path.join(base, "keys"))
    with open(os.path.join(base, "keys", "model.json"), "w") as fh:
        fh.write(inputs["secret"])
    os.makedirs(os.path.join(root + "-staging", "v1"))
    with open(os.path.join(root + "-staging", "v1", "model.json"), "w") as fh:
        fh.write(inputs["secret"])
    names = list(inputs["models"])
    for k, (model, links) in enumerate(inputs["links"].items()):
        outside, sideways = links
        os.symlink(os.path.join(base, "keys"), os.path.join(root, model, outside))
        other = names[(k + 1) % len(names)]
        os.symlink(os.path.join(root, other, inputs["models"][other][0]), os.path.join(root, model, sideways))
    reg = Registry(root, {m: list(t) for m, t in inputs["acl"].items()})
    results = []
    for call in inputs["calls"]:
        try:
            data = handlers.download_model(dict(call["user"]), call["model"], call["version"], reg)
            outcome = "served:" + hashlib.sha256(data).hexdigest()[:16]
            leaked = inputs["secret"].encode() in data
        except handlers.Denied:
            outcome, leaked = "Denied", False
        except handlers.NotFound:
            outcome, leaked = "NotFound", False
        except Exception as exc:
            outcome, leaked = "error:" + type(exc).__name__, False
        results.append({"outcome": outcome, "leaked": leaked})
    audit = [{k: str(e.get(k)) for k in ("user", "model", "version", "outcome")} if isinstance(e, dict) else {"bad": str(e)} for e in reg.audit]
    return {"results": results, "audit": audit}
