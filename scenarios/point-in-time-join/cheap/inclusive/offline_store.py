"""Client for the feature store's offline table (export v2, see FEATURE_STORE.md).

The offline table keeps every value the online store ever held, one row per
(entity, feature, value). The training-set builder asks it for each entity's history.
"""

import csv
from datetime import datetime

# When a value became readable online, with the writer's UTC offset.
TIME_COLUMN = "{{ available_col }}"


def read_export(path):
    """The export's rows as `csv.DictReader` reads them (every cell a string)."""
    with open(path, newline="") as fh:
        return list(csv.DictReader(fh))


def instant(text):
    """An ISO-8601 time as an aware datetime, so different offsets compare as instants."""
    return datetime.fromisoformat(text)


def value_time(row):
    """The time of one offline row, as exported."""
    return row[TIME_COLUMN]


def history(feature_rows):
    """(entity_id, feature) -> [(time, value)], oldest first.

    `time` is the exported text (kept as written, for the training set's audit
    columns); `value` is a float.
    """
    grouped = {}
    for row in feature_rows:
        key = (row["entity_id"], row["feature"])
        grouped.setdefault(key, []).append((value_time(row), float(row["value"])))
    for rows in grouped.values():
        rows.sort(key=lambda r: instant(r[0]))
    return grouped
