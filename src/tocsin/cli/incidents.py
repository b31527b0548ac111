"""`tocsin incident`: record incidents, their claims and the response; show, list, export.

Runs against the local database, or against a running server with `--server` and `--token`.
Either way the commands speak the HTTP API (locally through the app in this process, as the
local administrator), so both check input the same way and print the same JSON.
"""

from __future__ import annotations

import getpass
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Annotated, Any, TypeVar

import httpx
import orjson
import typer
from fastapi import FastAPI
from rich.table import Table

from tocsin.api import incidents as incidents_api
from tocsin.api import problems
from tocsin.api import reports as reports_api
from tocsin.api.deps import get_actor, get_reader
from tocsin.cli.client import ERRORS
from tocsin.cli.common import (
    console,
    current_settings,
    handle_errors,
    open_tocsin,
    run,
    using,
)
from tocsin.config import Settings
from tocsin.domain.auth import Actor, Role
from tocsin.errors import InvalidInput, TocsinError, Unavailable

app = typer.Typer(
    help="Record incidents: claims with sources, verification, response.", no_args_is_help=True
)

R = TypeVar("R")
JSON = dict[str, Any]
Server = Annotated[
    str | None,
    typer.Option(envvar="TOCSIN_SERVER", help="a running server, e.g. http://127.0.0.1:8000"),
]
Token = Annotated[str | None, typer.Option(envvar="TOCSIN_TOKEN", help="API token for --server")]
Lang = Annotated[str, typer.Option(help="language of names: en, uk, ru")]
Json = Annotated[bool, typer.Option("--json", help="print JSON")]
IncidentArg = Annotated[str, typer.Argument(help="incident id")]
Note = Annotated[str | None, typer.Option(help="why (kept in the record)")]
When = Annotated[str | None, typer.Option(help="ISO 8601 time with zone, e.g. 2026-03-01T01:30Z")]
Key = Annotated[str | None, typer.Option(help="retries with it record once")]


class Target:
    """Where the commands go: a server, or this process's database."""

    def __init__(self, server: str | None, token: str | None, lang: str) -> None:
        self.settings = current_settings()
        self.server, self.token, self.lang = server, token, lang

    def send(self, method: str, path: str, body: Any = None, **params: Any) -> Any:
        async def go(http: httpx.AsyncClient) -> Any:
            query = {k: v for k, v in {**params, "lang": self.lang}.items() if v is not None}
            try:
                response = await http.request(method, path, json=body, params=query)
            except httpx.HTTPError as exc:
                raise Unavailable(f"cannot reach {http.base_url}: {exc}") from None
            return _checked(response)

        return self.call(go)

    def call(self, fn: Callable[[httpx.AsyncClient], Awaitable[R]]) -> R:
        async def go() -> R:
            async with open_http(self.settings, self.server, self.token) as http:
                return await fn(http)

        return run(go())


@asynccontextmanager
async def open_http(
    settings: Settings, server: str | None, token: str | None
) -> AsyncIterator[httpx.AsyncClient]:
    if server:
        if not token:
            raise InvalidInput("--server needs --token (or TOCSIN_TOKEN)", field="token")
        using(f"server {server}")
        headers = {"Authorization": f"Bearer {token}"}
        async with httpx.AsyncClient(base_url=server, headers=headers, timeout=30) as http:
            yield http
        return
    async with open_tocsin(settings) as tocsin:
        local = FastAPI()
        problems.install(local)
        local.include_router(incidents_api.router)
        local.include_router(reports_api.router)
        local.state.tocsin = tocsin  # the wired incident service answers
        actor = Actor(name=f"cli:{_user()}", role=Role.ADMIN, origin="cli")
        local.dependency_overrides[get_actor] = lambda: actor
        local.dependency_overrides[get_reader] = lambda: actor  # it sees what officers see
        transport = httpx.ASGITransport(app=local)
        async with httpx.AsyncClient(transport=transport, base_url="http://local") as http:
            yield http


