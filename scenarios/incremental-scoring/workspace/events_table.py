"""``analytics.engagement_events``: one row per account and session batch.

| column | type | meaning |
|---|---|---|
| id | int | event id, unique |
| account_id | str | CRM account |
| event_time | str | when it happened (the app's or the partner's clock) |
| {{ arrival_col }} | str | when the load that carried it reached the table (warehouse clock) |
| sessions, minutes, tickets | int, float, int | the model's features |

Apps upload when they are online; partners deliver files, sometimes days or weeks
late, sometimes again. Loads land every hour at hh:35 and in one transaction.
"""

EVENT_ID = "id"
EVENT_TIME = "event_time"
FEATURES = {"sessions": int, "minutes": float, "tickets": int}


def parse_row(raw):
    """A row of a CSV export of the table, with the features and the id typed."""
    row = dict(raw)
    row[EVENT_ID] = int(row[EVENT_ID])
    for name, kind in FEATURES.items():
        row[name] = kind(row[name])
    return row
