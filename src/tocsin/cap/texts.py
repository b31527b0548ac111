"""The words of a CAP message, in each language: headline, description, instruction, and the
short (at most 90 characters) and long (at most 360) texts for cell broadcast and SMS that the
IPAWS profile carries as the `CMAMtext` and `CMAMlongtext` parameters.

Every text is built from the threat catalogue (signal, instructions, measures), the region
names and a few phrases per situation below; languages without phrases here fall back to
English phrases with the names in the language asked for.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Final

from tocsin.domain.alerts import Status
from tocsin.domain.threats import ThreatType
from tocsin.types import Lang, Names, pick

SHORT_NAME: Final = "CMAMtext"
SHELTER_NAME: Final = "timeToShelter"
LONG_NAME: Final = "CMAMlongtext"
SHORT_LIMIT: Final = 90
LONG_LIMIT: Final = 360
HEADLINE_LIMIT: Final = 159
# characters XML 1.0 cannot carry, left out of every text (an operator's headline of only these
# is no headline)
NOT_XML: Final = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
ELLIPSIS: Final = "…"


class Situation(StrEnum):
    PRE_ALERT = "pre_alert"
    ALERT = "alert"
    ALL_CLEAR = "all_clear"
    CANCELLED = "cancelled"
    EXPIRED = "expired"


MARKERS: Final[dict[Status, Names]] = {
    Status.EXERCISE: {"en": "EXERCISE", "uk": "НАВЧАННЯ", "ru": "УЧЕНИЯ"},
    Status.TEST: {"en": "TEST", "uk": "ТЕСТ", "ru": "ТЕСТ"},
}

# What each closing situation is called, and what people should know and do.
TITLES: Final[dict[Situation, Names]] = {
    Situation.PRE_ALERT: {"en": "Early warning", "uk": "Попередження", "ru": "Предупреждение"},
    Situation.ALL_CLEAR: {"en": "All clear", "uk": "Відбій тривоги", "ru": "Отбой тревоги"},
    Situation.CANCELLED: {
        "en": "False alarm, alert cancelled",
        "uk": "Хибна тривога, сигнал скасовано",
        "ru": "Ложная тревога, сигнал отменён",
    },
    Situation.EXPIRED: {
        "en": "Alert expired",
        "uk": "Термін дії тривоги минув",
        "ru": "Срок действия тревоги истёк",
    },
}
SUMMARIES: Final[dict[Situation, Names]] = {
    Situation.PRE_ALERT: {
        "en": "Be ready to take shelter.",
        "uk": "Будьте готові прямувати до укриття.",
        "ru": "Будьте готовы пройти в укрытие.",
    },
    Situation.ALL_CLEAR: {
        "en": "The threat is over.",
        "uk": "Загроза минула.",
        "ru": "Угроза миновала.",
    },
    Situation.CANCELLED: {
        "en": "No action is needed.",
        "uk": "Жодних дій не потрібно.",
        "ru": "Никаких действий не требуется.",
    },
    Situation.EXPIRED: {
        "en": "Follow official announcements.",
        "uk": "Стежте за офіційними повідомленнями.",
        "ru": "Следите за официальными сообщениями.",
    },
}
INSTRUCTIONS: Final[dict[Situation, Names]] = {
    Situation.PRE_ALERT: {
        "en": "An alert may follow soon. Know where your nearest shelter is and be ready to go "
        "there. Follow official announcements.",
        "uk": "Незабаром може бути оголошено тривогу. Дізнайтеся, де найближче укриття, і будьте "
        "готові туди прямувати. Стежте за офіційними повідомленнями.",
        "ru": "Вскоре может быть объявлена тревога. Узнайте, где ближайшее укрытие, и будьте "
        "готовы туда пройти. Следите за официальными сообщениями.",
    },
    Situation.ALL_CLEAR: {
        "en": "You may leave the shelter. Stay alert and follow official announcements.",
        "uk": "Можна залишити укриття. Будьте уважні та стежте за офіційними повідомленнями.",
        "ru": "Можно покинуть укрытие. Будьте внимательны и следите за официальными сообщениями.",
    },
    Situation.CANCELLED: {
        "en": "The earlier alert was a false alarm. If you went to a shelter, you may leave it.",
        "uk": "Попередній сигнал був хибним. Якщо ви в укритті, можете його залишити.",
        "ru": "Предыдущий сигнал был ложным. Если вы в укрытии, можете его покинуть.",
    },
    Situation.EXPIRED: {
        "en": "The alert has expired without an all-clear, so the danger may not be over. "
        "Stay alert.",
        "uk": "Термін дії тривоги минув без відбою, тож небезпека може тривати. Будьте уважні.",
        "ru": "Срок действия тревоги истёк без отбоя, поэтому опасность может сохраняться. "
        "Будьте внимательны.",
    },
}
PHRASES: Final[dict[str, Names]] = {
    "more": {"en": "and {n} more", "uk": "та ще {n}", "ru": "и ещё {n}"},
    "shelter": {
        "en": "Reach shelter within {t}.",
        "uk": "Дістаньтеся укриття за {t}.",
        "ru": "Доберитесь до укрытия за {t}.",
    },
    "seconds": {"en": "{n} s", "uk": "{n} с", "ru": "{n} с"},
    "minutes": {"en": "{n} min", "uk": "{n} хв", "ru": "{n} мин"},
    "ended": {
        "en": "The {threat} alert has ended.",
        "uk": "Тривогу «{threat}» завершено.",
        "ru": "Тревога «{threat}» завершена.",
    },
    "cancelled": {
        "en": "The {threat} alert was cancelled as a false alarm.",
        "uk": "Тривогу «{threat}» скасовано як хибну.",
        "ru": "Тревога «{threat}» отменена как ложная.",
    },
    "expired": {
        "en": "The {threat} alert has expired.",
        "uk": "Термін дії тривоги «{threat}» минув.",
        "ru": "Срок действия тревоги «{threat}» истёк.",
    },
    "exercise": {
        "en": "This is an exercise, not a real alert.",
        "uk": "Це навчання, а не справжня тривога.",
        "ru": "Это учения, а не настоящая тревога.",
    },
    "test": {
        "en": "This is a test message, not a real alert.",
        "uk": "Це тестове повідомлення, а не справжня тривога.",
        "ru": "Это тестовое сообщение, а не настоящая тревога.",
    },
}


@dataclass(frozen=True, slots=True)
class Wording:
    """Everything the texts depend on, for one language."""

    situation: Situation
    status: Status
    threat: ThreatType
    regions: Sequence[str]  # names in this language
    lang: Lang
    headline: str | None = None  # the operator's, if any
    text: str | None = None  # the operator's free text
    cancel_message: str | None = None
    shelter: int | None = None  # seconds to reach shelter, where every region has one

    def say(self, texts: Names) -> str:
        return pick(texts, self.lang)

    @property
    def marker(self) -> str:
        names = MARKERS.get(self.status)
        return f"{pick(names, self.lang)}: " if names else ""

    @property
    def title(self) -> str:
        """«Ракетна небезпека!», «Відбій тривоги», …"""
        signal = self.threat.signal_in(self.lang)
        if self.situation is Situation.ALERT:
            return signal
        if self.situation is Situation.PRE_ALERT:
            return f"{self.say(TITLES[self.situation])}: {signal}"
        return self.say(TITLES[self.situation])

    @property
    def head(self) -> str:
        """Marker and title, ready to be followed by the places."""
        title = self.marker + self.title
        return title if title[-1] in "!?.:" else title + ":"

    @property
    def shelter_note(self) -> str:
        """'Reach shelter within 90 s.' for an alert whose regions all have a time to shelter."""
        if self.shelter is None or self.situation not in (Situation.ALERT, Situation.PRE_ALERT):
            return ""
        if self.shelter < 120 or self.shelter % 60:
            span = self.say(PHRASES["seconds"]).format(n=self.shelter)
        else:
            span = self.say(PHRASES["minutes"]).format(n=self.shelter // 60)
        return self.say(PHRASES["shelter"]).format(t=span)

    @property
    def message(self) -> str:
        """The operator's false-alarm message, for a cancelled alert that has one."""
        if self.situation is Situation.CANCELLED and self.cancel_message:
            return self.cancel_message.strip()
        return ""

    @property
    def summary(self) -> str:
        if self.situation is Situation.ALERT:
            return first_sentence(self.threat.instruction(self.lang))
        return self.say(SUMMARIES[self.situation])

    def what_happened(self) -> str:
        key = {
            Situation.ALL_CLEAR: "ended",
            Situation.CANCELLED: "cancelled",
            Situation.EXPIRED: "expired",
        }.get(self.situation)
        if key is None:
            return ""
        return self.say(PHRASES[key]).format(threat=self.threat.name(self.lang).lower())

    def status_note(self) -> str:
        if self.status is Status.ACTUAL:
            return ""
        return self.say(PHRASES[self.status.value])


