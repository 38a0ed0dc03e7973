"""The benchmark's dataset: generated once per preset and generator version, then reused.

    python -m bench.dataset --preset territory [--url postgresql://…]

SQLite files live under instance/ (bench-<preset>-<version>.sqlite3, with a .json beside
them); a PostgreSQL database is refilled when its marker in instance/ does not match.
"""

import argparse
import hashlib
import json
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
INSTANCE = ROOT / "instance"


def version(preset: str) -> str:
    """Changes whenever the generator or the models change."""
    digest = hashlib.sha256(preset.encode())
    portal = ROOT / "portal"
    for path in sorted([*(portal / "scale").glob("*.py"), *(portal / "models").glob("*.py")]):
        digest.update(path.read_bytes())
    return digest.hexdigest()[:10]


def ensure(preset: str, url: str | None = None) -> dict:
    """The dataset's description (URL, counts, targets), generating it when needed."""
    INSTANCE.mkdir(exist_ok=True)
    key = version(preset)
    if url is None:
        path = INSTANCE / f"bench-{preset}-{key}.sqlite3"
        url = f"sqlite:///{path}"
        marker = path.with_suffix(".json")
        if path.exists() and marker.exists():
            return json.loads(marker.read_text())
        for stale in INSTANCE.glob(f"bench-{preset}-*.sqlite3*"):  # older versions
            stale.unlink()
        for stale in INSTANCE.glob(f"bench-{preset}-*.json"):
            if stale.name != f"bench-{preset}-postgresql.json":
                stale.unlink()
    else:
        marker = INSTANCE / f"bench-{preset}-postgresql.json"
        if marker.exists():
            info = json.loads(marker.read_text())
            if info.get("version") == key and info.get("url") == url:
                return info
    output = subprocess.run(
        [sys.executable, "-m", "bench.dataset", "--preset", preset, "--url", url, "--fill"],
        cwd=ROOT,
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    info = json.loads(output.strip().splitlines()[-1])
    info.update(version=key, url=url, preset=preset)
    marker.write_text(json.dumps(info, indent=1))
    return info


def fill(preset: str, url: str) -> dict:
    """Create the schema and generate the data (run in a child process)."""
    import sqlalchemy as sa

    from bench.pages import bench_targets
    from config import DevelopmentConfig, database_url
    from portal import create_app
    from portal.extensions import db
    from portal.scale import PRESETS, generate

    config = type(
        "BenchConfig", (DevelopmentConfig,), {"SQLALCHEMY_DATABASE_URI": database_url(url, "")}
    )
    app = create_app(config)
    with app.app_context():
        if db.engine.dialect.name == "sqlite":
            # What a SQLite deployment uses: readers never wait for the audit writes.
            db.session.execute(sa.text("PRAGMA journal_mode=WAL"))
        db.drop_all()
        db.create_all()
        started = time.perf_counter()
        counts = generate(**PRESETS[preset])
        db.session.commit()
        seconds = time.perf_counter() - started
        targets = bench_targets()
        server = db.session.execute(
            sa.text(
                "SELECT sqlite_version()"
                if db.engine.dialect.name == "sqlite"
                else "SHOW server_version"
            )
        ).scalar()
    return {"seconds": round(seconds, 1), "counts": counts, "targets": targets, "server": server}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--preset", default="territory")
    parser.add_argument("--url", default=None)
    parser.add_argument("--fill", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.fill:
        print(json.dumps(fill(args.preset, args.url)))
    else:
        print(json.dumps(ensure(args.preset, args.url), indent=1))


if __name__ == "__main__":
    main()
