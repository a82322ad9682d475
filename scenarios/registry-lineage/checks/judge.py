"""Judge for registry-lineage. The variant sets the digest algorithm (the data lake
catalog's), the key the lineage sits under and the names of the row-count and code
fields, as AUDIT_REQUEST.md gives them; the fields are read by those names only."""

import hashlib
import random

from app.grading.judging import Verdict



def _fields(inputs):
    """(dataset digest, rows, code, params, artifact digest) field names of the variant."""
    algo = inputs["algo"]
    return f"dataset_{algo}", inputs["rows_field"], inputs["code_field"], "params", f"artifact_{algo}"


def _digest(inputs, data):
    return hashlib.new(inputs["algo"], data).hexdigest()


def _lineage(inputs, entry):
    value = entry.get(inputs["lineage_key"]) if isinstance(entry, dict) else None
    return value if isinstance(value, dict) else {}


def _job(rng, newline="\n", trailing=True):
    n = rng.randint(30, 90)
    lines = ["score,label"] + [f"{rng.random():.4f},{int(rng.random() < 0.25)}" for _ in range(n)]
    return {
        "csv": newline.join(lines) + (newline if trailing else ""),
        "rows": n,
        "params": {"quantile": round(rng.uniform(0.6, 0.95), 3), "note": rng.choice(["nightly", "manual"])},
        "code_version": "%07x" % rng.getrandbits(28),
        "battery": True,
    }


def make_inputs(seed, params):
    """A fixed battery of jobs (Unix and Windows line endings, a file without a final
    newline, blank lines, a header without rows, the same data registered twice, more
    than nine versions) and one seeded extra job at the end, which can only find more
    failures: a grade is the same on every seed."""
    b, x = random.Random(20240214), random.Random(seed)
    jobs = [_job(b), _job(b, "\r\n"), _job(b, trailing=False)]
    jobs.append(dict(jobs[0], params={"quantile": 0.5, "note": "rerun"}, code_version="%07x" % b.getrandbits(28)))
    blank = _job(b)  # blank lines (an export that pads its output) are not rows
    lines = blank["csv"].split("\n")
    blank["csv"] = "\n".join(lines[:5] + [""] + lines[5:]) + "\n\n"
    jobs.append(blank)
    empty = _job(b)  # an extract with no data rows (the header only) has 0 rows, not 1
    empty.update(csv="score,label\n", rows=0)
    jobs.append(empty)
    jobs += [_job(b) for _ in range(5)]  # past version 9: versions are numbers, not text
    extra = _job(x, x.choice(["\n", "\r\n"]), x.random() < 0.5)
    jobs.append(dict(extra, battery=False))
    return {"name": "fraud", "jobs": jobs, "algo": str(params["hash_algo"]), "lineage_key": str(params["lineage_key"]),
            "rows_field": str(params["rows_field"]), "code_field": str(params["code_field"])}


def _final(cand):
    return cand.data["snapshots"][-1]


def _by_job(cand, inputs):
    """(job, what the registry holds for it) pairs, matched by version order; a job
    whose version is missing is paired with an empty record."""
    final = _final(cand)
    records = [final[k] for k in sorted(final, key=lambda d: int(d[1:]) if d[1:].isdigit() else 0)]
    records += [{"entry": {}, "artifact_hex": ""}] * (len(inputs["jobs"]) - len(records))
    return list(zip(inputs["jobs"], records))


def _graded(oks, jobs):
    """(good, battery size): the share of battery jobs right; a failing extra job costs
    one battery job only when the battery is all right, so extras only find more."""
    battery = [ok for ok, job in zip(oks, jobs, strict=False) if job["battery"]]
    extra_failed = any(not ok for ok, job in zip(oks, jobs, strict=False) if not job["battery"])
    good = sum(battery) - (1 if extra_failed and all(battery) else 0)
    return max(good, 0), len(battery)


def _verdict(oks, inputs, ok_message, bad_message):
    good, n = _graded(oks, inputs["jobs"])
    if good == n:
        return Verdict.ok(ok_message)
    return Verdict.share(good, n, bad_message.format(wrong=n - good, n=n))


def check_entry_has_lineage(cand, ref, inputs):
    if not _final(cand):
        return Verdict.fail("No entry found in the registry.")
    fields = _fields(inputs)
    oks = [all(f in _lineage(inputs, rec["entry"]) for f in fields) for _, rec in _by_job(cand, inputs)]
    return _verdict(oks, inputs, "Every entry records its lineage.",
                    "{wrong} of {n} registrations have no entry with every lineage field.")


def check_dataset_fingerprint_true(cand, ref, inputs):
    data_field, rows_field = _fields(inputs)[:2]
    oks = []
    for job, rec in _by_job(cand, inputs):
        lin = _lineage(inputs, rec["entry"])
        oks.append(lin.get(data_field) == _digest(inputs, job["csv"].encode()) and lin.get(rows_field) == job["rows"])
    return _verdict(oks, inputs, "Dataset fingerprints and row counts match the data used.",
                    "{wrong} of {n} entries do not fingerprint the data they were trained on.")


def check_artifact_fingerprint_true(cand, ref, inputs):
    trained = cand.data.get("trained") or []
    field = _fields(inputs)[4]
    oks = [
        bool(rec["artifact_hex"]) and rec["artifact_hex"] in trained
        and _lineage(inputs, rec["entry"]).get(field) == _digest(inputs, bytes.fromhex(rec["artifact_hex"]))
        for _, rec in _by_job(cand, inputs)
    ]
    return _verdict(oks, inputs, "Artifact fingerprints match the stored artifacts.",
                    "{wrong} of {n} recorded artifact fingerprints do not match the artifacts in the registry.")


def check_versions_never_overwritten(cand, ref, inputs):
    snaps = cand.data["snapshots"]
    n = len(inputs["jobs"])
    if [len(s) for s in snaps] != list(range(1, n + 1)):
        return Verdict.fail("Registering again does not add a new version.")
    for earlier, later in zip(snaps, snaps[1:]):
        if any(later.get(k) != v for k, v in earlier.items()):
            return Verdict.fail("Registering again changed an earlier version.")
    versions = [e.get("version") for e in cand.data["returned"]]
    if versions != list(range(1, n + 1)):
        return Verdict(0.5, "Versions are kept, but the returned version numbers do not count up from 1.")
    return Verdict.ok("Each registration creates a new version and keeps the earlier ones.")


def check_params_and_code_recorded(cand, ref, inputs):
    code_field = _fields(inputs)[2]
    oks = []
    for job, rec in _by_job(cand, inputs):
        lin = _lineage(inputs, rec["entry"])
        oks.append(lin.get("params") == job["params"] and lin.get(code_field) == job["code_version"])
    return _verdict(oks, inputs, "Parameters and code versions are recorded.",
                    "{wrong} of {n} entries do not record the parameters and code version used.")
