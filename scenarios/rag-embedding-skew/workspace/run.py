"""Rebuild the index as the weekly job did, open it as the service does, and replay the
retrieval golden set: python run.py"""

import json

import yaml

import build_index
import retriever
from kb import DOCS, GOLDEN

with open("models.yaml") as fh:
    registry = yaml.safe_load(fh)
with open("service_config.yaml") as fh:
    config = yaml.safe_load(fh)

with open("index_manifest.json") as fh:
    built = json.load(fh)
manifest, vectors = build_index.build(DOCS, registry, built["embedder"]["name"], built["embedder"]["version"],
                                      lowercase=built["text"]["lowercase"], index_name=built["index"])

service = retriever.open_index(config, manifest, vectors, registry)
hits = 0
for query, expected in GOLDEN:
    got = service.search(query)
    hits += expected in got
    print(f"{'HIT ' if expected in got else 'MISS'} {query!r:40} -> {got}")
print(f"hit@{config['query']['top_k']}: {hits}/{len(GOLDEN)}")
