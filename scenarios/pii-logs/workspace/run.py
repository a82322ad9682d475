"""Score two requests: python run.py"""

import logging

import service

logging.basicConfig(level=logging.INFO, format="%(levelname)s %(message)s")
snapshot = []
for i, (name, email) in enumerate([("Ada Byron", "ada@example.org"), ("Alan Turing", "alan@example.org")]):
    service.handle({"request_id": f"r-{i}", "name": name, "email": email, "phone": "+44 20 7946 0000",
                    "tenure_months": 12 + i, "monthly_spend": 40.0, "support_tickets": i}, snapshot)
print(snapshot)
