"""Replay Monday on a small extract: a run pre-empted part-way, the scheduler's retry
on an extract with a replayed load, then what the CRM and the dashboard read; then the
tests: python run.py"""

import tempfile
import unittest

import batch
import crm_sync
import dashboard

DATE = "2024-05-20"
customers = [{"customer_id": f"c{i:03d}", "spend": (i * 37 % 100) / 100} for i in range(40)]
replayed = customers + customers[:6]


def model(customer):
    return round(min(1.0, 0.1 + 0.5 * customer["spend"]), 6)


class PreEmpted(Exception):
    pass


def preempted_after(n):
    calls = {"n": 0}

    def scored(customer):
        calls["n"] += 1
        if calls["n"] > n:
            raise PreEmpted("node pre-empted")
        return model(customer)

    return scored


with tempfile.TemporaryDirectory() as out:
    try:
        batch.score_batch(customers, out, DATE, preempted_after(27))
    except PreEmpted as exc:
        print(f"attempt 1 FAILED ({exc})")
    batch.score_batch(replayed, out, DATE, model)
    print("attempt 2 succeeded")
    offers = crm_sync.offers_for(out, DATE)
    ids = [o["customer_id"] for o in offers]
    print(f"customers with more than one offer: {len(ids) - len(set(ids))}")
    print(f"dashboard rows for {DATE}: {len(dashboard.day_table(out, DATE))}")

print()
unittest.main(module="tests.test_batch", argv=["tests"], exit=False, verbosity=2)
