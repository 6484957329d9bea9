"""How fast the job page of a large job loads.

Seeds one job with ``--rows`` sample rows (default 10,000) straight into a database (a fresh
embedded SQLite file, or ``--database-url``), starts the API with uvicorn in its own process
and measures, over ``--runs`` loads:

* HTTP: the page's HTML and each API call the job page makes on load (job, overview =
  curve + aggregates, first page of the sample table), timed from this process;
* browser (headless Debian Chromium, when /usr/bin/chromium exists): time from navigation
  start to DOMContentLoaded, and to the first complete render (progress, statistics, the
  curve and the first table page drawn: ``data-job-rendered-ms`` set by ``job_page.js``),
  full navigations in one browser tab with the HTTP cache disabled (a first visit) and
  enabled (a return visit); plus the time until the 25 thumbnails are loaded.

Prints a table of median / p95 / min / max in milliseconds. A script, not a timed test:

    .venv/bin/python -m benchmarks.dashboard_benchmark [--rows 10000] [--runs 15]
"""

from __future__ import annotations

import argparse
import os
import secrets
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx
import numpy as np

from tests.support.factories import DIGITS_TEST_SIZE, add_job_row, add_model_row

REPOSITORY = Path(__file__).resolve().parents[1]


CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
TARGET_MS = 300.0


def seed(settings: Any, rows: int, rng: np.random.Generator) -> str:
    """One model and one finished job with ``rows`` realistic rows (bulk insert)."""
    from sqlalchemy import insert

    from dsrs_client.contract import JobParameters, NoiseIn, QIn
    from dsrs_store.database import make_engine, make_session_factory
    from dsrs_store.migrations import upgrade_to_head
    from dsrs_store.tables import SampleRecord, utcnow

    upgrade_to_head(settings)
    engine = make_engine(settings)
    with make_session_factory(engine)() as session:
        model_id = add_model_row(session, name="benchmark digits")
        job = add_job_row(
            session,
            model_id,
            indices=[i % DIGITS_TEST_SIZE for i in range(rows)],
            parameters=JobParameters(
                noise=NoiseIn(family="general-gaussian", sigma=0.25, k=20),
                q=QIn(sigma=0.2),
                n=50000,
            ),
            chunk_size=16,
        )
        job.status, job.started_at, job.finished_at = "succeeded", utcnow(), utcnow()
        labels = rng.integers(0, 10, rows)
        abstained = rng.random(rows) < 0.05
        wrong = rng.random(rows) < 0.03
        p_count = np.where(
            abstained, rng.integers(20000, 25000, rows), rng.integers(45000, 50001, rows)
        )
        np_radius = np.where(abstained, 0.0, rng.gamma(4.0, 0.15, rows))
        gain = np.where(rng.random(rows) < 0.3, rng.exponential(0.05, rows), 0.0)
        now = utcnow()
        values = [
            {
                "job_id": job.id,
                "sample_index": i,
                "dataset_index": i % DIGITS_TEST_SIZE,
                "label": int(labels[i]),
                "counted_label": int(labels[i]),
                "prediction": None
                if abstained[i]
                else int((labels[i] + 1) % 10 if wrong[i] else labels[i]),
                "selection_counts": None,
                "p_count": int(p_count[i]),
                "p_n": 50000,
                "q_count": int(min(50000, p_count[i] + 100)),
                "q_n": 50000,
                "q_percentile": None,
                "q_fallback": False,
                "seed": i,
                "alpha": 0.001,
                "p_lower": float(p_count[i]) / 50000 - 0.002,
                "p_upper": float(p_count[i]) / 50000 + 0.002,
                "q_lower": 0.97,
                "q_upper": 0.999,
                "np_radius": float(np_radius[i]),
                "dsrs_radius": None if abstained[i] else float(np_radius[i] + gain[i]),
                "reason": "",
                "elapsed_s": 0.5,
                "created_at": now,
            }
            for i in range(rows)
        ]
        session.execute(insert(SampleRecord), values)
        session.commit()
        job_id = job.id
    engine.dispose()
    return job_id


