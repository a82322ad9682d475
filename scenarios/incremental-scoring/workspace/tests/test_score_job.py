"""python -m pytest tests  (from the repository's root)"""

import json

from score_job import run_nightly


def event(i, happened, arrived):
    return {"id": i, "account_id": "A1000", "event_time": happened, "{{ arrival_col }}": arrived,
            "sessions": 3, "minutes": 12.5, "tickets": 0}


def model(event):
    return 0.25


def upsert(table, predictions):  # what crm.churn_scores does with them
    table.update({p["id"]: p["score"] for p in predictions})
    return table


DAY1 = [event(1, "2024-03-17T10:00:00+00:00", "2024-03-17T10:35:00+00:00"),
        event(2, "2024-03-17T23:50:00+00:00", "2024-03-18T00:35:00+00:00")]
LATE = event(3, "2024-03-14T09:00:00+00:00", "2024-03-18T11:35:00+00:00")  # app offline 4 days


def test_first_run_scores_the_whole_table():
    result = run_nightly(DAY1, None, "2024-03-18T02:00:00+00:00", model)
    assert {p["id"] for p in result["predictions"]} == {1, 2}


def test_late_event_is_scored():
    first = run_nightly(DAY1, None, "2024-03-18T02:00:00+00:00", model)
    second = run_nightly(DAY1 + [LATE], first["state"], "2024-03-19T02:00:00+00:00", model)
    assert 3 in {p["id"] for p in second["predictions"]}


def test_retry_publishes_nothing_new():
    first = run_nightly(DAY1, None, "2024-03-18T02:00:00+00:00", model)
    table = upsert({}, first["predictions"])
    retry = run_nightly(DAY1, first["state"], "2024-03-18T02:15:00+00:00", model)
    assert upsert(dict(table), retry["predictions"]) == table


def test_state_is_json_and_small():
    result = run_nightly(DAY1 + [LATE], None, "2024-03-19T02:00:00+00:00", model)
    assert len(json.dumps(result["state"])) < 200
