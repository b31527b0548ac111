"""Drills: exercises scheduled in advance, announced, raised and ended on their own.

A drill is a plan (`DrillRecord`) that the scheduler carries through its states:
scheduled -> announced -> running -> ended, or cancelled (by a person, before it starts) or
skipped (its region was under an actual alert when it was due; see `docs/drills.md`).
What it raises is built here, by `drill_alert`, and its status is always exercise: no field of
a drill says otherwise, and nothing that reads one can make it say otherwise.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from tocsin.domain.alerts import RaiseAlert, Status
from tocsin.domain.regions import RegionTree
from tocsin.types import AlertId, RegionCode, ThreatId

SCHEDULED, ANNOUNCED, RUNNING = "scheduled", "announced", "running"
ENDED, CANCELLED, SKIPPED = "ended", "cancelled", "skipped"
PENDING_STATES = (SCHEDULED, ANNOUNCED)  # not started: may be changed or cancelled
LIVE_STATES = (SCHEDULED, ANNOUNCED, RUNNING)  # still takes up its regions' time
STATES = (SCHEDULED, ANNOUNCED, RUNNING, ENDED, CANCELLED, SKIPPED)

MAX_ANNOUNCE = 14 * 24 * 3600  # two weeks ahead at most
MAX_DURATION = 6 * 3600
MAX_POSTPONE = 3  # times a drill is moved for an actual alert before it is skipped
POSTPONE_SECONDS = 15 * 60


@dataclass(frozen=True, slots=True)
class DrillRecord:
    id: str
    title: str
    threat: ThreatId
    regions: tuple[RegionCode, ...]
    scheduled_for: datetime
    announce_before: int
    duration: int
    sirens: bool
    state: str
    created_at: datetime
    created_by: str
    alert_id: AlertId | None = None
    postponed: int = 0
    reason: str | None = None
    announced_at: datetime | None = None
    started_at: datetime | None = None
    ended_at: datetime | None = None

    @property
    def announce_at(self) -> datetime:
        return self.scheduled_for - timedelta(seconds=self.announce_before)

    @property
    def ends_at(self) -> datetime:
        return self.scheduled_for + timedelta(seconds=self.duration)

    def due(self, now: datetime) -> str | None:
        """What the scheduler owes this drill at `now`: announce, start, end, miss (its whole
        time passed while no scheduler ran), or nothing."""
        if self.state in (SCHEDULED, ANNOUNCED) and now >= self.ends_at:
            return "miss"
        if self.state == SCHEDULED and now >= self.scheduled_for:
            return "start"
        if self.state == SCHEDULED and now >= self.announce_at:
            return "announce"
        if self.state == ANNOUNCED and now >= self.scheduled_for:
            return "start"
        if self.state == RUNNING and now >= self.ends_at:
            return "end"
        return None


def drill_alert(drill: DrillRecord) -> RaiseAlert:
    """The alert a drill raises: an exercise, always; it expires when the drill ends, so the
    expiry clock ends it even if the scheduler does not."""
    return RaiseAlert(
        threat=drill.threat,
        regions=tuple(drill.regions),
        status=Status.EXERCISE,
        expires_at=drill.ends_at,
        headline=f"Drill: {drill.title}",
        text="This is a drill, not a real alert.",
        source=f"drill:{drill.id}",
    )


def overlapping(
    drill: DrillRecord, others: Iterable[DrillRecord], tree: RegionTree
) -> DrillRecord | None:
    """Another live drill whose time overlaps `drill`'s in a region one covers of the other."""
    for other in others:
        if other.id == drill.id or other.state not in LIVE_STATES:
            continue
        if other.scheduled_for >= drill.ends_at or drill.scheduled_for >= other.ends_at:
            continue
        if regions_meet(drill.regions, other.regions, tree):
            return other
    return None


def regions_meet(a: Sequence[RegionCode], b: Sequence[RegionCode], tree: RegionTree) -> bool:
    """Some region of `a` is one of `b`, or above or below one of them."""
    up_a = {x for code in a for x in (code, *_above(code, tree))}
    up_b = {x for code in b for x in (code, *_above(code, tree))}
    return bool(set(a) & up_b) or bool(set(b) & up_a)


def _above(code: RegionCode, tree: RegionTree) -> list[RegionCode]:
    return tree.ancestors(code) if code in tree else []


_TEXTS: Mapping[str, tuple[str, str, str]] = {
    "en": (
        "A drill will take place at {time} in {place}.",
        "Sirens will sound.",
        "This is not a real alert.",
    ),
    "uk": (
        "О {time} у {place} відбудуться навчання.",
        "Пролунають сирени.",
        "Це не справжня тривога.",
    ),
    "ru": (
        "В {time} в {place} пройдут учения.",
        "Прозвучат сирены.",
        "Это не настоящая тревога.",
    ),
}


# the time the people of a country's regions read, by the prefix of the region codes, and its
# name in each language (after the time: "10:00 Kyiv time", "10:00 за київським часом")
_ZONES: Mapping[str, tuple[str, Mapping[str, str]]] = {
    "UA": (
        "Europe/Kyiv",
        {"en": "Kyiv time", "uk": "за київським часом", "ru": "по киевскому времени"},
    ),
    "RU": (
        "Europe/Moscow",
        {"en": "Moscow time", "uk": "за московським часом", "ru": "по московскому времени"},
    ),
}
_UTC_NAMES: Mapping[str, str] = {"en": "UTC", "uk": "UTC", "ru": "UTC"}


def local_times(when: datetime, regions: Sequence[str]) -> dict[str, str]:
    """`when` as the people of `regions` read it, with the zone's name, in every language:
    Kyiv time for Ukraine's regions, Moscow time for Russia's, UTC for the others; a drill
    whose regions keep different times names each ("10:00 Kyiv time / 10:00 Moscow time")."""
    zones: list[tuple[str, Mapping[str, str]]] = []
    for code in regions:
        zone = _ZONES.get(code.split("-", 1)[0], ("UTC", _UTC_NAMES))
        if zone not in zones:
            zones.append(zone)
    texts = {}
    for lang in _TEXTS:
        shown = []
        for name, names in zones or [("UTC", _UTC_NAMES)]:
            local = when.astimezone(UTC if name == "UTC" else ZoneInfo(name))
            shown.append(f"{local:%H:%M} {names[lang]}")
        texts[lang] = " / ".join(shown)
    return texts


def announcement(
    drill: DrillRecord, places: Mapping[str, str], time_text: str | Mapping[str, str]
) -> dict[str, str]:
    """The notice in every language: `places` is the regions' names in each language, and
    `time_text` when it starts (one text, or one for each language)."""
    texts = {}
    for lang, (when, sirens, not_real) in _TEXTS.items():
        time = time_text if isinstance(time_text, str) else time_text.get(lang, "")
        parts = [when.format(time=time, place=places.get(lang) or places.get("en", ""))]
        if drill.sirens:
            parts.append(sirens)
        parts.append(not_real)
        texts[lang] = " ".join(parts)
    return texts
