"""Lineage helpers for the registry (started in PLAT-640, not wired in yet)."""

import hashlib


def fingerprint(path):
    """A stable fingerprint of a data file."""
    return hashlib.sha256(str(path).encode()).hexdigest()


def count_rows(path):
    """Data rows of a CSV file (header excluded)."""
    with open(path) as fh:
        return fh.read().count("\n") - 1
