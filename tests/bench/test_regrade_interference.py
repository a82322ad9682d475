"""bench/regrade_interference.py's figures: which runs count for the regrade, how many
candidates the runs need, the delay and the errors (no timing measured here)."""

from __future__ import annotations

import math

from bench.regrade_interference import (
    JobTiming,
    delays,
    errors_of,
    job_summary,
    phase_of,
    runs_needed,
)
from bench.workload import RunSample, run_summary


def sample(asked_at: float, status: str = "done", seconds: float | None = 0.5) -> RunSample:
    return RunSample(asked_at=asked_at, request_ms=5.0, status=status, seconds=seconds)


def test_a_run_counts_for_the_regrade_when_asked_for_while_it_applied() -> None:
    applying = (10.0, 20.0)
    assert phase_of(sample(9.9), applying) == "outside"
    assert phase_of(sample(10.0), applying) == "regrade"
    assert phase_of(sample(20.0), applying) == "regrade"
    assert phase_of(sample(20.1), applying) == "outside"


def test_enough_candidates_for_the_runs_within_their_budgets() -> None:
    # 60 a minute for 100 s is 100 runs (+1); 24 runs a candidate: 5, plus a spare.
    assert runs_needed(60, 100, budget=8, items=3) == 6
    assert runs_needed(60, 100, budget=8, items=3) * 24 >= 101


def test_the_summary_counts_outcomes_and_reads_latency_of_finished_runs() -> None:
    runs = [sample(0, seconds=0.4), sample(1, seconds=0.6), sample(2, "error", 2.0)]
    runs += [sample(3, "refused", None), sample(4, "unfinished", None)]
    summary = run_summary(runs)
    assert (summary["asked"], summary["done"], summary["error"]) == (5, 2, 1)
    assert (summary["refused"], summary["unfinished"]) == (1, 1)
    assert summary["latency_max_s"] == 2.0
    assert summary["latency_p50_s"] == 0.6
    assert errors_of(summary) == 3


def test_the_delay_is_with_the_regrade_minus_without() -> None:
    without = run_summary([sample(0, seconds=0.5), sample(1, seconds=1.0)])
    during = run_summary([sample(0, seconds=0.7), sample(1, seconds=2.5)])
    got = delays(without, during)
    assert math.isclose(got["max_s"], 1.5)
    assert math.isclose(got["p50_s"], 1.5)  # the upper of two, as percentile reads it


def test_no_finished_run_gives_no_figure() -> None:
    summary = run_summary([sample(0, "unfinished", None)])
    assert math.isnan(summary["latency_p99_s"])
    assert math.isnan(summary["latency_max_s"])


def test_the_jobs_are_summed_up_per_worker() -> None:
    runs = [RunSample(0, 5.0, "done", 0.5, "r1"), RunSample(1, 5.0, "done", 1.5, "r2")]
    runs.append(RunSample(2, 5.0, "unfinished", None, "r3"))  # no result: not counted
    jobs = {
        "r1": JobTiming("1: every queue", waited=0.1, ran=0.3),
        "r2": JobTiming("2: interactive", waited=0.4, ran=1.0),
        "r3": JobTiming("2: interactive", waited=9.0, ran=9.0),
    }
    summary = job_summary(runs, jobs)
    assert summary["queue_wait_max_s"] == 0.4
    assert summary["job_max_s"] == 1.0
    assert summary["by_worker"] == {
        "1: every queue": {"runs": 1, "latency_p50_s": 0.5, "latency_max_s": 0.5},
        "2: interactive": {"runs": 1, "latency_p50_s": 1.5, "latency_max_s": 1.5},
    }
