"""Training-set builder tests (CI on every merge, green since fraud-v5)."""

import unittest

import offline_store
from join import FEATURES, build_training_set


def offline(entity, feature, day, value):
    window = f"2024-03-{day:02d}T00:00:00+00:00"
    written = f"2024-03-{day:02d}T02:00:00+00:00"
    return {"entity_id": entity, "feature": feature, "{{ window_col }}": window,
            "{{ available_col }}": written, "value": str(value)}


OFFLINE = [
    offline("c1", "txn_count_7d", 2, 4),
    offline("c1", "txn_count_7d", 5, 9),
    offline("c1", "avg_amount_30d", 3, 120.5),
    offline("c2", "txn_count_7d", 4, 1),
]
LABELS = [
    {"entity_id": "c2", "event_time": "2024-03-20T10:00:00+00:00", "label": 0},
    {"entity_id": "c1", "event_time": "2024-03-20T11:00:00+00:00", "label": 1},
    {"entity_id": "c9", "event_time": "2024-03-20T12:00:00+00:00", "label": 0},
]


class BuildTrainingSetTest(unittest.TestCase):
    def test_one_row_per_label_in_order(self):
        rows = build_training_set(LABELS, OFFLINE)
        self.assertEqual([r["entity_id"] for r in rows], ["c2", "c1", "c9"])

    def test_newest_value_is_used(self):
        row = build_training_set(LABELS, OFFLINE)[1]
        self.assertEqual((row["txn_count_7d"], row["avg_amount_30d"]), (9.0, 120.5))

    def test_unknown_customer_is_kept_empty(self):
        row = build_training_set(LABELS, OFFLINE)[2]
        self.assertEqual([row[f] for f in FEATURES], [None, None])

    def test_audit_columns_present(self):
        row = build_training_set(LABELS, OFFLINE)[0]
        self.assertIsNotNone(row["txn_count_7d_at"])
        self.assertIsNone(row["avg_amount_30d_at"])


class OfflineStoreTest(unittest.TestCase):
    def test_history_is_oldest_first(self):
        rows = offline_store.history(list(reversed(OFFLINE)))[("c1", "txn_count_7d")]
        self.assertEqual([v for _, v in rows], [4.0, 9.0])


if __name__ == "__main__":
    unittest.main()