def headline(w: Wording) -> str:
    """Under 160 characters, as CAP asks."""
    own = NOT_XML.sub("", w.headline or "").strip()
    if own and w.situation in (Situation.ALERT, Situation.PRE_ALERT):
        return clip(w.marker + own, HEADLINE_LIMIT)
    return fit(lambda places: _join(w.head, places), w, HEADLINE_LIMIT)


def short_text(w: Wording) -> str:
    """At most 90 characters: what, where, what to do (for a false alarm, the operator's
    message). The place is kept ('Kharkiv Oblast and 2 more') before the advice, which is cut
    after a sentence or a word that fits, never inside one."""
    advice = _join(w.shelter_note, w.message or w.summary)
    text = fit(lambda places: _join(w.head, places, advice), w, SHORT_LIMIT, clipped=False)
    if text:
        return text
    start = _join(w.head, places_of(w, 1))
    room = SHORT_LIMIT - len(start) - 1
    if room >= 0:
        return _join(start, words_within(advice, room))
    # the first name is too long for the room: shortened, still followed by how many more
    more = places_of(w, 1)[len(w.regions[0]) :]
    return _join(w.head, clip(w.regions[0], SHORT_LIMIT - len(w.head) - 1 - len(more)) + more)


def long_text(w: Wording) -> str:
    """At most 360 characters: the short text with the instructions that fit."""
    extra = [w.what_happened(), *sentences(instruction(w))]
    extra = [s for s in dict.fromkeys(extra) if s and s != w.summary]

    def build(places: str, count: int) -> str:
        return _join(w.head, places, w.shelter_note, w.summary, w.message, *extra[:count])

    everywhere = ", ".join(w.regions) + "."
    for count in range(len(extra), -1, -1):
        text = build(everywhere, count)
        if len(text) <= LONG_LIMIT:
            return text
    return fit(lambda places: build(places, 0), w, LONG_LIMIT)


