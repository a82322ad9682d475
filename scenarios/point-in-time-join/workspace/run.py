"""Join a tiny example: python run.py"""

from join import build_training_set

labels = [{"entity_id": "c1", "event_time": "2024-03-05T10:00:00+00:00", "label": 1}]
features = [
    {"entity_id": "c1", "feature": "txn_count_7d", "available_at": "2024-03-04T00:00:00+00:00", "value": 3},
    {"entity_id": "c1", "feature": "txn_count_7d", "available_at": "2024-03-09T00:00:00+00:00", "value": 41},
]
for row in build_training_set(labels, features):
    print(row)
