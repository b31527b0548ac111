"""The audit trail: an append-only list of actions, each chained to the one before by a keyed hash.

`hash = HMAC-SHA256(key, prev_hash + canonical JSON of the entry)`, starting from `GENESIS`.
Changing, removing or reordering a stored entry breaks every hash after it, and without the key
nobody can compute the hashes again: a rewritten chain no longer verifies.

Cutting the newest entries off leaves a shorter chain that is still consistent, so the head is
anchored outside the table: a checkpoint (entry count and head hash, with a MAC of its own) is
appended to the event log from time to time, and the log is copied out to every stream and
webhook receiver. `verify` checks the chain against every checkpoint it is given, and that every
event the audited actions appended is still accounted for.

Every entry must be keyed. A trail written before a key was configured (a plain SHA-256 chain)
is checked as such and then chained again under the key when the service first starts with it
(`rechain`); one that does not check out is left alone, and verifying reports it.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

import orjson

from tocsin.domain.auth import Actor
from tocsin.types import iso_time

GENESIS = "0" * 64
CHECKPOINT = "audit.checkpoint"


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


@dataclass(frozen=True, slots=True)
class Audited:
    """An action to record in the audit trail (the trail numbers and chains it)."""

    actor: Actor
    action: str
    target: str | None
    detail: dict[str, Any]
    time: datetime


def _body(entry: AuditEntry) -> bytes:
    return orjson.dumps(
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


def chain_hash(entry: AuditEntry, key: bytes | None) -> str:
    """The hash an entry must carry, given its content and `prev_hash` (keyed when `key` is)."""
    message = entry.prev_hash.encode() + _body(entry)
    if key is None:
        return hashlib.sha256(message).hexdigest()
    return hmac.new(key, message, hashlib.sha256).hexdigest()


@dataclass(frozen=True, slots=True)
class Checkpoint:
    """The head of the trail at one moment: how many entries, and the last one's hash."""

    count: int
    head: str
    mac: str = ""

    def signed(self, key: bytes) -> Checkpoint:
        return Checkpoint(self.count, self.head, _checkpoint_mac(key, self.count, self.head))

    def to_json(self) -> dict[str, Any]:
        return {"count": self.count, "head": self.head, "mac": self.mac}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Checkpoint:
        return cls(int(data["count"]), str(data["head"]), str(data.get("mac", "")))


def _checkpoint_mac(key: bytes, count: int, head: str) -> str:
    return hmac.new(key, f"{CHECKPOINT}:{count}:{head}".encode(), hashlib.sha256).hexdigest()


@dataclass(frozen=True, slots=True)
class Verdict:
    ok: bool
    checked: int
    broken_at: int | None = None
    reason: str | None = None
    keyed: bool = True
    checkpoints: int = 0


def verify(
    entries: Iterable[AuditEntry],
    key: bytes | None,
    *,
    checkpoints: Iterable[Checkpoint] = (),
    event_seqs: Iterable[int] = (),
) -> Verdict:
    """Check the chain from the first entry on, against the checkpoints found in the log and the
    seqs of the events appended by audited actions (`event_seqs`: every one must be named by an
    entry). Without the key the chain cannot be checked, and the verdict says so."""
    if key is None:
        return Verdict(
            False, 0, None, "no audit key is configured: the keyed chain cannot be checked", False
        )
    heads: dict[int, str] = {}
    marks = list(checkpoints)
    prev, expected_seq, checked = GENESIS, 1, 0
    named: set[int] = set()
    for entry in entries:
        if entry.seq != expected_seq:
            return Verdict(False, checked, entry.seq, f"entry {expected_seq} is missing")
        if entry.prev_hash != prev:
            return Verdict(False, checked, entry.seq, "does not follow the entry before it")
        if not hmac.compare_digest(chain_hash(entry, key), entry.hash):
            return Verdict(False, checked, entry.seq, "its content was changed")
        named.update(int(s) for s in entry.detail.get("events", ()) if isinstance(s, int))
        heads[entry.seq] = entry.hash
        prev, expected_seq, checked = entry.hash, expected_seq + 1, checked + 1
    for mark in marks:
        broken = _check_mark(mark, key, heads, checked)
        if broken is not None:
            return Verdict(False, checked, mark.count, broken, checkpoints=len(marks))
    missing = sorted(set(event_seqs) - named)
    if missing:
        return Verdict(
            False,
            checked,
            None,
            f"event {missing[0]} was appended by an action the trail no longer holds",
            checkpoints=len(marks),
        )
    return Verdict(True, checked, checkpoints=len(marks))


def rechain(entries: Iterable[AuditEntry], key: bytes) -> list[AuditEntry] | None:
    """The entries of a plain SHA-256 chain chained again under `key`, or None if the plain
    chain does not check out (then nothing may vouch for it)."""
    out: list[AuditEntry] = []
    old_prev, new_prev = GENESIS, GENESIS
    for expected_seq, entry in enumerate(entries, start=1):
        if entry.seq != expected_seq or entry.prev_hash != old_prev:
            return None
        if chain_hash(entry, None) != entry.hash:
            return None
        old_prev = entry.hash
        keyed = replace(entry, prev_hash=new_prev)
        keyed = replace(keyed, hash=chain_hash(keyed, key))
        out.append(keyed)
        new_prev = keyed.hash
    return out


def _check_mark(mark: Checkpoint, key: bytes, heads: dict[int, str], count: int) -> str | None:
    if not hmac.compare_digest(_checkpoint_mac(key, mark.count, mark.head), mark.mac):
        return f"the checkpoint at entry {mark.count} was not made with this key"
    if mark.count > count:
        return (
            f"a checkpoint saw {mark.count} entries, but only {count} remain: "
            "the newest entries were removed"
        )
    if heads.get(mark.count) != mark.head:
        return f"entry {mark.count} is not the one the checkpoint saw"
    return None
