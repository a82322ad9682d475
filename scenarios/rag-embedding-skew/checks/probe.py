# Inside the sandbox: build each generated index with the workspace's (unedited) index
# job, open it with the candidate's retriever, and report what it answered or raised.


def step_retrieval(inputs):
    import copy

    import build_index
    import retriever

    out = []
    for case in inputs["cases"]:
        idx = case["index"]
        manifest, vectors = build_index.build(case["docs"], case["registry"], idx["name"], idx["version"],
                                              lowercase=idx["lowercase"], index_name=idx["index"])
        try:
            service = retriever.open_index(copy.deepcopy(case["config"]), manifest, vectors,
                                           copy.deepcopy(case["registry"]))
        except retriever.IndexMismatch:
            out.append({"refused": True})
            continue
        except Exception as exc:
            out.append({"error": type(exc).__name__})
            continue
        try:
            out.append({"refused": False, "results": [[str(i) for i in service.search(q)] for q in case["queries"]]})
        except Exception as exc:
            out.append({"error": type(exc).__name__})
    return out


def step_shipped(inputs):
    import copy
    import json

    import yaml

    import build_index
    import retriever
    from kb import DOCS, GOLDEN

    with open("models.yaml") as fh:
        registry = yaml.safe_load(fh)
    with open("service_config.yaml") as fh:
        config = yaml.safe_load(fh)
    with open("index_manifest.json") as fh:
        built = json.load(fh)
    emb = built["embedder"]
    manifest, vectors = build_index.build(DOCS, registry, emb["name"], emb["version"],
                                          lowercase=built["text"]["lowercase"], index_name=built["index"])
    out = {"now": _serve(retriever, config, manifest, vectors, registry, GOLDEN)}
    # The registry after the embedding team's next publish: a new version of every model,
    # every alias moved to it. The shipped index and config are unchanged.
    moved = copy.deepcopy(registry)
    for model in moved["models"].values():
        dims = {v["dim"] for v in model["versions"].values()}
        model["versions"]["next-publish"] = {"dim": dims.pop() if len(dims) == 1 else 0}
        model["aliases"] = {alias: "next-publish" for alias in model["aliases"]}
    out["after_next_publish"] = _serve(retriever, copy.deepcopy(config), manifest, vectors, moved, GOLDEN)
    return out


def _serve(retriever, config, manifest, vectors, registry, golden):
    try:
        service = retriever.open_index(config, manifest, vectors, registry)
    except retriever.IndexMismatch:
        return {"refused": True}
    except Exception as exc:
        return {"error": type(exc).__name__}
    return {"refused": False, "results": [[str(i) for i in service.search(q)] for q, _ in golden]}
