"""Incidents: record, claim, verify, respond, link, close, publish (token or session needed);
list, one, timeline, statistics, exports and the terms clients offer (public). The public reads
leave out actual incidents not yet published; a signed-in caller (token or session) sees them.

Recording an incident and adding a claim take an idempotency key (`Idempotency-Key` header or
`idempotency_key` in the body), as raising an alert does: a retry answers 200 with what the
first request made, and `Idempotent-Replayed: true`."""

from __future__ import annotations

import base64
from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Header, Path, Query, Request
from pydantic import AfterValidator, AliasChoices, ConfigDict, Field, Strict, field_validator
from starlette.responses import Response

from tocsin.api import inputs
from tocsin.api.deps import App, Caller, Language, Reader
from tocsin.api.incident_views import claim_answer, incident_view, response_view, terms_view
from tocsin.api.incident_views import timeline_view as render_timeline
from tocsin.api.inputs import Code, Codes, Instant, PublicText, Text
from tocsin.api.views import answered_as, cached_json, json_response
from tocsin.domain.alerts import Status
from tocsin.domain.auth import Actor
from tocsin.errors import InvalidInput, NotFound
from tocsin.records.domain.incidents import (
    AddClaim,
    AmendIncident,
    CreateIncident,
    IncidentRecord,
    Place,
    SourceInput,
)
from tocsin.records.domain.responses import AddResponse, ResponseStatus, UpdateResponse
from tocsin.records.handlers import incident_reports as reports
from tocsin.records.handlers.incidents import IncidentFilter, IncidentService
from tocsin.types import MAX_INT, iso_time, utc_instant

router = APIRouter(prefix="/v1/incidents", tags=["incidents"])
MAX_PAGE = 500
IdempotencyKey = Annotated[
    str | None, Header(max_length=200, description="retries with it record once")
]


async def get_incidents(request: Request) -> IncidentService:
    service: IncidentService = request.app.state.tocsin.incidents
    return service


Incidents = Annotated[IncidentService, Depends(get_incidents)]


def _bounded_ints(value: Any) -> bool:
    """Every whole number in `value` (in a list or object too, which the domain then refuses
    in its own words) fits in 64 bits, as every stored and hashed number must."""
    if isinstance(value, int):
        return -MAX_INT <= value <= MAX_INT
    if isinstance(value, list):
        return all(_bounded_ints(item) for item in value)
    if isinstance(value, dict):
        return all(_bounded_ints(item) for item in value.values())
    return True


def _within_64_bits(value: Any) -> Any:
    if not _bounded_ints(value):
        raise ValueError(f"a number from {-MAX_INT} to {MAX_INT}")
    return value


Loose = Annotated[Any, AfterValidator(_within_64_bits)]
"""A field the domain reads in more than one form (a number, or text such as "5-6"), whose
whole numbers fit in 64 bits whatever the form."""


class Body(inputs.Body):
    model_config = ConfigDict(populate_by_name=True)


class PlaceBody(Body):
    lat: float
    lon: float
    precision_m: Loose = Field(None, description="how far off the point may be, in metres")
    name: PublicText | None = Field(None, description="e.g. a street or district")

    def place(self, field: str) -> Place:
        return Place.of(self.lat, self.lon, self.precision_m, self.name, field=field)


class CreateBody(Body):
    regions: Codes = Field(description="region codes of any level, e.g. ['UA-63']")
    threats: Codes = Field(description="threat type ids, e.g. ['missile']")
    start: Instant
    end: Instant | None = None
    reported_at: Instant | None = Field(None, description="when it was first reported")
    places: list[PlaceBody] = Field([], max_length=inputs.MAX_CODES)
    title: PublicText | None = None
    description: PublicText | None = None
    alerts: Codes = Field([], description="ids of alerts that covered it")
    mode: Annotated[Status, Strict(False)] = Field(
        Status.ACTUAL, description="actual, exercise or test; never changes"
    )
    idempotency_key: Text | None = Field(None, max_length=200)


class AmendBody(Body):
    title: PublicText | None = None
    description: PublicText | None = None
    start: Instant | None = None
    end: Instant | None = None
    reported_at: Instant | None = None
    add_regions: Codes = Field(default_factory=list)
    add_threats: Codes = Field(default_factory=list)
    add_places: list[PlaceBody] = Field([], max_length=inputs.MAX_CODES)


