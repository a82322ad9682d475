"""Query side of the support assistant's retrieval: opens the index named in the
service config and answers top-k searches for the answer generator.

Vectors are only comparable when the query and the index went through the same model,
the same version and the same text preparation. The config names the query model
(possibly by an alias that moves when the embedding team publishes); the index's
manifest says what built it. They must agree exactly, or the index is not served.
"""

import build_index
import embedder


class IndexMismatch(Exception):
    """The index cannot be served by this service as configured."""


class Retriever:
    def __init__(self, model, vectors, top_k, lowercase):
        self.model = model
        self.ids = [v["id"] for v in vectors]
        self.matrix = [v["vector"] for v in vectors]
        self.top_k = top_k
        self.lowercase = lowercase

    def search(self, query, k=None):
        """Ids of the ``k`` (default: the config's ``top_k``) most similar articles,
        best first; ties go to the smaller id."""
        k = self.top_k if k is None else k
        q = self.model.embed(build_index.prepare(query, self.lowercase))
        scored = [(-sum(a * b for a, b in zip(q, row)), doc_id) for doc_id, row in zip(self.ids, self.matrix)]
        scored.sort()
        return [doc_id for _, doc_id in scored[:k]]


def open_index(config, manifest, vectors, registry):
    """A ``Retriever`` for the index described by ``manifest`` (with its ``vectors``),
    using the query settings in ``config`` and the model ``registry``; raises
    ``IndexMismatch`` when the configured query model is not what built the index."""
    query = config["query"]
    built = manifest["embedder"]
    try:
        model = embedder.load(registry, query["embedder"], query["version"])
    except embedder.UnknownModel as exc:
        raise IndexMismatch(f"query model not in the registry: {exc}") from exc
    serving = (model.name, str(model.version), int(model.dim))
    indexed = (built["name"], str(built["version"]), int(built["dim"]))
    if serving != indexed:
        raise IndexMismatch(
            f"index {manifest.get('index')} built with {indexed[0]}@{indexed[1]} (dim {indexed[2]}), "
            f"service configured for {serving[0]}@{serving[1]} (dim {serving[2]})"
        )
    if len(vectors) != manifest["count"]:
        raise IndexMismatch("index is incomplete")
    return Retriever(model, vectors, int(query["top_k"]), bool(manifest["text"]["lowercase"]))
