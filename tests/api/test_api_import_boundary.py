"""The API package never imports torch: upload validation imports it lazily."""

from __future__ import annotations

import subprocess
import sys

CHECK = """
import sys
import dsrs_api, dsrs_api.app, dsrs_api.error_handlers
import dsrs_api.routes.jobs, dsrs_api.routes.models, dsrs_api.routes.inputs, dsrs_api.routes.health
import dsrs_api.services.job_submission, dsrs_api.services.job_reports, dsrs_api.services.dispatch
from dsrs_settings import Settings
import tempfile, pathlib
dsrs_api.app.create_app(Settings(storage_dir=pathlib.Path(tempfile.mkdtemp())))
heavy = sorted(m for m in ("torch", "torchvision", "onnxruntime", "celery.worker")
               if m in sys.modules)
assert not heavy, heavy
"""


def test_importing_and_building_the_api_does_not_import_torch() -> None:
    result = subprocess.run(
        [sys.executable, "-c", CHECK], check=False, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr
