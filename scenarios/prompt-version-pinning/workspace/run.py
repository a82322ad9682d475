"""Replay two of Tuesday's requests through the gateway as deployed: python run.py"""

import yaml

import audit
import gateway

with open("routes.yaml") as fh:
    routes = yaml.safe_load(fh)["routes"]
with open("prompt_registry.yaml") as fh:
    registry = yaml.safe_load(fh)
with open("gateway.yaml") as fh:
    settings = yaml.safe_load(fh)

log = audit.MemoryAudit()
gw = gateway.Gateway(routes, registry, settings, log)
context = "Refunds are issued to the original payment method within 14 days of the return arriving."
print(gw.handle("/support/refund", {"brand": "Northwind", "context": context,
                                    "question": "When do I get my money back?"}, "req-8812"))
print(gw.handle("/support/order-status", {"brand": "Northwind", "order_id": "NW-4471", "context": "shipped 12-01",
                                          "question": "Where is my parcel?"}, "req-8813"))
for record in log.records:
    print("audit:", record)
