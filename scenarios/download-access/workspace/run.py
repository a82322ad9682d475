"""Try a few downloads: python run.py"""

import os
import tempfile

import handlers
from registry import Registry

with tempfile.TemporaryDirectory() as tmp:
    root = os.path.join(tmp, "models")
    os.makedirs(os.path.join(root, "credit-risk", "v3"))
    with open(os.path.join(root, "credit-risk", "v3", "model.json"), "w") as fh:
        fh.write('{"weights": {}}')
    os.makedirs(os.path.join(tmp, "keys"))
    with open(os.path.join(tmp, "keys", "model.json"), "w") as fh:
        fh.write("-----BEGIN PRIVATE KEY-----")
    reg = Registry(root, {"credit-risk": ["risk"]})
    intern = {"name": "sam", "teams": ["marketing"], "roles": []}
    for version in ("v3", "../../keys"):
        try:
            print(version, handlers.download_model(intern, "credit-risk", version, reg)[:20])
        except Exception as exc:
            print(version, type(exc).__name__, exc)
    print("audit:", reg.audit)
