"""Promotion (risk committee sign-off): what the deploy job reads from the registry."""

import json
import os


def deployed_artifact(root, name, version):
    """The bytes the deploy ships for ``name`` ``version`` and the entry it shows."""
    folder = os.path.join(root, name, f"v{version}")
    with open(os.path.join(folder, "entry.json")) as fh:
        entry = json.load(fh)
    with open(os.path.join(folder, "model.json"), "rb") as fh:
        return fh.read(), entry
