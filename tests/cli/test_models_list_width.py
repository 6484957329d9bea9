"""``dsrs models list`` fits an 80-column terminal: one line per model, short ids, long
names cut with "…" (issue 21); a wide terminal still shows the whole name."""

from __future__ import annotations

from typing import Any

from typer.testing import CliRunner

LONG_NAME = "a-model-name-long-enough-to-need-more-than-the-whole-width-of-a-terminal"


def models_list(service: Any, columns: int) -> list[str]:
    from dsrs_cli.main import app

    result = CliRunner().invoke(
        app, ["--url", service.url, "models", "list"], env={"COLUMNS": str(columns)}
    )
    assert result.exit_code == 0, result.stderr
    return result.stdout.splitlines()


def test_models_list_fits_80_columns(embedded_service: Any, demo_weights: bytes) -> None:
    from dsrs_client.sync_client import DsrsClient

    with DsrsClient(embedded_service.url) as dsrs:
        short = dsrs.upload_model(
            ("a.safetensors", demo_weights), architecture="digits-mlp", name="demo"
        )
        long = dsrs.upload_model(  # another mean: another model, not a rename of the first
            ("b.safetensors", demo_weights),
            architecture="digits-mlp",
            name=LONG_NAME,
            mean=[0.5],
            std=[0.5],
        )
    lines = models_list(embedded_service, 80)
    assert all(len(line) <= 80 for line in lines), "\n".join(lines)
    rows = {m.id: [line for line in lines if m.id[:8] in line] for m in (short, long)}
    assert all(len(found) == 1 for found in rows.values()), "\n".join(lines)
    assert "demo" in rows[short.id][0] and "digits-mlp" in rows[short.id][0]
    assert LONG_NAME[:6] in rows[long.id][0] and "…" in rows[long.id][0]
    assert any(LONG_NAME in line for line in models_list(embedded_service, 250))
