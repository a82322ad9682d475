"""Preparation tests (CI, green on every merge since churn-v3)."""

import unittest

import prep

CONFIG = {"features": ["age", "{{ spend_col }}"], "split": {"test_fraction": 0.25, "seed": 7}}
ROWS = [
    {"customer_id": str(i), "age": str(20 + i), "{{ spend_col }}": "" if i % 4 == 0 else str(30 + 3 * i)}
    for i in range(1, 13)
]


class PrepareTest(unittest.TestCase):
    def test_split_sizes(self):
        train, test, _ = prep.prepare(ROWS, CONFIG)
        self.assertEqual((len(train), len(test)), (9, 3))

    def test_no_unknown_value_left(self):
        train, test, _ = prep.prepare(ROWS, CONFIG)
        for row in train + test:
            for col in CONFIG["features"]:
                self.assertIsInstance(row[col], float)

    def test_standardised(self):
        train, test, _ = prep.prepare(ROWS, CONFIG)
        for col in CONFIG["features"]:
            values = [r[col] for r in train + test]
            self.assertAlmostEqual(sum(values) / len(values), 0.0, places=9)

    def test_unknown_gets_the_median(self):
        rows = [{"age": "30"}, {"age": ""}, {"age": "50"}, {"age": "40"}]
        self.assertEqual(prep.fit_fill(rows, ["age"]), {"age": 40.0})

    def test_stats_cover_every_feature(self):
        _, _, stats = prep.prepare(ROWS, CONFIG)
        self.assertEqual(set(stats["scaler"]), set(CONFIG["features"]))
        self.assertEqual(set(stats["fill"]), set(CONFIG["features"]))


if __name__ == "__main__":
    unittest.main()
