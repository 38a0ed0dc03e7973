"""A small HTTP load generator (used when wrk is not installed): N connections in a loop,
each request on a new connection as gunicorn's sync workers close them, for a set time.

    python -m bench.load http://127.0.0.1:8000/ --connections 16 --seconds 10 --cookie "…"
"""

import argparse
import asyncio
import json
import statistics
import time
from urllib.parse import urlsplit


async def one_request(host: str, port: int, raw: bytes) -> int:
    reader, writer = await asyncio.open_connection(host, port)
    try:
        writer.write(raw)
        await writer.drain()
        status_line = await reader.readline()
        await reader.read()  # the server closes the connection after the body
        return int(status_line.split()[1])
    finally:
        writer.close()


async def run(url: str, connections: int, seconds: float, cookie: str = "") -> dict:
    parts = urlsplit(url)
    path = parts.path + (f"?{parts.query}" if parts.query else "")
    headers = [f"GET {path or '/'} HTTP/1.1", f"Host: {parts.netloc}", "Connection: close"]
    if cookie:
        headers.append(f"Cookie: {cookie}")
    raw = ("\r\n".join(headers) + "\r\n\r\n").encode()
    latencies: list[float] = []
    errors = {"status": 0, "connect": 0, "timeout": 0}
    deadline = time.perf_counter() + seconds

    async def worker():
        while time.perf_counter() < deadline:
            started = time.perf_counter()
            try:
                status = await asyncio.wait_for(one_request(parts.hostname, parts.port, raw), 5)
            except TimeoutError:
                errors["timeout"] += 1
                continue
            except OSError:
                errors["connect"] += 1
                continue
            latencies.append(time.perf_counter() - started)
            if status >= 400:
                errors["status"] += 1

    started = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(connections)))
    duration = time.perf_counter() - started
    return summary(latencies, duration, errors)


def summary(latencies: list[float], duration: float, errors: dict) -> dict:
    ordered = sorted(latencies) or [0.0]

    def pct(p: float) -> float:
        return ordered[min(len(ordered) - 1, int(len(ordered) * p / 100))] * 1000

    return {
        "requests": len(latencies),
        "rps": len(latencies) / duration if duration else 0.0,
        "p50_ms": statistics.median(ordered) * 1000,
        "p95_ms": pct(95),
        "p99_ms": pct(99),
        "errors": sum(errors.values()),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("url")
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("--cookie", default="")
    args = parser.parse_args()
    print(json.dumps(asyncio.run(run(args.url, args.connections, args.seconds, args.cookie))))


if __name__ == "__main__":
    main()
