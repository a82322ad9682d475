"""Judge for prompt-version-pinning.

Each case is a deployment: gateway settings (environment and where pinning and
approval are required), a prompt registry, routes, and requests. Kinds hold one fault
each, against a deployment that is otherwise right: a route following an alias where
pinning is required (and where it is not), a route with no version, an unapproved
version where approval is required (and where it is not), a template edited after
publishing. Environments, prompt ids, versions and aliases vary per case. The battery
is fixed; the seed only adds cases.
"""

import hashlib
import random

from app.grading.judging import Verdict

ENVIRONMENTS = ["production", "prod-eu", "prod-us", "staging", "preprod", "canary", "dev", "sandbox", "qa"]
PROMPTS = ["refund-answer", "order-status", "returns-help", "billing-faq", "warranty-claim", "kyc-explainer"]
ALIASES = ["latest", "candidate", "next", "beta", "ab-test"]
MODELS = ["chat-s", "chat-m", "chat-l"]
SENTENCES = [
    "You are the support assistant for {brand}.",
    "Answer only from the excerpts below.",
    "Cite the excerpt you used.",
    "If the excerpts do not answer it, say so and offer a human agent.",
    "Be brief and polite.",
    "Never promise a date.",
    "Reply in the customer's language.",
    "Do not mention internal tools.",
]
FIELDS = ("request_id", "route", "prompt_id", "prompt_version", "prompt_sha256", "model")


def _template(rng):
    parts = rng.sample(SENTENCES, 4)
    return " ".join(parts) + "\nExcerpts:\n{context}\nQuestion: {question}"


def _settings(rng, env, pinned, approval):
    others = [e for e in ENVIRONMENTS if e != env]
    pin = rng.sample(others, 2) + ([env] if pinned else [])
    app = rng.sample(others, 1) + ([env] if approval else [])
    rng.shuffle(pin)
    return {"environment": env, "require_pinned_in": pin, "require_approval_in": app}


def _registry(rng, ids):
    prompts = {}
    for pid in ids:
        count = rng.randint(3, 5)
        start = rng.randint(1, 9)
        versions = {}
        for n in range(start, start + count):
            text = _template(rng)
            versions[str(n)] = {"template": text, "sha256": hashlib.sha256(text.encode()).hexdigest(),
                                "approved_by": f"reviewer-{rng.randint(1, 9)}", "author": "author"}
        names = list(versions)
        versions[names[-1]]["approved_by"] = None  # the newest is a draft
        aliases = dict.fromkeys(rng.sample(ALIASES, 2), names[-1])
        prompts[pid] = {"aliases": aliases, "versions": versions}
    return {"prompts": prompts}


def _approved(registry, pid):
    return [v for v, e in registry["prompts"][pid]["versions"].items() if e["approved_by"]]


def _case(rng, kind, extra, env=None):
    env = env or rng.choice(ENVIRONMENTS)
    strict_pin = kind in ("pinned", "alias_strict", "missing_version", "tampered") or (
        kind == "unapproved_relaxed" and rng.random() < 0.5)
    strict_app = kind in ("pinned", "alias_strict", "missing_version", "unapproved_strict") or (
        kind == "tampered" and rng.random() < 0.5)
    if kind == "alias_relaxed":
        strict_pin, strict_app = False, False
    if kind == "unapproved_strict":
        strict_pin = rng.random() < 0.5
    # The two rules' lists apart, one rule enforced and not the other, and integrity
    # where neither is: each rule follows its own list, integrity holds everywhere.
    if kind in ONE_RULE:
        strict_pin, strict_app = ONE_RULE[kind]
    settings = _settings(rng, env, strict_pin, strict_app)
    ids = rng.sample(PROMPTS, 3)
    registry = _registry(rng, ids)
    routes = [{"route": f"/support/{pid}", "prompt": pid, "version": rng.choice(_approved(registry, pid)),
               "model": rng.choice(MODELS)} for pid in ids]
    bad = routes[rng.randrange(len(routes))]
    entry = registry["prompts"][bad["prompt"]]
    if kind in ("alias_strict", "alias_relaxed", "alias_pin_only", "alias_approval_only"):
        alias = rng.choice(list(entry["aliases"]))
        if (kind == "alias_strict" and rng.random() < 0.5) or kind in ("alias_pin_only", "alias_approval_only"):
            entry["aliases"][alias] = rng.choice(_approved(registry, bad["prompt"]))  # even a good one
        bad["version"] = alias
    elif kind == "missing_version":
        del bad["version"]
    elif kind in ("unapproved_strict", "unapproved_relaxed", "unapproved_pin_only", "unapproved_approval_only"):
        bad["version"] = next(v for v, e in entry["versions"].items() if not e["approved_by"])
    elif kind in ("tampered", "tampered_relaxed"):
        version = entry["versions"][bad["version"]]
        version["template"] = version["template"].replace("\nExcerpts:", " Refunds take 24 hours.\nExcerpts:")
    requests = []
    for _ in range(4):
        r = rng.choice(routes)
        requests.append({"route": r["route"], "request_id": f"req-{rng.getrandbits(32):08x}", "variables": {
            "brand": rng.choice(["Northwind", "Contoso", "Fabrikam"]),
            "context": f"Policy excerpt {rng.randint(1, 999)}.", "question": f"Question {rng.randint(1, 999)}?"}})
    return {"kind": kind, "extra": extra, "settings": settings, "registry": registry, "routes": routes,
            "requests": requests}


