"""The API package never imports torch: upload validation imports it lazily."""

from __future__ import annotations

import subprocess
import sys

CHECK = """
import sys
import api, api.app, api.job_routes, api.model_routes, api.input_routes, api.health_routes
import api.job_submission, api.job_reports, api.dispatch, api.error_handlers
from store.settings import Settings
import tempfile, pathlib
api.app.create_app(Settings(storage_dir=pathlib.Path(tempfile.mkdtemp())))
heavy = sorted(m for m in ("torch", "torchvision", "onnxruntime", "celery.worker")
               if m in sys.modules)
assert not heavy, heavy
"""


def test_importing_and_building_the_api_does_not_import_torch() -> None:
    result = subprocess.run(
        [sys.executable, "-c", CHECK], check=False, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr
