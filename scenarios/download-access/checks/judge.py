"""Judge for download-access. Each call has a kind; checks score their kinds. The
battery is fixed for the variant (its auditor role and version prefix): every ACL team
alone and among others, near-miss team and role names (the other variants' auditor
roles among them, teams named inside an allowed team's name), every crafted version and
model name, versions with another variant's prefix, version folders that are symlinks
out of the model's folder; seeded extra calls on other models can only find more failures, so a
handler's grade is the same on every seed."""

import random

from app.grading.judging import Verdict

TEAMS = ["risk", "marketing", "fraud", "growth", "platform", "credit-risk", "ml-platform"]
ROLES = ["auditor", "model-auditor", "registry-auditor", "compliance-reader"]
PREFIXES = ["v", "r", "rev"]


BATTERY_SEED = 20240517


def _calls(rng, models, acl, battery, role, prefix):
    calls = []

    def user(teams, roles=()):
        return {"name": f"u{rng.randint(1000, 9999)}", "teams": list(teams), "roles": list(roles)}

    def add(kind, u, m, v):
        calls.append({"kind": kind, "user": u, "model": m, "version": v, "battery": battery})

    for m, versions in models.items():
        outsiders = [t for t in TEAMS if t not in acl[m]]
        for team in acl[m]:  # every team of the ACL, alone and among other teams
            add("owner", user([team]), m, rng.choice(versions))
            add("owner", user([rng.choice(outsiders), team]), m, rng.choice(versions))
        add("owner", user([rng.choice(outsiders)], [role]), m, rng.choice(versions))
        add("owner", user([], ["analyst", role]), m, versions[-1])
        # Near misses: a team named like an allowed one, a role named like auditor.
        add("other", user([acl[m][0] + "-analytics"]), m, versions[0])
        add("other", user([acl[m][0].capitalize()]), m, versions[0])
        for team in acl[m]:  # a team whose name is part of an allowed team's name
            for near in TEAMS:
                if near != team and near in team and near not in acl[m]:
                    add("other", user([near]), m, versions[0])
        add("other", user([rng.choice(outsiders)], [role + "s"]), m, versions[0])
        add("other", user([rng.choice(outsiders)], [role.upper()]), m, versions[0])
        add("other", user([rng.choice(outsiders)], ["audit-log-reader"]), m, versions[0])
        for other_role in ROLES:
            if other_role != role:
                add("other", user([rng.choice(outsiders)], [other_role]), m, versions[-1])
        add("other", user([rng.choice(outsiders)], rng.choice([[], ["analyst"]])), m, rng.choice(versions))
        add("other", user([]), m, versions[0])
        # No access and a version that does not exist: the same Denied, nothing revealed.
        add("other", user([rng.choice(outsiders)]), m, f"{prefix}999")
        add("other", user([rng.choice(outsiders)]), m, "../../keys")
        owner = user([acl[m][0]])
        v = versions[0]
        digits = v[len(prefix):]
        for bad in ("../../keys", f"{v}/../../../keys", "..", f"{v}/../{versions[-1]}", "/etc", f"{v}\x00",
                    f"{v}/", f"{v} ", prefix.upper() + digits, prefix, f"{v}a", f"{prefix}-1", "./" + v,
                    f"{prefix}\u0663", *(p + digits for p in PREFIXES if p != prefix)):
            add("traversal", owner, m, bad)
        for stray in _strays(prefix, versions):
            add("traversal", owner, m, stray)
        for linked in _links(prefix):  # version folders that are symlinks out of the model's folder
            add("traversal", owner, m, linked)
            add("traversal", user(["platform"], [role]), m, linked)
        add("missing", owner, m, f"{prefix}998")
    auditor = user(["platform"], [role])
    add("traversal", auditor, "../models-staging", "v1")
    add("traversal", auditor, "credit/../../keys", "v1")
    add("missing", auditor, "no-such-model", "v1")
    return calls


def _strays(prefix, versions):
    """Folders left in a model's folder by the old layout, named with another prefix:
    not versions, never served."""
    digits = versions[0][len(prefix):]
    return [p + digits + "7" for p in PREFIXES if p != prefix]


def _links(prefix):
    """Version-named folders the probe makes symlinks: to a folder outside the registry
    and to another model's version folder. Never served."""
    return [f"{prefix}990", f"{prefix}991"]


