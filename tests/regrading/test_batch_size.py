"""The apply job's batch: what one transaction rescores, and what the worker's event loop
runs without a pause (the rows read into objects, then every form scored)."""

from __future__ import annotations

from app.config import Settings


def test_a_batch_is_small_enough_to_share_a_worker_with_public_checks() -> None:
    # A worker serving every queue runs candidates' public checks on the loop the
    # regrade's batches hold; at 200 a batch held it up to ~100 ms of CPU at a time,
    # at 25 about 20 ms, with the same attempts a second (bench/regrade_interference.py).
    assert Settings(env="dev").regrade_batch == 25
