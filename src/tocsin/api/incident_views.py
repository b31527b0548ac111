"""How incidents look to clients, in the client's language.

One incident (`incident_view`) carries everything its public page and the operator console
show: the current figures with the claims and sources they rest on, every claim with its status
history, the history of every figure (`figure_history`), and the response actions.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from tocsin.api.views import marker, region_brief
from tocsin.domain.events import Event
from tocsin.domain.regions import RegionTree
from tocsin.domain.threats import Catalogue
from tocsin.records.domain import incident_texts as texts
from tocsin.records.domain.claims import (
    INITIAL_STATUSES,
    WEAPON_MEASURES,
    Claim,
    ClaimStatus,
    Measure,
    Reliability,
    superseders,
)
from tocsin.records.domain.figures import STATUS_EVENTS, Figure, Revision
from tocsin.records.domain.incident_texts import name_of
from tocsin.records.domain.incidents import IncidentRecord
from tocsin.records.domain.quantities import VAGUE
from tocsin.records.domain.responses import ResponseAction
from tocsin.types import Lang, iso_time

JSON = dict[str, Any]


class Context:
    """What every part of one view needs."""

    def __init__(self, tree: RegionTree, catalogue: Catalogue, lang: Lang) -> None:
        self.tree, self.catalogue, self.lang = tree, catalogue, lang

    def threat(self, threat_id: str | None) -> JSON | None:
        if threat_id is None:
            return None
        threat = self.catalogue.get(threat_id)
        return {"id": threat_id, "name": threat.name(self.lang) if threat else threat_id}


def incident_view(
    record: IncidentRecord,
    tree: RegionTree,
    catalogue: Catalogue,
    lang: Lang,
    *,
    full: bool = True,
) -> JSON:
    """The incident; `full` adds every claim, response and the figures' history."""
    ctx = Context(tree, catalogue, lang)
    incident = record.incident
    figures = record.figures()
    by_id = {c.id: c for c in record.claims}
    view = incident.to_json()
    view.update(
        status_name=name_of(texts.INCIDENT_STATUSES, incident.status, lang),
        marker=marker(incident.mode, lang),
        regions=[region_brief(tree.get(code), code, lang) for code in incident.regions],
        threats=[ctx.threat(t) for t in incident.threats],
        figures={m.value: figure_view(f, by_id, ctx) for m, f in figures.items()},
        claims_count=len(record.claims),
        responses_count=len(record.responses),
        lang=lang,
    )
    if full:
        view.update(
            claims=claims_view(record.claims, figures, ctx),
            figure_history={
                m.value: [revision_view(r, lang) for r in revs]
                for m, revs in record.history().items()
            },
            responses=[response_view(r, lang) for r in record.responses],
        )
    return view


def claim_answer(
    record: IncidentRecord, claim_id: str, tree: RegionTree, catalogue: Catalogue, lang: Lang
) -> JSON:
    """One claim as it stands, with the incident's current figures."""
    ctx = Context(tree, catalogue, lang)
    figures = record.figures()
    by_id = {c.id: c for c in record.claims}
    claim = next(c for c in claims_view(record.claims, figures, ctx) if c["id"] == claim_id)
    return {**claim, "figures": {m.value: figure_view(f, by_id, ctx) for m, f in figures.items()}}


def figure_view(figure: Figure, claims: Mapping[str, Claim], ctx: Context) -> JSON:
    view: JSON = {
        "measure": figure.measure.value,
        "name": name_of(texts.MEASURES, figure.measure, ctx.lang),
        **figure.quantity.to_json(),
        "text": figure.quantity.text(ctx.lang),
        "status": figure.status.value,
        "status_name": name_of(texts.FIGURE_STATUSES, figure.status, ctx.lang),
        "claims": list(figure.claims),
        "sources": [_source(claims[i], ctx.lang) for i in figure.claims if i in claims],
        "disputed": list(figure.disputed),
    }
    if figure.parts:
        view["by_weapon"] = {
            (p.weapon or "all"): {**figure_view(p, claims, ctx), "weapon": ctx.threat(p.weapon)}
            for p in figure.parts
        }
    return view


def claims_view(
    claims: Sequence[Claim], figures: Mapping[Measure, Figure], ctx: Context
) -> list[JSON]:
    replaced = superseders(claims)
    counted = {i for f in figures.values() for i in _basis(f)}
    return [claim_view(c, ctx, replaced.get(c.id, []), c.id in counted) for c in claims]


