"""A user's project with its own ``models/`` and ``api/`` packages (common in ML
repositories) imports and uses the installed client: nothing generic is installed that
their folders could shadow, or that could shadow them."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

USER_SCRIPT = """
import json

import httpx

import api.routes
import models
from dsrs_client import DsrsClient
from dsrs_client.contract import JobCreate

assert models.WHOSE == "the user's" and api.routes.WHOSE == "the user's"
sent = []

def handler(request):
    sent.append(json.loads(request.content))
    return httpx.Response(422, json={"detail": "noise.sigma: must be positive"})

request = JobCreate.model_validate(
    {"model_id": "m", "inputs": {"dataset": "digits"}, "noise": {"sigma": 0.5}}
)
with DsrsClient("http://dsrs.test", transport=httpx.MockTransport(handler)) as dsrs:
    try:
        dsrs.submit_job(request)
    except Exception as error:
        print(type(error).__name__, error.status_code)
print(sent[0]["noise"]["sigma"], models.train())
"""


def test_a_project_with_its_own_models_and_api_packages_uses_the_client(tmp_path: Path) -> None:
    project = tmp_path / "my-classifier"
    (project / "models").mkdir(parents=True)
    (project / "models" / "__init__.py").write_text(
        "WHOSE = \"the user's\"\n\ndef train():\n    return 'trained'\n"
    )
    (project / "api").mkdir()
    (project / "api" / "__init__.py").write_text("")
    (project / "api" / "routes.py").write_text('WHOSE = "the user\'s"\n')
    (project / "train.py").write_text(USER_SCRIPT)
    done = subprocess.run(
        [sys.executable, "train.py"],
        cwd=project,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["ApiResponseError", "422", "0.5", "trained"]


def test_nothing_generic_is_installed(tmp_path: Path) -> None:
    check = (
        "import importlib.util\n"
        "names = ('api', 'client', 'models', 'cli', 'store', 'worker', 'contract', 'settings')\n"
        "found = [n for n in names if importlib.util.find_spec(n) is not None]\n"
        "assert not found, found\n"
        "assert importlib.util.find_spec('dsrs_client') is not None\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", check],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
