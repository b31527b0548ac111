"""`tocsin report`: submit a report (a text that tells of a strike), show what was read from it,
accept or reject its proposals.

Runs against the local database, or against a running server with `--server` and `--token`,
through the HTTP API either way (as `tocsin incident` does).
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated, Any

import orjson
import typer
from rich.table import Table

from tocsin.cli.common import console, handle_errors
from tocsin.cli.incidents import Json, Server, Target, Token
from tocsin.errors import InvalidInput

app = typer.Typer(
    help="Reports: read figures, places, times and weapons from a text, and review them.",
    no_args_is_help=True,
)
JSON = dict[str, Any]
ReportArg = Annotated[str, typer.Argument(help="report id")]
ProposalArg = Annotated[str, typer.Argument(help="proposal id (or its first characters)")]


def _given(**fields: Any) -> JSON:
    return {k: v for k, v in fields.items() if v is not None and v != []}


def _read(file: str) -> str:
    if file == "-":
        return sys.stdin.read()
    path = Path(file)
    try:
        return path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise InvalidInput(f"cannot read {file}: {exc}", field="file") from None


@app.command()
@handle_errors
def add(
    file: Annotated[str, typer.Argument(help="a UTF-8 text file, or - for standard input")],
    source_name: Annotated[
        str | None, typer.Option(help="who published it, e.g. 'Kharkiv OVA'")
    ] = None,
    source_url: Annotated[str | None, typer.Option(help="link to it")] = None,
    source_kind: Annotated[
        str | None,
        typer.Option(help="official, military, emergency_service, utility, media, social_media"),
    ] = None,
    published_at: Annotated[
        str | None, typer.Option(help="when it was published, ISO 8601 with zone")
    ] = None,
    lang: Annotated[str | None, typer.Option("--lang", help="en, uk or ru (else detected)")] = None,
    mode: Annotated[str | None, typer.Option(help="actual (default), exercise or test")] = None,
    server: Server = None,
    token: Token = None,
    json: Json = False,
) -> None:
    """Submit a report: print the draft, the incidents it matches and its proposals."""
    body = _given(
        text=_read(file),
        lang=lang,
        mode=mode,
        source=_given(
            name=source_name, url=source_url, kind=source_kind, published_at=published_at
        ),
    )
    _show(Target(server, token, "en").send("POST", "/v1/reports", body), json)


@app.command()
@handle_errors
def show(
    report_id: ReportArg,
    server: Server = None,
    token: Token = None,
    json: Json = False,
) -> None:
    """One report: its draft, matches and proposals."""
    _show(Target(server, token, "en").send("GET", f"/v1/reports/{report_id}"), json)


@app.command("list")
@handle_errors
def list_(
    mode: Annotated[str, typer.Option(help="actual, exercise, test (comma-separated) or all")] = (
        "actual"
    ),
    limit: Annotated[int, typer.Option(help="at most this many")] = 50,
    server: Server = None,
    token: Token = None,
    json: Json = False,
) -> None:
    """Reports, newest first."""
    found = Target(server, token, "en").send("GET", "/v1/reports", mode=mode, limit=limit)
    if json:
        console.print_json(orjson.dumps(found).decode())
        return
    table = Table("id", "received", "mode", "source", "claims", "pending", "excerpt")
    for r in found["reports"]:
        table.add_row(
            r["id"],
            r["received_at"],
            r["mode"],
            r["source"]["name"],
            str(len(r["draft"].get("claims") or [])),
            str(r["pending"]),
            r["excerpt"][:60].replace("\n", " "),
        )
    console.print(table)


@app.command()
@handle_errors
def accept(
    report_id: ReportArg,
    proposal_id: ProposalArg,
    measure: Annotated[str | None, typer.Option(help="another measure")] = None,
    weapon: Annotated[str | None, typer.Option(help="another weapon (threat id)")] = None,
    value: Annotated[str | None, typer.Option(help="another count: 22, 5-6, 'at least 22'")] = None,
    incident: Annotated[
        str | None, typer.Option("--incident", help="the incident the claim goes to")
    ] = None,
    supersedes: Annotated[list[str] | None, typer.Option(help="claim it corrects")] = None,
    status: Annotated[str | None, typer.Option(help="unverified, confirmed or disputed")] = None,
    reliability: Annotated[str | None, typer.Option(help="A–F")] = None,
    region: Annotated[
        list[str] | None, typer.Option("--region", "-r", help="a new incident's region")
    ] = None,
    threat: Annotated[
        list[str] | None, typer.Option("--threat", "-t", help="a new incident's threat")
    ] = None,
    server: Server = None,
    token: Token = None,
    json: Json = False,
) -> None:
    """Accept a proposal, with edits: it is recorded as a claim (or an incident)."""
    target = Target(server, token, "en")
    pid = _proposal(target, report_id, proposal_id)
    count: Any = None
    if value is not None:
        count = int(value) if value.strip().isdigit() else value.strip()
    body = _given(
        measure=measure,
        weapon=weapon,
        value=count,
        incident_id=incident,
        supersedes=supersedes or None,
        status=status,
        reliability=reliability,
        regions=region or None,
        threats=threat or None,
    )
    answer = target.send("POST", f"/v1/reports/{report_id}/proposals/{pid}/accept", body)
    _decided(answer, json)


@app.command()
@handle_errors
def reject(
    report_id: ReportArg,
    proposal_id: ProposalArg,
    note: Annotated[str | None, typer.Option(help="why")] = None,
    server: Server = None,
    token: Token = None,
    json: Json = False,
) -> None:
    """Reject a proposal."""
    target = Target(server, token, "en")
    pid = _proposal(target, report_id, proposal_id)
    path = f"/v1/reports/{report_id}/proposals/{pid}/reject"
    _decided(target.send("POST", path, _given(note=note)), json)


def _proposal(target: Target, report_id: str, given: str) -> str:
    """A proposal's full id from its first characters (as `show` prints them)."""
    if len(given) >= 36:
        return given
    report = target.send("GET", f"/v1/reports/{report_id}")
    found = [p["id"] for p in report["proposals"] if p["id"].startswith(given)]
    if len(found) != 1:
        what = "no proposal" if not found else "more than one proposal"
        raise InvalidInput(f"{what} of report {report_id} starts with {given!r}", field="proposal")
    return str(found[0])