def _checked(response: httpx.Response) -> Any:
    if response.is_success:
        if response.headers.get("content-type", "").startswith("application/json"):
            return response.json()
        return response.text
    try:
        problem = response.json()
    except ValueError:
        problem = {"detail": response.text[:200]}
    kind = ERRORS.get(response.status_code, TocsinError)
    raise kind(
        str(problem.get("detail", response.reason_phrase)),
        field=problem.get("field"),
        code=problem.get("code"),
    )


def _user() -> str:
    try:
        return getpass.getuser()
    except Exception:
        return "unknown"


def _count(text: str | None) -> int | str | None:
    """A count as typed: digits become a number, anything else ("5-6", "dozens") stays text."""
    if text is None:
        return None
    stripped = text.strip()
    return int(stripped) if stripped.isdigit() else stripped


def _place(text: str) -> JSON:
    """LAT,LON[,PRECISION_M[,NAME]]"""
    parts = [p.strip() for p in text.split(",", 3)]
    try:
        place: JSON = {"lat": float(parts[0]), "lon": float(parts[1])}
        if len(parts) > 2 and parts[2]:
            place["precision_m"] = int(parts[2])
    except (ValueError, IndexError):
        raise InvalidInput(
            f"a place is LAT,LON[,PRECISION_M[,NAME]]; got {text!r}", field="place"
        ) from None
    if len(parts) > 3:
        place["name"] = parts[3]
    return place


def _given(**fields: Any) -> JSON:
    return {k: v for k, v in fields.items() if v is not None and v != []}


@app.command()
@handle_errors
def create(
    region: Annotated[list[str], typer.Option("--region", "-r", help="region code (repeat)")],
    threat: Annotated[list[str], typer.Option("--threat", "-t", help="threat id (repeat)")],
    start: Annotated[str, typer.Option(help="when it began, ISO 8601 with zone")],
    end: When = None,
    reported_at: When = None,
    title: Annotated[str | None, typer.Option()] = None,
    description: Annotated[str | None, typer.Option()] = None,
    place: Annotated[
        list[str] | None, typer.Option(help="LAT,LON[,PRECISION_M[,NAME]] (repeat)")
    ] = None,
    alert: Annotated[list[str] | None, typer.Option(help="id of an alert that covered it")] = None,
    mode: Annotated[
        str | None, typer.Option(help="actual (default), exercise or test; never changes")
    ] = None,
    idempotency_key: Key = None,
    server: Server = None,
    token: Token = None,
    lang: Lang = "en",
    json: Json = False,
) -> None:
    """Record an incident."""
    body = _given(
        regions=region,
        threats=threat,
        start=start,
        end=end,
        reported_at=reported_at,
        title=title,
        description=description,
        places=[_place(p) for p in place or []],
        alerts=alert or [],
        mode=mode,
        idempotency_key=idempotency_key,
    )
    target = Target(server, token, lang)
    _show(target.send("POST", "/v1/incidents", body), json)


@app.command()
@handle_errors
def claim(
    incident_id: IncidentArg,
    measure: Annotated[str, typer.Argument(help="launched, intercepted, injured, killed, …")],
    value: Annotated[str, typer.Argument(help="22, 5-6, 'at least 22', dozens, none")],
    source: Annotated[str, typer.Option(help="who published it")],
    source_kind: Annotated[
        str,
        typer.Option(
            help="official, military, emergency_service, utility, media, social_media, witness"
        ),
    ] = "other",
    originator: Annotated[str | None, typer.Option(help="who they quote")] = None,
    url: Annotated[str | None, typer.Option(help="link to the statement")] = None,
    published_at: When = None,
    reliability: Annotated[str | None, typer.Option(help="A–F (F: cannot judge)")] = None,
    weapon: Annotated[str | None, typer.Option(help="threat id: uav, missile, …")] = None,
    supersedes: Annotated[list[str] | None, typer.Option(help="claim it corrects")] = None,
    status: Annotated[str, typer.Option(help="unverified, confirmed or disputed")] = "unverified",
    note: Note = None,
    idempotency_key: Key = None,
    server: Server = None,
    token: Token = None,
    lang: Lang = "en",
    json: Json = False,
) -> None:
    """Add a claim: one figure as one source stated it."""
    body = _given(
        measure=measure,
        value=_count(value),
        reliability=reliability,
        weapon=weapon,
        supersedes=supersedes or [],
        status=status,
        note=note,
        idempotency_key=idempotency_key,
        source=_given(
            name=source, kind=source_kind, originator=originator, url=url, published_at=published_at
        ),
    )
    target = Target(server, token, lang)
    answer = target.send("POST", f"/v1/incidents/{incident_id}/claims", body)
    _show_claim(answer, json)


