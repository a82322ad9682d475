from app.core.errors import Conflict, InvalidRequest, NotAuthenticated, NotFound, PermissionDenied


class CertificateNotFound(NotFound):
    # Unknown, malformed and mistyped IDs, a last name that does not match and someone
    # else's certificate all answer this, word for word.
    code = "certificate_not_found"
    default_message = "No certificate has this ID."


class RenewalWindowClosed(PermissionDenied):
    code = "renewal_window_closed"
    default_message = (
        "Renewal is open only in the last six months before a current certificate expires."
    )


class AlreadyRevoked(Conflict):
    code = "certificate_already_revoked"
    default_message = "This certificate is already revoked."


class InvalidEmployerKey(NotAuthenticated):
    code = "invalid_api_key"
    default_message = "An employer API key is needed (Authorization: Bearer <key>)."


class BatchTooLarge(InvalidRequest):
    code = "batch_too_large"
    default_message = "Too many certificates in one request."
