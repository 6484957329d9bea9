"""Issue 24's hostile models at inference, against both configurations, with peak RSS and
times: ``dsrs serve`` embedded (SQLite, jobs on the API's thread) and the full stack
(``dsrs serve`` on PostgreSQL + Redis + one ``dsrs worker``).

Per hostile ONNX graph (:mod:`tests.hostile_files`: input-dependent ConstantOfShape /
Expand / Tile / Resize, a data-driven Loop, NaN logits under noise) tenant A uploads it and
submits a job, and tenant B submits a job of the demo model at the same moment. Printed
per attack: A's job status, its reason and seconds to its final state, B's job status and
seconds, and the peak resident memory of the API process and of the worker processes
(``VmHWM``, the kernel's high-water mark), plus the largest summed RSS of each process
tree sampled every 0.2 s (this includes the sandbox's children, limited by
``DSRS_INFERENCE_MEMORY_BYTES``).

Usage (PostgreSQL and Redis from .ci/start-services for the full stack)::

    python -m benchmarks.hostile_inference [--config embedded|full|both]
        [--memory-bytes 2147483648] [--batch-timeout-s 60]
"""

from __future__ import annotations

import argparse
import os
import secrets
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path
from typing import Any, Self

import httpx

from tests.hostile_files import (
    INPUT_DEPENDENT_BOMBS,
    onnx_input_dependent_bomb,
    onnx_nan_under_noise,
)
from tests.hostile_harness import ServedApi

MIB = 1024 * 1024
DSRS = str(Path(sys.executable).with_name("dsrs"))


