"""The ``dsrs`` command line. Commands live in their own modules and are registered here;
nothing heavy is imported until a command runs."""

from __future__ import annotations

import typer

# The command modules import nothing heavy at import (each imports what it needs when it runs).
from dsrs_cli.commands import (
    certify_local,
    compare,
    convert,
    export,
    inputs,
    jobs,
    models,
    plan,
    recertify,
    reproduce,
    service,
    sweep,
)
from dsrs_cli.help_text import unwrap_help

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


# Every command, registered here and nowhere else.
app.command("compare")(compare.compare)
app.command("convert")(convert.convert)
app.command("export")(export.export)
app.add_typer(inputs.inputs_app, name="inputs")
app.add_typer(jobs.jobs_app, name="jobs")
app.command("certify-local")(certify_local.certify_local)
app.add_typer(models.models_app, name="models")
app.command("plan")(plan.plan)
app.command("recertify")(recertify.recertify)
app.command("reproduce")(reproduce.reproduce)
app.command("serve")(service.serve)
app.command("migrate")(service.migrate)
app.command("worker")(service.worker_command)
app.command("demo")(service.demo)
app.command("sweep")(sweep.sweep)

unwrap_help(app)
