"""Scoring service start-up: load the released model, then serve."""

import logging

import loader

log = logging.getLogger("serving")


def start(artifact_bytes, manifest, name="model.json"):
    """The model to serve; ``loader.UnsafeArtifact`` stops the start-up and pages."""
    log.info("loading %s (%d bytes)", name, len(artifact_bytes))
    try:
        model = loader.load_model(artifact_bytes, manifest, name)
    except loader.UnsafeArtifact:
        log.critical("refusing to start: %s is not the released artifact", name)
        raise
    log.info("model loaded, %d weights; ready", len(model.weights))
    return model
