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

from events_table import EVENT_ID
from watermark import advance

log = logging.getLogger("churn_nightly")

# The watermark is on arrival ({{ arrival_col }}), not on event_time: an event that
# happened weeks ago but reached the table since the last run is still new to us.
ARRIVAL = "{{ arrival_col }}"


def run_nightly(events, state, run_at, score):
    loaded_up_to = (state or {}).get("loaded_up_to")
    if loaded_up_to is None:
        log.info("%s: no state, scoring the whole table", run_at)
        selected = list(events)
    else:
        selected = [e for e in events if e[ARRIVAL] > loaded_up_to]
    log.info("%s: %d of %d events selected", run_at, len(selected), len(events))
    predictions = [{"id": e[EVENT_ID], "score": score(e)} for e in selected]
    return {"predictions": predictions, "state": {"loaded_up_to": advance(loaded_up_to, selected, ARRIVAL)}}