class SourceBody(Body):
    name: PublicText | None = Field(None, description="the publisher: who published the statement")
    kind: str = Field("other", validation_alias=AliasChoices("kind", "type"))
    originator: PublicText | None = Field(
        None, description="who they quote: an official, a channel"
    )
    url: str | None = Field(None, validation_alias=AliasChoices("url", "link"))
    published_at: Instant | None = Field(
        None, validation_alias=AliasChoices("published_at", "time", "at")
    )
    reliability: str | None = Field(None, description="Admiralty grade A–F")


class ClaimBody(Body):
    measure: str = Field(description="launched, intercepted, injured, killed, …")
    value: Loose = Field(None, description="a number, or text: '5-6', 'at least 22', 'dozens'")
    min: Loose = None
    max: Loose = None
    source: SourceBody | None = Field(None, description="who stated it; at least its name")
    reliability: str | None = Field(None, description="Admiralty grade A–F (F: cannot judge)")
    weapon: str | None = Field(None, description="threat id for launched/intercepted/…")
    supersedes: Codes | Code | None = None
    note: PublicText | None = None
    status: str = Field("unverified", description="unverified, confirmed or disputed")
    idempotency_key: Text | None = Field(None, max_length=200)

    @field_validator("source", mode="before")
    @classmethod
    def _source_name(cls, value: Any) -> Any:
        return {"name": value} if isinstance(value, str) else value

    def command(self) -> AddClaim:
        source = self.source
        if source is None:
            raise InvalidInput(
                "a claim needs its source: give source.name at least",
                field="source",
                code="empty_source",
            )
        supersedes = [self.supersedes] if isinstance(self.supersedes, str) else self.supersedes
        return AddClaim(
            measure=self.measure,
            source=SourceInput(
                source.name, source.kind, source.originator, source.url, source.published_at
            ),
            value=self.value,
            minimum=self.min,
            maximum=self.max,
            reliability=self.reliability or source.reliability,
            weapon=self.weapon,
            supersedes=supersedes or (),
            note=self.note,
            status=self.status,
        )


class NoteBody(Body):
    note: PublicText | None = Field(
        None, validation_alias=AliasChoices("note", "reason", "comment")
    )


class ResponseBody(Body):
    kind: str = Field(
        description="crew, evacuation, shelter, utility_restoration, other",
        validation_alias=AliasChoices("kind", "type"),
    )
    task: str | None = Field(None, description="for crews: assessment, repair, rescue, …")
    utility: str | None = Field(None, description="power, water, heat, gas, communications")
    party: PublicText | None = Field(None, validation_alias=AliasChoices("party", "crew", "unit"))
    description: PublicText | None = None
    people: Loose = None
    started_at: Instant | None = Field(
        None, validation_alias=AliasChoices("started_at", "dispatched_at", "at")
    )
    expected_at: Instant | None = None
    status: str = "in_progress"
    progress: Loose = None


class ProgressBody(Body):
    status: str | None = None
    progress: Loose = None
    note: PublicText | None = None
    expected_at: Instant | None = None
    at: Instant | None = None


class LinkBody(Body):
    alerts: Codes | Code = Field(validation_alias=AliasChoices("alerts", "alert_ids", "alert_id"))


class CloseBody(Body):
    end: Instant | None = None
    note: PublicText | None = None


def _id(value: str, name: str) -> str:
    if len(value) > 64:
        raise NotFound(f"no {name} {value!r}", field=name)
    return value


async def _incident_id(incident_id: Annotated[str, Path(description="the incident's id")]) -> str:
    return _id(incident_id, "id")


IncidentId = Annotated[str, Depends(_incident_id)]


def _view(tocsin: App, record: IncidentRecord, lang: str, *, full: bool = True) -> dict[str, Any]:
    view = incident_view(record, tocsin.regions.tree, tocsin.catalogue, lang, full=full)
    incident = record.incident
    delay = tocsin.incidents.publish_delay
    view["publishable_at"] = None if incident.public else iso_time(incident.publishable_at(delay))
    return view


def _claim_answer(tocsin: App, record: IncidentRecord, claim_id: str, lang: str) -> dict[str, Any]:
    """A claim, and the incident's figures after the command."""
    return claim_answer(record, claim_id, tocsin.regions.tree, tocsin.catalogue, lang)


# --- commands -------------------------------------------------------------------------------


