"""What a tenant names things is printed as text: Rich markup as written, control characters
as visible escapes, in every table and line of ``jobs``, ``models`` and ``inputs`` (an
admin's terminal cannot be cleared, rung or crashed by a name)."""

from __future__ import annotations

import io

import numpy as np

from dsrs_cli.terminal_text import markup, plain

HOSTILE = "[bold red]x[/] \x1b[2J\x07"
#: How the hostile name reads once printed: the markup as written, the controls escaped.
SHOWN = "[bold red]x[/] \\x1b[2J\\x07"


def test_plain_escapes_controls_and_markup_escapes_rich() -> None:
    assert plain(HOSTILE) == SHOWN
    assert plain("tab\there\u202eand\x9b\ud800") == "tab\\there\\u202eand\\x9b\\ud800"
    assert plain("Zürich 東京 ✓") == "Zürich 東京 ✓"
    from rich.console import Console

    console = Console(file=io.StringIO(), width=200, color_system=None)
    console.print(markup(HOSTILE + "[/]"))  # an unbalanced close tag is text too
    assert console.file.getvalue().rstrip("\n") == SHOWN + "[/]"


def assert_safe(result, *expected: str) -> None:  # type: ignore[no-untyped-def]
    assert result.exit_code == 0, result.stderr
    for stream in (result.stdout, result.stderr):
        assert "\x1b" not in stream and "\x07" not in stream
    for text in expected:
        assert text in result.stdout, result.stdout


def test_hostile_names_print_as_text(embedded_service, demo_weights: bytes, run_cli) -> None:
    from dsrs_client.sync_client import DsrsClient

    buffer = io.BytesIO()
    np.save(buffer, np.zeros((2, 1, 8, 8), np.float32))
    with DsrsClient(embedded_service.url) as dsrs:
        model = dsrs.upload_model(
            ("m.safetensors", demo_weights), architecture="digits-mlp", name=HOSTILE
        )
        input_set = dsrs.upload_inputs(("x.npy", buffer.getvalue()), name=HOSTILE)
        job = dsrs.submit_job(
            {
                "model_id": model.id,
                "inputs": {"dataset": "digits", "stop": 1},
                "noise": {"sigma": 0.25},
                "n": 20,
                "n_selection": 10,
                "seed": 1,
                "name": HOSTILE,
                "tags": [HOSTILE],
            }
        )
    # `jobs list` fits 80 columns and cuts long names with "…": the markup still reads as text.
    assert_safe(run_cli(embedded_service, "jobs", "list"), SHOWN[:13])
    assert_safe(run_cli(embedded_service, "jobs", "list", "--tag", HOSTILE), SHOWN[:13])
    assert_safe(run_cli(embedded_service, "jobs", "show", job.id), f"({SHOWN})")
    assert_safe(run_cli(embedded_service, "models", "list"), SHOWN)
    assert_safe(run_cli(embedded_service, "models", "show", model.id), SHOWN)
    assert_safe(run_cli(embedded_service, "inputs", "list"), SHOWN)
    assert_safe(run_cli(embedded_service, "inputs", "show", input_set.id), SHOWN)
