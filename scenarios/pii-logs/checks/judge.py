"""Judge for pii-logs. The identifiers are generated per run, so a service cannot
pass by filtering known test values."""

import hashlib
import json
import random

from app.grading.judging import Verdict, close

FIRST = ["Ada", "Grace", "Alan", "Edsger", "Barbara", "Donald", "Frances", "Tim", "Radia", "Ken"]
LAST = ["Lovelace", "Hopper", "Turing", "Dijkstra", "Liskov", "Knuth", "Allen", "Berners", "Perlman", "Thompson"]


def make_inputs(seed, params):
    """Requests in the variant's payload (its email field); the first six sit on the
    segment rules' boundaries (and take their logging paths) on every seed."""
    rng = random.Random(seed)
    email_field = params["email_field"]
    people = []
    for _ in range(6):
        first, last = rng.choice(FIRST), rng.choice(LAST)
        tag = rng.randint(100, 999)
        people.append({
            "name": f"{first} {last}{tag}",
            "email": f"{first.lower()}.{last.lower()}{tag}@{rng.choice(['example.org', 'mail.test', 'corp.example'])}",
            "phone": f"+44 7{rng.randint(100, 999)} {rng.randint(100000, 999999)}",
        })
    requests = []
    for i in range(12):
        p = people[i % len(people)] if i < 6 else rng.choice(people)
        requests.append({
            "request_id": f"req-{rng.getrandbits(40):010x}",
            "name": p["name"], email_field: p["email"], "phone": p["phone"],
            "tenure_months": rng.randint(1, 72),
            "monthly_spend": round(rng.uniform(5, 150), 2),
            "support_tickets": rng.randint(0, 3),
        })
    # The segment rules' boundaries, on and beside each (the snapshot keeps the segment).
    for r, (tenure, tickets) in zip(requests[:6], [(0, 0), (30, 5), (1, 0), (30, 4), (24, 0), (23, 3)], strict=True):
        r["tenure_months"], r["support_tickets"] = tenure, tickets
    for r in requests[6:]:
        r["tenure_months"], r["support_tickets"] = rng.randint(0, 72), rng.randint(0, 6)
    # A request the service cannot score (a malformed amount from one client): it fails,
    # and what is logged about the failure is logs too.
    failing = [dict(requests[k], request_id=f"req-{rng.getrandbits(40):010x}", monthly_spend="n/a")
               for k in range(2)]
    return {"other_key": "prod-%016x" % random.Random(seed).getrandbits(64), "requests": requests,
            "failing": failing, "email_field": email_field}


def _leaks(text, inputs):
    found = set()
    lowered = text.lower()
    for r in inputs["requests"]:
        for field, key in (("email", inputs["email_field"]), ("phone", "phone"), ("name", "name")):
            if r[key].lower() in lowered:
                found.add(field)
        digits = r["phone"].replace(" ", "").replace("+", "")
        if digits in lowered.replace(" ", ""):
            found.add("phone")
        local = r[inputs["email_field"]].split("@")[0]
        if local in lowered:
            found.add("email")
    return found


def check_no_pii_in_logs(cand, ref, inputs):
    leaks = _leaks(cand.data["logs"], inputs) | _leaks(cand.output, inputs)
    if not leaks:
        return Verdict.ok("No direct identifier reaches the logs or the output.")
    return Verdict.fail(f"Logs or printed output still contain: {', '.join(sorted(leaks))}.")


def _has_score(line, score):
    """Some number on the line is the score (to the 4 decimals any sane format keeps)."""
    import re

    return any(abs(float(x) - score) < 5e-4 for x in re.findall(r"\d+\.\d+", line))


def check_audit_trail_kept(cand, ref, inputs):
    lines = cand.data["logs"].splitlines()
    scores = ref.steps["snapshot"]["scores"]
    good = sum(any(r["request_id"] in line and _has_score(line, s) for line in lines)
               for r, s in zip(inputs["requests"], scores, strict=True))
    n = len(inputs["requests"])
    if good == n:
        return Verdict.ok("Every request is logged with its id and score.")
    return Verdict.share(good, n, f"{n - good} of {n} requests leave no log line with their request id and score.")


def check_no_pii_in_snapshot(cand, ref, inputs):
    leaks = _leaks(json.dumps(cand.data["snapshot"]), inputs)
    if not leaks:
        return Verdict.ok("The snapshot holds no direct identifier.")
    return Verdict.fail(f"The snapshot still contains: {', '.join(sorted(leaks))}.")


def check_keyed_pseudonyms(cand, ref, inputs):
    snap = cand.data["snapshot"]
    if len(snap) != len(inputs["requests"]):
        return Verdict.fail("The snapshot does not hold one entry per request.")
    keys = [row.get("customer_key") for row in snap]
    emails = [r[inputs["email_field"]] for r in inputs["requests"]]
    by_email = {}
    for e, k in zip(emails, keys):
        by_email.setdefault(e, set()).add(k)
    stable = all(len(v) == 1 and None not in v for v in by_email.values()) and len({next(iter(v)) for v in by_email.values()}) == len(by_email)
    if not stable:
        return Verdict.fail("The customer key is missing, or not one stable key per customer.")
    guessable = set()
    for e in set(emails):
        for variant in (e, e.lower(), e.strip().lower()):
            for algo in ("sha256", "sha1", "md5", "sha512", "blake2b"):
                guessable.add(hashlib.new(algo, variant.encode()).hexdigest())
    if any(str(k).lower() in guessable or str(k) in emails for k in keys):
        return Verdict(0.3, "The customer key can be recomputed from the email by anyone: use the service's secret.")
    other = cand.data.get("keys_other_secret") or []
    if len(other) != len(keys) or any(str(a) == str(b) for a, b in zip(keys, other, strict=True)):
        return Verdict(0.3, "The customer key does not depend on the service's secret: anyone with the code can recompute it.")
    return Verdict.ok("Customer keys are stable and keyed.")


def check_scores_unchanged(cand, ref, inputs):
    """Scores, and every snapshot field but the key, as the reference keeps them."""
    if not close(cand.data["scores"], ref.data["scores"], 1e-12):
        return Verdict.fail("Scores changed.")
    def fields(rows):
        return [{k: v for k, v in row.items() if k != "customer_key"} for row in rows]
    if not close(fields(cand.data["snapshot"]), fields(ref.data["snapshot"]), 1e-12):
        return Verdict(0.5, "Scores are unchanged, but the snapshot's features (segment, usage) changed.")
    return Verdict.ok("Scores and the snapshot's features are unchanged.")
