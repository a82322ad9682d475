"""Judge for incremental-scoring: runs in the grader on data only."""

import random
from datetime import UTC, datetime, timedelta

from app.grading.judging import Verdict, close

LOAD_MINUTE = 35  # hourly loads land at hh:35; the job runs at 02:00


def _iso(t):
    return t.isoformat(timespec="seconds")


def _next_load(t, hour=None):
    load = t.replace(minute=LOAD_MINUTE, second=0, microsecond=0)
    while load <= t or (hour is not None and load.hour != hour):
        load += timedelta(hours=1)
    return load


BATTERY_SEED = 20240301


def make_inputs(seed, params):
    """A fixed battery replay (always the same nights, events and retry, with loads
    landing exactly at a run's time), plus a few seeded extra events that can only find
    more failures: a job's grade is the same on every seed."""
    inputs = _replay(random.Random(BATTERY_SEED))
    x = random.Random(seed)
    runs = [datetime.fromisoformat(r) for r in inputs["runs"]]
    accounts = sorted({row[1] for row in inputs["events"]})
    extra = []
    for k in range(12):
        arrival = x.choice(runs[1:]) - timedelta(hours=x.choice([0, 0, 3, 20]), minutes=x.choice([0, 25]))
        happened = arrival - timedelta(days=x.choice([0.01, 2, 9, 45]))
        extra.append([2_000_000 + k, x.choice(accounts), _iso(happened), _iso(arrival), x.randint(0, 30),
                      round(x.uniform(0, 240), 1), x.choice([0, 1, 2])])
    inputs["events"] = inputs["events"] + extra
    inputs["battery_ids"] = sorted(row[0] for row in inputs["events"] if row[0] < 2_000_000)
    inputs["arrival_col"] = params["arrival_col"]
    return inputs


def _replay(rng):
    first_run = datetime(2024, 3, 1, 2, tzinfo=UTC) + timedelta(days=rng.randint(0, 200))
    nights = 8
    runs = [first_run + timedelta(days=d) for d in range(nights)]
    retried = rng.randint(2, nights - 2)
    runs.insert(retried + 1, runs[retried] + timedelta(minutes=rng.randint(10, 25)))
    end = runs[-1]
    ids = iter(rng.sample(range(10_000, 999_999), 4000))
    accounts = [f"A{rng.randint(1000, 9999)}" for _ in range(40)]
    events = []

    def add(event_time, ingested_at):
        if ingested_at <= end:
            events.append([next(ids), rng.choice(accounts), _iso(event_time), _iso(ingested_at),
                           rng.randint(0, 30), round(rng.uniform(0, 240), 1), rng.choice([0, 0, 0, 1, 2])])

    t = first_run - timedelta(days=6)
    while t < end:  # the normal flow: loaded within the hour, a few days late
        t += timedelta(minutes=rng.expovariate(1 / 25))
        if rng.random() < 0.12:  # an app that was offline, a partner file delivered later
            add(t, _next_load(t + timedelta(days=rng.uniform(1, 4)), hour=rng.choice([5, 11, 17])))
        else:
            add(t, _next_load(t + timedelta(minutes=rng.uniform(1, 20))))
    # A partner re-delivers weeks of files in one load, one night during the replay.
    redelivery = _next_load(runs[rng.randint(2, len(runs) - 2)] + timedelta(hours=rng.uniform(1, 20)))
    for _ in range(rng.randint(25, 40)):
        add(redelivery - timedelta(days=rng.uniform(32, 60)), redelivery)
    # Loads that land exactly at a run's start, the retry's included: visible to that
    # run, and never again.
    for run in runs[1:]:
        for _ in range(3):
            add(run - timedelta(hours=rng.uniform(0.5, 50)), run)
    rng.shuffle(events)  # a table has no order
    weights = {"bias": round(rng.uniform(-2, 0), 3), "sessions": round(rng.uniform(-0.2, -0.05), 3),
               "minutes": round(rng.uniform(-0.01, 0.0), 4), "tickets": round(rng.uniform(0.3, 1.0), 3)}
    return {"events": events, "runs": [_iso(r) for r in runs], "weights": weights}


def _late_ids(inputs, battery=True):
    """Ids of the events that reached the table a day or more after they happened
    (the battery's, or with ``battery=False`` the seeded extras')."""
    late = set()
    ids = set(inputs["battery_ids"])
    for row in inputs["events"]:
        if (row[0] in ids) != battery:
            continue
        delay = datetime.fromisoformat(row[3]) - datetime.fromisoformat(row[2])
        if delay >= timedelta(days=1):
            late.add(row[0])
    return late


