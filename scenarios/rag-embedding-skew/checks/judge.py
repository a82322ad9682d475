"""Judge for rag-embedding-skew.

Each case is a model registry, an index built by the workspace's own index job with
some model, version and text preparation, a service config, and queries. Kinds hold
one fault each: the config matches the index (pinned or through an alias) and must
serve exactly what the reference serves, or it names another version, another model
or an alias that has moved, and the index must not be served. Registries, names,
versions, aliases, dimensions and top-k vary per case. The battery is fixed; the seed
only adds cases.
"""

import random

from app.grading.judging import Verdict

MODELS = ["text-embed", "kb-encoder", "mini-embed", "doc-vec", "retr-small", "e5-lite"]
VERSIONS = ["2", "3", "4", "2025-06", "2026-01", "v5", "v6", "11"]
ALIASES = ["latest", "stable", "prod", "current", "default"]
WORDS = ("refund order invoice shipping delivery warranty battery password account address cancel "
         "return gift card price payment express standard tracking parcel courier damaged defect photo "
         "claim receipt vat business download pdf settings security code login email phone deletion "
         "retention history exchange credit voucher store pickup locker customs duty size colour").split()


def _registry(rng):
    names = rng.sample(MODELS, 2)
    versions = rng.sample(VERSIONS, 3)
    dim = rng.choice([32, 48, 64])
    models = {}
    for name in names:
        vs = {v: {"dim": dim} for v in versions}
        aliases = dict(zip(rng.sample(ALIASES, 3), [rng.choice(versions) for _ in range(3)], strict=True))
        models[name] = {"aliases": aliases, "versions": vs}
    return {"models": models}


def _docs(rng, n):
    docs = []
    for i in range(n):
        words = rng.sample(WORDS, rng.randint(5, 9))
        words = [w.capitalize() if rng.random() < 0.3 else w for w in words]
        docs.append({"id": f"d{i:03d}", "text": " ".join(words) + "."})
    return docs


def _queries(rng, docs, capitals):
    out = []
    for doc in rng.sample(docs, 5):
        words = rng.sample(doc["text"].rstrip(".").split(), 3)
        words = [w.lower() for w in words]
        if capitals:
            words = [w.upper() if rng.random() < 0.3 else w.capitalize() for w in words]
        out.append(" ".join(words))
    return out


def _case(rng, kind, extra):
    reg = _registry(rng)
    name, other = list(reg["models"])
    versions = list(reg["models"][name]["versions"])
    built = rng.choice(versions)
    lowercase = rng.random() < 0.6
    config_name, config_version = name, built
    aliases = reg["models"][name]["aliases"]
    if kind == "case":
        lowercase = not extra or rng.random() < 0.5
    if kind == "case_kept":
        lowercase = False
    if kind == "alias_match":
        alias = rng.choice(list(aliases))
        aliases[alias] = built
        config_version = alias
    elif kind == "alias_moved":
        alias = rng.choice(list(aliases))
        aliases[alias] = rng.choice([v for v in versions if v != built])
        config_version = alias
    elif kind == "pinned_other":
        config_version = rng.choice([v for v in versions if v != built])
    elif kind == "other_model":
        config_name = other
    docs = _docs(rng, rng.randint(20, 30))
    return {
        "kind": kind,
        "extra": extra,
        "registry": reg,
        "index": {"index": rng.choice(["support-kb", "help-centre", "policies", "faq-de"]), "name": name,
                  "version": built, "lowercase": lowercase},
        "config": {"index": "x", "query": {"embedder": config_name, "version": config_version,
                                           "top_k": rng.randint(3, 6)}},
        "docs": docs,
        "queries": _queries(rng, docs, capitals=kind in ("case", "case_kept") or (kind == "matched" and lowercase)),
    }


BATTERY = ["matched", "matched", "matched", "case", "case", "case_kept", "alias_match", "alias_match",
           "alias_moved", "alias_moved", "pinned_other", "pinned_other", "other_model", "other_model"]


