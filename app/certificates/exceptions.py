from app.core.errors import NotFound


class CertificateNotFound(NotFound):
    # Unknown, malformed and mistyped IDs all answer this, word for word.
    code = "certificate_not_found"
    default_message = "No certificate has this ID."
