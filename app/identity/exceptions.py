from app.core.errors import Conflict


class EmailTaken(Conflict):
    code = "email_taken"
    default_message = "An account with this email already exists."
