"""The command line's surface: help everywhere, lazy imports, clear errors and exit codes,
job submission from options and files, listing, cancelling (embedded service)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
import typer

from dsrs_cli.main import app
from tests.support.processes import free_port


def all_command_paths() -> list[list[str]]:
    root = typer.main.get_command(app)
    paths: list[list[str]] = []

    def walk(command: object, path: list[str]) -> None:
        paths.append(path)
        if hasattr(command, "commands"):
            for name, sub in command.commands.items():  # type: ignore[attr-defined]
                walk(sub, [*path, name])

    walk(root, [])
    return paths


@pytest.mark.parametrize("path", all_command_paths(), ids=lambda p: " ".join(p) or "dsrs")
def test_every_command_has_help(run_cli, path: list[str]) -> None:
    result = run_cli(None, *path, "--help")
    assert result.exit_code == 0, result.stderr
    assert "Usage:" in result.stdout


def test_client_commands_are_registered() -> None:
    names = {" ".join(p) for p in all_command_paths()}
    for expected in (
        "models upload",
        "models list",
        "models show",
        "jobs submit",
        "jobs list",
        "jobs show",
        "jobs watch",
        "jobs cancel",
        "jobs results",
        "sweep",
        "export",
        "recertify",
        "plan",
        "certify-local",
        "convert",
    ):
        assert expected in names


def test_importing_the_cli_does_no_heavy_work() -> None:
    check = (
        "import sys, dsrs_cli.main\n"
        "heavy = sorted(m for m in ('torch', 'numpy', 'scipy', 'httpx', 'pydantic', 'fastapi', "
        "'sqlalchemy', 'matplotlib', 'dsrs_client.sync_client', 'dsrs_client.contract.schemas', "
        "'dsrs_models', 'dsrs_core') if m in sys.modules)\n"
        "assert not heavy, heavy\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", check], capture_output=True, text=True, timeout=60, check=False
    )
    assert result.returncode == 0, result.stderr


def test_connection_refused_is_a_friendly_error(run_cli) -> None:
    from typer.testing import CliRunner

    from dsrs_cli.main import app as dsrs_app

    url = f"http://127.0.0.1:{free_port()}"
    result = CliRunner().invoke(dsrs_app, ["--url", url, "models", "list"])
    assert result.exit_code == 1
    assert f"cannot reach the dsrs service at {url}" in result.stderr
    assert "Traceback" not in result.stderr + result.stdout


def test_http_errors_show_the_detail(embedded_service, run_cli) -> None:
    unknown = "f" * 32  # a full id goes to the service as it is
    missing = run_cli(embedded_service, "jobs", "show", unknown)
    assert missing.exit_code == 1
    assert "HTTP 404" in missing.stderr and unknown in missing.stderr
    refused = run_cli(
        embedded_service,
        "jobs",
        "submit",
        "--model",
        unknown,
        "--dataset",
        "digits",
        "--sigma",
        "0.25",
    )
    assert refused.exit_code == 1 and "HTTP 404" in refused.stderr
    # A shorter id is a prefix, resolved by the service among the caller's ids.
    prefix = run_cli(embedded_service, "jobs", "show", "no-such-job")
    assert prefix.exit_code == 1 and "no job id starts with 'no-such-job'" in prefix.stderr


def test_api_key_option_and_environment_reach_the_client(monkeypatch: pytest.MonkeyPatch) -> None:
    from typer.testing import CliRunner

    from dsrs_cli import connection

    seen = {}

    def fake_open(ctx):  # type: ignore[no-untyped-def]
        seen["options"] = connection.client_options(ctx)
        raise typer.Exit(0)

    monkeypatch.setattr(connection, "open_client", fake_open)
    monkeypatch.setattr("dsrs_cli.commands.models.open_client", fake_open)
    CliRunner().invoke(app, ["--api-key", "secret", "models", "list"])
    assert seen["options"].api_key == "secret"
    CliRunner().invoke(
        app, ["models", "list"], env={"DSRS_API_KEY": "from-env", "DSRS_URL": "http://example:1"}
    )
    assert seen["options"].api_key == "from-env" and seen["options"].url == "http://example:1"


def test_submit_validates_locally_before_sending(run_cli) -> None:
    result = run_cli(None, "jobs", "submit", "--model", "m", "--dataset", "digits")
    assert result.exit_code == 2
    assert "invalid job request: noise: Field required" in result.stderr
    both = run_cli(
        None,
        "jobs",
        "submit",
        "--model",
        "m",
        "--dataset",
        "digits",
        "--sigma",
        "1",
        "--q-threshold",
        "y",
    )
    assert both.exit_code == 2 and "x or x+" in both.stderr


def test_submit_from_a_file_with_overrides_then_list_show_cancel(
    embedded_service, embedded_model_id: str, run_cli, tmp_path: Path
) -> None:
    body = tmp_path / "job.yaml"
    body.write_text(
        f"model_id: {embedded_model_id}\ninputs: {{dataset: digits, stop: 2}}\n"
        "noise: {family: gaussian, sigma: 0.5}\nn: 100\nn_selection: 10\nseed: 4\n"
    )
    submitted = run_cli(
        embedded_service,
        "jobs",
        "submit",
        "-f",
        str(body),
        "--sigma",
        "0.25",
        "--watch",
        json_output=True,
    )
    assert submitted.exit_code == 0, submitted.stderr
    job = json.loads(submitted.stdout)
    assert job["status"] == "succeeded"
    assert job["parameters"]["noise"]["sigma"] == 0.25 and job["parameters"]["n"] == 100
    listed = run_cli(embedded_service, "jobs", "list", "--status", "succeeded", json_output=True)
    assert job["id"] in [j["id"] for j in json.loads(listed.stdout)]
    table = run_cli(embedded_service, "jobs", "list")
    assert job["id"][:8] in table.stdout  # issue 21: short ids keep the table in 80 columns
    shown = run_cli(embedded_service, "jobs", "show", job["id"])
    assert "status     succeeded" in shown.stdout
    cancelled = run_cli(embedded_service, "jobs", "cancel", job["id"])
    assert cancelled.exit_code == 1
    assert "HTTP 409" in cancelled.stderr and "already succeeded" in cancelled.stderr
    model = run_cli(embedded_service, "models", "show", embedded_model_id, json_output=True)
    assert json.loads(model.stdout)["architecture"] == "digits-mlp"


def test_submit_watch_ends_like_jobs_watch_with_the_summary_table(
    embedded_service, embedded_model_id: str, run_cli
) -> None:
    arguments = ["--model-id", embedded_model_id, "--dataset", "digits", "--stop", "2"]
    submitted = run_cli(
        embedded_service, "jobs", "submit", *arguments, "--n", "100", "--sigma", "0.25", "--watch"
    )
    assert submitted.exit_code == 0, submitted.stderr
    job_id = submitted.stdout.split()[0]
    assert f"{job_id} succeeded" in submitted.stdout
    watched = run_cli(embedded_service, "jobs", "watch", job_id)
    assert "Certified accuracy" in submitted.stdout and "ACR" in submitted.stdout
    assert submitted.stdout.split("succeeded", 1)[1] == watched.stdout.split("succeeded", 1)[1]


def test_watch_exits_non_zero_for_a_cancelled_job(
    embedded_service, embedded_model_id: str, run_cli
) -> None:
    from dsrs_client.sync_client import DsrsClient

    with DsrsClient(embedded_service.url) as dsrs:
        job = dsrs.submit_job(
            {
                "model_id": embedded_model_id,
                "inputs": {"dataset": "digits", "stop": 300},
                "noise": {"sigma": 0.25},
                "n": 2000,
                "seed": 1,
            }
        )
        assert dsrs.cancel_job(job.id).status == "cancelled"
    cancelled_again = run_cli(embedded_service, "jobs", "cancel", job.id, json_output=True)
    assert cancelled_again.exit_code == 1 and "already cancelled" in cancelled_again.stderr
    watched = run_cli(embedded_service, "jobs", "watch", job.id, "--timeout", "30")
    assert watched.exit_code == 1
    assert f"{job.id} cancelled" in watched.stdout


def test_sweep_stops_at_a_refused_configuration_and_names_the_submitted_jobs(
    embedded_service, embedded_model_id: str, run_cli, tmp_path: Path
) -> None:
    sweep = tmp_path / "grid.json"
    sweep.write_text(
        json.dumps(
            {
                "base": {"dataset": "digits", "stop": 1, "sigma": 0.25, "n": 50, "n_selection": 10},
                "grid": {"model": [embedded_model_id, "no-such-model"]},
            }
        )
    )
    result = run_cli(embedded_service, "sweep", str(sweep), "--plot", str(tmp_path / "p.png"))
    assert result.exit_code == 1
    assert "configuration model=no-such-" in result.stderr and "HTTP 404" in result.stderr
    assert "1 job(s) were submitted before it" in result.stderr
    assert not (tmp_path / "p.png").exists()
