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

from datetime import datetime, timedelta

# INC-2291 (March): events that reach the table late (apps that were offline, partner
# files delivered days later) were never scored, because the watermark only lets
# through events newer than the newest one already seen. Look back 30 days behind the
# watermark so that they are picked up; the upsert downstream makes rescoring harmless.
LOOKBACK_DAYS = 30


def run_nightly(events, state, run_at, score):
    watermark = (state or {}).get("watermark")
    if watermark is None:
        selected = list(events)
    else:
        since = (datetime.fromisoformat(watermark) - timedelta(days=LOOKBACK_DAYS)).isoformat()
        selected = [e for e in events if e["event_time"] > since]
    predictions = [{"id": e["id"], "score": score(e)} for e in selected]
    newest = max((e["event_time"] for e in events), default=watermark)
    return {"predictions": predictions, "state": {"watermark": newest}}
