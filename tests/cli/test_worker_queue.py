"""`dsrs worker --queue Q`: the worker listens on Q and its sweeper sends the chunks it takes
over to Q (before, only the listening queue changed, so a swept chunk went to DSRS_QUEUE,
which no worker of that deployment read)."""

from __future__ import annotations

from typing import Any

import pytest
from typer.testing import CliRunner

from dsrs_cli.main import app


class _CapturedApp:
    def __init__(self) -> None:
        self.argv: list[str] = []

    def worker_main(self, argv: list[str]) -> None:
        self.argv = argv


@pytest.mark.parametrize(
    ("option", "expected"), [([], "from-env"), (["--queue", "gpu-a"], "gpu-a")]
)
def test_the_worker_and_its_sweeper_use_one_queue(
    monkeypatch: pytest.MonkeyPatch, option: list[str], expected: str
) -> None:
    import dsrs_worker.celery_app

    built: list[Any] = []
    captured = _CapturedApp()

    def make_celery_app(settings: Any) -> _CapturedApp:
        built.append(settings)
        return captured

    monkeypatch.setattr(dsrs_worker.celery_app, "make_celery_app", make_celery_app)
    monkeypatch.setenv("DSRS_BROKER_URL", "redis://127.0.0.1:1/0")
    monkeypatch.setenv("DSRS_QUEUE", "from-env")
    monkeypatch.setenv("DSRS_DEVICE", "cpu")
    result = CliRunner().invoke(app, ["worker", "--pool", "solo", *option])
    assert result.exit_code == 0, result.output
    (settings,) = built
    assert settings.queue == expected  # the queue the sweeper sends to (worker/chunk_sweeper.py)
    assert f"--queues={expected}" in captured.argv
