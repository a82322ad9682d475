"""Judge for download-access. Each call has a kind; checks score their kinds."""

import random

from app.grading.judging import Verdict

TEAMS = ["risk", "marketing", "fraud", "growth", "platform"]


def make_inputs(seed):
    rng = random.Random(seed)
    models = {f"{name}-{rng.randint(10, 99)}": [f"v{n}" for n in sorted(rng.sample(range(1, 30), 3))] for name in ("credit", "churn", "upsell")}
    acl = {m: rng.sample(TEAMS, rng.randint(1, 2)) for m in models}
    calls = []

    def user(teams, roles=()):
        return {"name": f"u{rng.randint(1000, 9999)}", "teams": list(teams), "roles": list(roles)}

    for m, versions in models.items():
        outsiders = [t for t in TEAMS if t not in acl[m]]
        for _ in range(2):
            calls.append({"kind": "owner", "user": user([rng.choice(acl[m])]), "model": m, "version": rng.choice(versions)})
        calls.append({"kind": "owner", "user": user([rng.choice(outsiders)], ["auditor"]), "model": m, "version": rng.choice(versions)})
        for _ in range(2):
            calls.append({"kind": "other", "user": user([rng.choice(outsiders)], rng.choice([[], ["analyst"]])), "model": m, "version": rng.choice(versions)})
        calls.append({"kind": "other", "user": user([]), "model": m, "version": "v999"})
        owner = user([acl[m][0]])
        for bad in ("../../keys", "v1/../../../keys", "..", f"v{rng.randint(1, 9)}/../../../keys", "/etc", "v1\x00"):
            calls.append({"kind": "traversal", "user": owner, "model": m, "version": bad})
    owner = user(["platform"], ["auditor"])
    calls.append({"kind": "traversal", "user": owner, "model": "../models-staging", "version": "v1"})
    rng.shuffle(calls)
    return {"models": models, "acl": acl, "calls": calls, "secret": f"-----BEGIN PRIVATE KEY----- {rng.getrandbits(64):x}"}


def _kind(inputs, kind):
    return [i for i, c in enumerate(inputs["calls"]) if c["kind"] == kind]


def check_owners_can_download(cand, ref, inputs):
    idx = _kind(inputs, "owner")
    good = sum(cand.data["results"][i]["outcome"] == ref.data["results"][i]["outcome"] for i in idx)
    if good == len(idx):
        return Verdict.ok("Team members and auditors get their artifacts.")
    return Verdict.share(good, len(idx), f"{len(idx) - good} of {len(idx)} allowed downloads were refused or served the wrong file.")


def _served_share(cand, ref, inputs):
    idx = _kind(inputs, "owner")
    return sum(cand.data["results"][i]["outcome"] == ref.data["results"][i]["outcome"] for i in idx) / len(idx)


def _scaled(verdict, cand, ref, inputs):
    share = _served_share(cand, ref, inputs)
    if share < 1.0:
        return Verdict(verdict.fraction * share, verdict.message + " (Credit is reduced: allowed users are refused too.)")
    return verdict


def check_others_denied(cand, ref, inputs):
    idx = _kind(inputs, "other")
    good = sum(cand.data["results"][i]["outcome"] == "Denied" for i in idx)
    if good == len(idx):
        verdict = Verdict.ok("Users without access are refused, whether or not the version exists.")
    else:
        verdict = Verdict.share(good, len(idx), f"{len(idx) - good} of {len(idx)} calls by users without access were not refused with Denied.")
    return _scaled(verdict, cand, ref, inputs)


def check_traversal_refused(cand, ref, inputs):
    idx = _kind(inputs, "traversal")
    leaked = sum(cand.data["results"][i]["leaked"] for i in idx)
    good = sum(cand.data["results"][i]["outcome"] in ("Denied", "NotFound") for i in idx)
    if leaked:
        return Verdict.fail("A crafted version or model name served a file from outside the model's folder.")
    if good == len(idx):
        verdict = Verdict.ok("Crafted versions and names serve nothing.")
    else:
        verdict = Verdict.share(good, len(idx), f"{len(idx) - good} of {len(idx)} crafted requests were not refused cleanly.")
    return _scaled(verdict, cand, ref, inputs)


def check_every_call_audited(cand, ref, inputs):
    audit, want = cand.data["audit"], ref.data["audit"]
    if len(audit) != len(inputs["calls"]):
        return Verdict.fail(f"{len(inputs['calls'])} calls left {len(audit)} audit events.")
    good = sum(a == w for a, w in zip(audit, want))
    if good == len(want):
        return Verdict.ok("Every call is audited with its outcome.")
    return Verdict.share(good, len(want), f"{len(want) - good} of {len(want)} audit events lack a field or record the wrong outcome.")
