"""Scale-out: one job shared by two single-threaded workers vs. one single-threaded worker.

Acceptance line of issue #7: one job shared by two single-threaded workers finishes in at
most 0.6 of the time one single-threaded worker needs.

The full stack, as deployed, on this machine:

* a fresh PostgreSQL database (created on the server of ``--admin-url``, migrated with
  ``dsrs migrate``, dropped at the end), a Redis database index of its own
  (``--broker-url``, default DB 15) and a queue of its own (``dsrs-scaleout-<random>``);
* the API (``uvicorn dsrs_api.app:create_app --factory``) on a free 127.0.0.1 port, with API keys
  required (a random admin key) and a shared scratch ``DSRS_STORAGE_DIR``;
* a model uploaded over HTTP (``POST /v1/models``): the registered ``--model`` architecture
  (default ``lenet-mnist``) with seeded random weights, as a safetensors state dict, so that
  the forward passes dominate; ``--inputs`` seeded random images with labels uploaded as
  ``.npz`` (``POST /v1/inputs``);
* workers started with the project's entry point,
  ``dsrs worker --concurrency 1`` with ``DSRS_DEVICE=cpu``, ``DSRS_TORCH_THREADS=1`` and
  ``OMP_NUM_THREADS=MKL_NUM_THREADS=1`` (single-threaded), waited for until ready (worker
  start-up is *not* in the measured time; each worker's first chunk probes and loads the
  model, which *is*, as it would be for any job on fresh workers).

For each repeat, in alternating order, a fresh worker set (one, then two processes) is
started, one identical job (same model, inputs, parameters and seed) is submitted with
``POST /v1/jobs`` and polled with ``GET /v1/jobs/{id}`` until it succeeds; the wall time is
from just before the POST to the first poll that sees ``succeeded`` (the server's own
``created_at`` → ``finished_at`` is printed too). Afterwards every job is checked to have
exactly one row per input (SQL on the samples table) and the same results as every other
job (all rows read back through ``GET /v1/jobs/{id}/results``: counts, seeds, predictions,
bounds, radii).

Before each measurement the script waits until the 1-minute load average is below
``--max-load`` (other test suites share the cores), and records the load average and the
CPU used by the whole machine vs. by the worker processes during the run.

    .venv/bin/python -m benchmarks.scale_out_benchmark [--model lenet-mnist] [--inputs 160]
        [--n 400] [--repeats 1] [--chunk-size N]
"""

from __future__ import annotations

import argparse
import io
import os
import re
import secrets
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx
import numpy as np

from tests.support.databases import create_database, drop_database
from tests.support.processes import (
    dsrs_executable,
    environment_without_dsrs,
    free_port,
    stop_process,
)

REPOSITORY = Path(__file__).resolve().parents[1]
TARGET_RATIO = 0.6
WORKER_START_TIMEOUT_S = 120.0
CLK_TCK = os.sysconf("SC_CLK_TCK")
#: Fields of a result row that must not depend on which worker ran which chunk.
COMPARED_FIELDS = (
    "sample_index",
    "dataset_index",
    "label",
    "counted_label",
    "prediction",
    "selection_counts",
    "p_count",
    "p_n",
    "q_count",
    "q_n",
    "q_percentile",
    "q_fallback",
    "seed",
    "alpha",
    "p_lower",
    "p_upper",
    "q_lower",
    "q_upper",
    "np_radius",
    "dsrs_radius",
    "reason",
)
SUCCEEDED_LINE = re.compile(
    r"Task dsrs\.certify_chunk\[[^\]]+\] succeeded in ([0-9.]+)s: .*'chunk_index': (\d+)"
)


# --------------------------------------------------------------------------- database


def row_counts(database_url: str, job_id: str) -> tuple[int, int, int, int]:
    """(rows, distinct sample indices, min index, max index) of one job, straight from SQL."""
    from sqlalchemy import create_engine, text

    engine = create_engine(database_url)
    with engine.connect() as connection:
        rows, distinct, low, high = connection.execute(
            text(
                "SELECT count(*), count(DISTINCT sample_index), min(sample_index), "
                "max(sample_index) FROM samples WHERE job_id = :job"
            ),
            {"job": job_id},
        ).one()
    engine.dispose()
    return int(rows), int(distinct), int(low), int(high)


