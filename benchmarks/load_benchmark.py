"""Many clients polling one large job: latency of the status and result-page endpoints.

The full stack's API on PostgreSQL, with API keys: a fresh database (created on the
server of ``--admin-url`` and dropped at the end) is migrated and seeded directly with one
tenant, its key, a model and a finished job of ``--rows`` sample rows (default 10,000).
``uvicorn`` serves ``api.app:create_app`` in its own process(es) on 127.0.0.1. Then
``--clients`` asyncio clients (default 200, httpx, one connection each, the tenant's key)
each poll like the dashboard or ``dsrs jobs watch`` do, for ``--duration`` seconds:

    GET /v1/jobs/{id}; GET /v1/jobs/{id}/results?limit=100&cursor=<random page>; sleep

with ``--interval`` seconds (±20 % jitter) between polls. Prints p50 / p90 / p99 / max
latency, requests per second and the error count (non-2xx or transport errors).

    .venv/bin/python benchmarks/load_benchmark.py [--clients 200] [--duration 30]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import secrets
import socket
import statistics
import subprocess
import sys
import time
import uuid
from pathlib import Path
from typing import Any

import httpx
import numpy as np

REPOSITORY = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPOSITORY))

TARGET_P99_MS = 100.0
PAGE = 100


def create_database(admin_url: str) -> str:
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    name = f"dsrs_load_{uuid.uuid4().hex[:12]}"
    engine = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with engine.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    engine.dispose()
    return make_url(admin_url).set(database=name).render_as_string(hide_password=False)


def drop_database(admin_url: str, url: str) -> None:
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    engine = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with engine.connect() as connection:
        name = make_url(url).database
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    engine.dispose()


def seed(database_url: str, rows: int) -> tuple[str, str]:
    """A tenant with one key, a model and a succeeded job of ``rows`` rows; (job id, key)."""
    from sqlalchemy import insert

    from store import repository, tenants
    from store.database import make_engine, make_session_factory
    from store.migrations import upgrade_to_head
    from store.settings import Settings
    from store.tables import SampleRecord, utcnow

    settings = Settings(database_url=database_url)
    upgrade_to_head(settings)
    engine = make_engine(settings)
    rng = np.random.default_rng(0)
    with make_session_factory(engine)() as session:
        tenant = tenants.add_tenant(session, "load")
        key = tenants.issue_api_key(session, tenant.id).key
        model = repository.add_model(
            session,
            owner_id=tenant.id,
            name="load digits",
            format="safetensors",
            architecture="digits-mlp",
            sha256="0" * 64,
            content_key="1" * 64,
            mean=None,
            std=None,
            size_bytes=1,
            input_shape=[1, 8, 8],
            num_classes=10,
            storage_path="models/none",
        )
        job = repository.add_job(
            session,
            owner_id=tenant.id,
            model_id=model.id,
            mode="evaluate",
            inputs={
                "source": "builtin",
                "dataset": "digits",
                "split": "test",
                "indices": [i % 540 for i in range(rows)],
            },
            parameters={
                "noise": {"family": "general-gaussian", "sigma": 0.25, "k": 20},
                "q": {"sigma": 0.2, "threshold": None},
                "n_selection": 100,
                "n": 50000,
                "alpha": 0.001,
                "batch_size": 1000,
                "radius_search": {"method": "grid", "unit": 0.05, "tolerance": 1e-4},
            },
            seed=1,
            total=rows,
            chunk_size=16,
        )
        job.status, job.started_at, job.finished_at = "succeeded", utcnow(), utcnow()
        labels = rng.integers(0, 10, rows)
        p_count = rng.integers(45000, 50001, rows)
        radius = rng.gamma(4.0, 0.15, rows)
        now = utcnow()
        session.execute(
            insert(SampleRecord),
            [
                {
                    "job_id": job.id,
                    "sample_index": i,
                    "dataset_index": i % 540,
                    "label": int(labels[i]),
                    "counted_label": int(labels[i]),
                    "prediction": int(labels[i]),
                    "selection_counts": None,
                    "p_count": int(p_count[i]),
                    "p_n": 50000,
                    "q_count": int(p_count[i]),
                    "q_n": 50000,
                    "q_percentile": None,
                    "q_fallback": False,
                    "seed": i,
                    "alpha": 0.001,
                    "p_lower": 0.9,
                    "p_upper": 0.99,
                    "q_lower": 0.9,
                    "q_upper": 0.99,
                    "np_radius": float(radius[i]),
                    "dsrs_radius": float(radius[i] * 1.05),
                    "reason": "",
                    "elapsed_s": 0.5,
                    "created_at": now,
                }
                for i in range(rows)
            ],
        )
        session.commit()
        job_id = job.id
    engine.dispose()
    return job_id, key


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def start_api(database_url: str, broker_url: str, port: int, workers: int, log: Path) -> Any:
    env = {k: v for k, v in os.environ.items() if not k.startswith("DSRS_")}
    env.update(
        DSRS_DATABASE_URL=database_url,
        DSRS_BROKER_URL=broker_url,
        DSRS_ADMIN_API_KEY=secrets.token_urlsafe(32),
        DSRS_STORAGE_DIR=str(log.parent / "var"),
    )
    command = [
        sys.executable, "-m", "uvicorn", "api.app:create_app", "--factory",
        "--host", "127.0.0.1", "--port", str(port), "--workers", str(workers),
        "--log-level", "warning", "--no-access-log",
    ]  # fmt: skip
    with log.open("wb") as handle:
        process = subprocess.Popen(
            command, cwd=REPOSITORY, env=env, stdout=handle, stderr=subprocess.STDOUT
        )
    base_url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{base_url}/healthz", timeout=1).status_code == 200:
                return process
        except httpx.TransportError:
            pass
        if process.poll() is not None:
            break
        time.sleep(0.2)
    process.kill()
    raise SystemExit(f"the API did not start:\n{log.read_text()[-3000:]}")


async def poll(
    base_url: str,
    key: str,
    job_id: str,
    rows: int,
    until: float,
    interval: float,
    latencies: list[float],
    errors: list[str],
) -> None:
    limits = httpx.Limits(max_connections=1, max_keepalive_connections=1)
    async with httpx.AsyncClient(
        base_url=base_url, headers={"X-API-Key": key}, timeout=30, limits=limits
    ) as client:
        await asyncio.sleep(random.uniform(0, interval))  # spread the first polls
        while time.perf_counter() < until:
            page = random.randrange(rows // PAGE)
            cursor = {"cursor": str(page * PAGE - 1)} if page else {}
            for path, params in (
                (f"/v1/jobs/{job_id}", {}),
                (f"/v1/jobs/{job_id}/results", {"limit": PAGE, **cursor}),
            ):
                started = time.perf_counter()
                try:
                    response = await client.get(path, params=params)
                    latencies.append(time.perf_counter() - started)
                    if response.status_code != 200:
                        errors.append(f"{path}: {response.status_code}")
                except httpx.HTTPError as error:
                    errors.append(f"{path}: {type(error).__name__}")
            await asyncio.sleep(interval * random.uniform(0.8, 1.2))


async def run_clients(args: argparse.Namespace, base_url: str, key: str, job_id: str) -> None:
    latencies: list[float] = []
    errors: list[str] = []
    # warm-up: every process of the server answers a few requests before timing starts
    async with httpx.AsyncClient(base_url=base_url, headers={"X-API-Key": key}) as client:
        for _ in range(20):
            await client.get(f"/v1/jobs/{job_id}")
    started = time.perf_counter()
    until = started + args.duration
    await asyncio.gather(
        *(
            poll(base_url, key, job_id, args.rows, until, args.interval, latencies, errors)
            for _ in range(args.clients)
        )
    )
    wall = time.perf_counter() - started
    report(args, latencies, errors, wall)


def report(
    args: argparse.Namespace, latencies: list[float], errors: list[str], wall: float
) -> None:
    ms = np.array(latencies) * 1000.0
    p50, p90, p99 = (float(np.percentile(ms, q)) for q in (50, 90, 99))
    print(
        f"{args.clients} clients, {args.rows} rows, {args.workers} uvicorn worker(s), "
        f"poll every {args.interval:.1f} s for {args.duration:.0f} s"
    )
    print(f"requests: {len(ms)}  ({len(ms) / wall:.0f}/s)   errors: {len(errors)}")
    print(
        f"latency ms: p50 {p50:.1f}  p90 {p90:.1f}  p99 {p99:.1f}  max {ms.max():.1f}  "
        f"mean {statistics.fmean(ms):.1f}"
    )
    if errors:
        print("first errors:", sorted(set(errors))[:5])
    verdict = "met" if p99 < TARGET_P99_MS and not errors else "MISSED"
    print(f"target p99 < {TARGET_P99_MS:.0f} ms with 0 errors: {verdict}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--clients", type=int, default=200)
    parser.add_argument("--rows", type=int, default=10_000)
    parser.add_argument("--duration", type=float, default=30.0)
    parser.add_argument("--interval", type=float, default=1.0, help="seconds between polls")
    parser.add_argument("--workers", type=int, default=2, help="uvicorn worker processes")
    parser.add_argument(
        "--admin-url",
        default=os.environ.get(
            "DSRS_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
        ),
    )
    parser.add_argument("--broker-url", default="redis://127.0.0.1:6379/0")
    args = parser.parse_args()

    import tempfile

    database_url = create_database(args.admin_url)
    api = None
    try:
        job_id, key = seed(database_url, args.rows)
        with tempfile.TemporaryDirectory() as scratch:
            port = free_port()
            api = start_api(
                database_url, args.broker_url, port, args.workers, Path(scratch) / "api.log"
            )
            asyncio.run(run_clients(args, f"http://127.0.0.1:{port}", key, job_id))
    finally:
        if api is not None:
            api.terminate()
            try:
                api.wait(timeout=15)
            except subprocess.TimeoutExpired:
                api.kill()
                api.wait(timeout=15)
        drop_database(args.admin_url, database_url)


if __name__ == "__main__":
    main()
