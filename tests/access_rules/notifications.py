"""Access rules of the notifications: each person's own preferences; an organisation's
named recipients, for those who manage its people."""

from tests.access_rules import MEMBER_MANAGER_PAGES, MEMBER_MANAGERS, SIGNED_IN, Route, answers


def recipients(w, e) -> str:
    return f"/organisations/{w.mission_locale.id}/notifications"


ROUTES: dict[tuple[str, str], Route] = {
    ("notifications.preferences", "GET"): Route(lambda w, e: "/account/notifications", SIGNED_IN),
    # An empty POST keeps each choice as it is and saves it.
    ("notifications.preferences", "POST"): Route(
        lambda w, e: "/account/notifications", answers(302)
    ),
    ("notifications.recipients", "GET"): Route(recipients, MEMBER_MANAGER_PAGES),
    ("notifications.recipients", "POST"): Route(recipients, MEMBER_MANAGERS),
}


def build(world, case_world) -> dict:
    return {}
