"""Run the job twice for one date: python run.py"""

import tempfile

import batch

customers = [{"customer_id": f"c{i}", "spend": i * 10.0} for i in range(5)]


def model(c):
    return min(1.0, c["spend"] / 100)


with tempfile.TemporaryDirectory() as out:
    batch.score_batch(customers, out, "2024-05-06", model)
    batch.score_batch(customers, out, "2024-05-06", model)
    rows = batch.read_predictions(out, "2024-05-06")
    print(f"{len(rows)} predictions for {len(customers)} customers")
