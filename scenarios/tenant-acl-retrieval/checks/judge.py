"""Judge for tenant-acl-retrieval.

Each case is one retriever's life: a corpus of several tenants' documents (some
restricted to groups) plus the deployment's shared corpus, users, and a sequence of
requests. Whether a user may read a document is an absolute rule, checked here on
every result; what the best k are is compared with the reference. Kinds hold one
situation each: plain searches (small tenants among big ones), the same question from
users of different tenants, from users of one tenant with different groups, questions
the shared corpus answers, and repeats by users with the same access (typed otherwise,
or asking for fewer results). Tenant, group and shared-corpus names vary per case. The
battery is fixed; the seed only adds cases.
"""

import random

from app.grading.judging import Verdict

TENANTS = ["acme", "globex", "initech", "umbrella", "hooli", "vandelay", "stark", "wayne", "tyrell", "cyberdyne"]
SHARED = ["public", "shared", "global-kb", "product-docs", "common"]
GROUPS = ["hr", "finance", "legal", "eng", "support", "sales", "exec"]
WORDS = ("salary bands holiday allowance leave expense travel policy password reset parking office review "
         "budget forecast revenue contract invoice security laptop onboarding pension bonus rota meeting "
         "room booking claim training benefits insurance remote hardware").split()


def _corpus(rng, shared=None):
    tenants = rng.sample(TENANTS, 4)
    shared = shared or rng.choice(SHARED)
    docs = []
    sizes = [rng.randint(14, 20), rng.randint(10, 14), rng.randint(2, 4), rng.randint(3, 5)]
    for tenant, size in zip(tenants, sizes, strict=True):
        for i in range(size):
            groups = [] if rng.random() < 0.5 else rng.sample(GROUPS, rng.randint(1, 2))
            docs.append({"id": f"{tenant[:4]}-{i:03d}", "tenant": tenant, "groups": groups,
                         "text": " ".join(rng.sample(WORDS, rng.randint(4, 8)))})
    for i in range(4):
        docs.append({"id": f"{shared[:3]}-{i:03d}", "tenant": shared, "groups": rng.sample(GROUPS, 1) if i == 0 else [],
                     "text": " ".join(rng.sample(WORDS, rng.randint(4, 8)))})
    rng.shuffle(docs)
    users = {}
    for tenant in tenants:
        for j in range(3):
            users[f"{tenant}-u{j}"] = {"id": f"{tenant}-u{j}", "tenant": tenant,
                                        "groups": sorted(rng.sample(GROUPS, rng.randint(0, 2)))}
    return tenants, shared, docs, users


def _query(rng, docs, tenant=None):
    pool = [d for d in docs if tenant is None or d["tenant"] == tenant]
    return " ".join(rng.sample(rng.choice(pool)["text"].split(), 2))


def _case(rng, kind, extra, shared=None):
    tenants, shared, docs, users = _corpus(rng, shared)
    requests = []

    def ask(user, query):
        requests.append({"user": user, "query": query, "k": rng.choice([3, 4, 5])})

    if kind == "plain":  # small tenants (the third and fourth) asking, nothing repeated
        for t in tenants[2:] * 2 + tenants[:1]:
            ask(f"{t}-u{rng.randrange(3)}", _query(rng, docs, t) + " " + _query(rng, docs))
    elif kind == "cross_tenant":  # the same question from users of different tenants
        for _ in range(2):
            q = _query(rng, docs, tenants[0])
            k = rng.choice([3, 4, 5])
            for t in rng.sample(tenants, 4):
                requests.append({"user": f"{t}-u{rng.randrange(3)}", "query": rng.choice([q, q.upper(), f" {q} "]),
                                 "k": k})
    elif kind == "groups":  # the same question inside one tenant, users with other groups
        t = tenants[0]
        users[f"{t}-u0"]["groups"] = ["hr"]
        users[f"{t}-u1"]["groups"] = []
        users[f"{t}-u2"]["groups"] = ["finance", "legal"]
        for d in docs:
            if d["tenant"] == t and rng.random() < 0.4:
                d["groups"] = [rng.choice(["hr", "finance", "legal"])]
        for _ in range(2):
            restricted = [d for d in docs if d["tenant"] == t and d["groups"]]
            q = " ".join(rng.sample(rng.choice(restricted)["text"].split(), 2))
            k = rng.choice([3, 4, 5])
            for j in rng.sample([0, 1, 2], 3):
                requests.append({"user": f"{t}-u{j}", "query": q, "k": k})
    elif kind == "shared":  # questions the shared corpus answers
        for _ in range(4):
            ask(f"{rng.choice(tenants)}-u{rng.randrange(3)}", _query(rng, docs, shared))
    elif kind == "repeat":  # users with the same access asking the same question
        t = rng.choice(tenants)
        users[f"{t}-u1"]["groups"] = list(reversed(users[f"{t}-u0"]["groups"]))
        q = _query(rng, docs, t)
        for j in (0, 1, 0, 2):
            requests.append({"user": f"{t}-u{j}", "query": q, "k": 4})
        # The same question typed otherwise (one entry after normalising), then asked
        # for fewer results (not the same answer).
        requests.append({"user": f"{t}-u1", "query": f"  {q.upper()}   ", "k": 4})
        requests.append({"user": f"{t}-u0", "query": q.replace(" ", "  "), "k": 3})
    return {"kind": kind, "extra": extra, "policy": {"shared_tenant": shared}, "docs": docs, "users": users,
            "requests": requests}


