from app.core.errors import Conflict, InvalidRequest, NotFound, PermissionDenied


class SittingNotFound(NotFound):
    code = "sitting_not_found"
    default_message = "There is no such sitting."


class InvalidSitting(InvalidRequest):
    code = "invalid_sitting"
    default_message = "This sitting cannot be scheduled as given."


class SittingFull(Conflict):
    code = "sitting_full"
    default_message = "Every seat of this sitting is taken."


class NotOnRoster(PermissionDenied):
    code = "not_on_roster"
    default_message = "This sitting is for the candidates on its roster only."


class CheckInNotOpen(Conflict):
    code = "check_in_not_open"
    default_message = "Check-in for this sitting has not opened yet."


class CheckInClosed(Conflict):
    code = "check_in_closed"
    default_message = "Check-in for this sitting has closed."


class OtherAttemptRunning(Conflict):
    code = "attempt_in_progress"
    default_message = (
        "You already have an attempt at this exam running or checked in elsewhere; finish it first."
    )


class SittingStarted(Conflict):
    code = "sitting_started"
    default_message = "This sitting has started: it can no longer be moved or cancelled."


class SittingCancelled(Conflict):
    code = "sitting_cancelled"
    default_message = "This sitting was cancelled."


class SittingMoved(Conflict):
    code = "sitting_moved"
    default_message = "This sitting was moved while you checked in: check in again."
