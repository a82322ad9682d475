"""Nightly batch scoring of the engagement events table for the churn model.

The scheduler (``config/jobs.yaml``) calls ``run_nightly(events, state, run_at, score)``
once a night:

- ``events``: every row of ``analytics.engagement_events`` visible when the job starts,
  in no particular order (columns: ``events_table.py``). Only rows with
  ``{{ arrival_col }} <= run_at`` are visible.
- ``state``: the ``"state"`` the previous successful run returned, stored as JSON
  between runs; None on the very first run.
- ``score(event)``: the model, one GPU call per event.

Returns ``{"predictions": [{"id": ..., "score": ...}, ...], "state": ...}``.
Downstream upserts the predictions by id into ``crm.churn_scores``.
"""

import logging

from events_table import EVENT_ID, EVENT_TIME
from watermark import advance, lookback_start

log = logging.getLogger("churn_nightly")

# INC-2291 (March): events that reach the table late (apps that were offline, partner
# files delivered days later) were never scored, because the watermark only lets
# through events newer than the newest one already seen. Look back 30 days behind the
# watermark so that they are picked up; the upsert downstream makes rescoring harmless.
LOOKBACK_DAYS = 30


def run_nightly(events, state, run_at, score):
    watermark = (state or {}).get("watermark")
    if watermark is None:
        log.info("%s: no state, scoring the whole table", run_at)
        selected = list(events)
    else:
        since = lookback_start(watermark, LOOKBACK_DAYS)
        selected = [e for e in events if e[EVENT_TIME] > since]
    log.info("%s: %d of %d events selected", run_at, len(selected), len(events))
    predictions = [{"id": e[EVENT_ID], "score": score(e)} for e in selected]
    # Publish only what arrived since the last run, so the CRM sees no duplicates.
    last_run = (state or {}).get("last_run")
    predictions = [p for p, e in zip(predictions, selected) if last_run is None or e["{{ arrival_col }}"] > last_run]
    return {"predictions": predictions,
            "state": {"watermark": advance(watermark, events, EVENT_TIME), "last_run": run_at}}
