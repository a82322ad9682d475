"""compose.yaml and the Dockerfile, checked without Docker: every command a service of
ours runs is a command of `assay` with options it has, every ASSAY_ variable they set is a
setting, and the image's build copies what the package is built from."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
import yaml
from typer.testing import CliRunner

from app.cli import cli
from app.config import Settings

REPO = Path(__file__).resolve().parents[2]


def _compose() -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load((REPO / "compose.yaml").read_text())
    return loaded


def _dockerfile() -> str:
    return (REPO / "Dockerfile").read_text()


def _image_command() -> list[str]:
    [cmd] = re.findall(r"^CMD (\[.*\])$", _dockerfile(), re.M)
    command: list[str] = json.loads(cmd)
    return command


def _ours() -> dict[str, dict[str, Any]]:
    """The services built from this repository (the others run upstream images)."""
    return {name: s for name, s in _compose()["services"].items() if s.get("build") == "."}


def _known_command(argv: list[str]) -> bool:
    """Whether `assay` has this command with these options (each command parses its
    arguments before --help is acted on, so an unknown option fails)."""
    assert argv[0] == "assay", argv
    result = CliRunner().invoke(cli, [*argv[1:], "--help"])
    return result.exit_code == 0


def test_every_command_of_our_services_is_an_assay_command() -> None:
    services = _ours()
    assert {"api-1", "api-2", "worker", "worker-interactive"} <= set(services)
    for name, service in services.items():
        argv = service.get("command", _image_command())
        assert _known_command(argv), f"{name}: {argv}"


def test_the_command_check_catches_a_wrong_command() -> None:
    assert _known_command(["assay", "worker", "--queues", "interactive"])
    assert not _known_command(["assay", "workers"])
    assert not _known_command(["assay", "worker", "--no-such-option", "1"])


def _setting(variable: str) -> bool:
    return variable.startswith("ASSAY_") and variable[6:].lower() in Settings.model_fields


def test_every_variable_our_services_and_the_image_set_is_a_setting() -> None:
    for name, service in _ours().items():
        for variable in service.get("environment", {}):
            assert _setting(variable), f"{name}: {variable} is not a setting"
    image_env = re.search(r"^ENV (.*?)(?=^\S)", _dockerfile(), re.M | re.S)
    assert image_env is not None
    variables = re.findall(r"(\w+)=", image_env.group(1))
    assert variables and all(_setting(v) for v in variables), variables


@pytest.mark.parametrize("variable", ["ASSAY_DATABASE_URL", "ASSAY_JOB_ENGINE"])
def test_the_setting_check_knows_settings(variable: str) -> None:
    assert _setting(variable) and not _setting(variable.replace("ASSAY_", "ASAY_"))


def test_every_service_a_service_waits_for_exists() -> None:
    services = _compose()["services"]
    for name, service in services.items():
        for dependency in service.get("depends_on", {}):
            assert dependency in services, f"{name} waits for unknown {dependency}"


def test_the_proxy_starts_once_every_replica_answers() -> None:
    """Started with a replica still starting, the proxy sends it requests it cannot take
    (502: tests/deploy/test_topology.py ran into it)."""
    proxy = _compose()["services"]["proxy"]
    command = proxy["command"]
    replicas = {command[i + 1].split(":")[0] for i, a in enumerate(command) if a == "--to"}
    assert replicas == {"api-1", "api-2"}
    for replica in replicas:
        assert proxy["depends_on"][replica] == {"condition": "service_healthy"}, replica


def test_the_public_address_has_no_default_production_refuses() -> None:
    """The image runs in production, which refuses an http or loopback public address:
    compose must ask for one rather than default to its own (it did: http://127.0.0.1:8080)."""
    for name, service in _ours().items():
        value = service["environment"]["ASSAY_PUBLIC_BASE_URL"]
        assert re.fullmatch(r"\$\{ASSAY_PUBLIC_BASE_URL:\?[^}]+\}", value), (name, value)


def test_the_image_build_copies_what_the_package_is_built_from() -> None:
    build_stage = re.split(r"^FROM ", _dockerfile(), flags=re.M)[1]
    assert build_stage.split()[2] == "build"  # FROM <image> AS build
    copied = {
        source
        for line in re.findall(r"^COPY (.*)$", build_stage, re.M)
        for source in line.split()[:-1]
        if not source.startswith("--")
    }
    assert {"pyproject.toml", "setup.py", "README.md", "app", "migrations"} <= copied
