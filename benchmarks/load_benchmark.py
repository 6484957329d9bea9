"""Many clients polling one large job: latency of the status and result-page endpoints.

The full stack's API on PostgreSQL, with API keys: a fresh database (created on the
server of ``--admin-url`` and dropped at the end) is migrated and seeded directly with one
tenant, its key, a model and a finished job of ``--rows`` sample rows (default 10,000).
``uvicorn`` serves ``dsrs_api.app:create_app`` in its own process(es) on 127.0.0.1. Then
``--clients`` asyncio clients (default 200, one keep-alive HTTP/1.1 connection each on
asyncio streams — cheap for the shared CPU, see :class:`Connection` — the tenant's key)
each poll like the dashboard or ``dsrs jobs watch`` do, for ``--duration`` seconds:

    GET /v1/jobs/{id}; GET /v1/jobs/{id}/results?limit=100&cursor=<random page>; sleep

with ``--interval`` seconds (±20 % jitter) between polls. Prints p50 / p90 / p99 / max
latency, requests per second and the error count (non-2xx or transport errors).

    .venv/bin/python -m benchmarks.load_benchmark [--clients 200] [--duration 30]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import random
import secrets
import socket
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx
import numpy as np

from tests.support.databases import create_database, drop_database
from tests.support.factories import DIGITS_TEST_SIZE, add_job_row, add_model_row

REPOSITORY = Path(__file__).resolve().parents[1]


TARGET_P99_MS = 100.0
PAGE = 100


def seed(database_url: str, rows: int) -> tuple[str, str]:
    """A tenant with one key, a model and a succeeded job of ``rows`` rows; (job id, key)."""
    from sqlalchemy import insert

    from dsrs_client.contract import JobParameters, NoiseIn, QIn
    from dsrs_settings import Settings
    from dsrs_store import tenants
    from dsrs_store.database import make_engine, make_session_factory
    from dsrs_store.migrations import upgrade_to_head
    from dsrs_store.tables import SampleRecord, utcnow

    settings = Settings(database_url=database_url)
    upgrade_to_head(settings)
    engine = make_engine(settings)
    rng = np.random.default_rng(0)
    with make_session_factory(engine)() as session:
        tenant = tenants.add_tenant(session, "load")
        key = tenants.issue_api_key(session, tenant.id).key
        model_id = add_model_row(
            session, name="load digits", content_key="1" * 64, owner_id=tenant.id
        )
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
            owner_id=tenant.id,
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
                    "dataset_index": i % DIGITS_TEST_SIZE,
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


def listening_socket() -> socket.socket:
    """The server's listening socket on a free port, with ``TCP_NODELAY``.

    ``uvicorn --workers N`` binds its own socket as ``socket.socket(AF_INET)`` (protocol 0),
    and asyncio only turns Nagle's algorithm off on sockets whose protocol is
    ``IPPROTO_TCP``: every response (headers and body are two writes) then waited ~40 ms for
    the client's delayed ACK. A single-process uvicorn (``dsrs serve``) binds through
    asyncio and is not affected. Linux copies ``TCP_NODELAY`` from a listening socket to
    the connections it accepts, so this socket is handed to uvicorn (``--fd``).
    """
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    sock.bind(("127.0.0.1", 0))
    sock.listen(2048)
    sock.set_inheritable(True)
    return sock


def start_api(
    database_url: str, broker_url: str, sock: socket.socket, workers: int, log: Path
) -> Any:
    env = {k: v for k, v in os.environ.items() if not k.startswith("DSRS_")}
    env.update(
        DSRS_DATABASE_URL=database_url,
        DSRS_BROKER_URL=broker_url,
        DSRS_ADMIN_API_KEY=secrets.token_urlsafe(32),
        DSRS_STORAGE_DIR=str(log.parent / "var"),
    )
    command = [
        sys.executable,
        "-m",
        "uvicorn",
        "dsrs_api.app:create_app",
        "--factory",
        "--fd",
        str(sock.fileno()),
        "--workers",
        str(workers),
        "--backlog",
        "2048",
        "--log-level",
        "warning",
        "--no-access-log",
    ]
    with log.open("wb") as handle:
        process = subprocess.Popen(
            command,
            cwd=REPOSITORY,
            env=env,
            stdout=handle,
            stderr=subprocess.STDOUT,
            pass_fds=(sock.fileno(),),
        )
    base_url = f"http://127.0.0.1:{sock.getsockname()[1]}"
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


class Connection:
    """One keep-alive HTTP/1.1 connection of one client, on asyncio streams.

    The load generator shares the machine's cores with the server, so it must cost little
    per request: httpx spends ~1 ms of CPU on each (its pool, and a failed ``import
    sniffio`` per request where sniffio is not installed), which took CPU from the server
    being measured. This sends the same request (GET, ``Host``, ``X-API-Key``) on one
    persistent connection per client and reads the whole response (status line, headers,
    ``Content-Length`` body) before the clock stops: the same work for the server, the same
    span measured.
    """

    def __init__(self, host: str, port: int, key: str) -> None:
        self.host, self.port = host, port
        self.headers = f"Host: {host}:{port}\r\nX-API-Key: {key}\r\nAccept: */*\r\n\r\n"
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def get(self, target: str) -> tuple[int, bytes]:
        if self.writer is None:
            self.reader, self.writer = await asyncio.open_connection(self.host, self.port)
        assert self.reader is not None
        try:
            self.writer.write(f"GET {target} HTTP/1.1\r\n{self.headers}".encode())
            head = await self.reader.readuntil(b"\r\n\r\n")
            lines = head.decode("latin-1").split("\r\n")
            status = int(lines[0].split(" ", 2)[1])
            fields = dict(line.split(":", 1) for line in lines[1:] if ":" in line)
            fields = {name.strip().lower(): value.strip() for name, value in fields.items()}
            if "content-length" not in fields:
                raise ConnectionError(f"no Content-Length in the answer to {target}")
            body = await self.reader.readexactly(int(fields["content-length"]))
            if fields.get("connection", "").lower() == "close":
                await self.close()
            return status, body
        except BaseException:
            await self.close()
            raise

    async def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
            with contextlib.suppress(OSError):
                await self.writer.wait_closed()
        self.reader = self.writer = None


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
    url = httpx.URL(base_url)
    connection = Connection(url.host, url.port or 80, key)
    try:
        await asyncio.sleep(random.uniform(0, interval))  # spread the first polls
        while time.perf_counter() < until:
            page = random.randrange(rows // PAGE)
            cursor = f"&cursor={page * PAGE - 1}" if page else ""
            for path in (f"/v1/jobs/{job_id}", f"/v1/jobs/{job_id}/results?limit={PAGE}{cursor}"):
                started = time.perf_counter()
                try:
                    status, _ = await asyncio.wait_for(connection.get(path), timeout=30)
                    latencies.append(time.perf_counter() - started)
                    if status != 200:
                        errors.append(f"{path.split('?')[0]}: {status}")
                except (
                    TimeoutError,
                    OSError,
                    asyncio.IncompleteReadError,
                    asyncio.LimitOverrunError,
                    ValueError,
                ) as error:
                    errors.append(f"{path.split('?')[0]}: {type(error).__name__}")
            await asyncio.sleep(interval * random.uniform(0.8, 1.2))
    finally:
        await connection.close()


async def run_clients(args: argparse.Namespace, base_url: str, key: str, job_id: str) -> None:
    latencies: list[float] = []
    errors: list[str] = []
    # warm-up: every process of the server answers a few status requests before timing
    # starts (20 connections at once, so that each process accepts some; result pages stay
    # cold and are timed from their first request)
    url = httpx.URL(base_url)
    warm = [Connection(url.host, url.port or 80, key) for _ in range(20)]
    await asyncio.gather(*(c.get(f"/v1/jobs/{job_id}") for c in warm))
    await asyncio.gather(*(c.close() for c in warm))
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

    database_url = create_database(args.admin_url, "dsrs_load")
    api = None
    try:
        job_id, key = seed(database_url, args.rows)
        with tempfile.TemporaryDirectory() as scratch, listening_socket() as sock:
            api = start_api(
                database_url, args.broker_url, sock, args.workers, Path(scratch) / "api.log"
            )
            port = sock.getsockname()[1]
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
