"""From a report's text to the draft incident it describes (`extract`).

The draft holds what the text says about its event, and nothing more: its claims, its weapons
as threats, its places (not where drones were launched from or came from), its time window.
Sentences about another event (background: "last week", "нагадаємо", "напомним") go to
`Extraction.others`, one draft for each background paragraph, and never into the draft. A
report that is not about an attack (a gas explosion, a road accident, a drill) gets no threat,
no claim and no region.

When a text states one measure more than once, the draft keeps one figure per measure and
weapon: the largest stated (22 → 28 injured; a total before its parts), the later of equals,
and if the text has an update mark ("UPDATE 12:30", "ОНОВЛЕНО", "УТОЧНЕНИЕ", "Дополнено"), the
largest stated after it, even when smaller than before (128,400 → about 42,000 customers
without power). Background also covers a sentence dated days before the first dated one
("Вечером 2 февраля … . 28 января … погибли 2 человека").

The text is tokenised once, by the blank spaCy pipeline of its language (`pipeline`): its `Doc`
gives the tokens, the sentences and the weapons named to everything else.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from collections.abc import Sequence
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Final

from tocsin.records.domain.claims import WEAPON_MEASURES
from tocsin.records.extraction import context, numbers, pipeline, weapons
from tocsin.records.extraction.claims import read_claims
from tocsin.records.extraction.lang import detect
from tocsin.records.extraction.model import (
    ClaimFinding,
    Draft,
    Evidence,
    Extraction,
    Lang,
    PlaceFinding,
    TimeFinding,
)
from tocsin.records.extraction.pipeline import doc_sentences, doc_tokens, document
from tocsin.records.extraction.places import find_places, finest
from tocsin.records.extraction.text import Sentence
from tocsin.records.extraction.times import find_times, window
from tocsin.records.extraction.weapons import Mention

_RECENT: Final = timedelta(days=2)
_UPDATE: Final = re.compile(
    r"\b(?:update[sd]?|upd|оновлено|оновлення|уточнення|уточнено|уточнение|обновлено"
    r"|обновление|доповнено|дополнено)\b"
)
_PART: Final = 16_000  # characters of a long text whose places are read together
_ORIGIN: Final = re.compile(
    r"(?:launched|fired|came|coming|flying|flew|approached|from the direction|directions?"
    r"|from the area|from the territory|from the waters)\b[^.;]{0,40}?(?:from|of)\s*"
    r"(?:[\w'-]+,?\s*(?:and\s*)?){0,5}$"
    r"|(?:\bз|\bзі|\bіз) (?:боку|напрямк\w*|району|території|акваторії|тимчасово окупован\w*"
    r"|окупован\w*)\s*(?:[\w'-]+,?\s*){0,5}$"
    r"|(?:со стороны|с направлени\w*|с территории|из района|из акватории|с акватории"
    r"|с временно оккупированн\w*|с оккупированн\w*)\s*(?:[\w'-]+,?\s*){0,5}$"
    r"|(?:запущен\w*|випущен\w*|выпущен\w*|запустил\w*|запустив\w*|запустили|пуск\w*"
    r"|launched|fired)\s+(?:\w+\s+){0,3}(?:з|зі|із|из|с|со|from)\s+$"
    r"|\bfrom\s+$|(?:\bз|\bіз|\bзі|\bиз|\bс|\bсо)\s+$"
)
# "Kyiv does not comment", "Москва заявила": a government, not a place
_SPEAKS: Final = re.compile(
    r" (?:does not|did not|doesn't|didn't|has not|said|says|claims|denied|denies|comment\w*"
    r"|не коментує|заявил\w*|заявив|заявила|стверджує|утверждает|не комментирует)\b"
)
# "Напрямки пусків дронів: Брянськ, Курськ", "з повітряного простору Курської області"
_LAUNCH_LIST: Final = re.compile(
    r"(?:напрямк\w* пуск\w*|направлени\w* пуск\w*|район\w* пуск\w*|launch (?:sites|areas)"
    r"|directions? of (?:the )?launch\w*)[^.;]*$"
    r"|(?:з повітряного простору|из воздушного пространства|from the airspace (?:of|over))\s*$"
)
# where drones were heading: a direction, not a place struck
_HEADING: Final = re.compile(
    r"(?:towards?|heading (?:to|for)|in the direction of|в напрямку|у напрямку|в бік|у бік"
    r"|курсом на|в направлении|в сторону|по направлению к)\s+(?:the\s+)?$"
)
_ORIGIN_CONTEXT: Final = re.compile(
    r"launch|fired|direction|напрям|боку|запущ|запуск|випущ|атакував|атаковал|стороны"
    r"|направлени|came|курсом|вылетел|летіл|летел|evacuat|евакуац|эвакуац"
)


def warm() -> None:
    """Build every lexicon and pipeline once, so the first report costs as much as the next."""
    numbers.warm()
    pipeline.warm()
    extract("Вночі ворог атакував Харків 5 ударними БпЛА, 3 збито.", lang="uk")
    extract("Ночью 2 беспилотника атаковали Белгород, пострадавших нет.", lang="ru")
    extract("Overnight 21 of the 49 drones were shot down over Kyiv.", lang="en")


def extract(
    text: str, *, lang: Lang | None = None, published_at: datetime | None = None
) -> Extraction:
    """The draft incident `text` describes, and apart the drafts of other events it recalls."""
    lang = lang or detect(text)
    published = published_at or datetime.now(UTC)
    if published.tzinfo is None:
        published = published.replace(tzinfo=UTC)  # a time without offset is read as UTC
    doc = document(text, lang)
    norm: str = doc.user_data["norm"]
    toks = doc_tokens(doc)
    sents = doc_sentences(doc)
    mentions = weapons.mentions(text, norm, doc)
    flags = context.background(norm, sents)
    attack = context.is_attack(norm, sents, flags, mentions)
    reads = read_claims(text, norm, toks, sents, mentions, lang)
    places = _places(text, lang)
    times = find_times(text, lang, published)
    flags = _dated_before(sents, flags, times, published)
    main = [s for s, other in zip(sents, flags, strict=True) if not other]
    main_claims = [r.claim for r in reads if not flags[r.sentence]]
    draft = _draft(text, norm, main, main_claims, mentions, places, times, published, attack)
    recalled: dict[int, list[ClaimFinding]] = {}
    for read in reads:
        if flags[read.sentence]:
            recalled.setdefault(sents[read.sentence].paragraph, []).append(read.claim)
    others = [
        _draft(text, norm, part, recalled[part[0].paragraph], mentions, places, times, published,
               attack)
        for part in _paragraphs([s for s, other in zip(sents, flags, strict=True) if other])
        if part[0].paragraph in recalled
    ]  # fmt: skip
    return Extraction(lang, draft, others)


def _places(text: str, lang: Lang) -> list[PlaceFinding]:
    """`find_places`, a long text read in parts of whole paragraphs (each place's context is
    its part), so that its cost grows with the text's length."""
    if len(text) <= _PART:
        return find_places(text, lang)
    found: list[PlaceFinding] = []
    start = 0
    while start < len(text):
        end = text.rfind("\n\n", start + 1, start + _PART) if start + _PART < len(text) else -1
        end = len(text) if start + _PART >= len(text) else (end if end > start else start + _PART)
        for place in find_places(text[start:end], lang):
            evidence = Evidence.of(text, place.evidence.start + start, place.evidence.end + start)
            found.append(replace(place, evidence=evidence))
        start = end
    return found


