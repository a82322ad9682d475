"""Replay 3 June's captured requests through the endpoint and compare with the nightly
batch, then run the endpoint's tests: python run.py"""

import json
import unittest

import app
import features
import model

with open("stats.json") as fh:
    stats = json.load(fh)

print("customer   plan        batch   online  offer")
with open("replay_2024-06-03.jsonl") as fh:
    for line in fh:
        captured = json.loads(line)
        request = captured["request"]
        answer = app.handle(json.dumps(request), stats)
        online = "error" if answer["score"] is None else f"{answer['score']:.3f}"
        print(f"{request['customer_id']:<10} {request['plan']:<11} {captured['batch_score']:.3f}   {online:<7} {answer['offer']}")

print()
print("model weights:", model.WEIGHTS, "plans known to training:", features.PLANS)
print()
unittest.main(module="tests.test_serving", argv=["tests"], exit=False, verbosity=2)
