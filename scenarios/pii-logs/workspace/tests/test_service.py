"""Service tests (CI): green on every merge."""

import unittest

import service

REQUEST = {"request_id": "r-1", "name": "Test Person", "{{ email_field }}": "test.person@example.org",
           "phone": "+44 20 7946 0000", "tenure_months": 12, "monthly_spend": 40.0, "support_tickets": 1}


class ServiceTest(unittest.TestCase):
    def test_score_is_a_probability(self):
        self.assertTrue(0.0 < service.handle(dict(REQUEST), []) < 1.0)

    def test_snapshot_row_per_request(self):
        snapshot = []
        service.handle(dict(REQUEST), snapshot)
        service.handle(dict(REQUEST, request_id="r-2"), snapshot)
        self.assertEqual(len(snapshot), 2)

    def test_snapshot_can_be_joined_per_customer(self):
        snapshot = []
        service.handle(dict(REQUEST), snapshot)
        service.handle(dict(REQUEST, request_id="r-2", tenure_months=13), snapshot)
        self.assertEqual(snapshot[0]["email"], snapshot[1]["email"])

    def test_request_is_logged(self):
        with self.assertLogs("scoring", level="INFO") as logs:
            service.handle(dict(REQUEST), [])
        self.assertTrue(any("r-1" in line for line in logs.output))


if __name__ == "__main__":
    unittest.main()
