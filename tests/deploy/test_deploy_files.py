"""The files of `deploy/` say what the code understands: every setting they name exists, the
commands they run exist, the systemd unit and the NATS configuration are valid to their own
tools, and the proxy sends what every part of tocsin serves to the nodes that serve it."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from tocsin.api import stream
from tocsin.config import Settings

DEPLOY = Path(__file__).resolve().parents[2] / "deploy"
VARIABLE = re.compile(r"^(TOCSIN_[A-Z0-9_]+)=", re.MULTILINE)
UVICORN = {"FORWARDED_ALLOW_IPS"}  # read by uvicorn itself


def known(name: str) -> bool:
    return name in UVICORN or (
        name.startswith("TOCSIN_") and name[len("TOCSIN_") :].lower() in Settings.model_fields
    )


def compose() -> dict:
    return yaml.safe_load((DEPLOY / "compose.yaml").read_text())


def test_every_variable_of_the_environment_file_is_a_setting() -> None:
    text = (DEPLOY / "tocsin.env.example").read_text()
    names = VARIABLE.findall(text) + re.findall(r"^([A-Z_]+)=", text, re.MULTILINE)
    assert "TOCSIN_NATS_URL" in names and "FORWARDED_ALLOW_IPS" in names
    assert [n for n in names if not known(n)] == []


def test_every_variable_of_the_compose_file_is_a_setting() -> None:
    services = compose()["services"]
    nodes = [s for name, s in services.items() if name.startswith("tocsin-")]
    assert len(nodes) == 2
    names = {name for node in nodes for name in node["environment"]}
    assert [n for n in names if not known(n)] == []
    assert {node["environment"]["TOCSIN_NODE_NAME"] for node in nodes} == {"tocsin-1", "tocsin-2"}
    # every NATS server named to the nodes is a service, routed to the other two
    urls = nodes[0]["environment"]["TOCSIN_NATS_URL"].split(",")
    servers = {url.removeprefix("nats://").split(":")[0] for url in urls}
    assert servers == {name for name in services if name.startswith("nats-")}
    for name in servers:
        routes = services[name]["command"][services[name]["command"].index("--routes") + 1]
        assert {r.removeprefix("nats://").split(":")[0] for r in routes.split(",")} == (
            servers - {name}
        )


def test_the_compose_proxy_knows_the_compose_nodes() -> None:
    text = (DEPLOY / "nginx" / "compose.conf").read_text()
    upstream = set(re.findall(r"server (tocsin-\d):8000", text))
    assert upstream == {name for name in compose()["services"] if name.startswith("tocsin-")}


@pytest.mark.parametrize("conf", ["tocsin.conf", "compose.conf"])
def test_the_proxy_streams_without_buffering(conf: str) -> None:
    text = (DEPLOY / "nginx" / conf).read_text()
    sse = re.search(r"location = (\S+) \{(.*?)\}", text, re.S)
    assert sse is not None and sse.group(1) == stream.PATH
    assert "proxy_buffering off;" in sse.group(2)
    ws = re.search(r"location = (\S+/ws) \{(.*?)\}", text, re.S)
    assert ws is not None and ws.group(1) == stream.PATH + "/ws"
    assert "proxy_set_header Upgrade $http_upgrade;" in ws.group(2)


def test_the_commands_the_unit_runs_exist() -> None:
    unit = (DEPLOY / "systemd" / "tocsin@.service").read_text()
    commands = re.findall(r"^ExecStart(?:Pre)?=/opt/tocsin/bin/tocsin (.+)$", unit, re.MULTILINE)
    assert commands == ["db upgrade", "serve"]
    for command in commands:
        done = subprocess.run(
            [
                sys.executable,
                "-c",
                "from tocsin.cli import main; main()",
                *command.split(),
                "--help",
            ],
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert done.returncode == 0, done.stderr


@pytest.mark.skipif(shutil.which("systemd-analyze") is None, reason="no systemd-analyze")
def test_the_systemd_unit_is_valid(tmp_path: Path) -> None:
    tocsin = shutil.which("tocsin") or sys.executable
    (tmp_path / "shared.env").write_text("")
    (tmp_path / "own.env").write_text("")
    unit = (
        (DEPLOY / "systemd" / "tocsin@.service")
        .read_text()
        .replace("/opt/tocsin/bin/tocsin", tocsin)
        .replace("/etc/tocsin/tocsin.env", str(tmp_path / "shared.env"))
        .replace("/etc/tocsin/%i.env", str(tmp_path / "own.env"))
    )
    path = tmp_path / "tocsin@1.service"
    path.write_text(unit)
    done = subprocess.run(
        ["systemd-analyze", "verify", "--man=no", str(path)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0 and "Unknown" not in done.stderr, done.stderr


@pytest.mark.skipif(shutil.which("nats-server") is None, reason="no nats-server")
def test_the_nats_configuration_is_valid() -> None:
    done = subprocess.run(
        ["nats-server", "-t", "-c", str(DEPLOY / "nats" / "nats-1.conf")],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stdout + done.stderr
