"""Replay the deploy gate on the red-team artifacts: python run.py"""

import json

import yaml

import provenance
import replay

with open("supply_chain.yaml") as fh:
    policy = yaml.safe_load(fh)
with open("keyring.json") as fh:
    keyring = json.load(fh)

for label, name, data, declared, envelope in replay.artifacts(keyring):
    verdict = provenance.verify(name, data, declared, envelope, policy, keyring)
    print(f"{label:<30} {'ALLOW' if verdict['allowed'] else 'DENY '} {verdict['reasons']}")
