"""docker-compose.yml and the Dockerfile against the code: commands name real ``dsrs``
commands and options, environment variables are settings fields with valid values, and the
image contains every package and the migrations."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path
from typing import Any

import pytest
import typer
import yaml

from dsrs_cli.main import app
from dsrs_settings import Settings

ROOT = Path(__file__).resolve().parent.parent
COMPOSE = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
SERVICES: dict[str, Any] = COMPOSE["services"]
DOCKERFILE = (ROOT / "Dockerfile").read_text()
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())
CLIENT_PYPROJECT = tomllib.loads((ROOT / "client" / "pyproject.toml").read_text())
IMAGE_SERVICES = [name for name, spec in SERVICES.items() if spec.get("build")]


def dsrs_commands() -> dict[str, Any]:
    return dict(typer.main.get_command(app).commands)  # type: ignore[attr-defined]


def check_command_line(argv: list[str]) -> None:
    commands = dsrs_commands()
    assert argv[0] in commands, f"{argv[0]!r} is not a dsrs command ({sorted(commands)})"
    options = {o for p in commands[argv[0]].params for o in p.opts}
    for word in argv[1:]:
        if word.startswith("--"):
            assert word.split("=")[0] in options, f"dsrs {argv[0]} has no option {word}"


def test_compose_has_the_stack() -> None:
    assert {"postgres", "redis", "migrate", "api", "worker"} <= set(SERVICES)
    assert "healthcheck" in SERVICES["postgres"]
    assert SERVICES["migrate"]["depends_on"]["postgres"]["condition"] == "service_healthy"
    for name in ("api", "worker"):
        assert SERVICES[name]["depends_on"]["migrate"]["condition"] == (
            "service_completed_successfully"
        )


def test_worker_reserves_a_gpu() -> None:
    devices = SERVICES["worker"]["deploy"]["resources"]["reservations"]["devices"]
    assert any("gpu" in device["capabilities"] for device in devices)


@pytest.mark.parametrize("service", IMAGE_SERVICES)
def test_service_commands_are_real_entry_points(service: str) -> None:
    check_command_line(SERVICES[service]["command"])


def test_roles() -> None:
    assert SERVICES["migrate"]["command"][0] == "migrate"
    assert SERVICES["api"]["command"][0] == "serve"
    assert SERVICES["worker"]["command"][0] == "worker"


def interpolated(value: str) -> str:
    """Compose's ``${NAME:?message}`` / ``${NAME:-default}`` with a stand-in value."""
    return re.sub(r"\$\{[A-Z_]+:[?-][^}]*\}", "x" * 43, str(value))


def service_settings(service: str) -> Settings:
    values = {}
    for name, value in SERVICES[service]["environment"].items():
        assert name.startswith("DSRS_"), name
        field = name.removeprefix("DSRS_").lower()
        assert field in Settings.model_fields, f"{name} is not a settings field"
        values[field] = interpolated(value)
    assert {"database_url", "broker_url", "storage_dir"} <= set(values)
    return Settings(**values)  # the values validate


@pytest.mark.parametrize("service", IMAGE_SERVICES)
def test_environment_matches_settings(service: str) -> None:
    service_settings(service)


def test_api_has_an_admin_key_when_keys_are_required() -> None:
    settings = service_settings("api")
    assert not settings.auth_required or settings.admin_api_key is not None
    assert "${DSRS_ADMIN_API_KEY:?" in SERVICES["api"]["environment"]["DSRS_ADMIN_API_KEY"]


def test_dockerfile_runs_the_dsrs_entry_point() -> None:
    assert PYPROJECT["project"]["scripts"]["dsrs"] == "dsrs_cli.main:app"
    entrypoint = re.search(r"^ENTRYPOINT (\[.*\])$", DOCKERFILE, re.MULTILINE)
    command = re.search(r"^CMD (\[.*\])$", DOCKERFILE, re.MULTILINE)
    assert entrypoint and command
    assert yaml.safe_load(entrypoint.group(1)) == ["dsrs"]
    check_command_line(yaml.safe_load(command.group(1)))


def test_dockerfile_copies_every_package_and_the_migrations() -> None:
    copied = set(re.findall(r"^COPY (\S+)", DOCKERFILE, re.MULTILINE))
    for path in copied:
        assert (ROOT / path).exists(), f"COPY {path}: no such path"
    setuptools = PYPROJECT["tool"]["setuptools"]
    top_level = [p for p in setuptools["packages"] if "." not in p]
    directories = [setuptools["package-dir"].get(p, p) for p in top_level]
    directories.append("client")  # the dsrs-client distribution, client/pyproject.toml
    for directory in directories:
        assert (ROOT / directory).is_dir(), f"package directory {directory}/ is missing"
        assert f"{directory}/" in copied, f"the image lacks {directory}/"
    assert {"alembic/", "alembic.ini", "pyproject.toml"} <= copied


def test_every_sub_package_is_listed_and_every_listed_package_exists() -> None:
    """setuptools installs only the packages listed: a sub-package missing from the list
    would be left out of the wheel and the image."""
    setuptools = PYPROJECT["tool"]["setuptools"]
    listed = set(setuptools["packages"])
    for package in listed:
        top, *rest = package.split(".")
        directory = ROOT / setuptools["package-dir"].get(top, top) / "/".join(rest)
        assert (directory / "__init__.py").is_file(), f"{package}: no {directory}/__init__.py"
    for top in [p for p in listed if "." not in p]:
        root = ROOT / setuptools["package-dir"].get(top, top)
        for init in root.rglob("__init__.py"):
            parts = init.parent.relative_to(root).parts
            if "__pycache__" in parts or "static" in parts:
                continue
            assert ".".join((top, *parts)) in listed, f"{init.parent} is not in the packages list"


def test_the_image_installs_the_client_distribution_the_service_depends_on() -> None:
    name, version = CLIENT_PYPROJECT["project"]["name"], CLIENT_PYPROJECT["project"]["version"]
    pinned = [
        r for r in PYPROJECT["project"]["dependencies"] if r.startswith((f"{name}[", f"{name}=="))
    ]
    assert len(pinned) == 1 and pinned[0].endswith(f"=={version}"), pinned
    assert set(CLIENT_PYPROJECT["project"]["dependencies"]) == {"httpx>=0.27", "pydantic>=2.6"}
    install = re.search(r"^RUN pip install (.+)$", DOCKERFILE, re.MULTILINE)
    # the proof extra: the API accepts check "proven" only where python-flint is installed,
    # and the API and the workers run from this one image
    assert install and install.group(1).split() == ["./client", '".[proof]"']
    assert "python-flint" in " ".join(PYPROJECT["project"]["optional-dependencies"]["proof"])
    assert "dsrs_client" not in PYPROJECT["tool"]["setuptools"]["packages"]
