"""Offline index build (the weekly ``kb-index`` job): embeds every knowledge-base
article and writes the vectors with a manifest saying how they were made."""

import embedder


def prepare(text, lowercase):
    text = " ".join(text.split())
    return text.lower() if lowercase else text


def build(docs, registry, name, version, lowercase=True, index_name="support-kb"):
    """``docs``: [{"id", "text"}]. Returns (manifest, vectors)."""
    model = embedder.load(registry, name, version)
    vectors = [{"id": d["id"], "vector": model.embed(prepare(d["text"], lowercase))} for d in docs]
    manifest = {
        "index": index_name,
        "embedder": {"name": model.name, "version": model.version, "dim": model.dim},
        "text": {"lowercase": lowercase},
        "count": len(vectors),
    }
    return manifest, vectors
