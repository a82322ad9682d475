"""Gate tests (CI): green on every merge."""

import unittest

import validate

CONTRACT = {
    "columns": {
        "transaction_id": {"type": "int", "min": 1},
        "customer_age": {"type": "int", "min": 18, "max": 120},
        "amount": {"type": "float", "min": 0.01, "max": 50000},
        "currency": {"type": "str", "allowed": ["EUR", "USD", "GBP"]},
        "risk_score": {"type": "float", "min": 0.0, "max": 1.0},
    }
}
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
