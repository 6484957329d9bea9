"""The sandbox of uploads (:mod:`dsrs_models.sandbox`, :mod:`dsrs_models.upload_probe`): the
child gets no settings from the environment, refusals keep their type, a wall-clock limit
stops it, and its working directory is removed afterwards."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from dsrs_models import sandbox
from dsrs_models.errors import ModelValidationError, UnsafeFormatError
from dsrs_models.sandbox import SandboxLimits
from dsrs_models.upload_probe import probe_model_file
from tests import hostile_files as files

LIMITS = SandboxLimits.within(120, 8 * 1024**3)


def test_the_child_environment_holds_no_settings_or_secrets(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("DSRS_ADMIN_API_KEY", files.CANARY)
    monkeypatch.setenv("DSRS_DATABASE_URL", "postgresql://secret@db/x")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", files.CANARY)
    environment = sandbox._child_environment(tmp_path)
    assert files.CANARY not in repr(environment)
    assert not [k for k in environment if k.startswith("DSRS_") or "SECRET" in k]
    assert environment["HOME"] == environment["TMPDIR"] == str(tmp_path)


def test_a_refusal_keeps_its_type_and_leaves_no_directory(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("TMPDIR", str(tmp_path / "tmp"))
    (tmp_path / "tmp").mkdir()
    upload = tmp_path / "upload.pkl"
    upload.write_bytes(files.pickle_protocol(2))
    import tempfile

    monkeypatch.setattr(tempfile, "tempdir", None)  # re-read TMPDIR
    with pytest.raises(UnsafeFormatError, match="pickled checkpoints") as refused:
        probe_model_file(upload, LIMITS)
    assert refused.value.detected == "pickle"
    assert os.listdir(tmp_path / "tmp") == []


def test_a_child_past_its_wall_clock_limit_is_killed(tmp_path: Path) -> None:
    upload = tmp_path / "loop.onnx"
    upload.write_bytes(files.onnx_endless_loop())
    with pytest.raises(ModelValidationError, match=r"did not load within 0\.5 s"):
        probe_model_file(upload, SandboxLimits.within(0.5, 8 * 1024**3))
