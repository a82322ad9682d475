"""Append-only event store behind the audit logger (the production store is a
write-once bucket; this in-memory one is used in replays and tests)."""

import json


class MemoryStore:
    def __init__(self):
        self.records = []

    def append(self, record):
        self.records.append(json.loads(json.dumps(record)))  # stored as the bucket would

    def delete_where(self, predicate):
        """Retention deletes are the only deletes the bucket allows."""
        before = len(self.records)
        self.records = [r for r in self.records if not predicate(r)]
        return before - len(self.records)
