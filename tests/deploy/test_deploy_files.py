"""The files of `deploy/` say what the code understands: every setting they name exists, the
commands they run exist, the systemd unit and the NATS configuration are valid to their own
tools, and the proxy sends what every part of tocsin serves to the nodes that serve it."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from tocsin.api import compat, stream
from tocsin.api import edge as edge_app
from tocsin.api.app import create_app
from tocsin.config import Settings
from tocsin.web import pages

DEPLOY = Path(__file__).resolve().parents[2] / "deploy"
VARIABLE = re.compile(r"^(TOCSIN_[A-Z0-9_]+)=", re.MULTILINE)
UVICORN = {"FORWARDED_ALLOW_IPS"}  # read by uvicorn itself


def known(name: str) -> bool:
    return name in UVICORN or (
        name.startswith("TOCSIN_") and name[len("TOCSIN_") :].lower() in Settings.model_fields
    )


def compose() -> dict:
    return yaml.safe_load((DEPLOY / "compose.yaml").read_text())


@pytest.mark.parametrize("name", ["tocsin.env.example", "edge.env.example"])
def test_every_variable_of_the_environment_files_is_a_setting(name: str) -> None:
    text = (DEPLOY / name).read_text()
    names = VARIABLE.findall(text) + re.findall(r"^([A-Z_]+)=", text, re.MULTILINE)
    assert "TOCSIN_NATS_URL" in names and "FORWARDED_ALLOW_IPS" in names
    assert [n for n in names if not known(n)] == []
    if name.startswith("edge"):
        assert "TOCSIN_WRITER_URL" in names and "TOCSIN_DATABASE_URL" not in names


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


def test_the_compose_edges_are_edges_of_the_same_cluster() -> None:
    services = compose()["services"]
    writer = services["tocsin-1"]["environment"]
    edges = [s for name, s in services.items() if name.startswith("edge-")]
    assert len(edges) == 2
    for edge in edges:
        assert edge["command"] == ["tocsin", "serve", "--edge"]
        env = edge["environment"]
        assert [n for n in env if not known(n)] == []
        assert "TOCSIN_DATABASE_URL" not in env
        for same in ("TOCSIN_NATS_URL", "TOCSIN_CLUSTER", "TOCSIN_PUBLIC_URL"):
            assert env[same] == writer[same], same


def test_the_compose_proxy_knows_the_compose_nodes() -> None:
    text = (DEPLOY / "nginx" / "compose.conf").read_text()
    services = compose()["services"]
    writers = {name for name in services if name.startswith("tocsin-")}
    edges = {name for name in services if name.startswith("edge-")}
    assert set(re.findall(r"server (tocsin-\d):8000 max_fails", text)) == writers
    public = re.search(r"upstream tocsin_public \{(.*?)\}", text, re.S)
    assert public is not None
    assert set(re.findall(r"server (edge-\d):8000", public.group(1))) == edges
    assert set(re.findall(r"server (tocsin-\d):8000 backup", public.group(1))) == writers


def every_route(routes: list[Any]) -> Iterator[Any]:
    """The app's routes, those of the routers it includes too."""
    for route in routes:
        included = getattr(route, "original_router", None)
        yield from every_route(included.routes) if included is not None else [route]


def sample(path: str) -> str:
    """A request path for a route's template."""
    return re.sub(r"\{[^}]+\}", "x1", path)


@pytest.mark.parametrize("conf", ["tocsin.conf", "compose.conf"])
def test_the_proxy_sends_the_public_reads_to_the_edges_and_nothing_they_do_not_serve(
    conf: str,
) -> None:
    text = (DEPLOY / "nginx" / conf).read_text()
    pattern = re.search(r"location ~ (\S+) \{\s*proxy_pass http://tocsin_public;([^}]*)", text)
    assert pattern is not None
    # only reads go to the edges: any other method is handed to the writers
    assert "if ($request_method !~ ^(GET|HEAD|OPTIONS)$) { return 418; " in pattern.group(2)
    assert "error_page 418 = @writers;" in pattern.group(2)
    assert re.search(r"location @writers \{\s*proxy_pass http://tocsin;", text)
    public = re.compile(pattern.group(1))
    served = edge_app.SERVED | edge_app.PAGES | compat.EDGE_SERVED
    checked = reads = 0
    for route in every_route(create_app(Settings()).routes):
        path = getattr(route, "path", "")
        if not path or path.startswith(pages.STATIC_PREFIX) or path == stream.PATH + "/ws":
            continue
        if path == stream.PATH:
            continue  # its own location, below
        checked += 1
        to_edges = public.match(sample(path)) is not None
        if to_edges:
            assert path in served, f"{path} goes to the edges, which do not serve it"
            methods = getattr(route, "methods", {"GET"})
            if methods <= {"GET", "HEAD"}:
                reads += 1
    # the reads of the herd after a raise go to the edges (the writers answer the rest)
    herd = ["/", "/v1/alerts/active", "/v1/regions/states", "/v1/iot/states", "/cap/feed.atom"]
    for path in herd:
        assert public.match(path), path
    assert public.match(pages.STATIC_PREFIX + "/live.js")
    assert public.match("/compat/alerts-in-ua/v1/iot/active_air_raid_alerts_by_oblast.json")
    assert not public.match("/compat/alerts-in-ua/v1/regions/22/alerts/week_ago.json")
    assert checked > 40 and reads > 10  # the routes were found


@pytest.mark.parametrize("conf", ["tocsin.conf", "compose.conf"])
def test_the_proxy_streams_without_buffering(conf: str) -> None:
    text = (DEPLOY / "nginx" / conf).read_text()
    sse = re.search(r"location = (\S+) \{(.*?)\}", text, re.S)
    assert sse is not None and sse.group(1) == stream.PATH
    assert "proxy_buffering off;" in sse.group(2)
    ws = re.search(r"location = (\S+/ws) \{(.*?)\}", text, re.S)
    assert ws is not None and ws.group(1) == stream.PATH + "/ws"
    assert "proxy_set_header Upgrade $http_upgrade;" in ws.group(2)


@pytest.mark.parametrize(
    ("name", "expected"),
    [("tocsin@.service", ["db upgrade", "serve"]), ("tocsin-edge@.service", ["serve --edge"])],
)
def test_the_commands_the_units_run_exist(name: str, expected: list[str]) -> None:
    unit = (DEPLOY / "systemd" / name).read_text()
    commands = re.findall(r"^ExecStart(?:Pre)?=/opt/tocsin/bin/tocsin (.+)$", unit, re.MULTILINE)
    assert commands == expected
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
@pytest.mark.parametrize("name", ["tocsin@.service", "tocsin-edge@.service"])
def test_the_systemd_units_are_valid(tmp_path: Path, name: str) -> None:
    tocsin = shutil.which("tocsin") or sys.executable
    (tmp_path / "shared.env").write_text("")
    (tmp_path / "own.env").write_text("")
    unit = (
        (DEPLOY / "systemd" / name)
        .read_text()
        .replace("/opt/tocsin/bin/tocsin", tocsin)
        .replace("/etc/tocsin/tocsin.env", str(tmp_path / "shared.env"))
        .replace("/etc/tocsin/edge.env", str(tmp_path / "shared.env"))
        .replace("/etc/tocsin/%i.env", str(tmp_path / "own.env"))
        .replace("/etc/tocsin/edge-%i.env", str(tmp_path / "own.env"))
    )
    path = tmp_path / name.replace("@", "@1")
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
