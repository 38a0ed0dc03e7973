"""`make bench`: bare Flask, then the portal on the territory dataset (SQLite, and PostgreSQL
when BENCH_DATABASE_URL is set), under the same gunicorn settings, loaded from this separate
process on loopback; writes bench/results.md.

Environment: BENCH_SECONDS (10), BENCH_WARMUP (2), BENCH_CONNECTIONS (16), BENCH_PRESET
(territory), BENCH_DATABASE_URL (PostgreSQL, optional), BENCH_PAGES (comma-separated names).
"""

import asyncio
import http.cookiejar
import json
import os
import platform
import re
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from datetime import UTC, datetime
from pathlib import Path

import pyotp

from bench import dataset, load
from bench.pages import DEFAULT_TARGET_RATIO, PAGES, TARGET_RATIO, page_paths
from portal.auth.two_factor import DEMO_TOTP_SECRET
from portal.scale import BENCH_EMAIL, SCALE_PASSWORD

ROOT = Path(__file__).resolve().parent.parent
PRESET = os.environ.get("BENCH_PRESET", "territory")
# The territory preset is the reference; a run on another preset keeps its own file.
RESULTS = ROOT / "bench" / ("results.md" if PRESET == "territory" else f"results-{PRESET}.md")
# The figures of the last run, to compare the next one with (and department with territory).
FIGURES = RESULTS.with_suffix(".json")
TERRITORY_FIGURES = ROOT / "bench" / "results.json"
NOTES_MARKER = "<!-- Notes below this line are kept when the benchmark rewrites the file. -->"
GUNICORN = ["-w", "2", "--threads", "1", "-k", "sync", "--log-level", "warning"]
SECONDS = float(os.environ.get("BENCH_SECONDS", 10))
WARMUP = float(os.environ.get("BENCH_WARMUP", 2))
CONNECTIONS = int(os.environ.get("BENCH_CONNECTIONS", 16))

TARGET_P99_FACTOR = 20  # p99 at most this many times bare Flask's p99, in the same run
TARGET_RSS_MB = 150
REGRESSION = 0.20  # a page's ratio this much below the previous run's is reported in red
DEPARTMENT_SPREAD = 0.25  # department scale: each page within this of its territory ratio
RED, RESET = "\033[31m", "\033[0m"


# Servers ------------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    """gunicorn with the portal's settings: two sync workers, no access log."""

    def __init__(self, app: str, env: dict[str, str] | None = None):
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.process = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", *GUNICORN, "-b", f"127.0.0.1:{self.port}", app],
            cwd=ROOT,
            env={**os.environ, **(env or {})},
        )
        deadline = time.time() + 60
        while time.time() < deadline:
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=1):
                    return
            except OSError:
                if self.process.poll() is not None:
                    raise RuntimeError(f"gunicorn failed to start {app}") from None
                time.sleep(0.2)
        raise RuntimeError(f"gunicorn did not answer for {app}")

    def workers(self) -> list[int]:
        pids = []
        for stat in Path("/proc").glob("[0-9]*/stat"):
            try:
                fields = stat.read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == self.process.pid:
                pids.append(int(stat.parent.name))
        return pids

    def rss_mb(self, field: str = "VmHWM") -> float:
        """The largest worker's resident memory: peak (VmHWM) or now (VmRSS)."""
        largest = 0
        for pid in self.workers():
            try:
                status = Path(f"/proc/{pid}/status").read_text()
            except OSError:
                continue
            match = re.search(rf"{field}:\s+(\d+) kB", status)
            if match:
                largest = max(largest, int(match.group(1)))
        return largest / 1024

    def peak_rss_mb(self) -> float:
        return self.rss_mb("VmHWM")

    def private_mb(self) -> float:
        """Memory the busiest worker holds on its own now (not shared with the others)."""
        largest = 0
        for pid in self.workers():
            try:
                rollup = Path(f"/proc/{pid}/smaps_rollup").read_text()
            except OSError:
                continue
            private = sum(
                int(v) for v in re.findall(r"Private_(?:Clean|Dirty):\s+(\d+) kB", rollup)
            )
            largest = max(largest, private)
        return largest / 1024

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(10)
        except subprocess.TimeoutExpired:
            self.process.kill()


