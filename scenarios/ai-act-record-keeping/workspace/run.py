"""Replay a day of screening and reviews, then the nightly purge: python run.py"""

import datetime
import json

import yaml

import screening
from audit_logger import EventLogger
from store import MemoryStore

CET = datetime.timezone(datetime.timedelta(hours=1))
now = [datetime.datetime(2026, 11, 17, 9, 0, tzinfo=CET)]

with open("recordkeeping.yaml") as fh:
    policy = yaml.safe_load(fh)
store = MemoryStore()
logger = EventLogger(policy, store, lambda: now[0])

# An application screened in early October, then today's.
now[0] = datetime.datetime(2026, 10, 2, 14, 30, tzinfo=CET)
screening.screen({"application_id": "app-0877", "candidate_ref": "c-5e02", "vacancy_id": "v-198",
                  "cv_text": "warehouse lead 4y"}, logger)
now[0] = datetime.datetime(2026, 11, 17, 9, 0, tzinfo=CET)
applications = [
    {"application_id": "app-1001", "candidate_ref": "c-77a1", "vacancy_id": "v-212", "cv_text": "data engineer 6y"},
    {"application_id": "app-1002", "candidate_ref": "c-90f3", "vacancy_id": "v-212", "cv_text": "analyst 2y"},
    {"application_id": "app-1003", "candidate_ref": "c-12bd", "vacancy_id": None, "cv_text": "nurse 10y"},
]
for app in applications:
    screening.screen(app, logger)
    now[0] += datetime.timedelta(minutes=7)
logger.log_review({"decision_id": "dec-1001", "reviewer_id": "r-ana", "outcome": "reject", "model_outcome": "reject"})
logger.log_review({"decision_id": "dec-1002", "reviewer_id": "r-ben", "outcome": "reject", "model_outcome": "shortlist"})

now[0] = datetime.datetime(2026, 11, 18, 1, 0, tzinfo=CET)
print("purged:", logger.purge())
for record in store.records:
    print(json.dumps(record))