def _claim_action(action: str, doc: str) -> None:
    @handle_errors
    def command(
        incident_id: IncidentArg,
        claim_id: Annotated[str, typer.Argument(help="claim id")],
        note: Note = None,
        server: Server = None,
        token: Token = None,
        lang: Lang = "en",
        json: Json = False,
    ) -> None:
        target = Target(server, token, lang)
        path = f"/v1/incidents/{incident_id}/claims/{claim_id}/{action}"
        _show_claim(target.send("POST", path, _given(note=note) or None), json)

    command.__doc__ = doc
    app.command(action)(command)


_claim_action("verify", "Confirm a claim.")
_claim_action("dispute", "Dispute a claim: shown, no longer counted.")
_claim_action("retract", "Retract a claim: never counted again.")


@app.command()
@handle_errors
def respond(
    incident_id: IncidentArg,
    kind: Annotated[
        str, typer.Argument(help="crew, evacuation, shelter, utility_restoration, other")
    ],
    task: Annotated[
        str | None,
        typer.Option(help="for crews: assessment, repair, rescue, firefighting, medical, …"),
    ] = None,
    utility: Annotated[str | None, typer.Option(help="power, water, heat, gas, …")] = None,
    party: Annotated[str | None, typer.Option(help="who: crew, unit, company")] = None,
    people: Annotated[
        int | None, typer.Option(help="people evacuated, sheltered, in the crew")
    ] = None,
    started_at: When = None,
    expected_at: When = None,
    description: Annotated[str | None, typer.Option()] = None,
    server: Server = None,
    token: Token = None,
    lang: Lang = "en",
    json: Json = False,
) -> None:
    """Add a response action: a crew sent, an evacuation, a shelter, a utility restoration."""
    body = _given(
        kind=kind,
        task=task,
        utility=utility,
        party=party,
        people=people,
        started_at=started_at,
        expected_at=expected_at,
        description=description,
    )
    target = Target(server, token, lang)
    _print_response(target.send("POST", f"/v1/incidents/{incident_id}/responses", body), json)


@app.command()
@handle_errors
def progress(
    incident_id: IncidentArg,
    response_id: Annotated[str, typer.Argument(help="response id")],
    status: Annotated[str | None, typer.Option(help="in_progress, completed or cancelled")] = None,
    percent: Annotated[int | None, typer.Option("--progress", help="0–100")] = None,
    expected_at: When = None,
    at: When = None,
    note: Note = None,
    server: Server = None,
    token: Token = None,
    lang: Lang = "en",
    json: Json = False,
) -> None:
    """Report a response's progress, a new expected time, its completion or cancellation."""
    body = _given(status=status, progress=percent, expected_at=expected_at, at=at, note=note)
    target = Target(server, token, lang)
    path = f"/v1/incidents/{incident_id}/responses/{response_id}/progress"
    _print_response(target.send("POST", path, body), json)


@app.command()
@handle_errors
def link(
    incident_id: IncidentArg,
    alert_ids: Annotated[list[str], typer.Argument(help="alert ids")],
    server: Server = None,
    token: Token = None,
    lang: Lang = "en",
    json: Json = False,
) -> None:
    """Link the alerts that covered an incident."""
    target = Target(server, token, lang)
    _show(target.send("POST", f"/v1/incidents/{incident_id}/alerts", {"alerts": alert_ids}), json)


@app.command()
@handle_errors
def close(
    incident_id: IncidentArg,
    end: When = None,
    note: Note = None,
    server: Server = None,
    token: Token = None,
    lang: Lang = "en",
    json: Json = False,
) -> None:
    """Close an incident: it accepts nothing more until reopened."""
    target = Target(server, token, lang)
    body = _given(end=end, note=note) or None
    _show(target.send("POST", f"/v1/incidents/{incident_id}/close", body), json)


