"""Gate tests (CI): green on every merge."""

import unittest

import yaml

import validate

with open("contract.yaml") as fh:
    CONTRACT = yaml.safe_load(fh)
GOOD = {"transaction_id": "1", "customer_age": "34", "amount": "120.50", "currency": "EUR", "risk_score": "0.12"}


class SplitRowsTest(unittest.TestCase):
    def test_good_row_accepted(self):
        accepted, rejected = validate.split_rows([dict(GOOD)], CONTRACT)
        self.assertEqual((len(accepted), len(rejected)), (1, 0))

    def test_unknown_currency_rejected(self):
        accepted, rejected = validate.split_rows([dict(GOOD, currency="JPY")], CONTRACT)
        self.assertEqual(len(rejected), 1)

    def test_text_amount_rejected(self):
        _, rejected = validate.split_rows([dict(GOOD, amount="12abc")], CONTRACT)
        self.assertEqual(len(rejected), 1)


if __name__ == "__main__":
    unittest.main()
