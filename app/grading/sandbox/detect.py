"""Which layer this machine gets: the strongest that works, detected once."""

from __future__ import annotations

import logging
from typing import Any

from app.grading.exceptions import IsolationUnavailable
from app.grading.sandbox.base import Sandbox
from app.grading.sandbox.bubblewrap import BubblewrapSandbox
from app.grading.sandbox.process import ProcessSandbox

log = logging.getLogger("app.grading.sandbox")

_detected: dict[bool, Sandbox] = {}


def detect_sandbox(*, require_isolation: bool = False, **kwargs: Any) -> Sandbox:
    """The strongest sandbox this machine supports.

    With ``require_isolation`` (production), a machine without working bubblewrap is an
    error (``IsolationUnavailable``) instead of a silent fall back to the process layer.
    Without arguments the result is cached for the life of the process.
    """
    if not kwargs and require_isolation in _detected:
        return _detected[require_isolation]
    sandbox: Sandbox
    try:
        bwrap = BubblewrapSandbox(**kwargs)
        try:
            bwrap.smoke_test()
        except IsolationUnavailable:
            bwrap.close()
            raise
        sandbox = bwrap
    except IsolationUnavailable as exc:
        if require_isolation:
            raise
        log.warning("grading sandbox: process layer only (%s)", exc.message)
        sandbox = ProcessSandbox(**{k: v for k, v in kwargs.items() if k != "bwrap"})
    if not kwargs:
        _detected[require_isolation] = sandbox
    return sandbox