# Requests -----------------------------------------------------------------------------------


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


def sign_in(base: str) -> str:
    """Sign in through the real form once; the session cookie serves every request after."""
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    page = opener.open(f"{base}/login").read().decode()
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page)
    token = token or re.search(r'value="([^"]+)"[^>]*name="csrf_token"', page)
    form = {"email": BENCH_EMAIL, "password": SCALE_PASSWORD, "csrf_token": token.group(1)}
    page = opener.open(f"{base}/login", urllib.parse.urlencode(form).encode()).read().decode()
    if 'name="code"' in page:  # the second factor: the generated accounts' demo secret
        token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page)
        token = token or re.search(r'value="([^"]+)"[^>]*name="csrf_token"', page)
        code = pyotp.TOTP(DEMO_TOTP_SECRET).now()
        form = {"code": code, "csrf_token": token.group(1)}
        opener.open(f"{base}/login/second-factor", urllib.parse.urlencode(form).encode()).read()
    cookie = "; ".join(f"{c.name}={c.value}" for c in jar)
    if "session=" not in cookie:
        raise RuntimeError("sign-in failed")
    return cookie


def probe(url: str, cookie: str) -> tuple[int | str, int | None]:
    """One request: its status and the number of SQL queries it made."""
    opener = urllib.request.build_opener(NoRedirect)
    request = urllib.request.Request(url, headers={"Cookie": cookie})
    try:
        with opener.open(request, timeout=30) as response:
            response.read()
            status, headers = response.status, response.headers
    except urllib.error.HTTPError as error:
        status, headers = error.code, error.headers
    except OSError as error:  # no answer at all: reported, the run goes on
        return f"no answer ({error})", None
    count = headers.get("X-Query-Count")
    return status, int(count) if count else None


def measure(url: str, cookie: str = "") -> dict:
    """Warm up, then load for SECONDS with CONNECTIONS connections (wrk if installed)."""
    wrk = shutil.which("wrk")
    if wrk:
        command = [wrk, "-t2", f"-c{CONNECTIONS}", "--timeout", "5s", "-s",
                   str(ROOT / "bench" / "wrk_report.lua")]  # fmt: skip
        if cookie:
            command += ["-H", f"Cookie: {cookie}"]
        subprocess.run([*command, f"-d{WARMUP:g}s", url], capture_output=True, check=True)
        output = subprocess.run(
            [*command, f"-d{SECONDS:g}s", url], capture_output=True, check=True, text=True
        ).stdout
        data = json.loads(output.split("WRKJSON", 1)[1])
        errors = sum(data[k] for k in ("connect", "read", "write", "status", "timeout"))
        return {
            "requests": data["requests"],
            "rps": data["requests"] / (data["duration_us"] / 1e6),
            "p50_ms": data["p50"] / 1000,
            "p95_ms": data["p95"] / 1000,
            "p99_ms": data["p99"] / 1000,
            "errors": errors,
            "tool": "wrk",
        }
    asyncio.run(load.run(url, CONNECTIONS, WARMUP, cookie))
    result = asyncio.run(load.run(url, CONNECTIONS, SECONDS, cookie))
    result["tool"] = "bench/load.py"
    return result


# Runs ---------------------------------------------------------------------------------------


def bench_hello() -> dict:
    server = Server("bench.hello_app:app")
    try:
        result = measure(f"{server.base}/")
        result["rss_mb"] = server.peak_rss_mb()
    finally:
        server.stop()
    return result


def bench_portal(info: dict, names: set[str] | None) -> list[dict]:
    env = {
        "DATABASE_URL": info["url"],
        "PORTAL_ENV": "development",
        "SECRET_KEY": "benchmark-only-secret-key-0123456789abcdef",
        "BENCH_COUNT_QUERIES": "1",
    }
    server = Server("bench.portal_app:app", env)
    rows = []
    try:
        cookie = sign_in(server.base)
        # The portal's floor: a signed-in request that does almost nothing.
        floor = [("floor", "Plancher : /healthz, session chargée", "/healthz")]
        for name, label, path in floor + page_paths(info["targets"]):
            if names and name not in names and name != "floor":
                continue
            row = {"name": name, "label": label, "path": path}
            status, queries = probe(server.base + path, cookie)
            row.update(status=status, queries=queries)
            if status == 200:
                try:
                    row.update(measure(server.base + path, cookie))
                except (subprocess.CalledProcessError, ValueError, OSError) as error:
                    row["status"] = f"load failed ({error})"
                    rows.append(row)
                    continue
                row["rss_mb"] = server.peak_rss_mb()
                row["private_mb"] = server.private_mb()
                row["now_mb"] = server.rss_mb("VmRSS")
            print(f"  {name:10} {path:30} {format_row(row)}", flush=True)
            rows.append(row)
    finally:
        server.stop()
    return rows


