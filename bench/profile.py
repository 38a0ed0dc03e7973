"""Each page in process: its CPU time per request and where it goes (cProfile), beside a
bare-Flask template request in the same process.

    python -m bench.profile [--pages dashboard,meeting] [--requests 30] [--top 15]
                            [--url postgresql://…] [--json out.json] [--quiet]

`make bench` records the same summary in bench/results.md. Timings in process vary from one
minute to the next on a shared machine; the call counts do not, which is why the summary
keeps them.
"""

import argparse
import cProfile
import io
import json
import os
import pstats
import re
import statistics
import time
from pathlib import Path

import pyotp

from bench import dataset
from bench.pages import PAGES, page_paths
from portal.auth.two_factor import DEMO_TOTP_SECRET
from portal.scale import BENCH_EMAIL, SCALE_PASSWORD

PRESET = os.environ.get("BENCH_PRESET", "territory")
TOKEN = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"')


def portal_app(url: str):
    """The portal as the benchmark's gunicorn serves it, on the dataset's database."""
    from config import DevelopmentConfig, database_url
    from portal import create_app

    config = type(
        "BenchConfig",
        (DevelopmentConfig,),
        {
            "SQLALCHEMY_DATABASE_URI": database_url(url, ""),
            "SECRET_KEY": "benchmark-only-secret-key-0123456789abcdef",
        },
    )
    return create_app(config)


def signed_in_client(app):
    client = app.test_client()
    page = client.get("/login").get_data(as_text=True)
    form = {"email": BENCH_EMAIL, "password": SCALE_PASSWORD}
    page = client.post(
        "/login", data={**form, "csrf_token": TOKEN.search(page).group(1)}, follow_redirects=True
    ).get_data(as_text=True)
    # A code is single-use: when an earlier run used this one, the next step's code, which
    # the portal also accepts for clock drift.
    for attempt, ahead in enumerate((0, 30, 30)):
        if 'name="code"' not in page:
            break
        if attempt == 2:  # both used: the next step comes within 30 s
            time.sleep(30)
        code = pyotp.TOTP(DEMO_TOTP_SECRET).at(time.time() + ahead)
        page = client.post(
            "/login/second-factor",
            data={"code": code, "csrf_token": TOKEN.search(page).group(1)},
            follow_redirects=True,
        ).get_data(as_text=True)
    if "Se déconnecter" not in client.get("/").get_data(as_text=True):
        raise RuntimeError("sign-in failed")
    return client


def bare_flask_ms(requests: int) -> float:
    from bench.hello_app import app

    client = app.test_client()
    return page_ms(client, "/", requests)


def page_ms(client, path: str, requests: int) -> float:
    """Median process time of one request, after a warm-up."""
    for _ in range(3):
        client.get(path)
    times = []
    for _ in range(requests):
        started = time.process_time()
        response = client.get(path)
        times.append(time.process_time() - started)
        if response.status_code != 200:
            raise RuntimeError(f"{path}: HTTP {response.status_code}")
    return statistics.median(times) * 1000


def page_profile(client, path: str, requests: int, top: int) -> tuple[int, str]:
    """Function calls per request, and the top functions by cumulative time."""
    profile = cProfile.Profile()
    profile.enable()
    for _ in range(requests):
        client.get(path)
    profile.disable()
    out = io.StringIO()
    stats = pstats.Stats(profile, stream=out)
    calls = stats.total_calls // requests
    stats.strip_dirs().sort_stats("cumulative").print_stats(top)
    table = out.getvalue()
    table = table[table.index("   ncalls") :] if "   ncalls" in table else table
    return calls, table.rstrip()


def profile_pages(info: dict, names: set[str] | None, requests: int, top: int) -> dict:
    app = portal_app(info["url"])
    client = signed_in_client(app)
    results = {"bare_ms": bare_flask_ms(requests * 5), "pages": {}}
    for name, label, path in page_paths(info["targets"]):
        if names and name not in names:
            continue
        ms = page_ms(client, path, requests)
        calls, table = page_profile(client, path, max(5, requests // 3), top)
        results["pages"][name] = {
            "label": label,
            "path": path,
            "ms": ms,
            "calls": calls,
            "profile": table,
        }
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--pages", default="")
    parser.add_argument("--requests", type=int, default=30)
    parser.add_argument("--top", type=int, default=15)
    parser.add_argument("--quiet", action="store_true", help="timings only, no profiles")
    parser.add_argument("--json", help="also write the results to this file")
    parser.add_argument("--url", help="PostgreSQL database (default: the SQLite dataset)")
    args = parser.parse_args()
    names = {n for n in args.pages.split(",") if n} or None
    unknown = (names or set()) - {name for name, _, _ in PAGES}
    if unknown:
        raise SystemExit(f"unknown pages: {', '.join(sorted(unknown))}")
    info = dataset.ensure(PRESET, args.url)
    results = profile_pages(info, names, args.requests, args.top)
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=1))
    bare = results["bare_ms"]
    print(f"bare Flask: {bare:.2f} ms")
    for name, page in results["pages"].items():
        print(
            f"{name:10} {page['ms']:7.2f} ms  ×{page['ms'] / bare:5.1f}  "
            f"{page['calls']:7d} calls/request  {page['path']}"
        )
        if not args.quiet:
            print(page["profile"], "\n")


if __name__ == "__main__":
    main()
