"""`tocsin cap`: import, validate, render and verify CAP 1.2 messages."""

from __future__ import annotations

import getpass
from pathlib import Path
from typing import Annotated, Any

import httpx
import orjson
import typer
from rich.markup import escape

from tocsin.bootstrap import Tocsin
from tocsin.cap import CAP_MEDIA_TYPE
from tocsin.cap.errors import CapTooLarge
from tocsin.cap.parse import MAX_BYTES
from tocsin.cap.render import CapConfig
from tocsin.cap.sign import verify as verify_signature
from tocsin.cap.validate import problems
from tocsin.cli.client import ERRORS
from tocsin.cli.common import (
    console,
    current_settings,
    errors,
    handle_errors,
    run,
    using,
    with_tocsin,
)
from tocsin.domain.auth import Actor, Role
from tocsin.errors import InvalidInput, TocsinError, Unavailable

app = typer.Typer(
    help="CAP 1.2: import, validate, render and verify messages.", no_args_is_help=True
)

Server = Annotated[
    str | None,
    typer.Option(envvar="TOCSIN_SERVER", help="a running server, e.g. http://127.0.0.1:8000"),
]
Token = Annotated[str | None, typer.Option(envvar="TOCSIN_TOKEN", help="API token for --server")]
Json = Annotated[bool, typer.Option("--json", help="print JSON")]
File = Annotated[
    Path, typer.Argument(exists=True, dir_okay=False, readable=True, help="a CAP message")
]


@app.command("import")
@handle_errors
def import_(
    file: File,
    server: Server = None,
    token: Token = None,
    json: Json = False,
) -> None:
    """Import a CAP 1.2 (or 1.1) message from another authority as an alert."""
    data = _read(file)
    if server:
        result = run(_post(server, token, data))
    else:
        settings = current_settings()
        result = with_tocsin(settings, lambda t: _import_locally(t, data))
    if json:
        console.print_json(orjson.dumps(result).decode())
        return
    alert = result["alert"]
    console.print(
        f"{result['action']}: alert {alert['id']} ({alert['status']}, "
        f"{alert['phase']}, {alert['threat']['id']}) "
        f"for {', '.join(r['code'] for r in alert['regions'])}"
    )


async def _import_locally(tocsin: Tocsin, data: bytes) -> dict[str, Any]:
    actor = Actor(name=f"cli:{_user()}", role=Role.ADMIN)
    result = await tocsin.cap_import.import_message(data, actor)
    alert = result.alert.to_json()
    alert["threat"] = {"id": result.alert.threat}
    alert["regions"] = [{"code": code} for code in result.alert.regions]
    return {"action": result.action, "alert": alert}


async def _post(server: str, token: str | None, data: bytes) -> dict[str, Any]:
    if not token:
        raise InvalidInput("--server needs --token (or TOCSIN_TOKEN)", field="token")
    using(f"server {server}")
    headers = {"Authorization": f"Bearer {token}", "Content-Type": CAP_MEDIA_TYPE}
    try:
        async with httpx.AsyncClient(base_url=server, timeout=30) as http:
            response = await http.post("/v1/cap", content=data, headers=headers)
    except httpx.HTTPError as exc:
        raise Unavailable(f"cannot reach {server}: {exc}") from None
    try:
        body: dict[str, Any] = response.json()
    except ValueError:
        body = {"detail": response.text[:200]}
    if not response.is_success:
        kind = ERRORS.get(response.status_code, TocsinError)
        raise kind(
            str(body.get("detail", response.reason_phrase)),
            field=body.get("field"),
            code=body.get("code"),
        )
    return body


@app.command()
def validate(
    files: Annotated[
        list[Path], typer.Argument(exists=True, dir_okay=False, readable=True, help="CAP messages")
    ],
    strict: Annotated[bool, typer.Option(help="also tocsin's own publishing profile")] = False,
) -> None:
    """Check CAP messages against the OASIS schema and the spec's rules, one line per file."""
    invalid = 0
    for path in files:
        try:
            found = [str(p) for p in problems(_read(path), strict=strict)]
        except CapTooLarge as exc:
            found = [f"alert: {exc.message}"]
        if not found:
            console.print(f"[green]valid[/]   {escape(str(path))}", highlight=False)
            continue
        invalid += 1
        console.print(f"[red]invalid[/] {escape(str(path))}", highlight=False)
        for problem in found:
            console.print(f"        {escape(problem)}", highlight=False)
    if invalid:
        errors.print(f"{invalid} of {len(files)} invalid", highlight=False)
        raise typer.Exit(1)


@app.command()
@handle_errors
def render(
    alert_id: Annotated[str, typer.Argument(help="alert id")],
    version: Annotated[
        int | None, typer.Option(help="that message (default: the latest)", min=1)
    ] = None,
) -> None:
    """Print an alert's CAP 1.2 message, as /cap/alerts/ID.xml serves it."""
    settings = current_settings()

    async def go(tocsin: Tocsin) -> bytes:
        cap = tocsin.cap
        if version is None:
            return (await cap.latest(alert_id)).data
        return (await cap.message(f"tocsin.{alert_id}.{version}")).data

    typer.echo(with_tocsin(settings, go).decode(), nl=False)


@app.command()
@handle_errors
def verify(
    file: File,
    cert: Annotated[
        Path | None,
        typer.Option(
            help="the signer's PEM certificate (default: cap_sign_cert, else the message's own)",
            exists=True,
            dir_okay=False,
        ),
    ] = None,
) -> None:
    """Check the XML signature of a CAP message."""
    cap = CapConfig.from_settings(current_settings())
    cert_path = cert or (Path(cap.sign_cert) if cap.sign_cert else None)
    cert_pem = cert_path.read_text() if cert_path else None
    verified = verify_signature(_read(file), cert_pem)
    if verified.trusted:
        console.print(f"signature valid: signed by {verified.subject}", highlight=False)
    else:
        console.print(
            f"signature intact, made with the certificate it carries "
            f"({verified.subject}); give --cert to check who signed it",
            highlight=False,
        )


def _read(path: Path) -> bytes:
    with path.open("rb") as f:
        data = f.read(MAX_BYTES + 1)
    if len(data) > MAX_BYTES:
        raise CapTooLarge(f"{path} is larger than {MAX_BYTES} bytes", field="alert")
    return data


def _user() -> str:
    try:
        return getpass.getuser()
    except Exception:
        return "unknown"