def _made(body: dict[str, Any], location: str, created: bool) -> Response:
    """201 with the new resource, or 200 with the one a replayed request made."""
    headers = {"Location": location}
    if not created:
        headers["Idempotent-Replayed"] = "true"
    return json_response(body, 201 if created else 200, headers)


@router.post("", status_code=201, summary="Record an incident")
async def create_incident(
    body: CreateBody,
    tocsin: App,
    service: Incidents,
    actor: Caller,
    lang: Language,
    idempotency_key: IdempotencyKey = None,
) -> Response:
    cmd = CreateIncident(
        regions=body.regions,
        threats=body.threats,
        start=body.start,
        end=body.end,
        reported_at=body.reported_at,
        title=body.title,
        description=body.description,
        places=[p.place(f"places[{i}]") for i, p in enumerate(body.places)],
        alerts=body.alerts,
        mode=body.mode,
    )
    key = idempotency_key or body.idempotency_key
    record, created = await service.create(cmd, actor, idempotency_key=key)
    location = f"/v1/incidents/{record.incident.id}"
    return _made(_view(tocsin, record, lang), location, created)


@router.patch("/{incident_id}", summary="Correct the title, times, or add regions, threats, places")
async def amend_incident(
    incident_id: IncidentId,
    body: AmendBody,
    tocsin: App,
    service: Incidents,
    actor: Caller,
    lang: Language,
) -> Response:
    cmd = AmendIncident(
        title=body.title,
        description=body.description,
        start=body.start,
        end=body.end,
        reported_at=body.reported_at,
        add_regions=body.add_regions,
        add_threats=body.add_threats,
        add_places=[p.place(f"add_places[{i}]") for i, p in enumerate(body.add_places)],
    )
    return json_response(_view(tocsin, await service.amend(incident_id, cmd, actor), lang))


@router.post("/{incident_id}/claims", status_code=201, summary="Add a claim (one sourced figure)")
async def add_claim(
    incident_id: IncidentId,
    body: ClaimBody,
    tocsin: App,
    service: Incidents,
    actor: Caller,
    lang: Language,
    idempotency_key: IdempotencyKey = None,
) -> Response:
    key = idempotency_key or body.idempotency_key
    record, claim, created = await service.add_claim(
        incident_id, body.command(), actor, idempotency_key=key
    )
    location = f"/v1/incidents/{incident_id}/claims/{claim.id}"
    return _made(_claim_answer(tocsin, record, claim.id, lang), location, created)


def _status_route(action: str, summary: str) -> None:
    async def change(
        incident_id: IncidentId,
        claim_id: str,
        tocsin: App,
        service: Incidents,
        actor: Caller,
        lang: Language,
        body: NoteBody | None = None,
    ) -> Response:
        note = body.note if body else None
        record, claim = await service.change_claim(
            incident_id, _id(claim_id, "claim_id"), action, actor, note
        )
        return json_response(_claim_answer(tocsin, record, claim.id, lang))

    change.__name__ = f"{action}_claim"
    router.post(f"/{{incident_id}}/claims/{{claim_id}}/{action}", summary=summary)(change)


_status_route("verify", "Confirm a claim")
_status_route("dispute", "Dispute a claim (shown, no longer counted)")
_status_route("retract", "Retract a claim (never counted again)")


@router.post("/{incident_id}/responses", status_code=201, summary="Add a response action")
async def add_response(
    incident_id: IncidentId,
    body: ResponseBody,
    service: Incidents,
    actor: Caller,
    lang: Language,
) -> Response:
    cmd = AddResponse(
        kind=body.kind,
        task=body.task,
        utility=body.utility,
        party=body.party,
        description=body.description,
        people=body.people,
        started_at=body.started_at,
        expected_at=body.expected_at,
        status=body.status,
        progress=body.progress,
    )
    _, action = await service.add_response(incident_id, cmd, actor)
    headers = {"Location": f"/v1/incidents/{incident_id}/responses/{action.id}"}
    return json_response(response_view(action, lang), 201, headers)


@router.patch("/{incident_id}/responses/{response_id}", summary="The same as …/progress")
@router.post(
    "/{incident_id}/responses/{response_id}/progress",
    summary="Report progress, a new expected time, completion or cancellation",
)
async def update_response(
    incident_id: IncidentId,
    response_id: str,
    body: ProgressBody,
    service: Incidents,
    actor: Caller,
    lang: Language,
) -> Response:
    cmd = UpdateResponse(
        status=body.status,
        progress=body.progress,
        note=body.note,
        expected_at=body.expected_at,
        at=body.at,
    )
    _, action = await service.update_response(
        incident_id, _id(response_id, "response_id"), cmd, actor
    )
    return json_response(response_view(action, lang))


