from app.core.errors import Conflict, PermissionDenied


class EmailTaken(Conflict):
    code = "email_taken"
    default_message = "An account with this email already exists."


class WrongPassword(PermissionDenied):
    code = "wrong_password"
    default_message = "The current password is not right."
