"""Nightly batch scoring of the engagement events table for the churn model.

The scheduler calls ``run_nightly(events, state, run_at, score)`` once a night:

- ``events``: every row of the events table visible when the job starts, in no
  particular order: ``{"id": int, "account_id": str, "event_time": str,
  "ingested_at": str, "sessions": int, "minutes": float, "tickets": int}``.
  ``event_time`` is when it happened, ``ingested_at`` when its load reached the
  table; both are ISO-8601 UTC strings in one format, so they sort as text.
  Only rows with ``ingested_at <= run_at`` are visible.
- ``state``: the ``"state"`` the previous successful run returned, stored as JSON
  between runs; None on the very first run.
- ``score(event)``: the model, one GPU call per event.

Returns ``{"predictions": [{"id": ..., "score": ...}, ...], "state": ...}``.
Downstream upserts the predictions by id.
"""


def run_nightly(events, state, run_at, score):
    # The watermark is on arrival (ingested_at), not on event_time: an event that
    # happened days ago but reached the table since the last run is still new to us.
    loaded_up_to = (state or {}).get("loaded_up_to")
    selected = [e for e in events if loaded_up_to is None or e["ingested_at"] >= loaded_up_to]
    predictions = [{"id": e["id"], "score": score(e)} for e in selected]
    newest = max((e["ingested_at"] for e in selected), default=loaded_up_to)
    return {"predictions": predictions, "state": {"loaded_up_to": newest}}
