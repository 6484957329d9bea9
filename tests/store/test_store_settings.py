"""Settings come from DSRS_* variables through the factory, never at import."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError

from dsrs_settings import Settings, load_settings


def test_environment_variables(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DSRS_DATABASE_URL", "postgresql+psycopg://u@h/db")
    monkeypatch.setenv("DSRS_BROKER_URL", "redis://h:6379/2")
    monkeypatch.setenv("DSRS_MAX_UPLOAD_BYTES", "1234")
    monkeypatch.setenv("DSRS_STORAGE_DIR", "/srv/dsrs")
    settings = load_settings()
    assert settings.resolved_database_url == "postgresql+psycopg://u@h/db"
    assert settings.broker_url == "redis://h:6379/2" and not settings.embedded
    assert settings.max_upload_bytes == 1234
    assert settings.storage_dir == Path("/srv/dsrs")
    assert load_settings(max_upload_bytes=7).max_upload_bytes == 7  # overrides win


def test_embedded_default(tmp_path: Path) -> None:
    settings = Settings(storage_dir=tmp_path)
    assert settings.embedded
    assert settings.resolved_database_url == f"sqlite:///{tmp_path.resolve()}/dsrs.sqlite3"


@pytest.mark.parametrize("field", ["max_upload_bytes", "chunk_size", "task_time_limit_s"])
def test_limits_must_be_positive(field: str) -> None:
    with pytest.raises(ValidationError):
        Settings(**{field: 0})


def test_device_choices() -> None:
    with pytest.raises(ValidationError):
        Settings(device="tpu")  # type: ignore[arg-type]


def test_relative_directories_are_made_absolute_once_where_the_process_starts(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Regression: a relative storage path was later resolved against another working
    directory (the model probe's child process) and every job failed."""
    monkeypatch.chdir(tmp_path)
    settings = Settings()
    monkeypatch.chdir("/")
    assert settings.storage_dir == tmp_path.resolve() / "var"
    assert settings.datasets_dir == tmp_path.resolve() / "var" / "datasets"
    assert settings.resolved_database_url == f"sqlite:///{tmp_path.resolve()}/var/dsrs.sqlite3"