def _status_kib(pid: int, field: str) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(field + ":"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


def _tree(pid: int) -> list[int]:
    pids, frontier = [pid], [pid]
    while frontier:
        parent = frontier.pop()
        try:
            children = Path(f"/proc/{parent}/task/{parent}/children").read_text().split()
        except OSError:
            continue
        for child in map(int, children):
            pids.append(child)
            frontier.append(child)
    return pids


class TreeSampler:
    """The largest summed RSS of each process tree, sampled every 0.2 s."""

    def __init__(self, roots: dict[str, int]) -> None:
        self.roots = roots
        self.peaks = dict.fromkeys(roots, 0)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.wait(0.2):
            for name, root in self.roots.items():
                rss = sum(_status_kib(p, "VmRSS") for p in _tree(root)) * 1024
                self.peaks[name] = max(self.peaks[name], rss)

    def __enter__(self) -> Self:
        self._thread.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self._stop.set()
        self._thread.join()


def _tenant_client(api: ServedApi, name: str) -> httpx.Client:
    with api.client() as admin:
        tenant = admin.post("/v1/tenants", json={"name": name})
        assert tenant.status_code == 201, tenant.text
        key = admin.post(f"/v1/tenants/{tenant.json()['id']}/keys").json()["key"]
    return httpx.Client(base_url=api.url, headers={"X-API-Key": key}, timeout=300)


def _upload(client: httpx.Client, content: bytes, **data: str) -> str:
    response = client.post("/v1/models", files={"file": ("model.bin", content)}, data=data)
    assert response.status_code in (200, 201), response.text
    return response.json()["id"]


def _submit(client: httpx.Client, model_id: str) -> str:
    response = client.post(
        "/v1/jobs",
        json={
            "model_id": model_id,
            "inputs": {"dataset": "digits", "stop": 4},
            "noise": {"sigma": 0.25},
            "n": 2_000,
            "batch_size": 1_000,
            "seed": 1,
        },
    )
    assert response.status_code == 202, response.text
    return response.json()["id"]


def _final(client: httpx.Client, job_id: str, started: float) -> tuple[dict[str, Any], float]:
    while True:
        job = client.get(f"/v1/jobs/{job_id}").json()
        if job["status"] in ("succeeded", "failed", "cancelled"):
            return job, time.perf_counter() - started
        time.sleep(0.2)


def attacks() -> dict[str, bytes]:
    bombs = {
        f"{kind} from the data": onnx_input_dependent_bomb(kind) for kind in INPUT_DEPENDENT_BOMBS
    }
    return {**bombs, "NaN under noise": onnx_nan_under_noise()}


def run_config(config: str, root: Path, limits: dict[str, str], database: str = "") -> None:
    admin_key = secrets.token_urlsafe(32)
    env = {"DSRS_ADMIN_API_KEY": admin_key, "DSRS_DEVICE": "cpu", **limits}
    worker: subprocess.Popen[bytes] | None = None
    if config == "full":
        env.update(
            DSRS_DATABASE_URL=database,
            DSRS_BROKER_URL=os.environ.get("DSRS_TEST_REDIS_URL", "redis://127.0.0.1:6379/0"),
            DSRS_QUEUE=f"dsrs-hostile-{uuid.uuid4().hex[:10]}",
            DSRS_TORCH_THREADS="1",
        )
    api = ServedApi(root, env, admin_key)
    if config == "full":
        subprocess.run([DSRS, "migrate"], env=api.env, check=True)
        log = (root / "worker.log").open("wb")
        worker = subprocess.Popen(
            [DSRS, "worker", "--concurrency", "1"],
            env=api.env,
            cwd=api.workdir,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    try:
        with api.running():
            assert api.process is not None
            attacker, victim = _tenant_client(api, "attacker"), _tenant_client(api, "victim")
            from dsrs_models.demo import DEMO_WEIGHTS_PATH

            demo = _upload(victim, DEMO_WEIGHTS_PATH.read_bytes(), architecture="digits-mlp")
            _final(victim, _submit(victim, demo), time.perf_counter())  # warm: torch imported
            print(
                f"\n## {config}: DSRS_INFERENCE_MEMORY_BYTES="
                f"{limits['DSRS_INFERENCE_MEMORY_BYTES']}, DSRS_INFERENCE_BATCH_TIMEOUT_S="
                f"{limits['DSRS_INFERENCE_BATCH_TIMEOUT_S']}\n"
            )
            print(
                "| attack | A's job | reason | A's s | B's job | B's s | API peak MiB | "
                "worker peak MiB | API tree max MiB | worker tree max MiB |"
            )
            print("|---|---|---|---|---|---|---|---|---|---|")
            roots = {"api": api.process.pid}
            if worker is not None:
                roots["worker"] = worker.pid
            for name, content in attacks().items():
                model = _upload(attacker, content)
                with TreeSampler(roots) as sampler:
                    started = time.perf_counter()
                    hostile = _submit(attacker, model)
                    control = _submit(victim, demo)
                    job_a, seconds_a = _final(attacker, hostile, started)
                    job_b, seconds_b = _final(victim, control, started)
                worker_peak = (
                    max(_status_kib(p, "VmHWM") for p in _tree(worker.pid)) / 1024
                    if worker is not None
                    else float("nan")
                )
                reason = job_a["error"] or "; ".join(job_a["warnings"])
                if len(reason) > 200:  # the head says what failed, the tail which limit
                    reason = f"{reason[:100]} … {reason[-100:]}"
                reason = reason.replace("\n", " ").replace("|", "/")
                print(
                    f"| {name} | {job_a['status']} | {reason} | {seconds_a:.1f} | "
                    f"{job_b['status']} | {seconds_b:.1f} | "
                    f"{_status_kib(api.process.pid, 'VmHWM') / 1024:.0f} | {worker_peak:.0f} | "
                    f"{sampler.peaks['api'] / MIB:.0f} | "
                    f"{sampler.peaks.get('worker', 0) / MIB:.0f} |",
                    flush=True,
                )
            attacker.close()
            victim.close()
    finally:
        if worker is not None:
            worker.terminate()
            worker.wait(timeout=60)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--config", choices=["embedded", "full", "both"], default="both")
    parser.add_argument("--memory-bytes", type=int, default=2 * 1024**3)
    parser.add_argument("--batch-timeout-s", type=float, default=60.0)
    args = parser.parse_args()
    limits = {
        "DSRS_INFERENCE_MEMORY_BYTES": str(args.memory_bytes),
        "DSRS_INFERENCE_BATCH_TIMEOUT_S": str(args.batch_timeout_s),
    }
    configs = ["embedded", "full"] if args.config == "both" else [args.config]
    for config in configs:
        with tempfile.TemporaryDirectory(prefix=f"dsrs-hostile-{config}-") as directory:
            if config == "embedded":
                run_config(config, Path(directory), limits)
                continue
            from tests.support.databases import POSTGRES_ADMIN_URL, scratch_database

            with scratch_database(POSTGRES_ADMIN_URL, "dsrs_hostile") as database:  # a fresh one
                run_config(config, Path(directory), limits, database)


if __name__ == "__main__":
    main()
