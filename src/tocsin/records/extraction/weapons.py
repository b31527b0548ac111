"""Weapons and alert signals named in a report, as threat ids (`uav`, `missile`, `aviation`,
`artillery`).

    Shahed, Geran, drone, UAV, БпЛА, безпілотник, «UAV Danger!»     → uav
    Kh-101, Kalibr, Iskander, Kinzhal, S-300, cruise or ballistic missile,
    ракета, «Rocket Danger!», «Ракетна небезпека!»                  → missile
    KAB, guided (aerial) bomb, керована авіабомба, УАБ, ФАБ         → aviation
    Grad, Uragan, Smerch, Vampire, RM-70, MLRS, РСЗВ, shells, artillery → artillery

Names that are also ordinary words (Град is hail, Ураган a hurricane, Смерч a tornado) count
only capitalised, and rockets fired by a multiple rocket launcher are artillery, not missiles.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Final

from tocsin.records.extraction.model import Evidence, ThreatFinding

_W = r"[^\W\d_]*"  # the rest of an inflected word

_LOWER: Final[tuple[tuple[str, str], ...]] = (
    (
        "uav",
        rf"shahed{_W}(?:-\d+)?|шахед{_W}(?:-\d+)?|geran{_W}(?:-\d+)?|геран[ьіия]{_W}(?:-\d+)?"
        rf"|gerbera{_W}|гербер{_W}|unmanned aerial vehicles?|unmanned aircraft|drones?|дрон{_W}"
        rf"|uavs?|бпла|бплa|бпак|безпілотн{_W}"
        rf"|беспилотн{_W}|lancets?|ланцет{_W}|мопед{_W}|kamikaze|камікадзе|камикадзе",
    ),
    (
        "missile",
        rf"(?:ballistic|cruise|aeroballistic|балістичн{_W}|крилат{_W}|баллистическ{_W}"
        rf"|крылат{_W}|аеробалістичн{_W}|аэробаллистическ{_W}) (?:missiles?|ракет{_W})"
        rf"|missiles?|ракет{_W}|rocket danger|rockets?|(?:kh|х|x)-\d+{_W}|kalibr{_W}|калібр{_W}"
        rf"|калибр{_W}|iskander{_W}(?:-m)?|іскандер{_W}(?:-м)?|искандер{_W}(?:-м)?"
        rf"|kinzhal{_W}|кинджал{_W}|кинжал{_W}|[sс]-[34]00{_W}|onyx|онікс{_W}|оникс{_W}"
        rf"|zircon|циркон{_W}|atacms|storm shadow|scalp|нептун{_W}|neptune|kn-23|tochka-u"
        rf"|точка-у|ballistic{_W}|балістик{_W}"
        rf"|балістичн{_W}|баллистик{_W}|баллистическ{_W}|крилат{_W} ракет{_W}"
        rf"|крылат{_W} ракет{_W}|cruise missiles?",
    ),
    (
        "aviation",
        rf"kabs?|каб(?:и|ів|ами|ам|ах|ов|ом|а|у)?|guided (?:aerial |air |glide )?bombs?"
        rf"|glide bombs?|aerial bombs?|(?:керован{_W} )?авіа(?:ційн{_W} )?бомб{_W}"
        rf"|(?:управляем{_W} )?авиа(?:ционн{_W} )?бомб{_W}|авіабомб{_W}|авиабомб{_W}"
        rf"|уаб{_W}(?:-\d+)?|фаб{_W}(?:-\d+)?|ujab|umpk|умпк|керован{_W} бомб{_W}"
        rf"|управляем{_W} бомб{_W}",
    ),
    (
        "artillery",
        rf"himars|хаймарс{_W}|vampire{_W}|вампір{_W}|вампир{_W}|rm-70|рм-70|mlrs|рсзв|рсзо|bm-21|бм-21"
        rf"|multiple(?:-| )rocket(?:-| )launch{_W}|реактивн{_W} систем{_W} залпов{_W}"
        rf"|shells?|shelling|shelled|снаряд{_W}|artillery|артилер{_W}|артиллер{_W}"
        rf"|mortar (?:mines|rounds|shells)|mines|мінами|минами"
        rf"|артобстр{_W}|mortars?|мінометн{_W}|миномет{_W}|howitzers?|гаубиц{_W}",
    ),
)
_CAPITALISED: Final[tuple[tuple[str, str], ...]] = (
    (
        "artillery",
        r"Grad|Град\w*|Uragan|Ураган\w*|Smerch|Смерч\w*|Tornado-S|Торнадо-С|GRAD|ГРАД",
    ),
    ("uav", r"UAV Danger|Загроза БпЛА|Угроза БПЛА"),
)
_LOWER_RE: Final = re.compile(
    "|".join(
        rf"(?P<{threat}{i}>(?<!\w)(?:{pattern})(?!\w))"
        for i, (threat, pattern) in enumerate(_LOWER)
    )
)
_CAPITALISED_RE: Final = re.compile(
    "|".join(
        rf"(?P<{threat}{i}>(?<!\w)(?:{pattern})(?!\w))"
        for i, (threat, pattern) in enumerate(_CAPITALISED)
    )
)
_ROCKET_ARTILLERY: Final = re.compile(
    r"mlrs|рсзв|рсзо|grad|град|uragan|ураган|smerch|смерч|vampire|вампір|вампир|rm-70|рм-70"
    r"|залпов|multiple|bm-21|бм-21|торнадо|tornado"
)
_SIGNAL_MISSILE: Final = re.compile(r"rocket danger|ракетн\w* (?:небезпек|опасност)")
_GENERIC_ROCKET: Final = re.compile(r"(?:ракет|rocket)")


@dataclass(frozen=True, slots=True)
class Mention:
    threat: str
    start: int
    end: int


def mentions(text: str, norm: str) -> list[Mention]:
    """Every weapon or signal named, in order (`norm` is `text.normal(text)`)."""
    found = [*_lower(norm), *_capitalised(text)]
    found.sort(key=lambda m: (m.start, -m.end))
    kept: list[Mention] = []
    for mention in found:
        if kept and mention.start < kept[-1].end:
            continue
        kept.append(mention)
    return [_rockets_of_launchers(m, norm) for m in kept]


def findings(text: str, found: list[Mention]) -> list[ThreatFinding]:
    return [ThreatFinding(m.threat, Evidence.of(text, m.start, m.end)) for m in found]


def _lower(norm: str) -> Iterator[Mention]:
    for match in _LOWER_RE.finditer(norm):
        group = match.lastgroup or ""
        yield Mention(group.rstrip("0123456789"), match.start(), match.end())


def _capitalised(text: str) -> Iterator[Mention]:
    for match in _CAPITALISED_RE.finditer(text):
        group = match.lastgroup or ""
        yield Mention(group.rstrip("0123456789"), match.start(), match.end())


def _rockets_of_launchers(mention: Mention, norm: str) -> Mention:
    """ "Rockets" of a Grad or an MLRS in the same sentence are artillery."""
    if mention.threat != "missile":
        return mention
    word = norm[mention.start : mention.end]
    if _SIGNAL_MISSILE.match(word) or not _GENERIC_ROCKET.match(word):
        return mention
    floor, ceiling = max(0, mention.start - 300), min(len(norm), mention.end + 300)
    left = max(norm.rfind(".", floor, mention.start), norm.rfind("\n", floor, mention.start))
    left = max(left, floor - 1)
    found = (norm.find(".", mention.end, ceiling), norm.find("\n", mention.end, ceiling))
    right = [i for i in found if i >= 0]
    sentence = norm[left + 1 : min(right) if right else ceiling]
    if _ROCKET_ARTILLERY.search(sentence):
        return Mention("artillery", mention.start, mention.end)
    return mention
