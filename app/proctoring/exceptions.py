"""What a proctoring request can be refused for.

AssayError
├── PermissionDenied
│   └── OwnAttempt (403 own_attempt)                 a proctor's own attempt
├── NotFound
│   └── CandidateNotFound (404 candidate_not_found)  accommodation for an unknown user
├── Conflict
│   ├── AttemptNotFinished (409 attempt_not_finished)   approve/invalidate a live attempt
│   ├── CertificateAlreadyIssued (409 certificate_already_issued)  hold after issue
│   ├── AlreadyDecided (409 already_decided)         the same decision twice
│   ├── ReviewClosed (409 review_closed)             anything after invalidation
│   └── EventLimitReached (409 event_limit_reached)  the attempt's events are full
└── RateLimited
    └── TooManyEvents (429 too_many_events)          the page reports too fast
"""

from __future__ import annotations

from app.core.errors import Conflict, NotFound, PermissionDenied, RateLimited


class OwnAttempt(PermissionDenied):
    code = "own_attempt"
    default_message = "Proctors cannot review, or grant time on, their own attempts."


class CandidateNotFound(NotFound):
    code = "candidate_not_found"
    default_message = "There is no account with this id or email."


class AttemptNotFinished(Conflict):
    code = "attempt_not_finished"
    default_message = "This attempt is not scored yet; approve or invalidate it once it is."


class CertificateAlreadyIssued(Conflict):
    code = "certificate_already_issued"
    default_message = (
        "A certificate was already issued for this attempt; invalidate it to revoke it."
    )


class AlreadyDecided(Conflict):
    code = "already_decided"
    default_message = "This attempt already has that decision."


class ReviewClosed(Conflict):
    code = "review_closed"
    default_message = "This attempt was invalidated; that decision is final."


class EventLimitReached(Conflict):
    code = "event_limit_reached"
    default_message = "This attempt has reported as many events as are kept."


class TooManyEvents(RateLimited):
    code = "too_many_events"
    default_message = "Events are coming too fast from this attempt; slow down."
