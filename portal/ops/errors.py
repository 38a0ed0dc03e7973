"""Errors to Sentry when ``SENTRY_DSN`` is set, with personal data scrubbed: no form
fields, cookies, query strings or local variables (any of which may hold a household's
name), and the person as an id only."""

from flask import Flask, g, has_request_context

KEPT_HEADERS = {"User-Agent", "X-Request-Id", "Accept", "Content-Type", "Content-Length"}


def scrub(event: dict, hint: dict | None = None) -> dict:
    request = event.get("request")
    if request:
        for key in ("data", "cookies", "query_string", "env"):
            request.pop(key, None)
        if "url" in request:
            request["url"] = request["url"].split("?", 1)[0]
        headers = request.get("headers") or {}
        request["headers"] = {k: v for k, v in headers.items() if k.title() in KEPT_HEADERS}
    user = event.get("user") or {}
    event["user"] = {"id": user["id"]} if "id" in user else {}
    for breadcrumb in (event.get("breadcrumbs") or {}).get("values", []):
        breadcrumb.pop("data", None)
    for exception in (event.get("exception") or {}).get("values", []):
        for frame in (exception.get("stacktrace") or {}).get("frames", []):
            frame.pop("vars", None)
    if has_request_context() and g.get("request_id"):
        event.setdefault("tags", {})["request_id"] = g.request_id
    return event


def init_sentry(app: Flask) -> None:
    dsn = app.config.get("SENTRY_DSN")
    if not dsn:
        return
    import sentry_sdk
    from sentry_sdk.integrations.flask import FlaskIntegration

    sentry_sdk.init(
        dsn=dsn,
        environment=app.config["SENTRY_ENVIRONMENT"],
        integrations=[FlaskIntegration()],
        # Collected by nobody: who (beyond an id), cookies, bodies, query strings, local
        # variables, SQL parameters. ``scrub`` makes sure of it on every event.
        data_collection={
            "user_info": False,
            "cookies": {"mode": "off"},
            "http_headers": {"request": {"mode": "allowlist", "terms": sorted(KEPT_HEADERS)}},
            "http_bodies": [],
            "url_query_params": {"mode": "off"},
            "graphql": {"document": False, "variables": False},
            "gen_ai": {"inputs": False, "outputs": False},
            "database_query_data": False,
            "queues": False,
            "stack_frame_variables": False,
        },
        # Sentry types the event as a TypedDict; ``scrub`` takes it as the dict it is.
        before_send=scrub,  # type: ignore[arg-type]
        traces_sample_rate=0,
    )
