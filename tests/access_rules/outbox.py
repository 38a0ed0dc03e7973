"""Access rules of « E-mails non distribués »: the coordination's alone."""

from portal.extensions import db
from portal.models import EmailStatus, OutgoingEmail
from tests.access_rules import COORDINATOR_ONLY, Route, answers


def failed(w, e) -> str:
    return f"/admin/emails/{e['failed_email'].id}/retry"


ROUTES: dict[tuple[str, str], Route] = {
    ("outbox.undelivered_list", "GET"): Route(lambda w, e: "/admin/emails/", COORDINATOR_ONLY),
    ("outbox.retry_email", "POST"): Route(failed, answers(403, coordinator=302)),
}


def build(world, case_world) -> dict:
    email = OutgoingEmail(
        recipient="adresse-fausse@exemple.fr",
        subject="Invitation",
        template="invitation",
        text_body="",
        html_body="",
        message_id="<matrice@portail-partenaires.local>",
        status=EmailStatus.FAILED,
        attempts=12,
        last_error="SMTPRecipientsRefused: 550 Mailbox unavailable",
    )
    db.session.add(email)
    db.session.flush()
    return {"failed_email": email}