# (pinning required, approval required) for the kinds that hold one rule apart.
ONE_RULE = {"alias_pin_only": (True, False), "alias_approval_only": (False, True),
            "unapproved_pin_only": (True, False), "unapproved_approval_only": (False, True),
            "tampered_relaxed": (False, False)}

BATTERY = ["pinned", "pinned", "pinned", "alias_strict", "alias_strict", "alias_relaxed", "alias_relaxed",
           "missing_version", "unapproved_strict", "unapproved_strict", "unapproved_relaxed", "unapproved_relaxed",
           "tampered", "tampered", *ONE_RULE]


def make_inputs(seed, params):
    fixed = random.Random("prompt-version-pinning battery v1")
    cases = [_case(fixed, kind, False) for kind in BATTERY]
    if params:  # the variant's own environment, strict, once right and once with each fault
        env = str(params["environment"])
        for kind in ("pinned", "alias_strict", "unapproved_strict", "tampered"):
            cases.append(_case(fixed, kind, False, env=env))
    rng = random.Random(seed)
    cases += [_case(rng, kind, True) for kind in BATTERY]
    return {"cases": cases}


def _decided(c, r):
    if "error" in c:
        return False
    if r["refused"]:
        return c["refused"] is True
    return c["refused"] is False and c["answers"] == r["answers"]


def _audited(c, r):
    if r["refused"] or "error" in c or c["refused"] is not False or len(c["audit"]) != len(r["audit"]):
        return False
    # Values compared as text: a version written as the number 8 names version "8".
    return all({f: str(a.get(f)) for f in FIELDS} == {f: str(b.get(f)) for f in FIELDS}
               for a, b in zip(c["audit"], r["audit"], strict=True))


def _score(cand, ref, inputs, kinds, what, refusals, right=_decided):
    cases = inputs["cases"]
    fixed = [i for i, c in enumerate(cases) if c["kind"] in kinds and not c["extra"]]
    extra = [i for i, c in enumerate(cases) if c["kind"] in kinds and c["extra"]]
    good = [i for i in fixed if right(cand.data[i], ref.data[i])]
    fraction = 1.0
    for group in ([i for i in fixed if ref.data[i]["refused"]], [i for i in fixed if not ref.data[i]["refused"]]):
        if group:
            fraction *= sum(i in good for i in group) / len(group)
    reduced = ""
    if refusals:
        # Refusing is worth something only from a gateway that still serves good routes.
        serving = [i for i, c in enumerate(cases) if not c["extra"] and not ref.data[i]["refused"]]
        kept = sum(cand.data[i].get("refused") is False for i in serving) / len(serving)
        if kept < 1.0:
            fraction *= kept
            reduced = " (Credit reduced: good configurations are refused too.)"
    if fraction == 1.0 and not all(right(cand.data[i], ref.data[i]) for i in extra):
        fraction = 1.0 - 1.0 / len(fixed)
    if fraction == 1.0:
        return Verdict.ok(f"Right for every one of the {what}.")
    wrong = len(fixed) - len(good)
    if wrong == 0 and not reduced:
        wrong = 1  # only the seeded extra cases found a failure
    return Verdict(fraction, (f"Wrong for {wrong} of {len(fixed)} {what}." if wrong else f"Right for the {what}.") + reduced)


def check_pinned_versions_served(cand, ref, inputs):
    return _score(cand, ref, inputs, {"pinned"}, "deployments whose routes pin approved versions", False)


def check_aliases_follow_policy(cand, ref, inputs):
    return _score(cand, ref, inputs, {"alias_strict", "alias_relaxed", "missing_version", "alias_pin_only",
                                      "alias_approval_only"},
                  "deployments with a route that does not pin a version", True)


def check_approval_enforced(cand, ref, inputs):
    return _score(cand, ref, inputs, {"unapproved_strict", "unapproved_relaxed", "unapproved_pin_only",
                                      "unapproved_approval_only"},
                  "deployments with a route on an unapproved version", True)


def check_tampered_templates_refused(cand, ref, inputs):
    return _score(cand, ref, inputs, {"tampered", "tampered_relaxed"}, "deployments with a template changed after publishing", True)


def check_audit_records_complete(cand, ref, inputs):
    kinds = {"pinned", "alias_relaxed", "unapproved_relaxed", "alias_approval_only", "unapproved_pin_only"}
    return _score(cand, ref, inputs, kinds, "deployments' audit trails", False, right=_audited)


def check_shipped_routes_start(cand, ref, inputs):
    if cand.data.get("refused") is False and cand.data.get("answers") == ref.data["answers"]:
        return Verdict.ok("The shipped routes start and answer under the shipped settings.")
    return Verdict.fail("The shipped routes do not start, or do not answer as the policy requires, under the shipped settings.")
