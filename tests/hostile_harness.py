"""Run attacks against a real ``dsrs serve`` process and measure what each one costs it.

:class:`ServedApi` starts the installed ``dsrs serve`` in its own working directory (where
``secret.txt`` and ``.env`` hold a canary, the files an external-data attack would read),
with its own ``TMPDIR``. :meth:`ServedApi.attack` sends one request and records its status,
the growth of the server's peak resident memory (``VmHWM`` of ``/proc/<pid>/status``,
against the value before the first attack), the slowest ``/healthz`` answer while it ran,
its wall time and the bytes it left on disk.
"""

from __future__ import annotations

import subprocess
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx

from tests.hostile_files import CANARY
from tests.polling import wait_until
from tests.support.processes import (
    dsrs_executable,
    environment_without_dsrs,
    free_port,
    start_process,
    stop_process,
)

MIB = 1024 * 1024


@dataclass(frozen=True)
class Outcome:
    name: str
    status: int
    detail: str
    memory_growth_mib: float
    slowest_healthz_s: float
    seconds: float
    disk_growth_bytes: int

    def row(self) -> str:
        return (
            f"| {self.name} | {self.status} | {self.memory_growth_mib:+.0f} MiB | "
            f"{self.seconds:.1f} s | {self.slowest_healthz_s * 1000:.0f} ms | "
            f"{self.disk_growth_bytes / 1024:.0f} KiB |"
        )


def _peak_rss_bytes(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) * 1024
    raise AssertionError("no VmHWM")


def _tree_bytes(*roots: Path) -> int:
    total = 0
    for root in roots:
        for path in root.rglob("*"):
            if path.is_file() and not path.name.startswith("dsrs.sqlite3"):
                total += path.stat().st_size
    return total


class ServedApi:
    def __init__(self, root: Path, env: dict[str, str], api_key: str | None) -> None:
        self.root = root
        self.workdir = root / "cwd"
        self.tmpdir = root / "tmp"
        self.storage = root / "var"
        for directory in (self.workdir, self.tmpdir):
            directory.mkdir(parents=True)
        (self.workdir / "secret.txt").write_text(f"{CANARY} secret file " * 20)
        (self.workdir / ".env").write_text(f"DSRS_ADMIN_API_KEY={CANARY}\n" * 20)
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.headers = {"X-API-Key": api_key} if api_key else {}
        self.env = {
            **environment_without_dsrs(),
            "DSRS_STORAGE_DIR": str(self.storage),
            "TMPDIR": str(self.tmpdir),
            **env,
        }
        self.log = root / "serve.log"
        self.process: subprocess.Popen[bytes] | None = None
        self.baseline_peak = 0
        self.outcomes: list[Outcome] = []

    @contextmanager
    def running(self) -> Iterator[ServedApi]:
        self.process = start_process(
            [dsrs_executable(), "serve", "--port", str(self.port)], self.env, self.log, self.workdir
        )
        try:
            wait_until(
                lambda: self.process.poll() is not None or self.answers(),
                timeout=120,
                interval=0.2,
                describe=lambda _: self.log.read_text(),
            )
            assert self.process.poll() is None, self.log.read_text()
            with self.client() as warm:  # imports of the first requests are not an attack
                warm.get("/v1/models")
                warm.get("/openapi.json")
            self.rebaseline()
            yield self
        finally:
            stop_process(self.process)

    def rebaseline(self) -> None:
        """Measure memory growth from the server's peak so far (e.g. after the valid
        controls, whose job the embedded service runs in-process with torch)."""
        assert self.process is not None
        self.baseline_peak = _peak_rss_bytes(self.process.pid)

    def answers(self) -> bool:
        """Whether the served API answers its health check."""
        try:
            return httpx.get(self.url + "/healthz", timeout=1).status_code == 200
        except httpx.HTTPError:
            return False

    def client(self) -> httpx.Client:
        return httpx.Client(base_url=self.url, headers=self.headers, timeout=300)

    def attack(self, name: str, send: Callable[[httpx.Client], httpx.Response]) -> Outcome:
        assert self.process is not None
        slowest = 0.0
        done = threading.Event()

        def watch_health() -> None:
            nonlocal slowest
            with httpx.Client(base_url=self.url, timeout=10) as health:
                while not done.is_set():
                    started = time.perf_counter()
                    response = health.get("/healthz")
                    assert response.status_code == 200
                    slowest = max(slowest, time.perf_counter() - started)
                    done.wait(0.1)

        watcher = threading.Thread(target=watch_health, daemon=True)
        disk_before = _tree_bytes(self.storage, self.tmpdir)
        started = time.perf_counter()
        watcher.start()
        try:
            with self.client() as client:
                response = send(client)
        finally:
            done.set()
            watcher.join(timeout=15)
        seconds = time.perf_counter() - started
        growth = (_peak_rss_bytes(self.process.pid) - self.baseline_peak) / MIB
        outcome = Outcome(
            name=name,
            status=response.status_code,
            detail=response.text[:300],
            memory_growth_mib=growth,
            slowest_healthz_s=slowest,
            seconds=seconds,
            disk_growth_bytes=_tree_bytes(self.storage, self.tmpdir) - disk_before,
        )
        self.outcomes.append(outcome)
        assert CANARY not in response.text, f"{name} leaked the canary: {response.text[:500]}"
        return outcome

    def table(self) -> str:
        lines = [
            "| attack | status | API peak memory growth | time | slowest /healthz | disk left |",
            "|---|---|---|---|---|---|",
        ]
        return "\n".join(lines + [o.row() for o in self.outcomes])
