"""Lineage helpers for the registry: what audit can check against the data lake.

A fingerprint is over the file's bytes exactly as read (a file's name says nothing
about its content), and rows are the non-blank lines after the header, whatever the
line endings and whether or not the file ends with one.
"""

import hashlib


def fingerprint(path):
    """The SHA-256 digest of the file's bytes (hex), as the data lake's catalog keeps it."""
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(65536), b""):
            h.update(block)
    return h.hexdigest()


def count_rows(path):
    """Data rows of a CSV file: non-blank lines, header excluded."""
    with open(path, "rb") as fh:
        lines = [line for line in fh.read().splitlines() if line.strip()]
    return max(len(lines) - 1, 0)
