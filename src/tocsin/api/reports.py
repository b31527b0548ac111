"""Reports: submit a text that tells of a strike and review what was read from it (operators and
admins); list and read them (any signed-in caller). Reports are never public.

A body larger than `MAX_BODY` bytes is refused with 413 before it is read whole; a text longer
than `MAX_TEXT` characters with 413 too, field `text`.
"""

from __future__ import annotations

import base64
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query, Request
from pydantic import AliasChoices, ConfigDict, Field
from starlette.responses import Response

from tocsin.api import inputs
from tocsin.api.deps import Caller
from tocsin.api.inputs import Code, Codes, Instant, PublicText
from tocsin.api.views import json_response
from tocsin.errors import InvalidInput
from tocsin.records.domain import reports as rp
from tocsin.records.handlers.reports import ReportService, Submission
from tocsin.types import iso_time, utc_instant

router = APIRouter(prefix="/v1/reports", tags=["reports"])
inputs.BODY_LIMITS[("POST", "/v1/reports")] = (rp.MAX_BODY, "text")
MAX_PAGE = 200


async def get_reports(request: Request) -> ReportService:
    service: ReportService = request.app.state.tocsin.reports
    return service


Reports = Annotated[ReportService, Depends(get_reports)]


class Body(inputs.Body):
    model_config = ConfigDict(populate_by_name=True)


class SourceBody(Body):
    name: PublicText | None = Field(None, description="the publisher, e.g. 'Kharkiv OVA'")
    url: str | None = Field(None, validation_alias=AliasChoices("url", "link"))
    kind: str | None = Field(None, description="official, military, media, … (other)")
    published_at: Instant | None = Field(
        None, description="when it was published; relative times are read against it"
    )


class ReportBody(Body):
    text: str | None = Field(None, description=f"the report, at most {rp.MAX_TEXT} characters")
    lang: str | None = Field(None, description="en, uk or ru; detected when left out")
    source: SourceBody | None = None
    mode: str | None = Field(
        None, description="actual, exercise or test (a console session: its own mode)"
    )


class AcceptBody(Body):
    measure: str | None = None
    weapon: str | None = None
    value: Any = Field(None, description="a number, or text: '5-6', 'at least 22', 'dozens'")
    min: int | None = None
    max: int | None = None
    incident_id: Code | None = Field(None, description="the incident the claim goes to")
    supersedes: Codes | None = None
    status: str | None = Field(None, description="unverified, confirmed or disputed")
    reliability: str | None = Field(None, description="Admiralty grade A–F")
    note: PublicText | None = None
    regions: Codes | None = Field(None, description="a new incident's regions")
    threats: Codes | None = Field(None, description="a new incident's threats")
    start: Instant | None = None
    end: Instant | None = None


class RejectBody(Body):
    note: PublicText | None = Field(None, validation_alias=AliasChoices("note", "reason"))


def report_view(report: rp.Report, *, full: bool = True) -> dict[str, Any]:
    """A report as the API answers it: the draft as the issue gives it, the matches, the
    proposals (and the text, in full views)."""
    draft = dict(report.draft)
    view: dict[str, Any] = {
        "id": report.id,
        "lang": report.lang,
        "mode": report.mode.value,
        "source": report.source.to_json(),
        "received_at": iso_time(report.received_at),
        "received_by": report.received_by,
        "draft": draft,
        "matches": list(report.matches),
        "proposals": [p.to_json() for p in report.proposals],
        "others": list(report.others),
        "pending": sum(p.status is rp.ProposalStatus.PENDING for p in report.proposals),
    }
    if full:
        view["text"] = report.text
    else:
        view["excerpt"] = report.text[:200]
    return view


def _private(body: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    response = json_response(body, status, headers)
    response.headers["Cache-Control"] = "private, no-store"
    return response


async def _report_id(report_id: Annotated[str, Path(description="the report's id")]) -> str:
    return report_id


ReportId = Annotated[str, Depends(_report_id)]


@router.post(
    "",
    status_code=201,
    summary="Submit a report: read it, match it to incidents, propose claims",
    responses={413: {"description": f"more than {rp.MAX_TEXT} characters of text"}},
)
async def submit_report(body: ReportBody, service: Reports, actor: Caller) -> Response:
    source = body.source or SourceBody()
    sub = Submission(
        text=body.text,
        lang=body.lang,
        source_name=source.name,
        source_url=source.url,
        source_kind=source.kind,
        published_at=source.published_at,
        mode=body.mode,
    )
    report = await service.submit(sub, actor)
    return _private(report_view(report), 201, {"Location": f"/v1/reports/{report.id}"})


@router.get("", summary="Reports, newest first (signed-in callers only)")
async def list_reports(
    service: Reports,
    actor: Caller,
    mode: Annotated[str, Query(description="actual, exercise, test (comma-separated) or all")] = (
        "actual"
    ),
    limit: Annotated[int, Query(ge=1, le=MAX_PAGE)] = 50,
    cursor: str | None = None,
) -> Response:
    found = await service.find(mode, limit=limit, before=_decode(cursor))
    last = found[-1] if len(found) == limit else None
    return _private(
        {
            "reports": [report_view(r, full=False) for r in found],
            "next_cursor": None if last is None else _encode(last),
        }
    )


@router.get("/{report_id}", summary="One report: its text, source, draft, matches, proposals")
async def get_report(report_id: ReportId, service: Reports, actor: Caller) -> Response:
    return _private(report_view(await service.get(report_id)))


@router.post(
    "/{report_id}/proposals/{proposal_id}/accept",
    summary="Accept a proposal (with edits): it is recorded through the incident commands",
)
async def accept_proposal(
    report_id: ReportId,
    proposal_id: Annotated[str, Path(max_length=64)],
    service: Reports,
    actor: Caller,
    body: AcceptBody | None = None,
) -> Response:
    b = body or AcceptBody()
    edits = rp.Edits(
        measure=b.measure,
        weapon=b.weapon,
        value=b.value,
        minimum=b.min,
        maximum=b.max,
        incident_id=b.incident_id,
        supersedes=b.supersedes,
        status=b.status,
        reliability=b.reliability,
        note=b.note,
        regions=b.regions,
        threats=b.threats,
        start=b.start,
        end=b.end,
        weapon_given="weapon" in b.model_fields_set,
    )
    report, proposal = await service.decide(report_id, proposal_id, actor, accept=True, edits=edits)
    return _private({"proposal": proposal.to_json(), "report": report_view(report)})


@router.post("/{report_id}/proposals/{proposal_id}/reject", summary="Reject a proposal")
async def reject_proposal(
    report_id: ReportId,
    proposal_id: Annotated[str, Path(max_length=64)],
    service: Reports,
    actor: Caller,
    body: RejectBody | None = None,
) -> Response:
    note = body.note if body else None
    report, proposal = await service.decide(report_id, proposal_id, actor, accept=False, note=note)
    return _private({"proposal": proposal.to_json(), "report": report_view(report)})


def _encode(report: rp.Report) -> str:
    raw = f"{report.received_at.isoformat()}|{report.id}".encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _decode(cursor: str | None) -> tuple[datetime, str] | None:
    if cursor is None:
        return None
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        at, report_id = raw.split("|", 1)
        if "\x00" in report_id:
            raise ValueError(cursor)
        return utc_instant(datetime.fromisoformat(at)), report_id
    except (ValueError, OverflowError):
        raise InvalidInput("cursor is not one this API gave out", field="cursor") from None