def format_row(row: dict) -> str:
    if row.get("status") != 200 or "rps" not in row:
        status = row.get("status")
        return f"HTTP {status}" if isinstance(status, int) else str(status)
    return (
        f"{row['rps']:.0f} req/s, p50 {row['p50_ms']:.0f} ms, p99 {row['p99_ms']:.0f} ms, "
        f"{row['errors']} errors, {row['queries']} queries"
    )


# Report -------------------------------------------------------------------------------------


def machine() -> dict:
    cpu = "?"
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            cpu = line.split(":", 1)[1].strip()
            break
    memory = re.search(r"MemTotal:\s+(\d+)", Path("/proc/meminfo").read_text())
    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "ram_gb": int(memory.group(1)) / 1024 / 1024 if memory else 0,
        "python": platform.python_version(),
        "system": f"{platform.system()} {platform.release()}",
        "load": os.getloadavg(),
    }


def verdict(ok: bool) -> str:
    return "✅" if ok else "❌"


def page_target(name: str) -> float | None:
    """The page's throughput target as a share of bare Flask (none for the floor)."""
    return None if name == "floor" else TARGET_RATIO.get(name, DEFAULT_TARGET_RATIO)


def load_figures(path: Path) -> dict:
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError):
        return {}


def judge(backend: str, row: dict, hello: dict, previous: dict, territory: dict) -> list[str]:
    """The row's verdicts: targets, then a comparison with the previous run (and, for a
    larger preset, with the territory run)."""
    ratio = row["rps"] / hello["rps"] if hello["rps"] else 0
    answered = row["requests"] > 0  # no answer within the time: no latency to show
    target = page_target(row["name"])
    checks = [] if target is None else [verdict(ratio >= target) + f" ratio ≥ {target:.0%}"]
    checks += [
        verdict(answered and row["p99_ms"] <= TARGET_P99_FACTOR * hello["p99_ms"]) + " p99",
        verdict(row["errors"] == 0) + " errors",
        verdict(row["rss_mb"] < TARGET_RSS_MB) + " memory",
    ]
    before = previous.get("backends", {}).get(backend, {}).get(row["name"])
    if before and before.get("ratio") and ratio < before["ratio"] * (1 - REGRESSION):
        drop = 1 - ratio / before["ratio"]
        checks.append(f"🔻 −{drop:.0%} vs previous run")
        row["regression"] = drop
    reference = territory.get("backends", {}).get(backend, {}).get(row["name"])
    if reference and reference.get("ratio"):
        close = ratio >= reference["ratio"] * (1 - DEPARTMENT_SPREAD)
        same_queries = reference.get("queries") == row["queries"]
        checks.append(
            verdict(close and same_queries)
            + f" vs territory ({ratio / reference['ratio']:.0%} of its ratio, "
            + f"queries {reference.get('queries')} → {row['queries']})"
        )
    row["ratio"] = ratio
    return checks


def profile_lines(profiles: dict) -> list[str]:
    lines = [
        "## In process: time and calls per request, and where they go",
        "",
        "Flask test client in one process, after a warm-up: median CPU time of a request, "
        "Python function calls per request (deterministic: the figure to compare from run to "
        "run), and cProfile's top functions by cumulative time.",
        "",
    ]
    for backend, result in profiles.items():
        if not result:
            continue
        bare = result["bare_ms"]
        lines += [
            f"### {backend}: bare Flask {bare:.2f} ms",
            "",
            "| Page | ms | × bare Flask | Calls per request |",
            "|---|---:|---:|---:|",
        ]
        for page in result["pages"].values():
            calls = f"{page['calls']:,}".replace(",", " ")
            lines.append(
                f"| {page['label']} | {page['ms']:.1f} | {page['ms'] / bare:.0f} | {calls} |"
            )
        lines.append("")
        for page in result["pages"].values():
            lines += [
                f"<details><summary>{page['label']} — cProfile</summary>",
                "",
                "```",
                page["profile"],
                "```",
                "",
                "</details>",
                "",
            ]
    return lines