def _dated_before(
    sents: Sequence[Sentence],
    flags: Sequence[bool],
    times: Sequence[TimeFinding],
    published: datetime,
) -> list[bool]:
    """Also background: a sentence dated days before the first dated sentence of the report
    ("Вечером 2 февраля … . 28 января … погибли 2 человека"). The first one dates the event,
    however long before the report was published."""
    starts = [s.start for s in sents]
    ends: dict[int, list[datetime]] = {}
    for t in times:
        n = bisect_right(starts, t.evidence.start) - 1
        ends.setdefault(n, []).append(t.end or t.start)
    main = [n for n in sorted(ends) if not flags[n]]
    if not main:
        return list(flags)
    anchor = min(t.start for t in times if bisect_right(starts, t.evidence.start) - 1 == main[0])
    limit = min(anchor, published) - _RECENT
    return [
        flag or (n in ends and n != main[0] and all(e < limit for e in ends[n]))
        for n, flag in enumerate(flags)
    ]


def _draft(
    text: str,
    norm: str,
    part: Sequence[Sentence],
    claims: Sequence[ClaimFinding],
    mentions: Sequence[Mention],
    places: Sequence[PlaceFinding],
    times: Sequence[TimeFinding],
    published: datetime,
    attack: bool,
) -> Draft:
    starts = [s.start for s in part]

    def inside(start: int) -> bool:
        n = bisect_right(starts, start) - 1
        return n >= 0 and start < part[n].end

    own_times = [t for t in times if inside(t.evidence.start)]
    start, end = window(own_times, published)
    draft = Draft(start=start, end=end, times=own_times)
    if not attack:
        return draft
    own_mentions = [m for m in mentions if inside(m.start)]
    draft.threat_findings = weapons.findings(text, own_mentions)
    draft.threats = list(dict.fromkeys(m.threat for m in own_mentions))
    draft.places = [
        p
        for p in places
        if inside(p.evidence.start) and not _origin(norm, p.evidence.start, p.evidence.end)
    ]
    draft.regions = finest(p.region for p in draft.places)
    mark = _UPDATE.search(norm)
    draft.claims = _consistent(
        _latest(_tied(claims, draft.threats), mark.start() if mark else len(norm))
    )
    return draft