@app.command()
@handle_errors
def reopen(
    incident_id: IncidentArg,
    note: Note = None,
    server: Server = None,
    token: Token = None,
    lang: Lang = "en",
    json: Json = False,
) -> None:
    """Reopen a closed incident."""
    target = Target(server, token, lang)
    body = _given(note=note) or None
    _show(target.send("POST", f"/v1/incidents/{incident_id}/reopen", body), json)


@app.command()
@handle_errors
def publish(
    incident_id: IncidentArg,
    server: Server = None,
    token: Token = None,
    lang: Lang = "en",
    json: Json = False,
) -> None:
    """Publish an actual incident: the public sees it from then on (refused before the delay
    TOCSIN_INCIDENT_PUBLISH_DELAY has passed since it started)."""
    target = Target(server, token, lang)
    _show(target.send("POST", f"/v1/incidents/{incident_id}/publish"), json)


@app.command()
@handle_errors
def show(
    incident_id: IncidentArg,
    server: Server = None,
    token: Token = None,
    lang: Lang = "en",
    json: Json = False,
) -> None:
    """Show an incident: current figures with sources, claims, response."""
    target = Target(server, token, lang)
    _show(target.send("GET", f"/v1/incidents/{incident_id}"), json)


Filters = dict[str, Any]
RegionFilter = Annotated[str | None, typer.Option(help="region code: it and all within")]
SinceFilter = Annotated[str | None, typer.Option(help="from this time (ISO 8601)")]
UntilFilter = Annotated[str | None, typer.Option(help="before this time (ISO 8601)")]
ThreatFilter = Annotated[str | None, typer.Option(help="threat ids, comma-separated")]
StatusFilter = Annotated[str | None, typer.Option(help="open or closed")]
ModeFilter = Annotated[str, typer.Option(help="actual, exercise, test, a comma list, or all")]


@app.command("list")
@handle_errors
def list_(
    region: RegionFilter = None,
    since: SinceFilter = None,
    until: UntilFilter = None,
    threat: ThreatFilter = None,
    status: StatusFilter = None,
    mode: ModeFilter = "actual",
    limit: Annotated[int, typer.Option(min=1, max=500)] = 50,
    server: Server = None,
    token: Token = None,
    lang: Lang = "en",
    json: Json = False,
) -> None:
    """List incidents, newest first."""
    target = Target(server, token, lang)
    found = target.send(
        "GET",
        "/v1/incidents",
        region=region,
        since=since,
        until=until,
        threat=threat,
        status=status,
        mode=mode,
        limit=limit,
    )["incidents"]
    if json:
        console.print_json(orjson.dumps({"incidents": found}).decode())
        return
    table = Table("id", "start", "status", "threats", "regions", "figures", box=None)
    for item in found:
        figures = ", ".join(f"{f['name']} {f['text']}" for f in item["figures"].values())
        table.add_row(
            item["id"][:8],
            item["start"],
            _status(item),
            ", ".join(t["name"] for t in item["threats"]),
            ", ".join(r["name"] for r in item["regions"]),
            figures,
        )
    console.print(table if found else "no incidents")


@app.command()
@handle_errors
def export(
    format: Annotated[str, typer.Option("--format", help="csv or json")] = "csv",
    output: Annotated[Path | None, typer.Option(help="file to write (default: stdout)")] = None,
    region: RegionFilter = None,
    since: SinceFilter = None,
    until: UntilFilter = None,
    threat: ThreatFilter = None,
    status: StatusFilter = None,
    mode: ModeFilter = "actual",
    tz: Annotated[str, typer.Option(help="time zone of event_date (csv)")] = "UTC",
    server: Server = None,
    token: Token = None,
    lang: Lang = "en",
) -> None:
    """Export incidents: CSV with conflict-event columns, or JSON with every claim."""
    if format not in ("csv", "json"):
        raise InvalidInput(f"format must be csv or json; got {format!r}", field="format")
    target = Target(server, token, lang)
    params: Filters = {
        "region": region,
        "since": since,
        "until": until,
        "threat": threat,
        "status": status,
        "mode": mode,
    }
    if format == "csv":
        text = target.send("GET", "/v1/incidents/export.csv", tz=tz, **params)
    else:
        text = (
            orjson.dumps(
                target.send("GET", "/v1/incidents/export.json", **params),
                option=orjson.OPT_INDENT_2,
            ).decode()
            + "\n"
        )
    if output is None:
        console.file.write(text)
    else:
        output.write_text(text, encoding="utf-8")
        console.print(f"wrote {output}")