def write_results(
    host: dict, hello: dict, runs: list[tuple[str, dict, list[dict]]], profiles: dict
) -> list[str]:
    """Write results.md (and its figures for the next run); the rows that regressed."""
    previous = RESULTS.read_text() if RESULTS.exists() else ""
    notes = previous.split(NOTES_MARKER, 1)[1] if NOTES_MARKER in previous else "\n"
    previous_figures = load_figures(FIGURES)
    territory = load_figures(TERRITORY_FIGURES) if FIGURES != TERRITORY_FIGURES else {}
    regressions = []
    figures = {"run": f"{datetime.now(UTC):%Y-%m-%d %H:%M}", "bare": hello, "backends": {}}
    lines = [
        "# Benchmark: the portal against bare Flask",
        "",
        f"Run on {datetime.now(UTC):%Y-%m-%d %H:%M} UTC by `make bench`.",
        "",
        "## Machine",
        "",
        f"- CPU: {host['cpu']}, {host['cores']} cores; RAM {host['ram_gb']:.1f} GB; "
        f"{host['system']}",
        f"- Python {host['python']}; load average before the run: "
        + ", ".join(f"{x:.2f}" for x in host["load"]),
        f"- gunicorn `{' '.join(GUNICORN)}` on 127.0.0.1 (no access log), for both apps; "
        f"load from a separate process ({hello['tool']}), {CONNECTIONS} connections, "
        f"{WARMUP:g} s warm-up then {SECONDS:g} s per page.",
        *(
            [
                "- wrk was not installed: the Python load generator saturates before bare "
                "Flask does, so the ratios below are optimistic (`apt-get install wrk`).",
            ]
            if hello["tool"] != "wrk"
            else []
        ),
        "",
        "## Bare Flask (one template)",
        "",
        f"{hello['rps']:.0f} requests/s; p50 {hello['p50_ms']:.1f} ms, p95 "
        f"{hello['p95_ms']:.1f} ms, p99 {hello['p99_ms']:.1f} ms; {hello['errors']} errors; "
        f"worker peak RSS {hello['rss_mb']:.0f} MB.",
        "",
    ]
    for backend, info, rows in runs:
        counts = info["counts"]
        lines += [
            f"## Portal on {backend} ({info['server']})",
            "",
            f"Dataset `{info['preset']}`: {counts.get('organisation', 0)} organisations, "
            f"{counts.get('user_account', 0)} accounts, {counts.get('household', 0)} households, "
            f"{counts.get('complex_case', 0)} cases, {counts.get('meeting', 0)} meetings, "
            f"{counts.get('follow_up_action', 0)} actions, {counts.get('candidacy', 0)} "
            f"candidacies, {counts.get('measure', 0)} measures, "
            f"{counts.get('audit_event', 0)} audit events ({sum(counts.values())} rows, generated "
            f"in {info['seconds']} s). Signed in as {BENCH_EMAIL} (CCAS social worker).",
            "",
            "| Page | Path | Req/s | × bare Flask | p50 ms | p95 ms | p99 ms | Errors "
            "| SQL queries | Worker RSS MB: now / peak (private) | Targets |",
            "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---|",
        ]
        figures["backends"][backend] = {}
        for row in rows:
            if "rps" not in row:
                status = row["status"]
                status = f"HTTP {status}" if isinstance(status, int) else status
                lines.append(
                    f"| {row['label']} | `{row['path']}` | {status} | | | | | | "
                    f"{row['queries'] if row['queries'] is not None else ''} | | ❌ not measured |"
                )
                continue
            checks = judge(backend, row, hello, previous_figures, territory)
            if "regression" in row:
                regressions.append(
                    f"{backend} {row['name']}: {row['ratio']:.1%} of bare Flask, "
                    f"−{row['regression']:.0%} against the previous run"
                )
            figures["backends"][backend][row["name"]] = {
                "ratio": row["ratio"],
                "rps": row["rps"],
                "p99_ms": row["p99_ms"],
                "queries": row["queries"],
            }
            lines.append(
                f"| {row['label']} | `{row['path']}` | {row['rps']:.0f} | {row['ratio']:.1%} | "
                f"{row['p50_ms']:.0f} | {row['p95_ms']:.0f} | {row['p99_ms']:.0f} | "
                f"{row['errors']} | {row['queries']} | {row['now_mb']:.0f} / "
                f"{row['rss_mb']:.0f} ({row['private_mb']:.0f}) | {' '.join(checks)} |"
            )
        lines.append("")
    lines += [
        "Worker memory, largest worker after the page: resident now (VmRSS) / highest ever "
        "(VmHWM, judged against the target), in brackets what it holds on its own "
        "(smaps_rollup private pages). The peak includes argon2's 19 MiB working memory, "
        "used at import (DUMMY_HASH) and at each sign-in.",
        "",
        f"Targets (issue 23), all against bare Flask in the same run: throughput ≥ "
        f"{DEFAULT_TARGET_RATIO:.0%} of bare Flask (the current year's activity report, "
        f"computed on each request: ≥ {TARGET_RATIO['report']:.0%}); p99 at {CONNECTIONS} "
        f"connections ≤ {TARGET_P99_FACTOR} × bare Flask's p99; 0 errors; a worker under "
        f"{TARGET_RSS_MB} MB. 🔻 marks a page whose ratio fell more than {REGRESSION:.0%} "
        "below the previous run's. A larger preset is also compared with the territory run "
        f"(ratio within {DEPARTMENT_SPREAD:.0%}, same query count). SQL queries per page must "
        "not grow with the data: `tests/test_scale.py` asserts it.",
        "",
        *profile_lines(profiles),
        NOTES_MARKER,
    ]
    RESULTS.write_text("\n".join(lines) + notes)
    FIGURES.write_text(json.dumps(figures, indent=1) + "\n")
    return regressions