def _tied(claims: Sequence[ClaimFinding], threats: Sequence[str]) -> list[ClaimFinding]:
    """A weapon measure without its weapon, in a report of one weapon, is of that weapon."""
    if len(threats) != 1:
        return list(claims)
    tied: list[ClaimFinding] = []
    for claim in claims:
        if claim.weapon is None and claim.measure in WEAPON_MEASURES:
            claim = ClaimFinding(
                claim.measure, claim.min, claim.max, claim.kind, claim.evidence,
                threats[0], claim.words,
            )  # fmt: skip
        tied.append(claim)
    return tied


def _latest(claims: Sequence[ClaimFinding], updated_from: int) -> list[ClaimFinding]:
    """One claim per measure and weapon: the largest, the later of equals (a total before its
    parts), among those stated after an update mark ("UPDATE 12:30", "ОНОВЛЕНО", "УТОЧНЕНИЕ")
    if there are any, else among all."""
    best: dict[tuple[str, str | None], ClaimFinding] = {}
    for claim in claims:
        key = (claim.measure, claim.weapon)
        held = best.get(key)
        update = claim.evidence.start >= updated_from
        if held is None or (update and held.evidence.start < updated_from):
            best[key] = claim  # the update's figures replace the earlier ones
        elif update == (held.evidence.start >= updated_from) and claim.min >= held.min:
            best[key] = claim
    return sorted(best.values(), key=lambda c: c.evidence.start)


def _consistent(claims: list[ClaimFinding]) -> list[ClaimFinding]:
    """Without a launched figure that intercepted certainly exceeds (a claim set may not hold
    both: docs/incidents.md), the intercepted one being the figure the text ties closer."""
    intercepted = {c.weapon: c.min for c in claims if c.measure == "intercepted"}

    def exceeded(claim: ClaimFinding) -> bool:
        if claim.measure != "launched" or claim.max is None:
            return False
        if claim.weapon is None:
            return any(low > claim.max for low in intercepted.values())
        return intercepted.get(claim.weapon, 0) > claim.max

    return [c for c in claims if not exceeded(c)]


def _origin(norm: str, start: int, end: int) -> bool:
    """Whether the place at `start` is where weapons came from, not where they struck."""
    floor = max(0, start - 80)
    left = max(norm.rfind(".", floor, start), norm.rfind("\n", floor, start), floor - 1)
    before = norm[left + 1 : start]
    if _HEADING.search(before) or _SPEAKS.match(norm, end) or _LAUNCH_LIST.search(before):
        return True
    if not _ORIGIN.search(before):
        return False
    ceiling = min(len(norm), end + 300)
    stops = [i for i in (norm.find(".", end, ceiling), norm.find("\n", end, ceiling)) if i >= 0]
    sentence = norm[left + 1 : min(stops) if stops else ceiling]
    return bool(_ORIGIN_CONTEXT.search(sentence))


def _paragraphs(part: Sequence[Sentence]) -> list[list[Sentence]]:
    grouped: dict[int, list[Sentence]] = {}
    for sentence in part:
        grouped.setdefault(sentence.paragraph, []).append(sentence)
    return list(grouped.values())
