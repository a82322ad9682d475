"""Event logging for the cv-screening system: every automated decision and every human
review of one is recorded so that the system's operation can be reconstructed later
(audits, complaints, the authority's requests). See recordkeeping.yaml.

The policy decides what a record holds and how long it is kept; nothing is ever
dropped for being incomplete (the gap is recorded instead), every review is recorded
whether or not it changed the outcome, and times are absolute (ISO 8601 with offset,
in UTC) so records from every office can be ordered and aged.
"""

import datetime


class EventLogger:
    def __init__(self, policy, store, clock):
        """``policy``: recordkeeping.yaml; ``store``: has ``append(record)`` and
        ``delete_where(predicate)``; ``clock()``: the current time (timezone-aware)."""
        self.policy = policy
        self.store = store
        self.clock = clock

    def _now(self):
        return self.clock().astimezone(datetime.UTC).isoformat()

    def _record(self, kind, event):
        record = {"event": kind, "ts": self._now()}
        missing = []
        for name in self.policy["required_fields"][kind]:
            if name in event and event[name] is not None:
                record[name] = event[name]
            else:
                missing.append(name)
        if missing:
            record["missing_fields"] = missing
        self.store.append(record)

    def log_decision(self, event):
        """Record one automated screening decision (``event`` from screening.py)."""
        self._record("decision", event)

    def log_review(self, event):
        """Record a recruiter's review of a decision, whatever its outcome."""
        self._record("review", event)

    def purge(self):
        """Delete the records older than the policy's retention period."""
        cutoff = self.clock() - datetime.timedelta(days=self.policy["retention_days"])
        return self.store.delete_where(lambda r: datetime.datetime.fromisoformat(r["ts"]) < cutoff)