def serve(environment: dict[str, str], port: int, log: Path) -> subprocess.Popen[bytes]:
    with log.open("wb") as handle:
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "uvicorn",
                "dsrs_api.app:create_app",
                "--factory",
                "--host",
                "127.0.0.1",
                "--port",
                str(port),
                "--log-level",
                "warning",
            ],
            cwd=REPOSITORY,
            env=environment,
            stdout=handle,
            stderr=subprocess.STDOUT,
        )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200:
                return process
        except httpx.TransportError:
            time.sleep(0.1)
    process.kill()
    raise SystemExit(f"the API did not start:\n{log.read_text()[-2000:]}")


def compute_timings(settings: Any, job_id: str, runs: int) -> dict[str, list[float]]:
    """The overview's own cost without the server's cache: read the rows, aggregate."""
    from dsrs_api.dashboard.overview import job_overview
    from dsrs_store.database import make_engine, make_session_factory

    engine = make_engine(settings)
    sessions = make_session_factory(engine)
    timings: list[float] = []
    for _ in range(runs):
        with sessions() as session:
            started = time.perf_counter()
            job_overview(session, job_id)
            timings.append((time.perf_counter() - started) * 1000)
    engine.dispose()
    return {"overview computed (uncached, in process)": timings}


def http_timings(
    base: str, job_id: str, runs: int, headers: dict[str, str]
) -> dict[str, list[float]]:
    calls = {
        "HTML /dashboard/jobs/{id}": f"/dashboard/jobs/{job_id}",
        "GET /v1/jobs/{id}": f"/v1/jobs/{job_id}",
        "GET overview (curve, ACR, gain; cached)": f"/v1/dashboard/jobs/{job_id}/overview",
        "GET samples (first page of 25)": f"/v1/dashboard/jobs/{job_id}/samples?limit=25",
        "GET samples sorted by gain": (
            f"/v1/dashboard/jobs/{job_id}/samples?limit=25&sort=gain&order=desc"
        ),
    }
    timings: dict[str, list[float]] = {name: [] for name in calls}
    timings["page's API calls, in sequence"] = []
    with httpx.Client(base_url=base, headers=headers, timeout=30) as client:
        for path in calls.values():  # warm-up: imports, SQLite page cache, digits thumbnails
            client.get(path).raise_for_status()
        for _ in range(runs):
            total = 0.0
            for name, path in calls.items():
                started = time.perf_counter()
                client.get(path).raise_for_status()
                elapsed = (time.perf_counter() - started) * 1000
                timings[name].append(elapsed)
                if "sorted" not in name:
                    total += elapsed
            timings["page's API calls, in sequence"].append(total)
    return timings


def browser_timings(
    base: str, job_id: str, runs: int, api_key: str | None
) -> dict[str, list[float]]:
    """Full navigations to the job page in one warm browser tab: with the HTTP cache
    disabled (a first visit: every asset fetched again) and with it enabled (a return)."""
    from playwright.sync_api import sync_playwright

    timings: dict[str, list[float]] = {
        "browser: DOMContentLoaded (no cache)": [],
        "browser: first render, curve + table (no cache)": [],
        "browser: ... and 25 thumbnails loaded (no cache)": [],
        "browser: first render, curve + table (cached)": [],
    }
    url = f"{base}/dashboard/jobs/{job_id}"
    rendered = "() => document.body.dataset.jobRenderedMs !== undefined"
    thumbnails = (
        "() => { const i = [...document.querySelectorAll('img.thumb')];"
        " return i.length === 25 && i.every(x => x.complete && x.naturalWidth > 0); }"
    )
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        if api_key:  # as if typed into the dashboard's key prompt earlier
            page.add_init_script(f"localStorage.setItem('dsrs.apiKey', {api_key!r})")
        devtools = page.context.new_cdp_session(page)
        for run in range(runs + 1):
            devtools.send("Network.setCacheDisabled", {"cacheDisabled": True})
            page.goto("about:blank")
            page.goto(url, wait_until="domcontentloaded")
            page.wait_for_function(rendered)
            dom = page.evaluate(
                "() => performance.getEntriesByType('navigation')[0].domContentLoadedEventEnd"
            )
            first = float(page.evaluate("() => document.body.dataset.jobRenderedMs"))
            page.wait_for_function(thumbnails)
            loaded = page.evaluate("() => performance.now()")
            devtools.send("Network.setCacheDisabled", {"cacheDisabled": False})
            page.goto("about:blank")
            page.goto(url, wait_until="domcontentloaded")
            page.wait_for_function(rendered)
            cached = float(page.evaluate("() => document.body.dataset.jobRenderedMs"))
            if run == 0:
                continue  # the first load warms the renderer and the server's caches
            timings["browser: DOMContentLoaded (no cache)"].append(dom)
            timings["browser: first render, curve + table (no cache)"].append(first)
            timings["browser: ... and 25 thumbnails loaded (no cache)"].append(loaded)
            timings["browser: first render, curve + table (cached)"].append(cached)
        browser.close()
    return timings


