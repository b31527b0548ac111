"""The spoken announcement of an alert: the long text every channel sends, said aloud.

It says the signal, the places (named, then "and N more" where they do not all fit), the time
to shelter where every region has one, and what to do; for the all-clear, the false-alarm
cancel (with the operator's message) and an expiry, what `tocsin.cap.texts` says of them. A
change (`escalated`, `deescalated`, `updated`, `repeat`) is said first, in the words of the
notice titles. An exercise begins and ends with "This is a drill".
"""

from __future__ import annotations

from typing import Final

from tocsin.cap import texts
from tocsin.cap.texts import Situation, Wording
from tocsin.channels.notices import LABELS
from tocsin.domain.alerts import Status
from tocsin.errors import InvalidInput
from tocsin.types import Names

DRILL: Final[Names] = {"en": "This is a drill.", "uk": "Це навчання.", "ru": "Это учения."}
CHANGES: Final = {str(key).rpartition(".")[2]: names for key, names in LABELS.items()}
_OPEN: Final = frozenset({Situation.ALERT, Situation.PRE_ALERT})


def check_change(change: str | None) -> str | None:
    if change is not None and change not in CHANGES:
        known = ", ".join(sorted(CHANGES))
        raise InvalidInput(f"change must be one of {known}; got {change!r}", field="change")
    return change


def script(w: Wording, change: str | None = None) -> str:
    """What is said, in the wording's language."""
    parts = [texts.long_text(w)]
    if check_change(change) is not None and w.situation in _OPEN:
        label = w.say(CHANGES[str(change)])
        parts.insert(0, label[:1].upper() + label[1:] + ".")
    if w.status is Status.EXERCISE:
        drill = w.say(DRILL)
        parts = [drill, *parts, drill]
    return " ".join(parts)
