"""Report commands on the bus: receiving a report, and deciding one of its proposals.

Only a person submits and decides (an operator or an admin); a console session does so only for
reports of its own mode. Each command commits one `report.*` event, always `withheld` (reports
are never public: no public reader of the log shows them), and one audit row.

Accepting a proposal records what it proposes through the incident commands themselves
(`record_incident`, `add_claim` in `tocsin.records.handlers.incident_commands`), decided in the
same context: the caller is authorized on the incident's regions, a console session must be in
the incident's mode, the claim is checked against the incident's other claims, and the incident
event and its audit row commit in the same transaction as the decision, or nothing does.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from tocsin.domain.audit import Audited
from tocsin.domain.auth import Role
from tocsin.domain.events import WITHHELD, NewEvent
from tocsin.errors import InvalidInput, NotFound
from tocsin.records.domain import commands as rc
from tocsin.records.domain import reports as rp
from tocsin.records.domain.claims import ReportRef, parse_time
from tocsin.records.domain.incidents import AddClaim, CreateIncident, SourceInput
from tocsin.records.handlers import incident_commands
from tocsin.records.handlers.ports import records_of
from tocsin.service.bus import CommandBus, Context, Outcome, Unchanged
from tocsin.service.ports import UnitOfWork

NO_POLICY = "a report warns no one; what is accepted from it takes the incident commands"


async def receive_report(cmd: rc.ReceiveReport, ctx: Context) -> Outcome[str]:
    ctx.authorize_role(Role.ADMIN, Role.OPERATOR)
    report = replace(cmd.report, received_at=ctx.now, received_by=ctx.actor.label)
    ctx.check_mode(report.mode, "submit", what="report", field="mode")
    ctx.no_policy(NO_POLICY)
    data = {
        "report_id": report.id,
        WITHHELD: True,
        "mode": report.mode.value,
        "lang": report.lang,
        "source": report.source.to_json(),
        "claims": len(report.draft.get("claims") or ()),
        "matches": list(report.matches),
        "proposals": [p.id for p in report.proposals],
    }
    event = NewEvent(rp.EventType.RECEIVED.value, ctx.now, ctx.actor.label, None, data)

    async def write(uow: UnitOfWork) -> None:
        await records_of(uow).reports.add(report)

    return Outcome(report.id, event.type, report.id, data, write, [event])


async def decide_proposal(cmd: rc.DecideProposal, ctx: Context) -> Outcome[rp.Proposal]:
    ctx.authorize_role(Role.ADMIN, Role.OPERATOR)
    report = await records_of(ctx.uow).reports.get(cmd.report_id)
    if report is None:
        raise NotFound(f"no report {cmd.report_id!r}", field="id")
    ctx.check_mode(report.mode, "decide on", what="report", field="mode")
    proposal = rp.pending(report, cmd.proposal_id)
    note = rp.note(cmd.note)
    inner: Outcome[Any] | None = None
    incident_id: str | None = None
    claim_id: str | None = None
    if cmd.accept:
        if proposal.kind == "incident":
            inner = _outcome(await _record(report, proposal, cmd.edits, ctx))
            incident_id = inner.result[0]
        else:
            incident_id = rp.target(report, proposal, cmd.edits)
            inner = _outcome(await _claim(report, proposal, incident_id, cmd.edits, ctx))
            claim_id = inner.result[0]
    else:
        await _authorize_rejection(report, proposal, ctx)
    ctx.no_policy(NO_POLICY)
    status = rp.ProposalStatus.ACCEPTED if cmd.accept else rp.ProposalStatus.REJECTED
    edits = cmd.edits.to_json() if cmd.accept else {}
    decision = rp.Decision(ctx.now, ctx.actor.label, note, incident_id, claim_id, edits)
    after = rp.decided(proposal, status, decision)
    kind = rp.EventType.PROPOSAL_ACCEPTED if cmd.accept else rp.EventType.PROPOSAL_REJECTED
    data = {
        "report_id": report.id,
        WITHHELD: True,
        "proposal_id": proposal.id,
        "kind": proposal.kind,
        "incident_id": incident_id,
        "claim_id": claim_id,
        "note": note,
        "edits": edits,
    }
    event = NewEvent(kind.value, ctx.now, ctx.actor.label, None, data)
    settled = dict(ctx.settled)

    async def write(uow: UnitOfWork) -> None:
        if inner is not None:
            if inner.write is not None:
                await inner.write(uow)
            detail = {**inner.detail, "checks": settled, "report_id": report.id}
            uow.record(
                Audited(ctx.actor, inner.action, inner.target, detail, ctx.now), inner.events
            )
        await records_of(uow).reports.save_proposal(report.id, after)

    return Outcome(after, event.type, report.id, data, write, [event])


async def _authorize_rejection(report: rp.Report, proposal: rp.Proposal, ctx: Context) -> None:
    """Turning a figure away from an incident takes the same authority as putting it there: the
    incident's regions (a new incident's: the regions read)."""
    if proposal.kind == "incident":
        ctx.authorize_regions((proposal.draft or {}).get("regions") or (), subject="incidents")
        return
    if proposal.incident_id is None:
        # a figure waiting for a new incident: the regions that incident is proposed for; a
        # figure of another event (a background paragraph): the report's own regions, as its
        # readers there decide what the report says (accepting it names an incident, checked
        # then)
        ctx.authorize_regions(_regions_read(report, proposal), subject="incidents")
        return
    record = await records_of(ctx.uow).incidents.get(proposal.incident_id)
    if record is not None:
        ctx.authorize_regions(record.incident.regions, subject="incidents")


def _regions_read(report: rp.Report, proposal: rp.Proposal) -> tuple[str, ...]:
    regions: list[str] = []
    if proposal.after is not None:
        for other in report.proposals:
            if other.id == proposal.after:
                regions = list((other.draft or {}).get("regions") or ())
    return tuple(regions or report.draft.get("regions") or ())


async def _record(
    report: rp.Report, proposal: rp.Proposal, edits: rp.Edits, ctx: Context
) -> Outcome[Any] | Unchanged[Any]:
    draft = proposal.draft or {}
    start = edits.start or parse_time(draft.get("start"))
    spec = CreateIncident(
        regions=tuple(edits.regions if edits.regions is not None else draft.get("regions") or ()),
        threats=tuple(edits.threats if edits.threats is not None else draft.get("threats") or ()),
        start=start,
        end=edits.end or (parse_time(draft.get("end")) if edits.start is None else None),
        reported_at=report.source.published_at or report.received_at,
        title=f"{report.source.name[:150]}: report {report.id[:8]}",
        mode=report.mode,
    )
    if not spec.regions:
        raise InvalidInput("no region was read from the report: give regions", field="regions")
    if not spec.threats:
        raise InvalidInput("no threat was read from the report: give threats", field="threats")
    return await incident_commands.record_incident(rc.RecordIncident(spec), ctx)


async def _claim(
    report: rp.Report, proposal: rp.Proposal, incident_id: str, edits: rp.Edits, ctx: Context
) -> Outcome[Any] | Unchanged[Any]:
    record = await records_of(ctx.uow).incidents.get(incident_id)
    if record is None:
        raise InvalidInput(f"no incident {incident_id!r}", field="incident_id")
    if record.incident.mode is not report.mode:
        raise InvalidInput(
            f"the report is {report.mode.value}; incident {incident_id} is "
            f"{record.incident.mode.value}: a report's figures go to incidents of its mode",
            field="incident_id",
        )
    finding = dict(proposal.finding or {})
    measure = edits.measure or str(finding.get("measure"))
    weapon = edits.weapon if edits.weapon_given else finding.get("weapon")
    if any(v is not None for v in (edits.value, edits.minimum, edits.maximum)):
        value, low, high = edits.value, edits.minimum, edits.maximum
    else:
        value, low, high = rp.quantity_of(finding)
    if edits.supersedes is not None:
        supersedes: tuple[str, ...] = tuple(edits.supersedes)
    elif incident_id == proposal.incident_id and (measure, weapon) == (
        finding.get("measure"),
        finding.get("weapon"),
    ):
        supersedes = proposal.supersedes
    else:
        supersedes = ()
    evidence = finding.get("evidence") or {}
    source = report.source
    claim = AddClaim(
        measure=measure,
        source=SourceInput(source.name, source.kind.value, None, source.url, source.published_at),
        value=value,
        minimum=low,
        maximum=high,
        reliability=edits.reliability,
        weapon=weapon,
        supersedes=supersedes,
        note=edits.note,
        status=edits.status or "unverified",
        report=ReportRef(
            report.id,
            str(evidence.get("quote", "")),
            int(evidence.get("start", 0)),
            int(evidence.get("end", 0)),
        ),
    )
    return await incident_commands.add_claim(rc.AddClaim(incident_id, claim), ctx)


def _outcome(made: Outcome[Any] | Unchanged[Any]) -> Outcome[Any]:
    if isinstance(made, Unchanged):  # only a replayed idempotency key; none is passed here
        raise RuntimeError("an incident command taken for a proposal changed nothing")
    return made


HANDLERS: dict[type[Any], Any] = {
    rc.ReceiveReport: receive_report,
    rc.DecideProposal: decide_proposal,
}


def register(bus: CommandBus) -> None:
    for command, handler in HANDLERS.items():
        bus.register(command, handler)