def claim_view(claim: Claim, ctx: Context, superseded_by: Sequence[str], counts: bool) -> JSON:
    lang = ctx.lang
    view = claim.to_json()
    view.update(
        measure_name=name_of(texts.MEASURES, claim.measure, lang),
        weapon=claim.weapon,
        weapon_name=(ctx.threat(claim.weapon) or {}).get("name"),
        text=claim.quantity.text(lang),
        source=_source(claim, lang),
        reliability_name=name_of(texts.RELIABILITY, claim.reliability, lang),
        status=claim.status.value,
        status_name=name_of(texts.CLAIM_STATUSES, claim.status, lang),
        history=_claim_history(claim, lang),
        superseded_by=list(superseded_by),
        superseded=bool(superseded_by),
        counts=counts,
        as_of=iso_time(claim.as_of),
        seq=claim.seq,
    )
    return view


def revision_view(revision: Revision, lang: Lang) -> JSON:
    view = revision.to_json()
    view.update(
        name=name_of(texts.MEASURES, revision.measure, lang),
        text=None if revision.quantity is None else revision.quantity.text(lang),
        status_name=name_of(texts.FIGURE_STATUSES, revision.status, lang),
    )
    return view


def response_view(action: ResponseAction, lang: Lang) -> JSON:
    view = action.to_json()
    view.update(
        kind_name=name_of(texts.RESPONSE_KINDS, action.kind, lang),
        task_name=name_of(texts.TASKS, action.task, lang),
        utility_name=name_of(texts.UTILITIES, action.utility, lang),
        status=action.status.value,
        status_name=name_of(texts.RESPONSE_STATUSES, action.status, lang),
        progress=action.progress,
        expected_at=None if action.expected is None else iso_time(action.expected),
        completed_at=None if action.completed_at is None else iso_time(action.completed_at),
        updates=[
            {**u.to_json(), "status_name": name_of(texts.RESPONSE_STATUSES, u.status, lang)}
            for u in action.updates
        ],
    )
    return view


def timeline_view(events: Sequence[Event], record: IncidentRecord, lang: Lang) -> JSON:
    """Every event of the incident, oldest first, each with the figure revisions it caused."""
    caused: dict[int, list[JSON]] = {}
    history = record.history()
    for revisions in history.values():
        for revision in revisions:
            caused.setdefault(revision.seq, []).append(revision_view(revision, lang))
    return {
        "incident_id": record.incident.id,
        "events": [{**e.to_json(), "figures": caused.get(e.seq, [])} for e in events],
        "figure_history": {
            m.value: [revision_view(r, lang) for r in revs] for m, revs in history.items()
        },
        "lang": lang,
    }


def terms_view(lang: Lang) -> JSON:
    """What a client offers its users when they record claims and responses, with names."""

    def named(table: Mapping[str, Mapping[Lang, str]], keys: Sequence[str] = ()) -> list[JSON]:
        return [{"id": key, "name": name_of(table, key, lang)} for key in keys or table]

    return {
        "measures": [
            {**entry, "weapon": Measure(entry["id"]) in WEAPON_MEASURES}
            for entry in named(texts.MEASURES, [m.value for m in Measure])
        ],
        "vague_words": [
            {**entry, "min": VAGUE[entry["id"]][0], "max": VAGUE[entry["id"]][1]}
            for entry in named(texts.VAGUE_WORDS)
        ],
        "source_kinds": named(texts.SOURCE_KINDS),
        "reliability": named(texts.RELIABILITY, [r.value for r in Reliability]),
        "claim_statuses": named(
            texts.CLAIM_STATUSES, [s.value for s in ClaimStatus if s in INITIAL_STATUSES]
        ),
        "response_kinds": named(texts.RESPONSE_KINDS),
        "tasks": named(texts.TASKS),
        "utilities": named(texts.UTILITIES),
        "response_statuses": named(texts.RESPONSE_STATUSES),
        "lang": lang,
    }


def _claim_history(claim: Claim, lang: Lang) -> list[JSON]:
    """How the claim's status came to be: recorded, then every change."""
    recorded = {
        "status": claim.initial_status.value,
        "previous": None,
        "at": iso_time(claim.recorded_at),
        "by": claim.recorded_by,
        "note": claim.note,
        "seq": claim.seq,
        "event": "incident.claim_added",
    }
    changes = [{**c.to_json(), "event": STATUS_EVENTS[c.status]} for c in claim.changes]
    return [
        {**entry, "status_name": name_of(texts.CLAIM_STATUSES, entry["status"], lang)}
        for entry in (recorded, *changes)
    ]


def _source(claim: Claim, lang: Lang) -> JSON:
    return {
        **claim.source.to_json(),
        "kind_name": name_of(texts.SOURCE_KINDS, claim.source.kind, lang),
        "reliability": claim.reliability.value,
        "as_of": iso_time(claim.as_of),
        "claim": claim.id,
        "status": claim.status.value,
    }


def _basis(figure: Figure) -> set[str]:
    return {*figure.claims, *(i for p in figure.parts for i in p.claims)}
