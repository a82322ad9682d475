"""Judge for ai-act-record-keeping.

Each case is a sequence of decisions, reviews and purges with the logger's clock set
for each (offices in different time zones), under a generated record-keeping policy:
the required fields and the retention period vary. The rules are absolute, so records
are checked against the events themselves: one record per event, every required field
with the event's value, gaps recorded rather than dropped, timestamps the same instant
as the clock, and after a purge exactly the records younger than the retention period
(on, just inside and just outside the boundary). The battery is fixed; the seed only
adds cases.
"""

import datetime
import random

from app.grading.judging import Verdict

DECISION_EXTRA = ["candidate_ref", "vacancy_id", "model_version", "input_reference", "score", "threshold",
                  "outcome", "site", "channel", "features_version", "operator_id"]
REVIEW_EXTRA = ["reviewer_id", "reviewer_role", "outcome", "model_outcome", "comment", "site"]
OFFSETS = [0, 1, 2, -5, 5.5, -3, 9]
START = datetime.datetime(2026, 3, 1, 8, 0, tzinfo=datetime.UTC)


def _tz(rng):
    hours = rng.choice(OFFSETS)
    return datetime.timezone(datetime.timedelta(hours=hours))


def _policy(rng):
    decision = ["decision_id"] + rng.sample(DECISION_EXTRA, rng.randint(4, 8))
    review = ["decision_id", "reviewer_id"] + rng.sample([f for f in REVIEW_EXTRA if f != "reviewer_id"],
                                                         rng.randint(1, 3))
    return {"system": "cv-screening", "retention_days": rng.choice([90, 183, 365, 400, 730]),
            "required_fields": {"decision": decision, "review": review}}


def _decision(rng, n):
    outcome = rng.choice(["shortlist", "reject"])
    return {"decision_id": f"dec-{n:05d}", "candidate_ref": f"c-{rng.getrandbits(24):06x}",
            "vacancy_id": f"v-{rng.randint(100, 999)}", "model_version": rng.choice(["cvs-4.2.1", "cvs-4.3.0"]),
            "input_reference": f"sha256:{rng.getrandbits(64):016x}", "score": round(rng.random(), 4),
            "threshold": rng.choice([0.55, 0.6, 0.62]), "outcome": outcome, "site": rng.choice(["lis", "waw", "dub"]),
            "channel": rng.choice(["web", "partner-api"]), "features_version": "f-12",
            "operator_id": f"op-{rng.randint(1, 40)}"}


def _review(rng, decision, agree):
    model = decision["outcome"]
    outcome = model if agree else ("reject" if model == "shortlist" else "shortlist")
    return {"decision_id": decision["decision_id"], "reviewer_id": f"r-{rng.randint(1, 99):02d}",
            "reviewer_role": rng.choice(["recruiter", "hiring-manager"]), "outcome": outcome,
            "model_outcome": model, "comment": rng.choice(["", "checked CV", "experience verified"]),
            "site": rng.choice(["lis", "waw", "dub"])}


def _at(moment, rng):
    return moment.astimezone(_tz(rng)).isoformat()


def _case(rng, kind, extra, retention=None):
    policy = _policy(rng)
    if retention is not None:
        policy["retention_days"] = retention
    ops = []
    t = START + datetime.timedelta(days=rng.randint(0, 200), minutes=rng.randint(0, 1000))
    n = rng.randint(1, 9000)
    if kind in ("decisions", "reviews", "incomplete"):
        decisions = []
        for _ in range(5):
            n += 1
            d = _decision(rng, n)
            decisions.append(d)
            ops.append({"op": "decision", "at": _at(t, rng), "event": d})
            t += datetime.timedelta(minutes=rng.randint(1, 90), seconds=rng.randint(0, 59))
        if kind == "reviews":
            for i, d in enumerate(decisions[:4]):
                ops.append({"op": "review", "at": _at(t, rng), "event": _review(rng, d, agree=i % 2 == 0)})
                t += datetime.timedelta(minutes=rng.randint(1, 30))
        if kind == "incomplete":
            for op in ops[1::2]:
                op["event"].pop(rng.choice(policy["required_fields"]["decision"][1:]))
                op["gap"] = True
            review = _review(rng, decisions[0], agree=True)
            review.pop(rng.choice(policy["required_fields"]["review"][2:]))
            ops.append({"op": "review", "at": _at(t, rng), "event": review, "gap": True})
            review = _review(rng, decisions[2], agree=False)
            review.pop("reviewer_id")
            ops.append({"op": "review", "at": _at(t, rng), "event": review, "gap": True})
    elif kind == "retention":
        days = policy["retention_days"]
        now = t + datetime.timedelta(days=days + 30)
        ages = [datetime.timedelta(days=days + 2), datetime.timedelta(days=days, minutes=1),
                datetime.timedelta(days=days), datetime.timedelta(days=days, minutes=-1),
                datetime.timedelta(days=days - 1), datetime.timedelta(days=3), datetime.timedelta(hours=2)]
        rng.shuffle(ages)
        for age in sorted(ages, reverse=True):
            n += 1
            ops.append({"op": "decision", "at": _at(now - age, rng), "event": _decision(rng, n),
                        "age_seconds": age.total_seconds()})
        ops.append({"op": "purge", "at": _at(now, rng)})
    return {"kind": kind, "extra": extra, "policy": policy, "ops": ops}


