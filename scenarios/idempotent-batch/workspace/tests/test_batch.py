"""Job tests (CI): green on every merge."""

import os
import tempfile
import unittest

import batch

CUSTOMERS = [{"customer_id": f"c{i}", "spend": i / 10} for i in range(4)]


def model(customer):
    return customer["spend"]


class BatchTest(unittest.TestCase):
    def test_scores_every_customer(self):
        with tempfile.TemporaryDirectory() as out:
            batch.score_batch(CUSTOMERS, out, "2024-05-06", model)
            rows = batch.read_predictions(out, "2024-05-06")
        self.assertEqual(sorted(c for c, _ in rows), ["c0", "c1", "c2", "c3"])

    def test_dates_are_read_separately(self):
        with tempfile.TemporaryDirectory() as out:
            batch.score_batch(CUSTOMERS[:2], out, "2024-05-06", model)
            batch.score_batch(CUSTOMERS[2:], out, "2024-05-07", model)
            self.assertEqual(len(batch.read_predictions(out, "2024-05-07")), 2)

    def test_output_is_written(self):
        with tempfile.TemporaryDirectory() as out:
            path = batch.score_batch(CUSTOMERS, out, "2024-05-06", model)
            self.assertTrue(os.path.exists(path))


if __name__ == "__main__":
    unittest.main()
