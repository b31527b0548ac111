"""Reports: the entry points' way to submit a report and decide its proposals, and the reads.

Submitting checks the request (nothing is written for a refused one), reads the text off the
event loop (the extraction is CPU work), finds the incidents of the same mode it may be about,
builds the proposals, and sends it to the command bus (`report_commands`), which stores it with
its `report.received` event and audit row.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import partial
from typing import Any

import anyio
import anyio.to_thread

from tocsin.domain.alerts import Status
from tocsin.domain.auth import Actor, Role, require_role
from tocsin.errors import Forbidden, NotFound
from tocsin.records.domain import commands as rc
from tocsin.records.domain import reports as rp
from tocsin.records.domain.claims import Claim
from tocsin.records.domain.incidents import IncidentRecord
from tocsin.records.extraction.extract import extract, warm
from tocsin.records.storage.incident_store import IncidentQuery, IncidentStore
from tocsin.records.storage.report_store import ReportQuery, ReportStore
from tocsin.service.bus import CommandBus
from tocsin.service.queries import parse_statuses
from tocsin.service.regions import RegionService
from tocsin.storage.store import Store

CANDIDATES = 200  # incidents considered for matching, newest start first
READERS = 2  # reports read at once, each in a worker thread of its own pool


@dataclass(frozen=True, slots=True)
class Submission:
    """A report as a client sends it; checked by `ReportService.submit`."""

    text: object
    lang: str | None = None
    source_name: str | None = None
    source_url: str | None = None
    source_kind: str | None = None
    published_at: datetime | None = None
    mode: str | None = None


class ReportService:
    def __init__(self, bus: CommandBus, store: Store, regions: RegionService) -> None:
        self.bus = bus
        self.store = store
        self.regions = regions
        self.reads = ReportStore(store)
        self.incidents = IncidentStore(store)
        self._limiter: anyio.CapacityLimiter | None = None

    @property
    def limiter(self) -> anyio.CapacityLimiter:
        """The threads reading reports: a pool of their own, so that a burst of reports never
        holds the default one other work waits on."""
        if self._limiter is None:
            self._limiter = anyio.CapacityLimiter(READERS)
        return self._limiter

    async def warm(self) -> None:
        """Build the extraction's lexicons and pipelines (a few seconds, once per process) in a
        worker thread, so that the first report is read as fast as the next."""
        await anyio.to_thread.run_sync(warm, abandon_on_cancel=True, limiter=self.limiter)

    async def submit(self, sub: Submission, actor: Actor) -> rp.Report:
        """Read a report and store it with its matches and proposals."""
        require_role(actor, Role.ADMIN, Role.OPERATOR)  # before the work of reading it
        text = rp.check_text(sub.text)
        lang = rp.check_lang(sub.lang)
        source = rp.ReportSource.of(
            sub.source_name, sub.source_kind, sub.source_url, sub.published_at
        )
        mode = rp.mode_of(sub.mode, actor.session_mode or Status.ACTUAL.value)
        if actor.session_mode is not None and mode.value != actor.session_mode:
            raise Forbidden(
                f"this console session is in {actor.session_mode} mode; switch the mode to "
                f"submit a report in {mode.value} mode",
                field="mode",
            )
        now = self.bus.clock.now()
        reference = source.published_at or now
        read = partial(extract, text, lang=rp.lang_of(lang), published_at=reference)
        extraction = await anyio.to_thread.run_sync(
            read, abandon_on_cancel=True, limiter=self.limiter
        )
        found = extraction.to_json()
        draft, others = found["draft"], found["others"]
        matches = await self.match(draft, mode, reference)
        best: tuple[str, Sequence[Claim]] | None = None
        if matches:
            record = await self.incidents.record(matches[0])
            if record is not None:
                best = (record.incident.id, record.claims)
        proposals = rp.propose(draft, others, best, lambda: str(uuid.uuid4()))
        report = rp.Report(
            id=str(uuid.uuid4()),
            text=text,
            lang=extraction.lang,
            source=source,
            mode=mode,
            received_at=now,
            received_by=actor.label,
            extraction=found,
            matches=tuple(matches),
            proposals=tuple(proposals),
        )
        made: str = await self.bus.handle(rc.ReceiveReport(report), actor)
        return await self.get(made)

    async def match(self, draft: dict[str, Any], mode: Status, reference: datetime) -> list[str]:
        """The incidents of `mode` the draft may be about, best first."""
        tree = self.regions.tree
        regions = [str(r) for r in draft.get("regions") or () if str(r) in tree]
        threats = [str(t) for t in draft.get("threats") or ()]
        if not regions or not threats:
            return []
        area: set[str] = set()
        for code in regions:
            area |= {code, *tree.ancestors(code), *tree.descendants(code)}
        _, end = rp.draft_window(draft, reference)
        found = await self.incidents.find(
            IncidentQuery(
                until=end + rp.MARGIN,
                regions=frozenset(area),
                threats=frozenset(threats),
                modes=frozenset({mode.value}),
                limit=CANDIDATES,
            )
        )
        return rp.match(
            draft,
            [_candidate(r) for r in found],
            mode=mode.value,
            fallback=reference,
            ancestors=tree.ancestors,
        )

    async def decide(
        self,
        report_id: str,
        proposal_id: str,
        actor: Actor,
        *,
        accept: bool,
        edits: rp.Edits | None = None,
        note: str | None = None,
    ) -> tuple[rp.Report, rp.Proposal]:
        cmd = rc.DecideProposal(report_id, proposal_id, accept, edits or rp.Edits(), note)
        proposal: rp.Proposal = await self.bus.handle(cmd, actor)
        return await self.get(report_id), proposal

    # --- reads -------------------------------------------------------------------------------

    async def get(self, report_id: str) -> rp.Report:
        report = await self.reads.report(report_id) if len(report_id) <= 64 else None
        if report is None:
            raise NotFound(f"no report {report_id!r}", field="id")
        return report

    async def find(
        self, mode: str = "actual", *, limit: int = 100, before: tuple[datetime, str] | None = None
    ) -> list[rp.Report]:
        modes = {s.value for s in parse_statuses(mode, "mode")}
        every = len(modes) == len(Status)
        return await self.reads.find(
            ReportQuery(None if every else frozenset(modes), before, limit)
        )


def _candidate(record: IncidentRecord) -> rp.Candidate:
    i = record.incident
    return rp.Candidate(i.id, i.regions, i.threats, i.start, i.end, i.is_open, i.mode.value)
