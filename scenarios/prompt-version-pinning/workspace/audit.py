"""The gateway's audit trail: one JSON record per answered request, shipped to the
write-once audit store that complaints, legal and the model-risk team query."""

import json


class AuditLog:
    def __init__(self, path):
        self.path = path

    def write(self, record):
        with open(self.path, "a", encoding="utf-8") as fh:
            fh.write(json.dumps(record, sort_keys=True) + "\n")


class MemoryAudit:
    """Keeps records in memory (replays and tests)."""

    def __init__(self):
        self.records = []

    def write(self, record):
        self.records.append(dict(record))
