"""The audit trail: an append-only list of actions, each chained to the one before by hash.

`hash = sha256(prev_hash + canonical JSON of the entry)`, starting from `GENESIS`; changing,
removing or reordering any stored entry breaks every hash after it, which `verify` finds.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import orjson

from tocsin.types import iso_time

GENESIS = "0" * 64


@dataclass(frozen=True, slots=True)
class AuditEntry:
    seq: int
    time: datetime
    actor: str
    role: str
    origin: str | None
    action: str
    target: str | None
    detail: dict[str, Any]
    prev_hash: str
    hash: str

    def to_json(self) -> dict[str, Any]:
        return {
            "seq": self.seq,
            "time": iso_time(self.time),
            "actor": self.actor,
            "role": self.role,
            "origin": self.origin,
            "action": self.action,
            "target": self.target,
            "detail": self.detail,
            "prev_hash": self.prev_hash,
            "hash": self.hash,
        }


def chain_hash(entry: AuditEntry) -> str:
    """The hash an entry must carry, given its content and `prev_hash`."""
    body = orjson.dumps(
        {
            "seq": entry.seq,
            "time": iso_time(entry.time),
            "actor": entry.actor,
            "role": entry.role,
            "origin": entry.origin,
            "action": entry.action,
            "target": entry.target,
            "detail": entry.detail,
        },
        option=orjson.OPT_SORT_KEYS,
    )
    return hashlib.sha256(entry.prev_hash.encode() + body).hexdigest()


@dataclass(frozen=True, slots=True)
class Verdict:
    ok: bool
    checked: int
    broken_at: int | None = None
    reason: str | None = None


def verify(entries: Iterable[AuditEntry]) -> Verdict:
    """Check the chain from the first entry on."""
    prev, expected_seq, checked = GENESIS, 1, 0
    for entry in entries:
        if entry.seq != expected_seq:
            return Verdict(False, checked, entry.seq, f"entry {expected_seq} is missing")
        if entry.prev_hash != prev:
            return Verdict(False, checked, entry.seq, "does not follow the entry before it")
        if chain_hash(entry) != entry.hash:
            return Verdict(False, checked, entry.seq, "its content was changed")
        prev, expected_seq, checked = entry.hash, expected_seq + 1, checked + 1
    return Verdict(True, checked)
