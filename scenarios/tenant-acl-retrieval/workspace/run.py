"""Replay the requests from SEC-1184 against one retriever: python run.py"""

import yaml

from corpus import DOCS, REQUESTS, USERS
from retrieval import Retriever

with open("access.yaml") as fh:
    policy = yaml.safe_load(fh)

retriever = Retriever(DOCS, policy)
for user_id, query in REQUESTS:
    user = USERS[user_id]
    print(f"{user_id:<11} {query!r:32} -> {retriever.search(user, query)}")
print(f"cache: {retriever.cache.hits} hits, {retriever.cache.misses} misses")
