"""Query side of the support assistant's retrieval: opens the index named in the
service config and answers top-k searches for the answer generator."""

import embedder


class IndexMismatch(Exception):
    """The index cannot be served by this service as configured."""


class Retriever:
    def __init__(self, model, vectors, top_k):
        self.model = model
        self.ids = [v["id"] for v in vectors]
        self.matrix = [v["vector"] for v in vectors]
        self.top_k = top_k

    def search(self, query, k=None):
        """Ids of the ``k`` (default: the config's ``top_k``) most similar articles,
        best first; ties go to the smaller id."""
        k = self.top_k if k is None else k
        q = self.model.embed(query)
        scored = [(-sum(a * b for a, b in zip(q, row)), doc_id) for doc_id, row in zip(self.ids, self.matrix)]
        scored.sort()
        return [doc_id for _, doc_id in scored[:k]]


def open_index(config, manifest, vectors, registry):
    """A ``Retriever`` for the index described by ``manifest`` (with its ``vectors``),
    using the query settings in ``config`` and the model ``registry``."""
    query = config["query"]
    model = embedder.load(registry, query["embedder"], query["version"])
    if model.dim != manifest["embedder"]["dim"]:
        raise IndexMismatch(f"index has dim {manifest['embedder']['dim']}, model {model!r}")
    if len(vectors) != manifest["count"]:
        raise IndexMismatch("index is incomplete")
    return Retriever(model, vectors, int(query["top_k"]))
