"""The client stands on the contract alone: it imports, and talks to a service, with the
server's packages and their heavy dependencies blocked; no module of ``client/`` or
``cli/`` reaches into the API's or the store's internals."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

#: What the client distribution must never import (it ships httpx and pydantic only).
SERVER_SIDE = (
    "fastapi",
    "starlette",
    "sqlalchemy",
    "alembic",
    "celery",
    "torch",
    "torchvision",
    "numpy",
    "scipy",
    "onnxruntime",
    "dsrs_api",
    "dsrs_store",
    "dsrs_worker",
    "dsrs_models",
    "dsrs_core",
    "dsrs_cli",
    "dsrs_settings",
)

USE_THE_CLIENT_WITH_THE_SERVER_BLOCKED = """
import importlib.abc, json, sys
BLOCKED = set(sys.argv[1:])
class Block(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in BLOCKED:
            raise ImportError(f"{name} is blocked in this test")
        return None
sys.meta_path.insert(0, Block())

import httpx
from dsrs_client import AsyncDsrsClient, DsrsClient
from dsrs_client.contract import JobCreate, JobOut, JobParameters, SampleOut

JOB = {
    "id": "j1", "model_id": "m1", "status": "succeeded", "mode": "evaluate",
    "inputs": {"source": "builtin", "dataset": "digits", "count": 2},
    "parameters": {"noise": {"family": "gaussian", "sigma": 0.25, "k": 0}, "q": None,
                   "n_selection": 100, "n": 1000, "alpha": 0.001, "batch_size": 1000,
                   "radius_search": {"method": "grid", "unit": 0.05, "tolerance": 1e-4,
                                     "mode": "exact"}},
    "seed": 3, "progress": {"done": 2, "total": 2, "fraction": 1.0}, "eta_seconds": None,
    "timings": {"created_at": "2026-01-01T00:00:00Z", "started_at": None,
                "finished_at": None, "wall_seconds": None, "sampling_seconds": 1.0,
                "seconds_per_sample": 0.5},
    "error": None,
}
sent = []
def handler(request):
    sent.append(json.loads(request.content) if request.content else None)
    return httpx.Response(202 if request.method == "POST" else 200, json=JOB)
with DsrsClient("http://dsrs.test", transport=httpx.MockTransport(handler)) as dsrs:
    job = dsrs.submit_job({"model_id": "m1", "inputs": {"dataset": "digits", "stop": 2},
                           "noise": {"sigma": 0.25}})
    job = dsrs.wait_for_job(job.id)
assert isinstance(job.parameters, JobParameters) and job.parameters.noise.sigma == 0.25
assert sent[0]["noise"] == {"sigma": 0.25}
loaded = sorted(m for m in sys.modules if m.split(".")[0] in BLOCKED)
assert not loaded, loaded
print("ok")
"""


def test_the_client_imports_and_works_with_the_server_side_blocked() -> None:
    done = subprocess.run(
        [sys.executable, "-c", USE_THE_CLIENT_WITH_THE_SERVER_BLOCKED, *SERVER_SIDE],
        cwd="/",  # not the checkout: the installed packages only
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "ok"


def test_the_blocker_really_blocks() -> None:
    done = subprocess.run(
        [sys.executable, "-c", "import sys\n" + USE_THE_CLIENT_WITH_THE_SERVER_BLOCKED, "httpx"],
        cwd="/",
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode != 0 and "httpx is blocked" in done.stderr


def imported_modules(path: Path) -> set[str]:
    """Every module a file imports (at any depth, lazily or not)."""
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


#: The optional extras of the client distribution (client/pyproject.toml) and the modules
#: that use them, inside their functions only (tests/client/test_onnx_export.py checks that
#: importing these modules loads none of it).
EXTRAS = {
    "client/onnx_export.py": {"numpy", "torch", "onnxruntime"},  # [export]
    "client/image_folders.py": {"numpy"},  # [images]
}


def test_client_modules_import_nothing_of_the_service() -> None:
    offenders = {
        f"{path.relative_to(ROOT)}: {name}"
        for path in (ROOT / "client").rglob("*.py")
        for name in imported_modules(path)
        if name.split(".")[0] in SERVER_SIDE
        and name.split(".")[0] not in EXTRAS.get(str(path.relative_to(ROOT)), ())
    }
    assert not offenders, sorted(offenders)


#: The service's front doors, for the commands that start it (``dsrs serve``, ``migrate``,
#: ``worker``, ``demo``): its app factory and its settings, nothing behind them.
SERVICE_ENTRY_POINTS = {
    "dsrs_api.app",
    "dsrs_api.background_server",
    "dsrs_store.migrations",
    "dsrs_settings",
}


def test_cli_modules_use_the_api_and_the_store_only_through_their_entry_points() -> None:
    offenders = {
        f"{path.relative_to(ROOT)}: {name}"
        for path in (ROOT / "cli").rglob("*.py")
        for name in imported_modules(path)
        if name.split(".")[0] in ("dsrs_api", "dsrs_store") and name not in SERVICE_ENTRY_POINTS
    }
    assert not offenders, sorted(offenders)


def test_the_static_check_sees_lazy_imports(tmp_path: Path) -> None:
    module = tmp_path / "m.py"
    module.write_text(
        "def f():\n    from dsrs_store.tables import JobRecord\n    import dsrs_api\n"
    )
    assert imported_modules(module) == {"dsrs_store.tables", "dsrs_api"}
