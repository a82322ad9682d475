"""Gate tests (CI, green on every merge since the gate was written)."""

import unittest

from evaluate import gate

CFG = {"holdout_days": 7, "min_holdout_rows": 10, "min_accuracy": 0.75}


def table(days, per_day, start="2024-05-01"):
    from datetime import date, timedelta

    first = date.fromisoformat(start)
    return [
        {"id": d * 100 + i, "customer_id": f"C{i}", "event_date": (first + timedelta(days=d)).isoformat(),
         "tenure_months": 12, "support_calls": i % 5, "churned": int(i % 5 >= 3)}
        for d in range(days) for i in range(per_day)
    ]


def calls_rule(rows):
    return lambda row: int(row["support_calls"] >= 3)


class GateTest(unittest.TestCase):
    def test_good_model_is_promoted(self):
        result = gate(table(30, 5), "2024-05-31", CFG, calls_rule)
        self.assertTrue(result["passed"])
        self.assertEqual(result["accuracy"], 1.0)

    def test_bad_model_is_refused_with_a_reason(self):
        result = gate(table(30, 5), "2024-05-31", CFG, lambda rows: lambda row: 1)
        self.assertFalse(result["passed"])
        self.assertTrue(result["reasons"][0].startswith("accuracy_below_minimum:"))

    def test_holdout_rows_reported(self):
        result = gate(table(30, 5), "2024-05-31", CFG, calls_rule)
        self.assertEqual(result["holdout_rows"], 7 * 5)

    def test_quiet_week_still_evaluates(self):
        result = gate(table(30, 1), "2024-05-31", CFG, calls_rule)
        self.assertIsNotNone(result["accuracy"])


if __name__ == "__main__":
    unittest.main()
