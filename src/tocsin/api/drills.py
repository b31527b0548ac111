"""Drills: schedule, list, show, change and cancel (before they start), and the after-action
report as JSON, CSV or an HTML page. Every change is a command on the bus."""

from __future__ import annotations

import csv
import html
import io
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query
from pydantic import Field
from starlette.responses import Response

from tocsin.api.deps import App, Caller
from tocsin.api.inputs import Body, Codes, Instant, PublicText
from tocsin.api.views import answered_as, json_response
from tocsin.domain.drills import MAX_ANNOUNCE, MAX_DURATION
from tocsin.service.drills import drill_view

router = APIRouter(prefix="/v1/drills", tags=["drills"])


class DrillBody(Body):
    title: PublicText = Field(max_length=200)
    threat: str = Field(description="threat type id from /v1/threats, e.g. missile", max_length=32)
    regions: Codes = Field(description="region codes, e.g. ['UA-63']")
    scheduled_for: Instant = Field(description="when the drill's exercise alert is raised")
    announce_before: int = Field(3600, ge=0, le=MAX_ANNOUNCE, description="seconds ahead")
    duration: int = Field(600, ge=1, le=MAX_DURATION, description="seconds until it ends")
    sirens: bool = True


class DrillChange(Body):
    title: PublicText | None = Field(None, max_length=200)
    threat: str | None = Field(None, max_length=32)
    regions: Codes | None = None
    scheduled_for: Instant | None = None
    announce_before: int | None = Field(None, ge=0, le=MAX_ANNOUNCE)
    duration: int | None = Field(None, ge=1, le=MAX_DURATION)
    sirens: bool | None = None


@router.post("", status_code=201, summary="Schedule a drill")
async def schedule(body: DrillBody, tocsin: App, actor: Caller) -> Response:
    fields = body.model_dump()
    fields["regions"] = tuple(fields["regions"])
    drill = await tocsin.drills.schedule(actor, **fields)
    return json_response(drill_view(drill), 201, {"Location": f"/v1/drills/{drill.id}"})


@router.get("", summary="Drills, soonest first")
async def list_drills(tocsin: App, actor: Caller) -> Response:
    drills = [drill_view(d) for d in await tocsin.drills.all()]
    return json_response({"drills": drills, "count": len(drills)})


@router.get("/notices", summary="Drills announced or under way, with their texts (public)")
async def notices(tocsin: App) -> Response:
    return json_response({"drills": await tocsin.drills.notices()})


@router.get("/{drill_id}", summary="One drill")
async def get_drill(drill_id: str, tocsin: App, actor: Caller) -> Response:
    return json_response(drill_view(await tocsin.drills.get(drill_id)))


@router.patch("/{drill_id}", summary="Change a drill before it starts")
async def change(drill_id: str, body: DrillChange, tocsin: App, actor: Caller) -> Response:
    fields = body.model_dump(exclude_none=True)
    if "regions" in fields:
        fields["regions"] = tuple(fields["regions"])
    return json_response(drill_view(await tocsin.drills.change(drill_id, actor, **fields)))


@router.delete("/{drill_id}", summary="Cancel a drill before it starts")
async def cancel(drill_id: str, tocsin: App, actor: Caller) -> Response:
    return json_response(drill_view(await tocsin.drills.cancel(drill_id, actor)))


@router.get(
    "/{drill_id}/report",
    summary="The after-action report: channels, sirens, console actions, the previous drill",
    **answered_as("application/json", "text/csv", "text/html"),
)
async def report(
    drill_id: str,
    tocsin: App,
    actor: Caller,
    format: Annotated[Literal["json", "csv", "html"], Query()] = "json",
) -> Response:
    found = await tocsin.drills.report(drill_id)
    if format == "csv":
        headers = {"Content-Disposition": f'attachment; filename="drill-{drill_id}.csv"'}
        return Response(report_csv(found), media_type="text/csv; charset=utf-8", headers=headers)
    if format == "html":
        return Response(report_html(found), media_type="text/html; charset=utf-8")
    return json_response(found)


def report_rows(found: dict[str, Any]) -> list[list[Any]]:
    """The report as one table: section, name, measure, value."""
    rows: list[list[Any]] = []
    for channel, entry in sorted(found["channels"].items()):
        rows.extend(["channel", channel, key, value] for key, value in entry.items())
    sirens = found["sirens"]
    for siren in sirens["sirens"]:
        rows.extend(
            ["siren", siren["id"], key, siren[key]]
            for key in (
                "region",
                "outcome",
                "commanded_at",
                "acked_at",
                "ack_after_s",
                "last_heartbeat_at",
            )
        )
    rows.append(["sirens", "all", "sounded", "yes" if sirens["sounded"] else "no"])
    if sirens["reason"] is not None:
        rows.append(["sirens", "all", "reason", sirens["reason"]])
        rows.append(["sirens", "all", "detail", sirens["detail"]])
    rows.extend(["sirens", "all", key, value] for key, value in sirens["summary"].items())
    rows.append(["sirens", "all", "time_to_95_percent_acked", sirens["time_to_95_percent_acked"]])
    streams = found["stream_clients"]
    if streams is not None:
        rows.extend(["streams", "all", key, value] for key, value in streams["total"].items())
        for kind, counts in streams["by_kind"].items():
            rows.extend(["streams", kind, key, value] for key, value in counts.items())
        for node in streams["nodes"]:
            rows.extend(["stream_node", node["node"], key, node[key]] for key in _NODE_KEYS)
    for action in found["console_actions"]:
        rows.append(["console", action["actor"], action["action"], action["time"]])
    previous = found["previous"]
    if previous is not None:
        rows.append(["previous", previous["id"], "scheduled_for", previous["scheduled_for"]])
        rows.append(
            [
                "previous",
                previous["id"],
                "time_to_95_percent_acked",
                previous["time_to_95_percent_acked"],
            ]
        )
    rows.extend(["not_measured", "", "", note] for note in found["not_measured"])
    return rows


_NODE_KEYS = ("role", "from", "until", "updated_at", "peak")


def report_csv(found: dict[str, Any]) -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["section", "name", "measure", "value"])
    writer.writerows(["" if v is None else v for v in row] for row in report_rows(found))
    return out.getvalue()


def report_html(found: dict[str, Any]) -> str:
    drill = found["drill"]
    cells = "".join(
        "<tr>"
        + "".join(f"<td>{html.escape(str('' if v is None else v))}</td>" for v in row)
        + "</tr>"
        for row in report_rows(found)
    )
    title = html.escape(f"Drill report: {drill['title']}")
    sirens = found["sirens"]
    note = ""
    if sirens["reason"] is not None:
        note = (
            f"<p><strong>Sirens did not sound ({html.escape(sirens['reason'])}):</strong> "
            f"{html.escape(sirens['detail'])}</p>"
        )
    return (
        f'<!doctype html><html lang="en"><head><meta charset="utf-8"><title>{title}</title>'
        f"</head><body><h1>{title}</h1><p>{html.escape(drill['scheduled_for'])} · "
        f"{html.escape(', '.join(drill['regions']))} · {html.escape(drill['state'])}</p>{note}"
        "<table><thead><tr><th>section</th><th>name</th><th>measure</th><th>value</th></tr>"
        f"</thead><tbody>{cells}</tbody></table></body></html>"
    )