BATTERY = ["plain", "plain", "plain", "cross_tenant", "cross_tenant", "cross_tenant", "groups", "groups",
           "groups", "shared", "shared", "repeat", "repeat"]


def make_inputs(seed, params):
    fixed = random.Random("tenant-acl-retrieval battery v1")
    cases = [_case(fixed, kind, False) for kind in BATTERY]
    if params:  # the region's own shared corpus, and the other cases in it
        cases += [_case(fixed, kind, False, shared=str(params["shared_tenant"]))
                  for kind in ("shared", "plain", "cross_tenant")]
    rng = random.Random(seed)
    cases += [_case(rng, kind, True) for kind in BATTERY]
    return {"cases": cases}


def _readable(user, doc, policy):
    if doc["tenant"] == policy["shared_tenant"]:
        return True
    return doc["tenant"] == user["tenant"] and (not doc["groups"] or bool(set(doc["groups"]) & set(user["groups"])))


def _requests(inputs, kinds, extra):
    return [(i, j) for i, c in enumerate(inputs["cases"]) if c["kind"] in kinds and c["extra"] == extra
            for j in range(len(c["requests"]))]


def _same(cand, ref, inputs, i, j):
    c = cand.data[i]
    return "error" not in c and c["results"][j] == ref.data[i]["results"][j]


def _safe(cand, ref, inputs, i, j):
    c = cand.data[i]
    if "error" in c:
        return False
    case = inputs["cases"][i]
    user = case["users"][case["requests"][j]["user"]]
    docs = {d["id"]: d for d in case["docs"]}
    return all(d in docs and _readable(user, docs[d], case["policy"]) for d in c["results"][j])


def _answered(cand, ref, inputs):
    """Share of the battery's requests that the reference answers and the candidate
    answers too: an empty answer leaks nothing, and is worth nothing."""
    wanted = [(i, j) for i, j in _requests(inputs, set(BATTERY), False) if ref.data[i]["results"][j]]
    return sum("error" not in cand.data[i] and bool(cand.data[i]["results"][j]) for i, j in wanted) / len(wanted)


def _score(cand, ref, inputs, kinds, what, right, guard):
    fixed = _requests(inputs, kinds, False)
    extra = _requests(inputs, kinds, True)
    good = sum(right(cand, ref, inputs, i, j) for i, j in fixed)
    fraction = good / len(fixed)
    if fraction == 1.0 and not all(right(cand, ref, inputs, i, j) for i, j in extra):
        good, fraction = len(fixed) - 1, 1.0 - 1.0 / len(fixed)
    message = f"Right for every one of the {what}." if good == len(fixed) else f"Wrong for {len(fixed) - good} of {len(fixed)} {what}."
    if guard:
        answered = _answered(cand, ref, inputs)
        if answered < 1.0:
            fraction *= answered
            message += " (Credit reduced: requests that have readable matches get no answer.)"
    return Verdict(fraction, message)


def check_own_tenant_results(cand, ref, inputs):
    return _score(cand, ref, inputs, {"plain"}, "searches by users of small tenants", _same, False)


def check_no_cross_tenant_leak(cand, ref, inputs):
    return _score(cand, ref, inputs, {"cross_tenant", "plain"}, "requests where other tenants' documents match",
                  _safe, True)


def check_group_acl_respected(cand, ref, inputs):
    return _score(cand, ref, inputs, {"groups"}, "requests on group-restricted documents", _safe, True)


def check_shared_corpus_visible(cand, ref, inputs):
    return _score(cand, ref, inputs, {"shared"}, "questions answered by the shared corpus", _same, False)


def check_cache_shared_within_access(cand, ref, inputs):
    cases = inputs["cases"]
    fixed = [i for i, c in enumerate(cases) if c["kind"] == "repeat" and not c["extra"]]
    extra = [i for i, c in enumerate(cases) if c["kind"] == "repeat" and c["extra"]]

    def right(i):
        c = cand.data[i]
        return "error" not in c and c["results"] == ref.data[i]["results"] and c["hits"] == ref.data[i]["hits"]

    good = sum(right(i) for i in fixed)
    if good == len(fixed) and not all(right(i) for i in extra):
        good -= 1
    if good == len(fixed):
        return Verdict.ok("Users with the same access share cached answers.")
    return Verdict.share(good, len(fixed), "Repeated questions from users with the same access are not answered "
                                           "as they should be from the cache.")
