"""Score a few requests as the pod does (log records formatted as the log store gets
them, the payload trace on as on the pod the DPO sampled), print the snapshot rows,
then run the tests: python run.py"""

import logging
import sys
import unittest

import service

logging.basicConfig(stream=sys.stdout, level=logging.DEBUG, format="%(levelname)s %(name)s %(message)s")
REQUESTS = [
    ("r-1", "Ada Byron", "ada@example.org", 14, 2),
    ("r-2", "Alan Turing", "alan@example.org", 0, 0),
    ("r-3", "Grace Hopper", "grace@example.org", 40, 5),
]
snapshot = []
for request_id, name, email, tenure, tickets in REQUESTS:
    service.handle({"request_id": request_id, "name": name, "{{ email_field }}": email, "phone": "+44 20 7946 0000",
                    "tenure_months": tenure, "monthly_spend": 40.0, "support_tickets": tickets}, snapshot)
for row in snapshot:
    print("snapshot:", row)
print()
logging.getLogger().setLevel(logging.WARNING)
unittest.main(module="tests.test_service", argv=["tests"], exit=False, verbosity=2)