@app.command()
@handle_errors
def stats(
    region: RegionFilter = None,
    since: SinceFilter = None,
    until: UntilFilter = None,
    threat: ThreatFilter = None,
    mode: ModeFilter = "actual",
    all_claims: Annotated[
        bool, typer.Option("--all-claims", help="casualties and damage from unverified figures too")
    ] = False,
    server: Server = None,
    token: Token = None,
    lang: Lang = "en",
) -> None:
    """Statistics per region and period (JSON)."""
    target = Target(server, token, lang)
    body = target.send(
        "GET",
        "/v1/incidents/stats",
        region=region,
        since=since,
        until=until,
        threat=threat,
        mode=mode,
        confirmed_only=str(not all_claims).lower(),
    )
    console.print_json(orjson.dumps(body).decode())


def _show(item: JSON, as_json: bool) -> None:
    if as_json:
        console.print_json(orjson.dumps(item).decode())
        return
    lines = [
        ("id", item["id"]),
        ("status", _status(item)),
        ("title", item.get("title") or ""),
        ("when", f"{item['start']} – {item.get('end') or '…'}"),
        ("threats", ", ".join(t["name"] for t in item["threats"])),
        ("regions", "; ".join(f"{r['code']} {r['name']}" for r in item["regions"])),
    ]
    for key, value in lines:
        console.print(f"[bold]{key:>8}[/] {value}", highlight=False)
    figures = Table("figure", "value", "status", "sources", box=None, title="current figures")
    for figure in item["figures"].values():
        sources = ", ".join(f"{s['name']} ({s['reliability']})" for s in figure["sources"])
        figures.add_row(figure["name"], figure["text"], figure["status_name"], sources)
    console.print(figures if item["figures"] else "no figures yet")
    if item.get("claims"):
        claims = Table("claim", "measure", "value", "source", "status", box=None, title="claims")
        for c in item["claims"]:
            status = c["status_name"] + (" (superseded)" if c["superseded"] else "")
            claims.add_row(c["id"][:8], c["measure_name"], c["text"], c["source"]["name"], status)
        console.print(claims)
    for response in item.get("responses", []):
        console.print(
            f"[bold]response[/] {response['kind_name']}: {response['status_name']}"
            f" {response.get('party') or ''}",
            highlight=False,
        )


def _status(item: JSON) -> str:
    """ "Open", or "Open — EXERCISE" for a drill."""
    status: str = item["status_name"]
    return f"{status} — {item['marker']}" if item.get("marker") else status


def _show_claim(answer: JSON, as_json: bool) -> None:
    if as_json:
        console.print_json(orjson.dumps(answer).decode())
        return
    console.print(
        f"claim {answer['id']}: {answer['measure_name']} {answer['text']} "
        f"({answer['source']['name']}) — {answer['status_name']}",
        highlight=False,
    )
    figure = answer["figures"].get(answer["measure"])
    current = f"{figure['text']} ({figure['status_name']})" if figure else "none"
    console.print(f"current {answer['measure_name']}: {current}", highlight=False)


def _print_response(answer: JSON, as_json: bool) -> None:
    if as_json:
        console.print_json(orjson.dumps(answer).decode())
        return
    progress_text = "" if answer["progress"] is None else f" {answer['progress']}%"
    console.print(
        f"response {answer['id']}: {answer['kind_name']} — {answer['status_name']}{progress_text}",
        highlight=False,
    )
