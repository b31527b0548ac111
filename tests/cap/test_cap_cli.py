"""`tocsin cap`: validate files, import locally and through a server, render, verify."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from cap_support import cap_index, info, make_keys, message, ref_of, shared, xsd_errors
from typer.testing import CliRunner

from conftest import running_app
from tocsin.api import cap
from tocsin.api.app import create_app
from tocsin.cap.parse import parse
from tocsin.cap.sign import Signer
from tocsin.cli import app as main_app
from tocsin.cli.cap import app
from tocsin.config import Settings

runner = CliRunner()


def cap_cli(database_url: str | None, *args: str, code: int = 0) -> str:
    env = {"TOCSIN_DATABASE_URL": database_url} if database_url else {}
    result = runner.invoke(app, list(args), env=env)
    output = result.stdout + result.stderr
    assert result.exit_code == code, output
    return result.stdout if code == 0 else output  # stderr names the database


def fresh(identifier: str = "UA-KH-0001", **kwargs: Any) -> bytes:
    """A message sent now (the CLI runs on the system clock)."""
    now = datetime.now(UTC).replace(microsecond=0)
    kwargs.setdefault("infos", [info(expires=now + timedelta(hours=2))])
    return message(identifier, sent=now, **kwargs)


def write(folder: Path, name: str, data: bytes) -> str:
    path = folder / name
    path.write_bytes(data)
    return str(path)


def test_validate_reports_per_file(tmp_path: Path) -> None:
    good = write(tmp_path, "good.xml", message())
    bad = write(tmp_path, "bad.xml", message(identifier="two words"))
    hostile = write(
        tmp_path, "xxe.xml", b'<!DOCTYPE a [<!ENTITY x SYSTEM "file:///etc/passwd">]><alert/>'
    )
    out = cap_cli(None, "validate", good)
    assert "valid" in out and "invalid" not in out
    out = cap_cli(None, "validate", good, bad, hostile, code=1)
    lines = out.splitlines()
    assert any(line.startswith("valid") and line.endswith("good.xml") for line in lines)
    assert "identifier: must not contain spaces" in out
    assert "DOCTYPE" in out
    assert "2 of 3 invalid" in out
    enum = write(tmp_path, "enum.xml", message().replace(b"Immediate", b"Soon"))
    assert "[facet 'enumeration']" in cap_cli(None, "validate", enum, code=1)


@pytest.mark.shared_data
def test_validate_the_shared_messages_as_the_index_says() -> None:
    rows = cap_index()
    folder = shared("cap")
    for row in rows:
        path = str(folder / row["file"])
        expected_valid = row["xsd_valid"] == "True" and row["cap_version"] in ("1.1", "1.2")
        if row["file"].endswith("canada_errors.cap"):
            expected_valid = False  # XSD-valid, but an Update with empty references
        cap_cli(None, "validate", path, code=0 if expected_valid else 1)


def test_import_locally_then_replay(database_url: str, tmp_path: Path) -> None:
    data = fresh()
    path = write(tmp_path, "alert.xml", data)
    out = cap_cli(database_url, "import", path)
    assert out.startswith("raised: alert ") and "UA-63" in out
    replay = json.loads(cap_cli(database_url, "import", path, "--json"))
    assert replay["action"] == "replayed"
    cancel = write(
        tmp_path,
        "cancel.xml",
        fresh("UA-KH-9", msg_type="Cancel", infos=[], references=[ref_of(data)]),
    )
    assert cap_cli(database_url, "import", cancel).startswith("cancelled: alert ")


def test_import_errors_name_the_element(database_url: str, tmp_path: Path) -> None:
    path = write(tmp_path, "weather.xml", fresh().replace(b"<scope>Public</scope>", b""))
    out = cap_cli(database_url, "import", path, code=2)
    assert "info: This element is not expected" in out and "scope" in out


def test_render_prints_the_latest_or_a_given_message(database_url: str) -> None:
    result = runner.invoke(
        main_app,
        ["alert", "raise", "--threat", "uav", "-r", "UA-30", "--json"],
        env={"TOCSIN_DATABASE_URL": database_url},
    )
    assert result.exit_code == 0, result.stdout + result.stderr
    alert_id = json.loads(result.stdout)["id"]
    runner.invoke(main_app, ["alert", "end", alert_id], env={"TOCSIN_DATABASE_URL": database_url})
    latest = cap_cli(database_url, "render", alert_id).encode()
    assert xsd_errors(latest) == []
    assert b"<responseType>AllClear</responseType>" in latest
    first = cap_cli(database_url, "render", alert_id, "--version", "1").encode()
    assert b"<msgType>Alert</msgType>" in first
    assert "no CAP message" in cap_cli(database_url, "render", alert_id, "--version", "9", code=1)


def test_verify(tmp_path: Path) -> None:
    keys = make_keys(tmp_path / "keys")
    signed = Signer(str(keys.key), str(keys.cert)).sign(parse(message()))
    path = write(tmp_path, "signed.xml", signed)
    out = cap_cli(None, "verify", path, "--cert", str(keys.cert))
    assert "signature valid: signed by CN=tocsin test" in out
    assert "give --cert" in cap_cli(None, "verify", path)
    tampered = write(tmp_path, "tampered.xml", signed.replace(b"Kharkiv", b"Kyiv"))
    out = cap_cli(None, "verify", tampered, "--cert", str(keys.cert), code=2)
    assert "does not verify" in out
    unsigned = write(tmp_path, "unsigned.xml", message())
    assert "no ds:Signature" in cap_cli(None, "verify", unsigned, code=2)


@pytest.fixture
def cap_server(database_url: str) -> Iterator[str]:
    """A real server with the CAP routes, on a free loopback port."""
    server_app = create_app(Settings(database_url=database_url))
    server_app.include_router(cap.router)
    with running_app(server_app) as port:
        yield f"http://127.0.0.1:{port}"


def test_import_through_a_server(database_url: str, cap_server: str, tmp_path: Path) -> None:
    result = runner.invoke(
        main_app,
        ["token", "create", "--role", "automation", "--region", "UA-63"],
        env={"TOCSIN_DATABASE_URL": database_url},
    )
    secret = result.stdout.strip().splitlines()[-1]
    path = write(tmp_path, "alert.xml", fresh())
    remote = ["--server", cap_server, "--token", secret]
    raised = json.loads(cap_cli(None, "import", path, *remote, "--json"))
    assert raised["action"] == "raised"
    assert raised["alert"]["regions"][0]["code"] == "UA-63"
    elsewhere = write(tmp_path, "kyiv.xml", fresh("K-1").replace(b"UA-63", b"UA-30"))
    out = cap_cli(None, "import", elsewhere, *remote, code=1)
    assert "may alert only UA-63" in out
    assert "--token" in cap_cli(None, "import", path, "--server", cap_server, code=2)