# --------------------------------------------------------------------------- machine load


def load_average() -> tuple[float, float, float]:
    one, five, fifteen = Path("/proc/loadavg").read_text().split()[:3]
    return float(one), float(five), float(fifteen)


def machine_busy_seconds() -> float:
    """CPU seconds spent not idle (all cores) since boot, from /proc/stat."""
    fields = [int(x) for x in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
    idle = fields[3] + (fields[4] if len(fields) > 4 else 0)  # idle + iowait
    return (sum(fields[:8]) - idle) / CLK_TCK


def _children_map() -> dict[int, list[int]]:
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        ppid = int(stat[stat.rfind(")") + 2 :].split()[1])
        children.setdefault(ppid, []).append(int(entry.name))
    return children


def tree_cpu_seconds(root_pids: list[int]) -> float:
    """utime + stime (+ those of waited-for children) of the processes under ``root_pids``."""
    children = _children_map()
    total = 0.0
    stack = list(root_pids)
    while stack:
        pid = stack.pop()
        stack.extend(children.get(pid, []))
        try:
            stat = Path(f"/proc/{pid}/stat").read_text()
        except OSError:
            continue
        values = stat[stat.rfind(")") + 2 :].split()
        # fields 14-17 of stat (1-based): utime stime cutime cstime; values[0] is field 3
        total += sum(int(v) for v in values[11:15]) / CLK_TCK
    return total


def wait_for_quiet(max_load: float, max_wait_s: float) -> tuple[float, float, float]:
    """Wait (at most ``max_wait_s``) until the 1-minute load average is below ``max_load``."""
    deadline = time.monotonic() + max_wait_s
    while True:
        load = load_average()
        if load[0] < max_load or time.monotonic() >= deadline:
            if load[0] >= max_load:
                print(
                    f"  warning: load average still {load[0]:.2f} after waiting; measuring anyway"
                )
            return load
        print(f"  load average {load[0]:.2f} >= {max_load}; waiting 20 s", flush=True)
        time.sleep(20)


# --------------------------------------------------------------------------- processes


def service_env(
    database_url: str,
    broker_url: str,
    queue: str,
    storage: Path,
    admin_key: str,
    chunk_size: int | None,
) -> dict[str, str]:
    env = environment_without_dsrs()
    env.update(
        DSRS_DATABASE_URL=database_url,
        DSRS_BROKER_URL=broker_url,
        DSRS_QUEUE=queue,
        DSRS_STORAGE_DIR=str(storage),
        DSRS_ADMIN_API_KEY=admin_key,
        DSRS_DEVICE="cpu",
        DSRS_TORCH_THREADS="1",
        OMP_NUM_THREADS="1",
        MKL_NUM_THREADS="1",
        OPENBLAS_NUM_THREADS="1",
        PYTHONUNBUFFERED="1",
    )
    if chunk_size is not None:
        env["DSRS_CHUNK_SIZE"] = str(chunk_size)
    return env


def migrate(env: dict[str, str]) -> None:
    subprocess.run(
        [dsrs_executable(), "migrate"],
        env=env,
        cwd=REPOSITORY,
        check=True,
        stdout=subprocess.DEVNULL,
    )


def start_api(env: dict[str, str], port: int, log: Path) -> subprocess.Popen[bytes]:
    command = [
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
        "--no-access-log",
    ]
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
    stop_process(process)
    raise SystemExit(f"the API did not start:\n{log.read_text()[-3000:]}")


@dataclass
class Worker:
    process: subprocess.Popen[bytes]
    log: Path

    def text(self) -> str:
        return self.log.read_text(errors="replace")

    def chunks(self) -> list[tuple[int, float]]:
        """(chunk index, seconds) of every chunk this worker finished, from its log."""
        return [(int(m[2]), float(m[1])) for m in SUCCEEDED_LINE.finditer(self.text())]


def start_workers(count: int, env: dict[str, str], directory: Path, tag: str) -> list[Worker]:
    workers = []
    for index in range(count):
        log = directory / f"worker-{tag}-{index}.log"
        with log.open("wb") as handle:
            process = subprocess.Popen(
                [dsrs_executable(), "worker", "--concurrency", "1", "--loglevel", "INFO"],
                cwd=REPOSITORY,
                env=env,
                stdout=handle,
                stderr=subprocess.STDOUT,
            )
        workers.append(Worker(process, log))
    deadline = time.monotonic() + WORKER_START_TIMEOUT_S
    for worker in workers:
        while "ready." not in worker.text():
            if worker.process.poll() is not None or time.monotonic() > deadline:
                stop_workers(workers)
                raise SystemExit(f"dsrs worker did not become ready:\n{worker.text()[-3000:]}")
            time.sleep(0.2)
    return workers


def stop_workers(workers: list[Worker]) -> None:
    for worker in workers:
        stop_process(worker.process)


# --------------------------------------------------------------------------- uploads


def model_bytes(architecture: str, seed: int) -> bytes:
    """A safetensors state dict of the plain registered network with seeded random weights."""
    import torch
    from safetensors.torch import save

    from dsrs_models.registry import get_architecture

    torch.manual_seed(seed)
    network = get_architecture(architecture).builder()
    state = {name: tensor.detach().contiguous() for name, tensor in network.state_dict().items()}
    return save(state)


def inputs_bytes(architecture: str, count: int, seed: int) -> bytes:
    from dsrs_models.registry import get_architecture

    spec = get_architecture(architecture)
    rng = np.random.default_rng(seed)
    buffer = io.BytesIO()
    np.savez(
        buffer,
        inputs=rng.random((count, *spec.input_shape), dtype=np.float32),
        labels=rng.integers(0, spec.num_classes, count).astype(np.int64),
    )
    return buffer.getvalue()


def check(response: httpx.Response) -> dict[str, Any]:
    if response.status_code >= 300:
        raise SystemExit(
            f"{response.request.method} {response.request.url}: "
            f"{response.status_code} {response.text[:2000]}"
        )
    return response.json()  # type: ignore[no-any-return]


# --------------------------------------------------------------------------- one run


@dataclass
class Run:
    workers: int
    job_id: str
    wall_s: float
    server_wall_s: float
    startup_s: float  # submit → first row stored (chunk taken, model probed + loaded, 1 input)
    tail_s: float  # one worker's last chunk done → the other's (0 with one worker)
    load_before: tuple[float, float, float]
    load_after: tuple[float, float, float]
    machine_cpu_s: float
    worker_cpu_s: float
    chunks_per_worker: list[int] = field(default_factory=list)
    busy_per_worker: list[float] = field(default_factory=list)

    @property
    def others_cores(self) -> float:
        """Cores used on average during the job by everything but the workers (the API,
        PostgreSQL, this script, and whatever else runs on the machine)."""
        return (self.machine_cpu_s - self.worker_cpu_s) / self.wall_s


def parse_time(value: str) -> datetime:
    return datetime.fromisoformat(value)


def run_job(
    client: httpx.Client,
    job_body: dict[str, Any],
    workers: list[Worker],
    database_url: str,
    poll_s: float,
) -> tuple[str, float, dict[str, Any], float, float]:
    """Submit one job and wait for it; (job id, wall s, final status, machine CPU s,
    worker CPU s)."""
    roots = [w.process.pid for w in workers]
    busy0, workers0 = machine_busy_seconds(), tree_cpu_seconds(roots)
    started = time.perf_counter()
    job = check(client.post("/v1/jobs", json=job_body))
    while True:
        status = check(client.get(f"/v1/jobs/{job['id']}"))
        if status["status"] == "succeeded":
            break
        if status["status"] in ("failed", "cancelled"):
            raise SystemExit(f"job {job['id']} {status['status']}: {status.get('error')}")
        for worker in workers:
            if worker.process.poll() is not None:
                raise SystemExit(f"a worker exited during the job:\n{worker.text()[-3000:]}")
        time.sleep(poll_s)
    wall = time.perf_counter() - started
    machine, worker_cpu = machine_busy_seconds() - busy0, tree_cpu_seconds(roots) - workers0
    return job["id"], wall, status, machine, worker_cpu


def first_row_time(database_url: str, job_id: str) -> datetime:
    from sqlalchemy import create_engine, text

    engine = create_engine(database_url)
    with engine.connect() as connection:
        value = connection.execute(
            text("SELECT min(created_at) FROM samples WHERE job_id = :job"), {"job": job_id}
        ).scalar_one()
    engine.dispose()
    return value if isinstance(value, datetime) else parse_time(str(value))


def all_rows(client: httpx.Client, job_id: str) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    cursor: str | None = None
    while True:
        params: dict[str, Any] = {"limit": 1000}
        if cursor is not None:
            params["cursor"] = cursor
        page = check(client.get(f"/v1/jobs/{job_id}/results", params=params))
        rows.extend(page["items"])
        cursor = page["next_cursor"]
        if cursor is None:
            return rows


def measure(
    count: int,
    args: argparse.Namespace,
    env: dict[str, str],
    scratch: Path,
    client: httpx.Client,
    job_body: dict[str, Any],
    database_url: str,
    tag: str,
) -> Run:
    workers = start_workers(count, env, scratch, tag)
    try:
        time.sleep(args.settle_s)  # workers' own start-up CPU out of the load average
        load_before = wait_for_quiet(args.max_load, args.max_wait_s)
        job_id, wall, status, machine_cpu, worker_cpu = run_job(
            client, job_body, workers, database_url, args.poll_s
        )
        load_after = load_average()
        time.sleep(1.0)  # the last "succeeded" log lines
        timings = status["timings"]
        created, finished = parse_time(timings["created_at"]), parse_time(timings["finished_at"])
        first = first_row_time(database_url, job_id)
        per_worker = [w.chunks() for w in workers]
    finally:
        stop_workers(workers)
    ends = []
    for worker in workers:  # when each worker finished its last chunk, from its log
        stamps = re.findall(
            r"\[(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3})[^\]]*\].*succeeded in", worker.text()
        )
        if stamps:
            ends.append(datetime.strptime(stamps[-1], "%Y-%m-%d %H:%M:%S,%f").timestamp())
    return Run(
        workers=count,
        job_id=job_id,
        wall_s=wall,
        server_wall_s=(finished - created).total_seconds(),
        startup_s=(first - created).total_seconds(),
        tail_s=(max(ends) - min(ends)) if len(ends) > 1 else 0.0,
        load_before=load_before,
        load_after=load_after,
        machine_cpu_s=machine_cpu,
        worker_cpu_s=worker_cpu,
        chunks_per_worker=[len(c) for c in per_worker],
        busy_per_worker=[sum(s for _, s in c) for c in per_worker],
    )


# --------------------------------------------------------------------------- report


def verify(client: httpx.Client, database_url: str, runs: list[Run], total: int) -> list[str]:
    problems = []
    reference: list[tuple[Any, ...]] | None = None
    for run in runs:
        rows, distinct, low, high = row_counts(database_url, run.job_id)
        if (rows, distinct, low, high) != (total, total, 0, total - 1):
            problems.append(
                f"job {run.job_id}: {rows} rows, {distinct} distinct sample "
                f"indices in [{low}, {high}], expected {total} in [0, {total - 1}]"
            )
        values = [tuple(row[f] for f in COMPARED_FIELDS) for row in all_rows(client, run.job_id)]
        if reference is None:
            reference = values
        elif values != reference:
            differing = sum(a != b for a, b in zip(values, reference, strict=False))
            problems.append(
                f"job {run.job_id} ({run.workers} worker(s)): {differing} rows "
                f"differ from job {runs[0].job_id}"
            )
    return problems


def report(args: argparse.Namespace, runs: list[Run], chunks: int, problems: list[str]) -> None:
    total = args.inputs
    print()
    print(
        f"model {args.model}, {total} inputs, n = {args.n} (+ n under Q, "
        f"n_selection = {args.n_selection}), {chunks} chunks of "
        f"{args.chunk_size or 'the default'} inputs; workers: dsrs worker --concurrency 1, "
        "1 torch thread, cpu"
    )
    print()
    header = (
        f"{'workers':>7} {'run':>3} {'wall s':>8} {'server s':>8} {'samples/s':>9} "
        f"{'ratio':>6} {'startup s':>9} {'tail s':>6} {'chunks':>7} {'busy s':>11} "
        f"{'load 1m':>11} {'cpu s mach/wrk':>15} {'others':>6}"
    )
    print(header)
    print("-" * len(header))
    single = statistics.median(r.wall_s for r in runs if r.workers == 1)
    for index, run in enumerate(runs):
        print(
            f"{run.workers:>7} {index // 2 + 1:>3} {run.wall_s:>8.1f} {run.server_wall_s:>8.1f} "
            f"{total / run.wall_s:>9.2f} {run.wall_s / single:>6.2f} {run.startup_s:>9.1f} "
            f"{run.tail_s:>6.1f} {'/'.join(map(str, run.chunks_per_worker)):>7} "
            f"{'/'.join(f'{b:.0f}' for b in run.busy_per_worker):>11} "
            f"{run.load_before[0]:>5.2f}→{run.load_after[0]:<5.2f} "
            f"{run.machine_cpu_s:>7.0f}/{run.worker_cpu_s:<7.0f} {run.others_cores:>6.2f}"
        )
    print("-" * len(header))
    medians, minima = {}, {}
    for count in sorted({r.workers for r in runs}):
        walls = [r.wall_s for r in runs if r.workers == count]
        medians[count], minima[count] = statistics.median(walls), min(walls)
        print(
            f"{count:>7} {'med':>3} {medians[count]:>8.1f} {'':>8} "
            f"{total / medians[count]:>9.2f} {medians[count] / single:>6.2f}"
        )
        print(
            f"{count:>7} {'min':>3} {minima[count]:>8.1f} {'':>8} "
            f"{total / minima[count]:>9.2f} {minima[count] / minima[1]:>6.2f}"
        )
    ratio = medians.get(2, float("nan")) / medians[1]
    print()
    print(
        "wall s: POST /v1/jobs → first GET that answers succeeded; server s: the job's "
        "created_at → finished_at;"
    )
    print(
        "startup s: created_at → first result row (chunk taken, model probed in a child "
        "process and loaded, one input);"
    )
    print(
        "tail s: between the two workers' last chunks; busy s: seconds in chunk tasks per "
        "worker (Celery log);"
    )
    print(
        "load 1m: before → after the job; cpu s: whole machine / worker processes during "
        "the job (2 cores → at most 2 × wall);"
    )
    print(
        "others: cores used on average by everything but the workers during the job "
        "(API, PostgreSQL, other test suites)."
    )
    verdict = "met" if ratio <= TARGET_RATIO else "MISSED"
    print(
        f"ratio two workers / one worker (medians): {ratio:.3f}  "
        f"(target ≤ {TARGET_RATIO}: {verdict}); best runs: "
        f"{minima.get(2, float('nan')) / minima[1]:.3f}"
    )
    if problems:
        print("RESULT CHECK FAILED:")
        for problem in problems:
            print("  " + problem)
    else:
        print(
            f"result check: every job has exactly one row per input ({total}), and all "
            f"{len(runs)} jobs have identical rows (counts, seeds, bounds, radii)"
        )


# --------------------------------------------------------------------------- main


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument(
        "--model", default="lenet-mnist", help="registered architecture (random weights)"
    )
    parser.add_argument("--inputs", type=int, default=160, help="inputs in the job")
    parser.add_argument("--n", type=int, default=400, help="draws under P and under Q")
    parser.add_argument("--n-selection", type=int, default=100)
    parser.add_argument("--batch-size", type=int, default=1000)
    parser.add_argument(
        "--repeats",
        type=int,
        default=1,
        help="jobs per configuration (alternating 1, 2, 1, 2, ...)",
    )
    parser.add_argument(
        "--chunk-size",
        type=int,
        default=None,
        help="DSRS_CHUNK_SIZE of the API (default: the service's default)",
    )
    parser.add_argument(
        "--max-load",
        type=float,
        default=1.5,
        help="wait until the 1-minute load average is below this",
    )
    parser.add_argument(
        "--max-wait-s",
        type=float,
        default=300.0,
        help="longest wait for a quiet machine before each job",
    )
    parser.add_argument(
        "--settle-s",
        type=float,
        default=3.0,
        help="pause after the workers are ready, before the quiet check",
    )
    parser.add_argument("--poll-s", type=float, default=0.25, help="status poll interval")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument(
        "--admin-url",
        default=os.environ.get(
            "DSRS_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
        ),
    )
    parser.add_argument("--broker-url", default="redis://127.0.0.1:6379/15")
    parser.add_argument(
        "--keep-logs", type=Path, default=None, help="copy the API and worker logs to this folder"
    )
    args = parser.parse_args()

    import redis

    from dsrs_settings import Settings
    from dsrs_store.chunks import chunk_count

    chunk_size = args.chunk_size or Settings.model_fields["chunk_size"].default
    chunks = chunk_count(args.inputs, chunk_size)
    queue = f"dsrs-scaleout-{uuid.uuid4().hex[:12]}"
    admin_key = secrets.token_urlsafe(32)
    print(
        f"load average at start: {load_average()}; queue {queue} on {args.broker_url}", flush=True
    )
    database_url = create_database(args.admin_url, "dsrs_scaleout")
    api = None
    runs: list[Run] = []
    try:
        with tempfile.TemporaryDirectory(prefix="dsrs-scaleout-") as scratch_name:
            scratch = Path(scratch_name)
            env = service_env(
                database_url, args.broker_url, queue, scratch / "var", admin_key, args.chunk_size
            )
            migrate(env)
            port = free_port()
            api = start_api(env, port, scratch / "api.log")
            with httpx.Client(
                base_url=f"http://127.0.0.1:{port}",
                timeout=120,
                headers={"X-API-Key": admin_key},
            ) as client:
                model = check(
                    client.post(
                        "/v1/models",
                        files={"file": ("model.safetensors", model_bytes(args.model, args.seed))},
                        data={"architecture": args.model, "name": f"scale-out {args.model}"},
                    )
                )
                input_set = check(
                    client.post(
                        "/v1/inputs",
                        files={
                            "file": ("inputs.npz", inputs_bytes(args.model, args.inputs, args.seed))
                        },
                    )
                )
                job_body = {
                    "model_id": model["id"],
                    "inputs": {"input_set_id": input_set["id"]},
                    "mode": "evaluate",
                    "noise": {"family": "gaussian", "sigma": 0.25},
                    "q": {"sigma": 0.2},
                    "n_selection": args.n_selection,
                    "n": args.n,
                    "alpha": 0.001,
                    "batch_size": args.batch_size,
                    "seed": args.seed,
                }
                for repeat in range(args.repeats):
                    for count in (1, 2):
                        print(f"repeat {repeat + 1}: {count} worker(s) ...", flush=True)
                        run = measure(
                            count,
                            args,
                            env,
                            scratch,
                            client,
                            job_body,
                            database_url,
                            f"{repeat}-{count}",
                        )
                        print(
                            f"  {run.wall_s:.1f} s (load {run.load_before[0]:.2f} → "
                            f"{run.load_after[0]:.2f})",
                            flush=True,
                        )
                        runs.append(run)
                problems = verify(client, database_url, runs, args.inputs)
            report(args, runs, chunks, problems)
            if args.keep_logs is not None:
                import shutil

                stop_process(api)
                args.keep_logs.mkdir(parents=True, exist_ok=True)
                for log in scratch.glob("*.log"):
                    shutil.copy(log, args.keep_logs / log.name)
    finally:
        if api is not None:
            stop_process(api)
        broker = redis.Redis.from_url(args.broker_url)
        broker.delete(queue, f"_kombu.binding.{queue}")
        broker.close()
        drop_database(args.admin_url, database_url)
    return 1 if not runs or problems else 0


if __name__ == "__main__":
    sys.exit(main())
