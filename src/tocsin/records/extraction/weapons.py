"""Weapons and alert signals named in a report, as threat ids (`uav`, `missile`, `aviation`,
`artillery`).

    Shahed, Geran, drone, UAV, БпЛА, безпілотник, «UAV Danger!»     → uav
    Kh-101, Kalibr, Iskander, Kinzhal, S-300, cruise or ballistic missile,
    ракета, «Rocket Danger!», «Ракетна небезпека!»                  → missile
    KAB, guided (aerial) bomb, керована авіабомба, УАБ, ФАБ         → aviation
    Grad, Uragan, Smerch, Vampire, RM-70, MLRS, РСЗВ, shells, artillery → artillery

Names that are also ordinary words (Град is hail, Ураган a hurricane, Смерч a tornado) count
only capitalised, and rockets fired by a multiple rocket launcher are artillery, not missiles.
The lexicon is written as token patterns (`PATTERNS`) for the spaCy `Matcher` of `pipeline`,
which finds them in the report's `Doc`; `mentions` reads them from there.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Final

from spacy.tokens import Doc

from tocsin.records.extraction.model import Evidence, ThreatFinding

_W = r"[^\W\d_]*"  # the rest of an inflected word

# Each phrase: one regular expression per token (the whole token's NORM, its normal form);
# a token written `?…` may be left out.
_LOWER: Final[dict[str, tuple[str, ...]]] = {
    "uav": (
        rf"shahed{_W}(?:-\d+)?|шахед{_W}(?:-\d+)?|geran{_W}(?:-\d+)?|геран[ьіия]{_W}(?:-\d+)?"
        rf"|gerbera{_W}|гербер{_W}|drones?|дрон{_W}|uavs?|бпла|бплa|бпак|безпілотн{_W}"
        rf"|беспилотн{_W}|lancets?|ланцет{_W}|мопед{_W}|kamikaze|камікадзе|камикадзе",
        "unmanned aerial vehicles?",
        "unmanned aircraft",
    ),
    "missile": (
        rf"ballistic|cruise|aeroballistic|балістичн{_W}|крилат{_W}|баллистическ{_W}|крылат{_W}"
        rf"|аеробалістичн{_W}|аэробаллистическ{_W}"
        rf" missiles?|ракет{_W}",
        rf"missiles?|ракет{_W}|rockets?|(?:kh|х|x)-\d+{_W}|kalibr{_W}|калібр{_W}|калибр{_W}"
        rf"|iskander{_W}(?:-m)?|іскандер{_W}(?:-м)?|искандер{_W}(?:-м)?|kinzhal{_W}|кинджал{_W}"
        rf"|кинжал{_W}|[sс]-[34]00{_W}|onyx|онікс{_W}|оникс{_W}|zircon|циркон{_W}|atacms|scalp"
        rf"|нептун{_W}|neptune|kn-23|tochka-u|точка-у|ballistic{_W}|балістик{_W}"
        rf"|балістичн{_W}|баллистик{_W}|баллистическ{_W}",
        "rocket danger",
        "storm shadow",
    ),
    "aviation": (
        rf"kabs?|каб(?:и|ів|ами|ам|ах|ов|ом|а|у)?|авіабомб{_W}|авиабомб{_W}|уаб{_W}(?:-\d+)?"
        rf"|фаб{_W}(?:-\d+)?|ujab|umpk|умпк",
        "guided ?aerial|air|glide bombs?",
        "glide bombs?",
        "aerial bombs?",
        rf"?керован{_W} авіабомб{_W}",
        rf"?керован{_W} авіаційн{_W} бомб{_W}",
        rf"керован{_W} бомб{_W}",
        rf"?управляем{_W} авиабомб{_W}",
        rf"?управляем{_W} авиационн{_W} бомб{_W}",
        rf"управляем{_W} бомб{_W}",
    ),
    "artillery": (
        rf"himars|хаймарс{_W}|vampire{_W}|вампір{_W}|вампир{_W}|rm-70|рм-70|mlrs|рсзв|рсзо|bm-21"
        rf"|бм-21|multiple-rocket-launch{_W}|shells?|shelling|shelled|снаряд{_W}|artillery"
        rf"|артилер{_W}|артиллер{_W}|mines|мінами|минами|артобстр{_W}|mortars?|мінометн{_W}"
        rf"|миномет{_W}|howitzers?|гаубиц{_W}",
        rf"multiple rocket launch{_W}",
        rf"multiple-rocket launch{_W}",
        rf"multiple rocket-launch{_W}",
        rf"реактивн{_W} систем{_W} залпов{_W}",
        "mortar mines|rounds|shells",
    ),
}
# names that are also ordinary words count only capitalised: matched on the token as written
_CAPITALISED: Final[dict[str, tuple[str, ...]]] = {
    "artillery": (r"Grad|Град\w*|Uragan|Ураган\w*|Smerch|Смерч\w*|Tornado-S|Торнадо-С|GRAD|ГРАД",),
    "uav": ("UAV Danger", "Загроза БпЛА", "Угроза БПЛА"),
}


def _pattern(phrase: str, attr: str) -> list[dict[str, object]]:
    """A `Matcher` pattern: one token for each word of `phrase`; a word alone may also be one
    part of a hyphenated token (`дрон-камікадзе`, `Shahed-type`), which `within` trims to."""
    words = phrase.split(" ")
    around = len(words) == 1
    pattern: list[dict[str, object]] = []
    for word in words:
        body = word.removeprefix("?")
        regex = f"^(?:.*-)?(?:{body})(?:-.*)?$" if around else f"^(?:{body})$"
        token: dict[str, object] = {attr: {"REGEX": regex}}
        if word.startswith("?"):
            token["OP"] = "?"
        pattern.append(token)
    return pattern


def _patterns() -> dict[str, list[list[dict[str, object]]]]:
    found: dict[str, list[list[dict[str, object]]]] = {}
    for lexicon, attr in ((_LOWER, "NORM"), (_CAPITALISED, "TEXT")):
        for threat, phrases in lexicon.items():
            found.setdefault(threat, []).extend(_pattern(p, attr) for p in phrases)
    return found


def _alone(lexicon: dict[str, tuple[str, ...]]) -> re.Pattern[str]:
    return re.compile(
        "|".join(
            rf"(?P<{threat}{i}>(?<!\w)(?:{p})(?!\w))"
            for threat, phrases in lexicon.items()
            for i, p in enumerate(phrases)
            if " " not in p
        )
    )


PATTERNS: Final = _patterns()  # threat id → token patterns, for `pipeline`'s `Matcher`
_LOWER_ALONE: Final = _alone(_LOWER)
_CAPITALISED_ALONE: Final = _alone(_CAPITALISED)


def within(norm: str, text: str) -> list[tuple[str, int, int]]:
    """The weapons named in the parts of a hyphenated token (its normal form and as written):
    threat id, start and end in the token."""
    return [
        ((match.lastgroup or "").rstrip("0123456789"), match.start(), match.end())
        for pattern, form in ((_LOWER_ALONE, norm), (_CAPITALISED_ALONE, text))
        for match in pattern.finditer(form)
    ]


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


def mentions(text: str, norm: str, doc: Doc | None = None) -> list[Mention]:
    """Every weapon or signal named, in order (`norm` is `text.normal(text)`; `doc` the text
    read by `pipeline.document`, read here if not given)."""
    if doc is None:
        from tocsin.records.extraction.pipeline import document

        doc = document(text, "en")
    found = [Mention(threat, start, end) for threat, start, end in doc.user_data["weapons"]]
    found.sort(key=lambda m: (m.start, -m.end))
    kept: list[Mention] = []
    for mention in found:
        if kept and mention.start < kept[-1].end:
            continue
        kept.append(mention)
    return [_rockets_of_launchers(m, norm) for m in kept]


def findings(text: str, found: list[Mention]) -> list[ThreatFinding]:
    return [ThreatFinding(m.threat, Evidence.of(text, m.start, m.end)) for m in found]


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