@router.post("/{incident_id}/responses/{response_id}/complete", summary="Complete a response")
async def complete_response(
    incident_id: IncidentId,
    response_id: str,
    service: Incidents,
    actor: Caller,
    lang: Language,
    body: CloseBody | None = None,
) -> Response:
    cmd = UpdateResponse(
        status=ResponseStatus.COMPLETED.value,
        note=body.note if body else None,
        at=body.end if body else None,
    )
    _, action = await service.update_response(
        incident_id, _id(response_id, "response_id"), cmd, actor
    )
    return json_response(response_view(action, lang))


@router.post("/{incident_id}/alerts", summary="Link the alerts that covered it")
async def link_alerts(
    incident_id: IncidentId,
    body: LinkBody,
    tocsin: App,
    service: Incidents,
    actor: Caller,
    lang: Language,
) -> Response:
    alerts = [body.alerts] if isinstance(body.alerts, str) else body.alerts
    record = await service.link_alerts(incident_id, alerts, actor)
    return json_response(_view(tocsin, record, lang))


@router.post("/{incident_id}/close", summary="Close an incident (it then accepts nothing)")
async def close_incident(
    incident_id: IncidentId,
    tocsin: App,
    service: Incidents,
    actor: Caller,
    lang: Language,
    body: CloseBody | None = None,
) -> Response:
    record = await service.close(
        incident_id, actor, end=body.end if body else None, note=body.note if body else None
    )
    return json_response(_view(tocsin, record, lang))


@router.post("/{incident_id}/reopen", summary="Reopen a closed incident")
async def reopen_incident(
    incident_id: IncidentId,
    tocsin: App,
    service: Incidents,
    actor: Caller,
    lang: Language,
    body: NoteBody | None = None,
) -> Response:
    record = await service.reopen(incident_id, actor, note=body.note if body else None)
    return json_response(_view(tocsin, record, lang))


@router.post("/{incident_id}/publish", summary="Publish an actual incident (after the delay)")
async def publish_incident(
    incident_id: IncidentId, tocsin: App, service: Incidents, actor: Caller, lang: Language
) -> Response:
    record = await service.publish(incident_id, actor)
    return json_response(_view(tocsin, record, lang))


# --- reads ----------------------------------------------------------------------------------

Since = Annotated[Instant | None, Query(description="incidents still going on or later")]
Until = Annotated[Instant | None, Query(description="incidents that started before")]
Region = Annotated[str | None, Query(description="region code: it and every region within")]
Threat = Annotated[str | None, Query(description="threat ids, comma-separated")]
OpenOrClosed = Annotated[str | None, Query(description="open or closed")]
Modes = Annotated[str, Query(description="actual, exercise, test (comma-separated) or all")]


@router.get("", summary="Incidents, newest first (cursor-paginated)")
async def list_incidents(
    request: Request,
    tocsin: App,
    service: Incidents,
    lang: Language,
    region: Region = None,
    since: Since = None,
    until: Until = None,
    threat: Threat = None,
    status: OpenOrClosed = None,
    mode: Modes = "actual",
    cursor: str | None = None,
    limit: Annotated[int, Query(ge=1, le=MAX_PAGE)] = 100,
    reader: Reader = None,
) -> Response:
    after = _decode_cursor(cursor)
    found = await service.find(
        IncidentFilter(region, since, until, threat, status, mode, after, limit, reader is None)
    )
    next_cursor = _encode_cursor(found[-1]) if len(found) == limit else None
    body = {
        "incidents": [_view(tocsin, r, lang, full=False) for r in found],
        "next_cursor": next_cursor,
    }
    return _answer(request, body, reader)


@router.get("/terms", summary="Measures, source kinds, grades, response kinds, with names")
async def terms(request: Request, lang: Language) -> Response:
    return cached_json(request, terms_view(lang))


