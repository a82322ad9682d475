"""Knowledge-base retrieval for the multi-tenant assistant: every customer company
(tenant) uploads its own documents; the assistant answers from the top-k documents
the asking user may read.

A document is ``{"id", "tenant", "groups": [...], "text"}``; a user is ``{"id",
"tenant", "groups": [...]}``. ``policy`` is the deployment's access.yaml.

Access is decided before ranking, so a user's top k is taken from what they may read
(filtering someone else's top k leaves small tenants with nothing), and the cache is
keyed by the user's access as well as the query, so it can only answer with what a
fresh search for that user would return.
"""

import cache as response_cache
import scoring


def readable(user, doc, policy):
    """Whether ``user`` may read ``doc``: documents of the user's own tenant that are
    open to the whole tenant (no groups) or to one of the user's groups, and every
    document of the shared corpus."""
    if doc["tenant"] == policy["shared_tenant"]:
        return True
    if doc["tenant"] != user["tenant"]:
        return False
    return not doc["groups"] or bool(set(doc["groups"]) & set(user["groups"]))


class Retriever:
    def __init__(self, docs, policy, cache=None):
        self.docs = list(docs)
        self.policy = policy
        self.terms = {d["id"]: scoring.terms(d["text"]) for d in self.docs}
        self.cache = cache if cache is not None else response_cache.ResponseCache()

    def _rank(self, user, query, k):
        q = scoring.terms(query)
        scored = [(-scoring.score(q, self.terms[d["id"]]), d["id"]) for d in self.docs if readable(user, d, self.policy)]
        scored = [s for s in scored if s[0] < 0]
        scored.sort()
        return [doc_id for _, doc_id in scored[:k]]

    def search(self, user, query, k=4):
        """Ids of the ``k`` best-matching documents ``user`` may read, best first."""
        key = response_cache.make_key(user, query, k)
        cached = self.cache.get(key)
        if cached is not None:
            return cached
        hits = self._rank(user, query, k)
        self.cache.put(key, hits)
        return hits
