"""What each kind of task does."""

from portal.jobs.tasks import handler


@handler("password_reset")
def password_reset(email: str) -> None:
    from portal.auth.services import send_password_reset

    send_password_reset(email)
