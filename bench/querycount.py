"""SQL queries per request, for the benchmark only: the portal served by ``bench.portal_app``
with BENCH_COUNT_QUERIES=1 answers each request with an X-Query-Count header."""

import sqlalchemy as sa
from flask import Flask, g, has_request_context

from portal.extensions import db

HEADER = "X-Query-Count"


def install_query_counter(app: Flask) -> None:
    with app.app_context():
        engine = db.engine

    @sa.event.listens_for(engine, "before_cursor_execute")
    def count(*_args):
        if has_request_context():
            g.bench_queries = g.get("bench_queries", 0) + 1

    def expose(response):
        response.headers[HEADER] = str(g.get("bench_queries", 0))
        return response

    # Flask runs these hooks last-registered first: put this one at the very end, after the
    # hooks that still query (the signed-in check of the cache headers).
    app.after_request_funcs.setdefault(None, []).insert(0, expose)
