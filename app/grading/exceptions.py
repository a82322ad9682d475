"""What can go wrong when grading a scenario, and whose fault it is.

    AssayError
    ├── ScenarioNotFound (404 scenario_not_found)
    ├── SubmissionRejected (422 submission_rejected)      the candidate's files, before any run
    ├── ScenarioInvalid (500 scenario_invalid)            our content: bad yaml, reference fails
    └── GradingUnavailable (503 grading_unavailable)      infrastructure: never the candidate's
        ├── SandboxStartError                             one run could not start (retried)
        └── IsolationUnavailable                          production asked for bubblewrap

A candidate's code that crashes, hangs or cheats is none of these: it is a check that
scores 0 with a message. Only a ``GradingUnavailable`` means "grade again later".
"""

from __future__ import annotations

from app.core.errors import AssayError, InvalidRequest, NotFound


class ScenarioNotFound(NotFound):
    code = "scenario_not_found"
    default_message = "There is no scenario with this id."


class SubmissionRejected(InvalidRequest):
    code = "submission_rejected"
    default_message = "The submitted files are not accepted for this scenario."


class ScenarioInvalid(AssayError):
    code = "scenario_invalid"
    default_message = "This scenario is broken on our side; run `assay content validate`."


class GradingUnavailable(AssayError):
    status_code = 503
    code = "grading_unavailable"
    default_message = "Grading is unavailable right now; the submission is kept and retried."


class SandboxStartError(GradingUnavailable):
    code = "sandbox_start_failed"


class IsolationUnavailable(GradingUnavailable):
    code = "sandbox_isolation_unavailable"
    default_message = (
        "The bubblewrap sandbox is not available on this machine and production refuses "
        "to grade with process isolation only."
    )