def make_inputs(seed, params):
    """A fixed battery (every ACL team, near-miss teams and roles, every crafted version)
    always runs; seeded extra calls on other models can only find more failures."""
    role, prefix = params["auditor_role"], params["version_prefix"]
    b, x = random.Random(BATTERY_SEED), random.Random(seed)
    models = {"credit-42": [3, 7, 12], "churn-17": [1, 2, 10], "upsell-88": [5, 21, 29]}
    models = {m: [f"{prefix}{n}" for n in ns] for m, ns in models.items()}
    acl = {"credit-42": ["credit-risk"], "churn-17": ["growth", "marketing"], "upsell-88": ["fraud", "ml-platform"]}
    calls = _calls(b, models, acl, True, role, prefix)
    extra_models = {f"{name}-{x.randint(10, 99)}x": [f"{prefix}{n}" for n in sorted(x.sample(range(1, 30), 3))]
                    for name in ("pricing", "ranker")}
    extra_acl = {m: x.sample(TEAMS, x.randint(1, 2)) for m in extra_models}
    calls += _calls(x, extra_models, extra_acl, False, role, prefix)
    every = {**models, **extra_models}
    return {"models": every, "acl": {**acl, **extra_acl}, "calls": calls,
            "strays": {m: _strays(prefix, vs) for m, vs in every.items()},
            "links": {m: _links(prefix) for m in every},
            "secret": f"-----BEGIN PRIVATE KEY----- {b.getrandbits(64):x}"}


def _tally(oks, idx, inputs):
    calls = inputs["calls"]
    battery = [ok for ok, i in zip(oks, idx, strict=True) if calls[i]["battery"]]
    good = sum(battery) - (1 if all(battery) and not all(oks) else 0)
    return max(good, 0), len(battery)


def _kind(inputs, kind):
    return [i for i, c in enumerate(inputs["calls"]) if c["kind"] == kind]


def _outcomes(cand, ref):
    return cand.data["results"], ref.data["results"]


def check_owners_can_download(cand, ref, inputs):
    idx = _kind(inputs, "owner")
    c, r = _outcomes(cand, ref)
    good, n = _tally([c[i]["outcome"] == r[i]["outcome"] for i in idx], idx, inputs)
    if good == n:
        return Verdict.ok("Team members and auditors get their artifacts.")
    return Verdict.share(good, n, f"{n - good} of {n} allowed downloads were refused or served the wrong file.")


def _served_share(cand, ref, inputs):
    idx = [i for i in _kind(inputs, "owner") if inputs["calls"][i]["battery"]]
    c, r = _outcomes(cand, ref)
    return sum(c[i]["outcome"] == r[i]["outcome"] for i in idx) / len(idx)


def _scaled(verdict, cand, ref, inputs):
    share = _served_share(cand, ref, inputs)
    if share < 1.0:
        return Verdict(verdict.fraction * share, verdict.message + " (Credit is reduced: allowed users are refused too.)")
    return verdict


def check_others_denied(cand, ref, inputs):
    idx = _kind(inputs, "other")
    c, _ = _outcomes(cand, ref)
    good, n = _tally([c[i]["outcome"] == "Denied" for i in idx], idx, inputs)
    if good == n:
        verdict = Verdict.ok("Users without access are refused, whether or not the version exists.")
    else:
        verdict = Verdict.share(good, n, f"{n - good} of {n} calls by users without access were not refused with Denied.")
    return _scaled(verdict, cand, ref, inputs)


def check_traversal_refused(cand, ref, inputs):
    idx = _kind(inputs, "traversal") + _kind(inputs, "missing")
    c, r = _outcomes(cand, ref)
    if any(c[i]["leaked"] for i in idx):
        return Verdict.fail("A crafted version or model name served a file from outside the model's folder.")
    good, n = _tally([c[i]["outcome"] == r[i]["outcome"] for i in idx], idx, inputs)
    if good == n:
        verdict = Verdict.ok("Crafted versions and names serve nothing.")
    else:
        verdict = Verdict.share(good, n, f"{n - good} of {n} crafted or unknown versions and names were not refused as the contract says.")
    return _scaled(verdict, cand, ref, inputs)


def check_every_call_audited(cand, ref, inputs):
    audit, want = cand.data["audit"], ref.data["audit"]
    if len(audit) != len(inputs["calls"]):
        return Verdict.fail(f"{len(inputs['calls'])} calls left {len(audit)} audit events.")
    idx = list(range(len(want)))
    good, n = _tally([a == w for a, w in zip(audit, want, strict=True)], idx, inputs)
    if good == n:
        return Verdict.ok("Every call is audited with its outcome.")
    return Verdict.share(good, n, f"{n - good} of {n} audit events lack a field or record the wrong outcome.")