def _calls(nights):
    counts = {}
    for night in nights:
        for i in night["calls"]:
            counts[i] = counts.get(i, 0) + 1
    return counts


def _factors(cand, inputs):
    """(share of called events called only once, share of events called at all)."""
    counts = _calls(cand.data)
    everything = set(inputs["battery_ids"])
    called = everything & counts.keys()
    once = sum(1 for i in called if counts[i] == 1)
    return (once / len(called) if called else 0.0), len(called) / len(everything)


def _first_predictions(nights):
    first = {}
    for k, night in enumerate(nights):
        for i, score in night["predictions"]:
            first.setdefault(i, (k, score))
    return first


def _on_arrival(cand, ref, ids):
    """Share of ``ids`` predicted in the run right after they arrived, with the model's score."""
    got, want = _first_predictions(cand.data), _first_predictions(ref.data)
    good = sum(
        1 for i in ids if i in got and got[i][0] == want[i][0] and close(got[i][1], want[i][1], 1e-9)
    )
    return good / len(ids) if ids else 1.0


def _extras_fail(cand, ref, inputs, late=None):
    """Whether a seeded extra event was not scored exactly once, on arrival; with ``late``
    True or False, whether a late (or an on-time) one was not scored on arrival."""
    battery = set(inputs["battery_ids"])
    extra = [row[0] for row in inputs["events"] if row[0] not in battery]
    if late is not None:
        late_extra = _late_ids(inputs, battery=False)
        return _on_arrival(cand, ref, [i for i in extra if (i in late_extra) == late]) < 1.0
    counts = _calls(cand.data)
    return any(counts.get(i) != 1 for i in extra) or _on_arrival(cand, ref, extra) < 1.0


def check_each_event_scored_once(cand, ref, inputs):
    counts = _calls(cand.data)
    everything = set(inputs["battery_ids"])
    once = sum(1 for i in everything if counts.get(i) == 1)
    calls = sum(counts.get(i, 0) for i in everything)
    if once == len(everything) and _extras_fail(cand, ref, inputs):
        once -= 1
    if once == len(everything) and calls == once:
        return Verdict.ok("Over the nights every event went to the model exactly once.")
    missing = sum(1 for i in everything if i not in counts)
    again = sum(1 for i in everything if counts.get(i, 0) > 1)
    parts = []
    if again:
        parts.append(f"{again} of {len(everything)} events went to the model on more than one night ({calls} model calls in all)")
    if missing:
        parts.append(f"{missing} of {len(everything)} events never went to the model")
    return Verdict.share(once, len(everything), "; ".join(parts) + ".")


def check_late_events_scored(cand, ref, inputs):
    late = _late_ids(inputs)
    share = _on_arrival(cand, ref, late)
    if share == 1.0 and _extras_fail(cand, ref, inputs, late=True):
        share = (len(late) - 1) / len(late)
    if share == 1.0:
        return Verdict.ok("Events that reach the table late are scored in the first run after they arrive.")
    return Verdict(share, f"{round((1 - share) * len(late))} of {len(late)} events that reached the table late "
                   "were not scored in the first run after they arrived.")


def check_new_events_scored(cand, ref, inputs):
    late = _late_ids(inputs)
    fresh = [i for i in inputs["battery_ids"] if i not in late]
    share = _on_arrival(cand, ref, fresh)
    if share == 1.0 and _extras_fail(cand, ref, inputs, late=False):
        share = (len(fresh) - 1) / len(fresh)
    if share == 1.0:
        return Verdict.ok("New events are scored in the first run after they arrive.")
    return Verdict(share, f"{round((1 - share) * len(fresh))} of {len(fresh)} events that arrived on time were "
                   "not scored, with the model's score, in the first run after they arrived.")


def check_state_stays_small(cand, ref, inputs):
    sizes = [night["state_bytes"] for night in cand.data]
    _, coverage = _factors(cand, inputs)
    if max(sizes) > 1024:
        return Verdict.fail("The state stored between runs grows with the number of events scored.")
    if coverage >= 1.0:
        return Verdict.ok("The state stored between runs stays small.")
    return Verdict(coverage, "The state stays small, but not every event is scored.")