BATTERY = ["decisions", "decisions", "decisions", "reviews", "reviews", "reviews", "incomplete", "incomplete",
           "incomplete", "retention", "retention", "retention", "retention"]


def make_inputs(seed, params):
    fixed = random.Random("ai-act-record-keeping battery v1")
    cases = [_case(fixed, kind, False) for kind in BATTERY]
    if params:  # the deployment's own retention period
        cases.append(_case(fixed, "retention", False, retention=int(params["retention_days"])))
    rng = random.Random(seed)
    cases += [_case(rng, kind, True) for kind in BATTERY]
    return {"cases": cases}


def _matching(records, kind, decision_id):
    return [r for r in records if isinstance(r, dict) and r.get("event") == kind and r.get("decision_id") == decision_id]


def _event_ok(records, op, policy):
    """Exactly one record for this event with every required field right."""
    kind = op["op"]
    found = _matching(records, kind, op["event"]["decision_id"])
    if len(found) != 1:
        return False
    record = found[0]
    missing = set()
    for name in policy["required_fields"][kind]:
        if name in op["event"]:
            if record.get(name, object()) != op["event"][name]:
                return False
        else:
            missing.add(name)
            if name not in record or record[name] is not None:  # kept, as null
                return False
    if missing or "missing_fields" in record:
        got = record.get("missing_fields")
        return isinstance(got, list) and set(map(str, got)) == missing and len(got) == len(missing)
    return True


def _ts_ok(records, op):
    found = _matching(records, op["op"], op["event"]["decision_id"])
    if len(found) != 1 or not isinstance(found[0].get("ts"), str):
        return False
    try:
        ts = datetime.datetime.fromisoformat(found[0]["ts"])
    except ValueError:
        return False
    return ts.tzinfo is not None and ts == datetime.datetime.fromisoformat(op["at"])


def _units(inputs, kinds, extra):
    """(case index, op) for every logged event of cases of ``kinds``."""
    return [(i, op) for i, c in enumerate(inputs["cases"]) if c["kind"] in kinds and c["extra"] == extra
            for op in c["ops"] if op["op"] in ("decision", "review")]


def _grade(cand, inputs, kinds, right, what, only=None, rule="recorded as the policy requires"):
    def ok(i, op):
        data = cand.data[i]
        return "error" not in data and right(data["records"], op, inputs["cases"][i]["policy"])

    fixed = [(i, op) for i, op in _units(inputs, kinds, False) if only is None or only(op)]
    extra = [(i, op) for i, op in _units(inputs, kinds, True) if only is None or only(op)]
    good = sum(ok(i, op) for i, op in fixed)
    if good == len(fixed) and not all(ok(i, op) for i, op in extra):
        good -= 1
    if good == len(fixed):
        return Verdict.ok(f"Every one of the {what}: {rule}.")
    return Verdict.share(good, len(fixed), f"{len(fixed) - good} of {len(fixed)} {what}: not {rule}.")


def check_decisions_recorded(cand, ref, inputs):
    return _grade(cand, inputs, {"decisions"}, _event_ok, "automated decisions")


def check_reviews_recorded(cand, ref, inputs):
    return _grade(cand, inputs, {"reviews"}, _event_ok, "human reviews", only=lambda op: op["op"] == "review")


def check_incomplete_events_kept(cand, ref, inputs):
    return _grade(cand, inputs, {"incomplete"}, _event_ok, "events with a required field absent",
                  only=lambda op: op.get("gap", False))


def check_timestamps_absolute(cand, ref, inputs):
    return _grade(cand, inputs, {"decisions", "reviews"}, lambda recs, op, _p: _ts_ok(recs, op),
                  "logged events", rule="recorded with the instant it was logged")


def check_retention_applied(cand, ref, inputs):
    cases = inputs["cases"]

    def shares(i):
        data = cand.data[i]
        case = cases[i]
        logged = [op for op in case["ops"] if op["op"] == "decision"]
        if "error" in data:
            return 0, 0, len(logged)
        limit = case["policy"]["retention_days"] * 86400
        left = {r.get("decision_id") for r in data["records"] if isinstance(r, dict)}
        keep = [op for op in logged if op["age_seconds"] <= limit]
        drop = [op for op in logged if op["age_seconds"] > limit]
        kept = sum(op["event"]["decision_id"] in left for op in keep)
        dropped = sum(op["event"]["decision_id"] not in left for op in drop)
        return kept / len(keep), dropped / len(drop), None

    fixed = [i for i, c in enumerate(cases) if c["kind"] == "retention" and not c["extra"]]
    extra = [i for i, c in enumerate(cases) if c["kind"] == "retention" and c["extra"]]
    kept = dropped = 0.0
    for i in fixed:
        k, d, _ = shares(i)
        kept += k / len(fixed)
        dropped += d / len(fixed)
    fraction = kept * dropped
    if fraction > 0.999999 and any(shares(i)[:2] != (1.0, 1.0) for i in extra):
        fraction = 1.0 - 1.0 / len(fixed)
    if fraction > 0.999999:
        return Verdict.ok("The purge keeps exactly the records inside the retention period.")
    parts = []
    if kept < 0.999999:
        parts.append("records inside the retention period are deleted")
    if dropped < 0.999999:
        parts.append("records past the retention period are kept")
    return Verdict(fraction, "After the purge, " + " and ".join(parts or ["some records are wrong"]) + ".")