def p95(values: list[float]) -> float:
    return float(np.percentile(values, 95))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=10_000)
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--database-url", help="seed and serve PostgreSQL instead of SQLite")
    parser.add_argument(
        "--auth", action="store_true", help="require API keys (always so with --database-url)"
    )
    parser.add_argument("--no-browser", action="store_true")
    arguments = parser.parse_args()

    from dsrs_settings import Settings

    with tempfile.TemporaryDirectory(prefix="dsrs-dashboard-bench-") as folder:
        storage = Path(folder) / "var"
        settings = Settings(storage_dir=storage, database_url=arguments.database_url)
        started = time.perf_counter()
        job_id = seed(settings, arguments.rows, np.random.default_rng(0))
        print(
            f"seeded {arguments.rows} rows in {time.perf_counter() - started:.1f} s "
            f"({'PostgreSQL' if arguments.database_url else 'SQLite, embedded'})"
        )
        environment = {k: v for k, v in os.environ.items() if not k.startswith("DSRS_")}
        environment["DSRS_STORAGE_DIR"] = str(storage)
        if arguments.database_url:
            environment["DSRS_DATABASE_URL"] = arguments.database_url
        api_key = None
        if arguments.auth or arguments.database_url:
            api_key = secrets.token_urlsafe(32)
            environment["DSRS_ADMIN_API_KEY"] = api_key
        headers = {"X-API-Key": api_key} if api_key else {}
        import socket

        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            port = sock.getsockname()[1]
        server = serve(environment, port, Path(folder) / "api.log")
        base = f"http://127.0.0.1:{port}"
        try:
            timings = compute_timings(settings, job_id, arguments.runs)
            timings.update(http_timings(base, job_id, arguments.runs, headers))
            if not arguments.no_browser and CHROMIUM.exists():
                timings.update(browser_timings(base, job_id, arguments.runs, api_key))
            elif not arguments.no_browser:
                print(f"{CHROMIUM} is absent: browser timings skipped")
        finally:
            server.terminate()
            server.wait(timeout=20)

    width = max(len(name) for name in timings) + 2
    backend = "PostgreSQL" if arguments.database_url else "SQLite"
    keys = "API keys required" if api_key else "no API keys"
    print(
        f"\njob page of a {arguments.rows:,}-row job ({backend}, {keys}), {arguments.runs} runs, "
        "ms "
        f"(target: first render under {TARGET_MS:.0f} ms)"
    )
    print(f"{'measure':<{width}}{'median':>9}{'p95':>9}{'min':>9}{'max':>9}")
    for name, values in timings.items():
        print(
            f"{name:<{width}}{statistics.median(values):>9.1f}{p95(values):>9.1f}"
            f"{min(values):>9.1f}{max(values):>9.1f}"
        )


if __name__ == "__main__":
    main()
