"""The portal as gunicorn serves it in the benchmark (``bench.portal_app:app``)."""

import os

from portal import create_app

app = create_app()

if os.environ.get("BENCH_COUNT_QUERIES") == "1":
    from bench.querycount import install_query_counter

    install_query_counter(app)
