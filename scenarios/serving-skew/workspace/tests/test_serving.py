"""Endpoint tests, run in CI on every merge of the endpoint (all green since March)."""

import json
import unittest

import app
import model
import serving

STATS = {"tenure_median": 18.0}
REQUEST = {"customer_id": "C-00001", "age": 30, "{{ income_field }}": 3500, "{{ tenure_field }}": 30, "plan": "PLUS"}


class FeaturizeTest(unittest.TestCase):
    def test_vector_has_one_value_per_weight(self):
        self.assertEqual(len(serving.featurize(dict(REQUEST), STATS)), len(model.WEIGHTS))

    def test_known_customer(self):
        # Golden vector recorded from the endpoint on 2024-03-11.
        self.assertEqual(serving.featurize(dict(REQUEST), STATS), [8.160803920954665, 1.0, 2.5, 0.0, 1.0, 0.0])

    def test_plan_codes_are_case_insensitive(self):
        lower = dict(REQUEST, plan="plus")
        self.assertEqual(serving.featurize(lower, STATS), serving.featurize(dict(REQUEST), STATS))

    def test_missing_tenure_is_accepted(self):
        request = dict(REQUEST)
        del request["{{ tenure_field }}"]
        self.assertEqual(len(serving.featurize(request, STATS)), len(model.WEIGHTS))


class HandlerTest(unittest.TestCase):
    def test_unknown_plan_gets_the_default_offer(self):
        body = json.dumps(dict(REQUEST, plan="ENTERPRISE"))
        self.assertEqual(app.handle(body, STATS), app.DEFAULT_OFFER)

    def test_offer_tiers(self):
        self.assertEqual([app.offer_for(s) for s in (0.1, 0.3, 0.5)], ["none", "retention-15", "retention-30"])


if __name__ == "__main__":
    unittest.main()
