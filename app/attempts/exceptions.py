from app.core.errors import AssayError, Conflict, InvalidRequest, NotFound, PermissionDenied


class AttemptNotFound(NotFound):
    # Someone else's attempt answers exactly like one that does not exist.
    code = "attempt_not_found"
    default_message = "There is no such attempt."


class ItemNotFound(NotFound):
    code = "item_not_found"
    default_message = "This attempt has no item with this reference."


class AttemptClosed(Conflict):
    code = "attempt_closed"
    default_message = "This attempt is closed: its time is up or it was submitted."


class AttemptNotStarted(Conflict):
    code = "attempt_not_started"
    default_message = "This attempt's sitting has not started yet; its items open at the start."


class AttemptPending(Conflict):
    code = "attempt_pending"
    default_message = "Your previous attempt at this exam is still being scored."


class AlreadyCertified(Conflict):
    code = "already_certified"
    default_message = "You already hold a current certificate for this exam."


class PrerequisiteMissing(PermissionDenied):
    code = "prerequisite_missing"
    default_message = "This exam needs a current certificate you do not hold yet."


class RetakeTooSoon(PermissionDenied):
    code = "retake_too_soon"
    default_message = "The waiting period after a failed attempt has not passed yet."


class AttemptLimitReached(PermissionDenied):
    code = "attempt_limit_reached"
    default_message = "You have used every attempt allowed for this exam in this period."


class InvalidAnswer(InvalidRequest):
    code = "invalid_answer"
    default_message = "This answer does not fit the item."


class ExamUnavailable(AssayError):
    status_code = 503
    code = "exam_unavailable"
    default_message = "This exam cannot be delivered right now; please try again later."


class NoRunsLeft(Conflict):
    code = "no_runs_left"
    default_message = "You have used every run of the public checks for this scenario."


class RunNotFound(NotFound):
    code = "run_not_found"
    default_message = "There is no such run for this item."


class ScenarioUnavailable(AssayError):
    status_code = 503
    code = "scenario_unavailable"
    default_message = "This scenario is not installed on this server right now."


class NoPipelineRunsLeft(Conflict):
    code = "no_pipeline_runs_left"
    default_message = "You have used every pipeline run for this scenario."


class NoPipeline(Conflict):
    code = "no_pipeline"
    default_message = "This scenario has no pipeline to run."