def _variant_case(params):
    """The shipped situation of this variant, once served and once on the new alias."""
    rng = random.Random("rag-embedding-skew variant")
    name, old, new = str(params["embedder"]), str(params["index_version"]), str(params["new_version"])
    registry = {"models": {name: {"aliases": {"latest": new, "stable": new, "previous": old},
                                  "versions": {old: {"dim": int(params["dim"])}, new: {"dim": int(params["dim"])}}}}}
    docs = _docs(rng, 24)
    out = []
    for kind, version in (("matched", old), ("alias_match", "previous"), ("alias_moved", "latest")):
        out.append({"kind": kind, "extra": False, "registry": registry,
                    "index": {"index": "support-kb", "name": name, "version": old, "lowercase": True},
                    "config": {"index": "support-kb", "query": {"embedder": name, "version": version,
                                                                "top_k": int(params["top_k"])}},
                    "docs": docs, "queries": _queries(rng, docs, capitals=True)})
    return out


def make_inputs(seed, params):
    fixed = random.Random("rag-embedding-skew battery v1")
    cases = [_case(fixed, kind, False) for kind in BATTERY]
    if params:
        cases += _variant_case(params)
    rng = random.Random(seed)
    cases += [_case(rng, kind, True) for kind in BATTERY]
    return {"cases": cases}


def _right(c, r):
    if "error" in c:
        return False
    if r["refused"]:
        return c["refused"] is True
    return c["refused"] is False and c["results"] == r["results"]


def _score(cand, ref, inputs, kinds, what, refusals):
    cases = inputs["cases"]
    fixed = [i for i, c in enumerate(cases) if c["kind"] in kinds and not c["extra"]]
    extra = [i for i, c in enumerate(cases) if c["kind"] in kinds and c["extra"]]
    right = [i for i in fixed if _right(cand.data[i], ref.data[i])]
    fraction = 1.0
    for group in ([i for i in fixed if ref.data[i]["refused"]], [i for i in fixed if not ref.data[i]["refused"]]):
        if group:
            fraction *= sum(i in right for i in group) / len(group)
    reduced = ""
    if refusals:
        # Refusing is worth something only from a service that still serves good indexes.
        serving = [i for i, c in enumerate(cases) if not c["extra"] and not ref.data[i]["refused"]]
        kept = sum(cand.data[i].get("refused") is False for i in serving) / len(serving)
        if kept < 1.0:
            fraction *= kept
            reduced = " (Credit reduced: good configurations are refused too.)"
    if fraction == 1.0 and not all(_right(cand.data[i], ref.data[i]) for i in extra):
        fraction = 1.0 - 1.0 / len(fixed)
    if fraction == 1.0:
        return Verdict.ok(f"Right for every one of the {what}.")
    wrong = len(fixed) - len(right)
    if wrong == 0 and not reduced:
        wrong = 1  # only the seeded extra cases found a failure
    return Verdict(fraction, (f"Wrong for {wrong} of {len(fixed)} {what}." if wrong else f"Right for the {what}.") + reduced)


def check_matched_index_serves(cand, ref, inputs):
    return _score(cand, ref, inputs, {"matched"}, "indexes opened with the model that built them", False)


def check_query_text_prepared_like_index(cand, ref, inputs):
    return _score(cand, ref, inputs, {"case", "case_kept"}, "searches whose text differs in case from the index",
                  False)


def check_aliases_resolved(cand, ref, inputs):
    return _score(cand, ref, inputs, {"alias_match", "alias_moved"}, "services configured through an alias", True)


def check_mismatched_model_refused(cand, ref, inputs):
    return _score(cand, ref, inputs, {"pinned_other", "other_model"},
                  "services configured for a model other than the index's", True)


def check_shipped_config_serves(cand, ref, inputs):
    expected = ref.data["now"]["results"]
    served = [cand.data.get(moment) or {} for moment in ("now", "after_next_publish")]
    good = sum(1 for s in served if s.get("refused") is False and s.get("results") == expected)
    if good == 2:
        return Verdict.ok("The shipped configuration serves the shipped index, and still does after the next publish.")
    if served[0].get("refused") is False and served[0].get("results") == expected:
        return Verdict.share(1, 2, "The shipped configuration serves the shipped index today, but not once the registry's aliases move at the next publish.")
    return Verdict.share(good, 2, "The shipped configuration does not serve the shipped index as it should.")
