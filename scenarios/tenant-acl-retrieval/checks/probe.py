# Inside the sandbox: replay generated request sequences against the candidate's
# retriever (one retriever, with its own cache, per sequence) and report what each
# request returned and the cache's counters.


def step_searches(inputs):
    import copy

    import retrieval

    out = []
    for case in inputs["cases"]:
        try:
            r = retrieval.Retriever(copy.deepcopy(case["docs"]), copy.deepcopy(case["policy"]))
            results = []
            for req in case["requests"]:
                user = copy.deepcopy(case["users"][req["user"]])
                results.append([str(i) for i in r.search(user, req["query"], req["k"])])
            cache = getattr(r, "cache", None)
            hits = getattr(cache, "hits", None)
            out.append({"results": results, "hits": hits if isinstance(hits, int) else None})
        except Exception as exc:
            out.append({"error": type(exc).__name__})
    return out
