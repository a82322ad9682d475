"""Judge for idempotent-batch. The inputs are a fixed battery (see make_inputs); the
variant's storage layout (partition key, file name) is what the dashboard reads."""

import random

from app.grading.judging import Verdict


def _customers(rng, n):
    return [{"customer_id": f"c{rng.randint(10000, 99999)}", "spend": round(rng.uniform(0, 1), 4), "visits": rng.randint(0, 20)} for _ in range(n)]


def make_inputs(seed, params):
    """A fixed battery: the same dates, customers, retries, backfill after a model fix
    and crash points on every seed (the grade must not depend on it)."""
    rng = random.Random(20240506)
    dates = [f"2024-05-{d:02d}" for d in sorted(rng.sample(range(1, 29), 2))]
    first, second = _customers(rng, rng.randint(15, 30)), _customers(rng, rng.randint(15, 30))
    weights = {"spend": round(rng.uniform(-0.4, 0.4), 3), "visits": round(rng.uniform(-0.02, 0.02), 4)}
    # The model fix a backfill is run for: every customer's score changes.
    fixed = {"spend": round(weights["spend"] + 0.25, 3), "visits": round(weights["visits"] - 0.01, 4)}
    runs = [
        {"date": dates[0], "customers": first},
        {"date": dates[0], "customers": first},  # scheduler retry
        {"date": dates[1], "customers": second},
        {"date": dates[0], "customers": first, "weights": fixed},  # manual backfill after a model fix
        {"date": dates[1], "customers": second + second[:4], "weights": fixed},  # the extract was loaded twice
    ]
    crash_customers = _customers(rng, 20)
    return {
        "weights": weights,
        "dates": dates,
        "runs": runs,
        "crash": {"date": "2024-06-01", "customers": crash_customers, "fail_after": rng.randint(5, 15)},
        "partition_key": params["partition_key"],
    }


def _ids(rows):
    return [r[0] for r in rows]


def check_rerun_no_duplicates(cand, ref, inputs):
    good = 0
    states = cand.data["after_each"]
    for state in states:
        good += all(len(_ids(rows)) == len(set(_ids(rows))) for rows in state.values())
    if good == len(states):
        return Verdict.ok("Reruns leave one prediction per customer.")
    return Verdict.share(good, len(states), "After a rerun, some customers have more than one prediction for a date.")


def check_dates_kept_apart(cand, ref, inputs):
    final_c, final_r = cand.data["after_each"][-1], ref.data["after_each"][-1]
    good = sum(sorted(set(_ids(final_c.get(d, [])))) == sorted(_ids(final_r[d])) for d in inputs["dates"])
    n = len(inputs["dates"])
    if good == n:
        return Verdict.ok("Each date keeps its own predictions.")
    return Verdict.share(good, n, "A run for one date lost or changed another date's predictions.")


def _untouched_at_kill(attempt):
    """At the moment the run failed (what a pre-empted node leaves: no clean-up runs),
    the CRM's reader and every object a reader could take are what they were before the
    run started."""
    at_kill = attempt.get("at_kill")
    return isinstance(at_kill, dict) and at_kill.get("rows") == attempt["before"]["rows"] and (
        at_kill.get("visible") == attempt["before"]["visible"])


def check_crash_leaves_no_partial_output(cand, ref, inputs):
    notes, good = [], 0
    first, rerun_ok, second, while_writing = cand.data
    if first["rows"] == [] and _untouched_at_kill(first):
        good += 1
    else:
        notes.append("a failed first run leaves partial predictions, after it or while it runs")
    if second["rows"] == rerun_ok["rows"] and rerun_ok["rows"] == ref.data[1]["rows"] and _untouched_at_kill(second):
        good += 1
    else:
        notes.append("a failed rerun does not leave the previous complete output in place, after it or while it runs")
    if while_writing["rows"] == rerun_ok["rows"] and _untouched_at_kill(while_writing):
        good += 1
    else:
        notes.append("a rerun killed while it writes its rows does not leave the previous complete output in place")
    if not (first["raised"] and second["raised"] and while_writing["raised"]):
        notes.append("the failure is not reported to the scheduler")
        good = min(good, 2)
    if good == 3:
        return Verdict.ok("A failed run leaves no partial output.")
    return Verdict.share(good, 3, "; ".join(notes).capitalize() + ".")


def check_scores_correct(cand, ref, inputs):
    final_c, final_r = cand.data["after_each"][-1], ref.data["after_each"][-1]
    good = 0
    for d in inputs["dates"]:
        expected = {c: s for c, s in final_r[d]}
        got = {c: s for c, s in final_c.get(d, [])}
        good += got == expected
    n = len(inputs["dates"])
    if good == n:
        return Verdict.ok("Stored scores are right.")
    return Verdict.share(good, n, "Stored scores do not match the model's scores for that run.")


def check_dashboard_reads_the_day(cand, ref, inputs):
    """What a reader of the platform's layout sees: after every run, the day's folder
    holds what the reference's does (same rows, same file names) and the dataset's
    folder nothing else; a crash changes nothing a reader sees."""
    c_runs = cand.data.get("dashboard") if isinstance(cand.data, dict) else None
    crash_c = cand.steps.get("crash_leaves_no_partial_output")
    if not isinstance(c_runs, list) or not isinstance(crash_c, list):
        return Verdict.fail("The job did not complete the runs the dashboard was checked on.")
    views = [(c_run[d], r_run[d]) for c_run, r_run in zip(c_runs, ref.data["dashboard"], strict=True)
             for d in inputs["dates"]]
    crash_r = ref.steps["crash_leaves_no_partial_output"]
    views += [(c["dashboard"], r["dashboard"]) for c, r in zip(crash_c, crash_r, strict=True)]
    good = sum(c["rows"] == r["rows"] and c["files"] == r["files"] and c["dataset"] == r["dataset"] for c, r in views)
    if good == len(views):
        return Verdict.ok("The dashboard reads each day's complete predictions from the platform's layout.")
    return Verdict.share(good, len(views), f"In {len(views) - good} of {len(views)} moments the dashboard's view of a day "
                         "(the day's folder in the platform's layout) was missing, partial or duplicated.")
