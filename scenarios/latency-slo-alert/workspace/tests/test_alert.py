"""Alert tests (CI, green on every merge since the SLO was introduced)."""

import unittest

import alert

RULE = {"name": "test-latency", "percentile": 99, "window_seconds": 60, "fire_above_ms": 300,
        "resolve_below_ms": 200, "evaluate_every_seconds": 60}
NOW = 1_700_000_040.0


def steady(ms, seconds=60, before=0):
    """One request a second, each taking ``ms``, over ``seconds`` seconds ending
    ``before`` seconds before NOW."""
    end = NOW - before
    return [{"ts": end - seconds + k + 1, "latency_ms": ms} for k in range(seconds)]


class EvaluateTest(unittest.TestCase):
    def test_healthy_window_does_not_breach(self):
        self.assertFalse(alert.evaluate(steady(80.0), NOW, RULE)["breach"])

    def test_slow_window_breaches(self):
        self.assertEqual(alert.evaluate(steady(450.0), NOW, RULE), {"value_ms": 450.0, "breach": True})

    def test_no_requests_no_value(self):
        self.assertEqual(alert.evaluate([], NOW, RULE), {"value_ms": None, "breach": False})

    def test_requests_before_the_window_are_ignored(self):
        requests = steady(900.0, before=60) + steady(80.0)
        self.assertEqual(alert.evaluate(requests, NOW, RULE), {"value_ms": 80.0, "breach": False})


class UpdateTest(unittest.TestCase):
    def test_breach_pages(self):
        self.assertEqual(alert.update(False, {"value_ms": 450.0, "breach": True}, RULE), (True, "fire"))

    def test_paging_stays_open_while_breached(self):
        self.assertEqual(alert.update(True, {"value_ms": 450.0, "breach": True}, RULE), (True, None))

    def test_recovery_resolves(self):
        self.assertEqual(alert.update(True, {"value_ms": 80.0, "breach": False}, RULE), (False, "resolve"))

    def test_healthy_stays_quiet(self):
        self.assertEqual(alert.update(False, {"value_ms": 80.0, "breach": False}, RULE), (False, None))


if __name__ == "__main__":
    unittest.main()
