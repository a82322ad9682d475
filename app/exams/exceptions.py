from app.core.errors import AssayError, NotFound


class ExamNotFound(NotFound):
    code = "exam_not_found"
    default_message = "There is no exam with this code."


class ContentInvalid(AssayError):
    code = "content_invalid"
    default_message = "The question bank has problems; run `assay content validate`."
