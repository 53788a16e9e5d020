"""deploy/: the compose stack and the container image, checked without a Docker engine
(none exists here): the compose file against the Compose specification's schema,
every file it mounts present, sitload's own config valid, the image non-root."""

from __future__ import annotations

import json
import os
import re
import sys
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml

from collector.config import load_settings

DEPLOY = Path(__file__).resolve().parents[2] / "deploy"
COMPOSE = DEPLOY / "compose" / "compose.yaml"
SCHEMA = Path(sys.prefix) / "share" / "compose-spec" / "compose_spec.json"


def compose() -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load(COMPOSE.read_text())
    return data


def test_the_compose_file_follows_the_compose_specification() -> None:
    if not SCHEMA.is_file():
        if os.environ.get("SITLOAD_REQUIRE_SERVERS") == "1":
            pytest.fail(f"{SCHEMA} is missing: .ci/run downloads it")
        pytest.skip(f"{SCHEMA} is missing: run .ci/run once")
    schema = json.loads(SCHEMA.read_text())
    jsonschema.Draft201909Validator(schema).validate(compose())


def test_the_stack_has_its_services_and_every_mounted_file() -> None:
    services = compose()["services"]
    assert set(services) == {"mosquitto", "influxdb", "grafana", "sitload"}
    for name, service in services.items():
        for volume in service.get("volumes", []):
            source = volume.split(":")[0]
            if source.startswith("."):
                assert (COMPOSE.parent / source).exists(), f"{name}: {source} is missing"
    assert services["sitload"]["build"]["dockerfile"] == "deploy/Dockerfile"
    assert (COMPOSE.parent / services["sitload"]["build"]["context"] / "pyproject.toml").exists()


def test_the_broker_refuses_anonymous_clients_and_applies_the_acl() -> None:
    conf = (DEPLOY / "compose" / "mosquitto.conf").read_text()
    assert re.search(r"^allow_anonymous false$", conf, re.M)
    assert re.search(r"^acl_file /mosquitto/config/acl$", conf, re.M)
    assert "pattern readwrite sitload/%u/#" in (DEPLOY / "mosquitto" / "acl").read_text()


def test_sitloads_config_in_the_stack_is_valid() -> None:
    settings = load_settings(
        DEPLOY / "compose" / "sitload.toml", environ={"SITLOAD_MQTT_PASSWORD": "pw"}
    )
    assert settings.user_id == "p17"
    assert settings.mqtt is not None
    env = (DEPLOY / "compose" / "sitload.env.example").read_text()
    for var in re.findall(r"\$\{(\w+):\?", COMPOSE.read_text()):
        assert f"{var}=" in env, f"{var} is not in sitload.env.example"


def test_the_image_runs_as_an_unprivileged_user() -> None:
    lines = (DEPLOY / "Dockerfile").read_text().splitlines()
    stages = [line for line in lines if line.startswith("FROM ")]
    assert len(stages) == 2, "a build stage and a run stage"
    users = [line.split()[1] for line in lines if line.startswith("USER ")]
    assert users == ["sitload"]
    assert lines.index(f"USER {users[0]}") > max(
        i for i, line in enumerate(lines) if line.startswith(("RUN ", "COPY "))
    )
