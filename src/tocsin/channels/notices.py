"""The words of one notification: a title and a body, from an alert event, in one language.

Used by the apprise and broadcast channels. The body is the alert's short text (at most 90
characters) or long text (at most 360) from `tocsin.cap.texts`, so every channel says
the same thing; the title is the signal or the closing situation («Ракетна небезпека!»,
«Відбій тривоги»), marked for an exercise or test, with what changed:

    alert.raised / alert.activated     the alert (or the early warning, for a pre-alert)
    alert.escalated / deescalated      the alert at its new level, "threat level raised/lowered"
    alert.updated                      only when its regions changed: "area changed"
    alert.ended                        the all-clear
    alert.cancelled                    the false-alarm notice
    alert.expired                      the alert expired without an all-clear
    broadcast.repeat                   the alert again, "still in force" (broadcast targets)
    drill.announced                    "Drill announced" and the drill's own text (not an alert)

Any other event, and an update that changes only texts or the expiry (the short and long texts
would not change), has no notice.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from typing import Final

from tocsin.cap import texts
from tocsin.cap.render import SITUATIONS
from tocsin.cap.texts import Situation, Wording
from tocsin.domain.alerts import Alert, EventType
from tocsin.domain.events import Event
from tocsin.domain.regions import RegionTree
from tocsin.domain.threats import NEUTRAL_COLOR, NO_SIREN, CapMapping, Catalogue, ThreatType
from tocsin.types import Lang, Names, pick

REPEAT: Final = "broadcast.repeat"
DRILL_ANNOUNCED: Final = "drill.announced"
ALERT_EVENTS: Final = frozenset(e.value for e in EventType)
NOTICE_EVENTS: Final = ALERT_EVENTS | {DRILL_ANNOUNCED}
"""What the notice channels carry: the alert events, and a drill's announcement."""
DRILL_TITLES: Final[Names] = {
    "en": "Drill announced",
    "uk": "Оголошено навчання",
    "ru": "Объявлены учения",
}


class Size(StrEnum):
    SHORT = "short"  # at most 90 characters: SMS, tickers, lock screens
    LONG = "long"  # at most 360: e-mail, chat, announcements


LABELS: Final[dict[str, Names]] = {
    EventType.ESCALATED: {
        "en": "threat level raised",
        "uk": "рівень загрози підвищено",
        "ru": "уровень угрозы повышен",
    },
    EventType.DEESCALATED: {
        "en": "threat level lowered",
        "uk": "рівень загрози знижено",
        "ru": "уровень угрозы понижен",
    },
    EventType.UPDATED: {"en": "area changed", "uk": "змінено райони", "ru": "изменены районы"},
    REPEAT: {"en": "still in force", "uk": "тривога триває", "ru": "тревога продолжается"},
}


@dataclass(frozen=True, slots=True)
class Notice:
    title: str
    body: str
    situation: Situation


def has_notice(event: Event) -> bool:
    """Whether the event changes what people are told (see the module docstring)."""
    if event.type == DRILL_ANNOUNCED:
        return isinstance(event.data.get("texts"), dict)
    if event.type == EventType.UPDATED:
        changes = event.changes
        return "regions" in changes or "threat" in changes
    return (event.type in ALERT_EVENTS or event.type == REPEAT) and event.alert is not None


class Composer:
    """Builds notices from the current region tree and threat catalogue."""

    def __init__(self, tree: Callable[[], RegionTree], catalogue: Catalogue) -> None:
        self._tree = tree
        self.catalogue = catalogue

    def notice(self, event: Event, lang: Lang, size: Size) -> Notice | None:
        if event.type == DRILL_ANNOUNCED and has_notice(event):
            limit = texts.SHORT_LIMIT if size is Size.SHORT else texts.LONG_LIMIT
            body = texts.clip(pick(event.data["texts"], lang), limit)
            return Notice(pick(DRILL_TITLES, lang), body, Situation.PRE_ALERT)
        alert = event.alert
        if alert is None or not has_notice(event):
            return None
        w = self.wording(alert, lang)
        body = texts.short_text(w) if size is Size.SHORT else texts.long_text(w)
        return Notice(title(w, event.type), body, w.situation)

    def regions(self) -> RegionTree:
        return self._tree()

    def wording(self, alert: Alert, lang: Lang) -> Wording:
        tree = self._tree()
        names = [_name(tree, code, lang) for code in alert.regions]
        return Wording(
            SITUATIONS[alert.phase],
            alert.status,
            self.threat(alert.threat),
            names,
            lang,
            alert.headline,
            alert.text,
            alert.cancel_message,
            texts.least_shelter([_shelter(tree, code) for code in alert.regions]),
        )

    def threat(self, threat_id: str) -> ThreatType:
        """The threat from the catalogue; a plain stand-in for one it no longer has."""
        known = self.catalogue.get(threat_id)
        if known is not None:
            return known
        cap = CapMapping("Security", "", "Immediate", "Severe", "Likely", "Shelter")
        return ThreatType(threat_id, 0, {"en": threat_id}, {}, {}, {}, NO_SIREN, cap, NEUTRAL_COLOR)


def title(w: Wording, event_type: str) -> str:
    """«НАВЧАННЯ: Ракетна небезпека! (рівень загрози підвищено)»"""
    head = w.marker + w.title
    label = LABELS.get(event_type) if w.situation in _OPEN else None
    text = f"{head} ({pick(label, w.lang)})" if label else head
    return texts.clip(text, texts.HEADLINE_LIMIT)


_OPEN: Final = frozenset({Situation.ALERT, Situation.PRE_ALERT})


def _shelter(tree: RegionTree, code: str) -> int | None:
    region = tree.get(code)
    return region.time_to_shelter if region else None


def _name(tree: RegionTree, code: str, lang: Lang) -> str:
    region = tree.get(code)
    return region.name(lang) if region else code