def _decided(answer: JSON, json: bool) -> None:
    if json:
        console.print_json(orjson.dumps(answer).decode())
        return
    p = answer["proposal"]
    d = p.get("decision") or {}
    made = d.get("claim_id") or d.get("incident_id")
    console.print(f"proposal {p['id']} {p['status']}" + (f": {made}" if made else ""))


def _show(report: JSON, json: bool) -> None:
    if json:
        console.print_json(orjson.dumps(report).decode())
        return
    draft = report["draft"]
    console.print(f"[bold]report[/] {report['id']} ({report['lang']}, {report['mode']})")
    console.print(f"source: {report['source']['name']}")
    console.print(
        f"draft: {draft.get('start')} – {draft.get('end') or '…'}; "
        f"regions {', '.join(draft.get('regions') or []) or '-'}; "
        f"threats {', '.join(draft.get('threats') or []) or '-'}"
    )
    console.print(f"matches: {', '.join(report['matches']) or 'none'}")
    table = Table("proposal", "status", "what", "count", "quote", "relation", "incident")
    for p in report["proposals"]:
        claim = p.get("claim") or {}
        if p["kind"] == "incident":
            what, count, quote = "new incident", "", ""
        else:
            weapon = f" ({claim['weapon']})" if claim.get("weapon") else ""
            what = f"{claim.get('measure')}{weapon}" + (
                " [other event]" if p["other"] is not None else ""
            )
            high = claim.get("max")
            count = f"{claim.get('kind')} {claim.get('min')}–{'' if high is None else high}"
            quote = (claim.get("evidence") or {}).get("quote", "")
        table.add_row(
            p["id"][:8],
            p["status"],
            what,
            count,
            quote,
            p.get("relation") or "",
            p.get("incident_id") or "",
        )
    console.print(table)
