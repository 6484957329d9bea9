"""The ``dsrs`` command line. Commands live in their own modules and are registered here;
nothing heavy is imported until a command runs."""

from __future__ import annotations

import typer

app = typer.Typer(
    name="dsrs",
    help="Certify L2 robustness with Double Sampling Randomized Smoothing (DSRS) and the "
    "Neyman-Pearson certificate.",
    no_args_is_help=True,
    add_completion=False,
)


@app.callback()
def main(
    ctx: typer.Context,
    url: str = typer.Option(
        "http://127.0.0.1:8000", envvar="DSRS_URL", help="Base URL of the dsrs service."
    ),
    api_key: str | None = typer.Option(
        None, envvar="DSRS_API_KEY", help="Sent as the X-API-Key header when set."
    ),
    json_output: bool = typer.Option(False, "--json", help="Print JSON instead of tables."),
) -> None:
    """dsrs: certification service, command line and client."""
    from dsrs_cli.connection import ClientOptions

    ctx.obj = ClientOptions(url=url, api_key=api_key or None, json_output=json_output)


# Every command, registered here and nowhere else. The command modules import nothing
# heavy at import (each command imports what it needs when it runs).
from dsrs_cli import (
    compare_command,
    convert_command,
    export_command,
    input_commands,
    job_commands,
    local_commands,
    model_commands,
    plan_command,
    recertify_command,
    reproduce_command,
    service_commands,
    sweep_command,
)

app.command("compare")(compare_command.compare)
app.command("convert")(convert_command.convert)
app.command("export")(export_command.export)
app.add_typer(input_commands.inputs_app, name="inputs")
app.add_typer(job_commands.jobs_app, name="jobs")
app.command("certify-local")(local_commands.certify_local)
app.add_typer(model_commands.models_app, name="models")
app.command("plan")(plan_command.plan)
app.command("recertify")(recertify_command.recertify)
app.command("reproduce")(reproduce_command.reproduce)
app.command("serve")(service_commands.serve)
app.command("migrate")(service_commands.migrate)
app.command("worker")(service_commands.worker_command)
app.command("demo")(service_commands.demo)
app.command("sweep")(sweep_command.sweep)

from dsrs_cli.help_text import unwrap_help

unwrap_help(app)