def profile_in_process(info: dict, names: set[str] | None) -> dict:
    """bench/profile.py in a child process, on the same database (and nothing else running)."""
    out = ROOT / "instance" / "bench-profile.json"
    command = [sys.executable, "-m", "bench.profile", "--quiet", "--json", str(out)]
    if names:
        command += ["--pages", ",".join(sorted(names))]
    if not info["url"].startswith("sqlite"):
        command += ["--url", info["url"]]
    try:
        subprocess.run(command, cwd=ROOT, check=True, capture_output=True, text=True)
    except subprocess.CalledProcessError as error:
        print(f"  profile failed: {error.stderr[-500:]}", flush=True)
        return {}
    return json.loads(out.read_text())


def main() -> None:
    names = {n for n in os.environ.get("BENCH_PAGES", "").split(",") if n} or None
    unknown = (names or set()) - {name for name, _, _ in PAGES}
    if unknown:
        raise SystemExit(f"unknown pages: {', '.join(sorted(unknown))}")
    host = machine()
    print(f"Dataset {PRESET} on SQLite…", flush=True)
    backends = [("SQLite", dataset.ensure(PRESET))]
    if os.environ.get("BENCH_DATABASE_URL"):
        print(f"Dataset {PRESET} on PostgreSQL…", flush=True)
        backends.append(("PostgreSQL", dataset.ensure(PRESET, os.environ["BENCH_DATABASE_URL"])))
    print("Bare Flask…", flush=True)
    hello = bench_hello()
    print(f"  {hello['rps']:.0f} req/s, p99 {hello['p99_ms']:.1f} ms", flush=True)
    runs = []
    profiles = {}
    for backend, info in backends:
        print(f"Portal on {backend}…", flush=True)
        runs.append((backend, info, bench_portal(info, names)))
        print(f"Profiles on {backend}, in process…", flush=True)
        profiles[backend] = profile_in_process(info, names)
    regressions = write_results(host, hello, runs, profiles)
    print(f"Written to {RESULTS.relative_to(ROOT)}")
    for line in regressions:
        print(f"{RED}Slower than the previous run: {line}{RESET}", flush=True)


if __name__ == "__main__":
    main()