@router.get("/stats", summary="Statistics per region and period")
async def incident_stats(
    request: Request,
    service: Incidents,
    region: Region = None,
    since: Since = None,
    until: Until = None,
    threat: Threat = None,
    mode: Modes = "actual",
    confirmed_only: Annotated[
        bool, Query(description="casualties and damage: confirmed figures only")
    ] = True,
    reader: Reader = None,
) -> Response:
    found = await service.find(
        IncidentFilter(
            region, since, until, threat, mode=mode, limit=None, public_only=reader is None
        )
    )
    body = {
        "region": region,
        "since": None if since is None else iso_time(since.astimezone(UTC)),
        "until": None if until is None else iso_time(until.astimezone(UTC)),
        "threat": threat,
        "mode": mode,
        **reports.statistics(found, confirmed_only=confirmed_only),
    }
    return _answer(request, body, reader)


@router.get("/export.csv", summary="Incidents as conflict-event CSV", **answered_as("text/csv"))
async def export_csv(
    tocsin: App,
    service: Incidents,
    region: Region = None,
    since: Since = None,
    until: Until = None,
    threat: Threat = None,
    status: OpenOrClosed = None,
    mode: Modes = "actual",
    tz: Annotated[str, Query(description="time zone of event_date")] = "UTC",
    confirmed_only: bool = False,
    lang: Annotated[str, Query()] = "en",
    reader: Reader = None,
) -> Response:
    zone = reports.zone(tz)
    found = await service.find(
        IncidentFilter(
            region, since, until, threat, status, mode, limit=None, public_only=reader is None
        )
    )
    rows = reports.event_rows(
        list(reversed(found)),
        tocsin.regions.tree,
        tocsin.catalogue,
        tz=zone,
        confirmed_only=confirmed_only,
        lang=lang if lang in tocsin.settings.languages else "en",
    )
    return Response(
        reports.to_csv(rows),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": 'attachment; filename="incidents.csv"'},
    )


@router.get("/export.json", summary="Incidents with every claim, figure and response")
async def export_json(
    tocsin: App,
    service: Incidents,
    lang: Language,
    region: Region = None,
    since: Since = None,
    until: Until = None,
    threat: Threat = None,
    status: OpenOrClosed = None,
    mode: Modes = "actual",
    reader: Reader = None,
) -> Response:
    found = await service.find(
        IncidentFilter(
            region, since, until, threat, status, mode, limit=None, public_only=reader is None
        )
    )
    return json_response({"incidents": [_view(tocsin, r, lang) for r in reversed(found)]})


@router.get("/{incident_id}", summary="One incident with its figures, claims and responses")
async def get_incident(
    incident_id: IncidentId,
    request: Request,
    tocsin: App,
    service: Incidents,
    lang: Language,
    reader: Reader = None,
) -> Response:
    record = await service.get(incident_id, public_only=reader is None)
    return _answer(request, _view(tocsin, record, lang), reader)


@router.get("/{incident_id}/timeline", summary="Every change, with the figures it revised")
async def incident_timeline(
    incident_id: IncidentId,
    request: Request,
    service: Incidents,
    lang: Language,
    reader: Reader = None,
) -> Response:
    record = await service.get(incident_id, public_only=reader is None)
    events = await service.timeline(incident_id)
    return _answer(request, render_timeline(events, record, lang), reader)


@router.get("/{incident_id}/claims/{claim_id}", summary="One claim with its status history")
async def get_claim(
    incident_id: IncidentId,
    claim_id: str,
    tocsin: App,
    service: Incidents,
    lang: Language,
    reader: Reader = None,
) -> Response:
    record = await service.get(incident_id, public_only=reader is None)
    if record.claim(_id(claim_id, "claim_id")) is None:
        raise NotFound(f"no claim {claim_id!r} in incident {incident_id}", field="claim_id")
    return json_response(_claim_answer(tocsin, record, claim_id, lang))


def _answer(request: Request, body: Any, reader: Actor | None) -> Response:
    """A public read's answer; a signed-in caller's (it may hold unpublished incidents) is
    never kept by a shared cache."""
    response = cached_json(request, body)
    if reader is not None:
        response.headers["Cache-Control"] = "private, no-store"
    return response


def _encode_cursor(record: IncidentRecord) -> str:
    raw = f"{record.incident.start.isoformat()}|{record.incident.id}".encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _decode_cursor(cursor: str | None) -> tuple[datetime, str] | None:
    if cursor is None:
        return None
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        start, incident_id = raw.split("|", 1)
        if "\x00" in incident_id:  # decoded here: the request itself had none
            raise ValueError(cursor)
        return utc_instant(datetime.fromisoformat(start)), incident_id
    except (ValueError, OverflowError):
        raise InvalidInput("cursor is not one this API gave out", field="cursor") from None