def description(w: Wording) -> str:
    lines = [_join(w.head, ", ".join(w.regions) + ".")]
    lines += [w.what_happened(), w.status_note()]
    if w.message:
        lines.append(w.message)
    elif w.text:
        lines.append(w.text)
    return "\n".join(line for line in lines if line)


def instruction(w: Wording) -> str:
    if w.situation is Situation.ALERT:
        return " ".join([w.threat.instruction(w.lang), *w.threat.measures_in(w.lang)])
    return w.say(INSTRUCTIONS[w.situation])


def least_shelter(seconds: Sequence[int | None]) -> int | None:
    """The time to shelter of an alert: the least of its regions', None unless all have one
    (never made up for a region that has none)."""
    if not seconds or any(s is None for s in seconds):
        return None
    return min(s for s in seconds if s is not None)


def event(w: Wording) -> str:
    return w.threat.name(w.lang)


def fit(build: Callable[[str], str], w: Wording, limit: int, *, clipped: bool = True) -> str:
    """The text with as many region names as fit in `limit` ('Kharkiv Oblast and 2 more'),
    else (`clipped`) without names, clipped; else ''."""
    for count in range(len(w.regions), 0, -1):
        text = build(places_of(w, count))
        if len(text) <= limit:
            return text
    return clip(build(""), limit) if clipped else ""


def places_of(w: Wording, count: int) -> str:
    """The first `count` names and how many more: 'Kharkiv Oblast, Sumy Oblast and 2 more.'"""
    names = list(w.regions)
    places = ", ".join(names[:count])
    rest = len(names) - count
    if rest > 0:
        places += " " + w.say(PHRASES["more"]).format(n=rest)
    return places + "." if places else ""


def words_within(text: str, limit: int) -> str:
    """The sentences of `text` that fit in `limit`, else the words that do with an ellipsis,
    else ''; never part of a word."""
    kept = ""
    for sentence in sentences(text):
        longer = _join(kept, sentence)
        if len(longer) > limit:
            break
        kept = longer
    if kept:
        return kept
    words = ""
    for word in text.split():
        longer = _join(words, word)
        if len(longer) + len(ELLIPSIS) > limit:
            break
        words = longer
    return words.rstrip(",;:—-– ") + ELLIPSIS if words else ""


def clip(text: str, limit: int) -> str:
    if len(text) <= limit:
        return text
    cut = text[: limit - 1].rstrip()
    space = cut.rfind(" ")
    if space > limit // 2:
        cut = cut[:space].rstrip(",;:—- ")
    return cut + ELLIPSIS


def first_sentence(text: str) -> str:
    found = sentences(text)
    return found[0] if found else ""


def sentences(text: str) -> list[str]:
    out, start = [], 0
    for i, char in enumerate(text):
        if char in ".!?" and (i + 1 == len(text) or text[i + 1] == " "):
            out.append(text[start : i + 1].strip())
            start = i + 1
    tail = text[start:].strip()
    return [s for s in [*out, tail] if s]


def _join(*parts: str) -> str:
    return " ".join(p.strip() for p in parts if p and p.strip())
