"""Trigger tests (CI on every merge; green since TRIG-88)."""

import unittest

import policy
from trigger import should_retrain

POLICY = {"cooldown_hours": 24, "drift_threshold": 0.2, "min_new_labels": 500}
LAST = "2024-06-01T00:00:00+00:00"


class TriggerTest(unittest.TestCase):
    def test_never_trained(self):
        self.assertTrue(should_retrain(None, LAST, 0.0, 0, POLICY)["retrain"])

    def test_cooldown_blocks_strong_signals(self):
        decision = should_retrain(LAST, "2024-06-01T00:10:00+00:00", 0.9, 10_000, POLICY)
        self.assertEqual(decision, {"retrain": False, "reason": "cooldown"})

    def test_drift_retrains(self):
        decision = should_retrain(LAST, "2024-06-03T00:00:00+00:00", 0.5, 0, POLICY)
        self.assertEqual(decision["reason"], "drift")

    def test_labels_retrain(self):
        decision = should_retrain(LAST, "2024-06-03T00:00:00+00:00", 0.25, 800, POLICY)
        self.assertTrue(decision["retrain"])

    def test_offsets(self):
        decision = should_retrain(LAST, "2024-06-01T02:00:00+02:00", 0.9, 10_000, POLICY)
        self.assertFalse(decision["retrain"])


class PolicyTest(unittest.TestCase):
    def test_recommender_policy(self):
        settings = policy.load("policies/recommender.yaml")
        self.assertEqual(settings["cooldown_hours"], 24)
        self.assertEqual(settings["min_new_labels"], 500)

    def test_durations(self):
        self.assertEqual([policy.duration_hours(d) for d in ("90m", "36h", "3d", "1w")], [1.5, 36, 72, 168])
        with self.assertRaises(policy.PolicyError):
            policy.duration_hours("36")


if __name__ == "__main__":
    unittest.main()
