"""Claims read from a report: each count with what it counts (a measure of docs/incidents.md),
the weapon it is tied to, and the span it was read from.

A count's measure comes from the noun after it ("49 drones", "12 багатоповерхівок",
"300 абонентов") and the nearest predicate in its sentence ("killed", "поранено", "сбиты",
"без света", "windows in …"); nouns and predicates are in `cues`. Also read:

- "21 of the 49 drones", "52 з 54", "9 из 11", "shot down 21 drones out of 49": intercepted 21
  and launched 49;
- a person named alone ("a man", "погиб мужчина", "поранено жінку"): 1;
- an explicit zero ("no injuries were reported", "пострадавших нет", "ніхто не постраждав");
- parts of one coordinated phrase, summed ("windows in six apartment buildings and one private
  residence": 7).

Counts that are parts of another ("among them three children", "seven of them", "серед них",
"одного из них") are no claims. A weapon is set on launched, intercepted, impacts and debris
falls only when the count names it, its clause names one weapon, or one weapon is named just
before it in the sentence or the one before (`weapon` None otherwise: `extract` may tie it to
the report's one weapon).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Final

from tocsin.records.domain.claims import WEAPON_MEASURES, Measure
from tocsin.records.domain.quantities import Quantity, total
from tocsin.records.extraction import cues
from tocsin.records.extraction.counts import RISE, Count, find_counts
from tocsin.records.extraction.model import ClaimFinding, Evidence, Lang
from tocsin.records.extraction.text import Sentence, Token, phrases, words
from tocsin.records.extraction.weapons import Mention

_BY_NOUN: Final[Mapping[str | None, Mapping[str, str]]] = {
    "person": {"killed": "killed", "injured": "injured", "evacuated": "evacuated"},
    None: {
        "killed": "killed",
        "injured": "injured",
        "evacuated": "evacuated",
        "intercept": "intercepted",
        "launch": "launched",
    },
    "weapon": {
        "launch": "launched",
        "intercept": "intercepted",
        "destroy": "intercepted",
        "fell": "debris_falls",
        "hit": "impacts",
        "impact": "impacts",
    },
    "building": {
        "gas": "",
        "window": "windows_broken",
        "power": "buildings_without_power",
        "water": "buildings_without_water",
        "heat": "buildings_without_heat",
        "damage": "buildings_damaged",
        "destroy": "buildings_damaged",
    },
    "customer": {
        "gas": "",
        "power": "customers_without_power",
        "water": "customers_without_water",
        "heat": "customers_without_heat",
    },
    "vehicle": {"destroy": "vehicles_destroyed", "damage": "vehicles_damaged"},
    "location": {"fell": "debris_falls"},
}
_DIRECT: Final[Mapping[str, str]] = {"explosion": "detonations_heard", "impact": "impacts"}
_PARTS_BEFORE: Final = phrases(
    "including|among them|among whom|of whom|серед них|серед яких|у тому числі|"
    "в тому числі|зокрема|з яких|із яких|в том числе|среди них|среди которых|включая|"
    "из которых|в т. ч.|у т. ч.|among the injured|among the wounded|among the dead|"
    "among the victims|серед поранених|серед постраждалих|серед загиблих|серед травмованих|"
    "среди пострадавших|среди раненых|среди погибших"
)
_PARTS_AFTER: Final = phrases("of them|of whom|з них|із них|зі них|из них")
_LISTING_MEASURES: Final = frozenset(
    {"buildings_damaged", "windows_broken", "buildings_without_power", "buildings_without_water",
     "buildings_without_heat", "vehicles_damaged", "vehicles_destroyed"}
)  # fmt: skip
_BUILDING_KINDS: Final = frozenset({"building"})
_VEHICLE_KINDS: Final = frozenset({"vehicle"})
_INSTITUTION: Final = re.compile(
    r"kindergarten|school|hospital|clinic|школ[іуаы]|школе|лікарн[юія]|больниц[уеаы]|дитсадок"
    r"|садочок|садок|садка|садку|сад|детсад"
)
_ARTICLED: Final = re.compile(
    r"kindergarten|school|hospital|clinic|church|dormitory|hostel|адмінбудівл\w*|здани\w*"
    r"|школ[іуаы]|школе|лікарн[юія]|больниц[уеаы]|дитсадок|садочок|садок|садка|садку"
    r"|будівл\w*"
)
_TRACTORS: Final = re.compile(r"трактор\w*|tractors?|комбайн\w*")
_ENUMERATING: Final = words("second other another друга другий інша вторая второй другая")
_LIFE: Final = words("життя жизни жизнь")
_TOOK: Final = words(
    "забрав забрала забрали забрало унес унёс унесла унесли унесло забрал позбавив позбавила "
    "позбавили лишил лишила лишили"
)
_NOT_A_SUPPLY: Final = words(
    "line lines station stations plant plants engineers engineer grid grids substation "
    "substations company companies facility facilities unit units"
)
_SUPPLIES: Final = frozenset({"power", "water", "heat"})
_BLOCKING: Final = frozenset({"lost", "restored"})
_ADJECTIVE_ENDINGS: Final = (
    "ий",
    "ій",
    "их",
    "ого",
    "ому",
    "ими",
    "ої",
    "ою",
    "ый",
    "ая",
    "ое",
    "ые",
    "ых",
    "ой",
    "ым",
)
_LIST_WORDS: Final = words("а also as well також также та і и й and")
_MORE: Final = words("ще ещё еще another more")
_NOUN_STOPS: Final = words(
    "in at on to from by with for near after over у в на по до від після під над біля во з із "
    "зі из с со "
    "после под около возле при"
)
_ONE_OF: Final = frozenset({"of", "з", "із", "зі", "из"})
_N_OF_M: Final = frozenset({"of", "the", "out", "з", "із", "зі", "из"})
_JOINS: Final = frozenset({"and", "і", "й", "та", "и", "plus"})
_CASUALTIES: Final = frozenset({"killed", "injured"})
_SINGLE_PERSON: Final = re.compile(
    r"man|woman|child|boy|girl|teenager|person|resident|civilian|pensioner|driver|чоловік"
    r"|чоловіка|жінка|жінку|жінки|дитина|дитину|дитини|підліток|підлітка|людина|людину"
    r"|мешканець|мешканця|мешканка|мешканку|хлопець|хлопця|дівчина|дівчину|пенсіонер"
    r"|пенсіонера|пенсіонерка|пенсіонерку|водій|водія|мужчина|мужчину|мужчины|женщина"
    r"|женщину|женщины|ребенок|ребенка|подросток|подростка|житель|жителя|жительница"
    r"|жительницу|пенсионер|пенсионера|пенсионерка|пенсионерку|водитель|водителя"
)
_DESCRIBING: Final = words(
    "elderly young old local middle-aged pregnant teenage 16-year-old year-old"
)
_NEGATIONS: Final = words("not never n't не ні ни")
_LOCAL: Final = re.compile(r"(?: \w+)? (?:there|там)\b")  # "no casualties there": one place
# "in the Bryansk region there were no casualties", "Там ніхто не постраждав": one place
_LOCAL_BEFORE: Final = re.compile(
    r"(?:\bin (?:the )?[\w-]+(?: [\w-]+)?,? there|\bтам)\s+(?:\w+\s+)?$"
)
_ZEROS: Final[tuple[tuple[str, re.Pattern[str]], ...]] = tuple(
    (measure, re.compile(pattern))
    for measure, pattern in (
        (
            "injured",
            r"\bno (?:one|body) (?:was |were )?(?:\w+ )?(?:injured|hurt|wounded)|nobody was hurt"
            r"|\bno (?:\w+ )?(?:injuries|injured|casualties|wounded)\b|without (?:any )?casualties"
            r"|ніхто не (?:постраждав|травмувався|поранений|був поранений)|без постраждалих"
            r"|постраждал\w+ (?:немає|нема|не виявлено|не зафіксовано)|без жертв і постраждалих"
            r"|пострадавш\w+ (?:нет|не выявлено|не зафиксировано|не было)|без пострадавших"
            r"|никто не (?:пострадал|ранен|получил ранени)|и пострадавших нет"
            r"|обійшлося без (?:жертв та )?постраждалих|люди не (?:постраждали|пострадали)"
            r"|без жертв (?:і|та|й|и) (?:поранен|постраждал|пострадавш|ранен)\w*"
            r"|people were not (?:hurt|injured)"
            r"|\bno reports? of (?:any )?(?:injuries|casualties)"
            r"|поранен\w+ (?:немає|нема)|ранен\w+ нет|травмован\w+ (?:немає|нема)"
            r"|\bno (?:deaths|fatalities) or injuries",
        ),
        (
            "killed",
            r"\bno (?:one|body) (?:was |were )?killed|\bno (?:deaths|fatalities|dead)\b"
            r"|ніхто не загинув|загибл\w+ (?:немає|нема)|без загиблих|обійшлося без жертв"
            r"|жертв (?:немає|нема)|погибш\w+ нет|никто не погиб|жертв (?:и пострадавших )?нет"
            r"|загибл\w+ (?:і|та|й) (?:постраждал|поранен)\w* (?:немає|нема)"
            r"|погибш\w+ и (?:пострадавш|ранен)\w* нет|no (?:deaths|dead|one killed) or injur\w*"
            r"|\bno (?:\w+ )?casualties|without (?:any )?casualties|\bno injuries or deaths"
            r"|\bno reports? of (?:any )?casualties|загибл\w+ (?:і|та|й) поранен\w* (?:немає|нема)"
            r"|без жертв|жертв не",
        ),
    )
)


@dataclass(frozen=True, slots=True)
class Read:
    """A claim as read, with the sentence it comes from."""

    sentence: int
    claim: ClaimFinding


@dataclass(frozen=True, slots=True)
class _Text:
    text: str
    norm: str
    toks: Sequence[Token]
    nouns: Sequence[str | None]
    predicates: Sequence[str | None]
    weapons: Sequence[str | None]  # threat of a weapon named by the token
    sentence_of: Sequence[int]  # index of each token's sentence


def read_claims(
    text: str,
    norm: str,
    toks: Sequence[Token],
    sentences: Sequence[Sentence],
    mentions: Sequence[Mention],
    lang: Lang,
) -> list[Read]:
    """Every claim the text states, sentence by sentence, in order."""
    weapons: list[str | None] = [None] * len(toks)
    m = 0
    for i, tok in enumerate(toks):
        while m < len(mentions) and mentions[m].end <= tok.start:
            m += 1
        if m < len(mentions) and mentions[m].start < tok.end:
            weapons[i] = mentions[m].threat
    nouns = [cues.noun(t.text) if t.is_word else None for t in toks]
    predicates = [
        cues.predicate(t.text) or (nouns[i] if nouns[i] in ("window", "impact") else None)
        if t.is_word
        else None
        for i, t in enumerate(toks)
    ]
    for i, pred in enumerate(predicates):
        after = toks[i + 1].text if i + 1 < len(toks) else ""
        if pred == "gas" and (i == 0 or toks[i - 1].text not in ("without", "без", "no")):
            predicates[i] = None  # only "without gas", "без газа" says what is cut off
        elif toks[i].text in _LIFE and (i == 0 or toks[i - 1].text not in _TOOK):
            predicates[i] = None  # "загрози для життя немає" is no death; "забрав життя" is
        elif pred == "power" and after in _NOT_A_SUPPLY:
            predicates[i] = None  # "a power line was damaged"
        elif pred == "lost" and i + 1 < len(toks) and cues.predicate(after) in _SUPPLIES:
            predicates[i] = None  # "lost power": without it, not lost drones
    sentence_of = [0] * len(toks)
    for index, sentence in enumerate(sentences):
        sentence_of[sentence.first : sentence.stop] = [index] * (sentence.stop - sentence.first)
    doc = _Text(text, norm, toks, nouns, predicates, weapons, sentence_of)
    counts = find_counts(toks, norm, lang)
    found: list[Read] = []
    c = 0
    for index, sentence in enumerate(sentences):
        inside: list[Count] = []
        while c < len(counts) and counts[c].first < sentence.stop:
            if counts[c].first >= sentence.first:
                inside.append(counts[c])
            c += 1
        inside += _single_persons(doc, sentence, inside)
        inside.sort(key=lambda k: k.first)
        claims = _sentence_claims(doc, sentence, inside, lang)
        claims += _zeros(doc, sentence)
        found += [Read(index, claim) for claim in claims]
    return found


def _sentence_claims(
    doc: _Text, sentence: Sentence, counts: Sequence[Count], lang: Lang
) -> list[ClaimFinding]:
    claims: list[tuple[Count, ClaimFinding, int | None]] = []
    positions = {i for k in counts for i in range(k.first, k.last + 1)}
    skip_next = False
    for n, count in enumerate(counts):
        if skip_next:
            skip_next = False
            continue
        pair = _of(doc, sentence, count, counts[n + 1] if n + 1 < len(counts) else None)
        if pair:
            claims += [(k, c, None) for k, c in pair]
            skip_next = True
            continue
        read = _claim(doc, sentence, count, positions, lang)
        if read is None:
            continue
        claim, cue = read
        if claim.measure in _LISTING_MEASURES:
            claim = _with_named(doc, sentence, count, claim, lang, positions)
        if claims and _coordinated(doc, claims[-1], count, claim, cue):
            before, previous, _ = claims.pop()
            claim = _summed(doc.text, previous, claim)
            count = Count(claim_quantity(claim), before.start, count.end, before.first, count.last)
        claims.append((count, claim, cue))
    return [claim for _, claim, _ in claims]


def claim_quantity(claim: ClaimFinding) -> Quantity:
    from tocsin.records.domain.quantities import Kind

    return Quantity(claim.min, claim.max, Kind(claim.kind), claim.words)


def _claim(
    doc: _Text, sentence: Sentence, count: Count, positions: set[int], lang: Lang
) -> tuple[ClaimFinding, int | None] | None:
    if _is_part(doc, count) or _is_one_of(doc, count):
        return None
    noun, at, threat = _noun_after(doc, sentence, count)
    if noun is None:
        noun = _elided(doc, sentence, count)
    if noun is not None and noun in _DIRECT:
        measure, cue = _DIRECT[noun], at
    else:
        of_weapons = noun is None and _parts_after(doc, count) and _previous_weapon(doc, count)
        allowed = _BY_NOUN.get("weapon" if of_weapons else noun)
        if allowed is None:
            return None
        found = _nearest(doc, sentence, count, allowed, positions, lang, noun)
        if found is None and noun == "weapon":
            launch = _sentence_launch(doc, sentence, count)
            found = ("launch", launch) if launch is not None else None
        if found is None:
            return None
        measure, cue = allowed[found[0]], found[1]
        if not measure:
            return None  # "без газа остались 150 абонентов": not a measure
        if found[0] == "hit" and cue is not None and cue < count.first:
            measure = "launched"  # "struck Kharkiv with two guided bombs"
        if measure not in _CASUALTIES and _SINGLE_PERSON.fullmatch(doc.toks[count.first].text):
            return None
        if measure == "impacts" and count.quantity.low < 2 and not _one_hit(doc, sentence, count):
            return None  # "one missile hit a house, the second a field" tells where, not how many
    if measure in _CASUALTIES and _parts_after(doc, count):
        return None
    if measure not in WEAPON_MEASURES and _of_them_before(doc, count):
        return None  # "евакуйовано 23 людини, з них 6 дітей"
    weapon = None
    if measure in WEAPON_MEASURES:
        weapon = threat or _clause_weapon(doc, sentence, count) or _previous_weapon(doc, count)
    start, end = count.start, count.end
    if at is not None and doc.toks[at].end - count.end <= _NEAR:
        end = doc.toks[at].end  # "49 drones"
    if cue is not None and abs(doc.toks[cue].start - count.start) <= _NEAR:
        start, end = min(start, doc.toks[cue].start), max(end, doc.toks[cue].end)
    return _finding(doc.text, Measure(measure), count.quantity, start, end, weapon), cue


def _finding(
    text: str, measure: Measure, quantity: Quantity, start: int, end: int, weapon: str | None
) -> ClaimFinding:
    return ClaimFinding(
        measure=measure.value,
        min=quantity.low,
        max=quantity.high,
        kind=quantity.kind.value,
        evidence=Evidence.of(text, start, end),
        weapon=weapon,
        words=quantity.words,
    )


def _noun_after(
    doc: _Text, sentence: Sentence, count: Count
) -> tuple[str | None, int | None, str | None]:
    """The class of the noun the count counts, its token, and the weapon it names."""
    skipped = 0
    for j in range(count.head, min(sentence.stop, count.head + 6)):
        tok = doc.toks[j]
        if doc.weapons[j] is not None:
            end = j
            while end + 1 < sentence.stop and doc.weapons[end + 1] == doc.weapons[j]:
                end += 1  # "крилатими ракетами", "Shahed-type drones"
            return "weapon", end, doc.weapons[j]
        if doc.nouns[j] is not None:
            if j + 1 < sentence.stop and doc.nouns[j + 1] == "person":
                return "person", j + 1, None  # "two truck drivers"
            return doc.nouns[j], j, None
        if not tok.is_word and tok.text not in "-«»\"'“”(":
            break
        if doc.predicates[j] is not None or tok.text in _NOUN_STOPS:
            break
        if tok.is_word:
            skipped += 1
            if skipped > 3:
                break
    return None, None, None


def _with_named(
    doc: _Text,
    sentence: Sentence,
    count: Count,
    claim: ClaimFinding,
    lang: Lang,
    positions: set[int],
) -> ClaimFinding:
    """ "four apartment buildings and a kindergarten" (5), "5 приватних будинків і
    адмінбудівлю" (6), "2 трактори та вантажівку" (3), "an industrial building and six private
    houses" (7): one more of the same kind named beside a counted list."""
    if claim.kind != "exact":
        return claim
    kinds = _VEHICLE_KINDS if claim.measure.startswith("vehicles") else _BUILDING_KINDS
    extra: list[tuple[int, int]] = []
    j = count.head
    while j < sentence.stop and (doc.nouns[j] is not None or doc.toks[j].text in cues.ADJECTIVES):
        j += 1
    while j + 1 < sentence.stop and (doc.toks[j].text in _JOINS or doc.toks[j].text == ","):
        found = _named_at(doc, sentence, j + 1, kinds, lang)
        if found is None or any(k in positions for k in range(j + 1, found + 1)):
            break
        if (
            doc.toks[j].text == ","
            and lang != "en"
            and not _INSTITUTION.fullmatch(doc.toks[found].text)
        ):
            break  # "12 багатоповерхівок, адмінбудівлю та об'єкт": a list of other things
        extra.append((doc.toks[j + 1].start, doc.toks[found].end))
        j = found + 1
    k = count.first - 1
    if lang == "en" and k > sentence.first and doc.toks[k].text in _JOINS:
        for start in range(max(sentence.first, k - 4), k):
            if _named_at(doc, sentence, start, kinds, lang) == k - 1 and not any(
                i in positions for i in range(start, k)
            ):
                extra.append((doc.toks[start].start, doc.toks[k - 1].end))
                break
    if not extra:
        return claim
    quantity = Quantity.exact(claim.min + len(extra))
    start = min([claim.evidence.start, *(a for a, _ in extra)])
    end = max([claim.evidence.end, *(b for _, b in extra)])
    return _finding(doc.text, Measure(claim.measure), quantity, start, end, claim.weapon)


def _named_at(
    doc: _Text, sentence: Sentence, j: int, kinds: frozenset[str], lang: Lang
) -> int | None:
    """The index of the noun of "a/an [adjectives] building" ("[прикметник] будинок")
    starting at `j`, if there."""
    if lang == "en":
        if j >= sentence.stop or doc.toks[j].text not in ("a", "an"):
            return None
        j += 1
    for k in range(j, min(sentence.stop, j + 3)):
        word = doc.toks[k].text
        named = _ARTICLED.fullmatch(word) if "building" in kinds else _TRACTORS.fullmatch(word)
        if named or (doc.nouns[k] in kinds and word[-1] not in "иы"):
            return k
        if not doc.toks[k].is_word or doc.nouns[k] is not None or doc.predicates[k] is not None:
            return None
    return None


def _one_hit(doc: _Text, sentence: Sentence, count: Count) -> bool:
    """ "One missile hit a facility" counts one hit; "one … the second …" enumerates."""
    said = doc.toks[count.first].text
    if said not in ("one", "один", "одна", "одне", "1"):
        return False
    rest = {t.text for t in doc.toks[count.head : sentence.stop]}
    return not rest & _ENUMERATING


def _elided(doc: _Text, sentence: Sentence, count: Count) -> str | None:
    """ "знищено 3 автомобілі, ще 5 пошкоджено", "без отопления 36 домов, без водоснабжения
    — 14", "52 apartment blocks …, and 17 of them": the noun of the count just before."""
    before = doc.toks[count.first - 1].text if count.first > 0 else ""
    if before not in _MORE and before != "-" and not _parts_after(doc, count):
        return None
    for j in range(count.first - 2, max(sentence.first, count.first - 12) - 1, -1):
        if doc.nouns[j] in ("vehicle", "building", "customer"):
            return doc.nouns[j]
    return None


def _nearest(
    doc: _Text,
    sentence: Sentence,
    count: Count,
    allowed: Mapping[str, str],
    positions: set[int],
    lang: Lang,
    noun_class: str | None = None,
) -> tuple[str, int] | None:
    """The nearest predicate of the allowed ones: (its class, its token). It may pass another
    count of the same list ("повреждены 4 дома и 3 автомобиля", "seven houses and three
    apartment buildings were damaged"); a colon ends the search unless the count stands
    just after it with nothing said after ("left without electricity: about 3,500")."""
    best = _leftwards(doc, sentence, count, allowed, positions, lang, across_colon=False)
    if noun_class == "location":
        return _chosen(best)
    if best is not None and any(t.text in RISE for t in doc.toks[count.first - 3 : count.first]):
        return _chosen(best)  # "кількість загиблих зросла до 11": the subject counts
    right = _rightwards(doc, sentence, count, allowed, positions, lang)
    if right is not None and (best is None or right < best):
        best = right
    if best is None and count.first > sentence.first and noun_class in _AFTER_COLON:
        colon = _leftwards(doc, sentence, count, allowed, positions, lang, across_colon=True)
        best = colon if colon is not None and colon[0] <= 3 else None
    return _chosen(best)


def _chosen(best: _Found) -> tuple[str, int] | None:
    if best is None or best[0] > 6 or best[2] == _BLOCKED:
        return None
    return best[2], best[3]


_NEAR: Final = 60  # characters: a cue farther away is left out of the quote
_BLOCKED: Final = "blocked"
_AFTER_COLON: Final = frozenset({"customer", "building", "person", "vehicle"})
_Found = tuple[int, int, str, int] | None


def _leftwards(
    doc: _Text,
    sentence: Sentence,
    count: Count,
    allowed: Mapping[str, str],
    positions: set[int],
    lang: Lang,
    *,
    across_colon: bool,
) -> _Found:
    distance = 0
    listed = True
    for j in range(count.first - 1, max(sentence.first, count.first - 16) - 1, -1):
        tok = doc.toks[j]
        if tok.text == ";" or (tok.text == ":" and not across_colon):
            return None
        if j in positions and not listed:
            return None
        pred = doc.predicates[j]
        side = 0 if lang != "en" else 1
        if pred in _BLOCKING:
            return (distance, side, _BLOCKED, j)  # "26 were lost to electronic warfare"
        if pred is not None and pred in allowed:
            if j > 0 and doc.toks[j - 1].text in _NEGATIONS:
                return (distance, side, _BLOCKED, j)  # "the driver was not hurt"
            return (distance, side, pred, j)
        listed = listed and (j in positions or _listed(doc, j))
        distance += _cost(doc, j, positions)
    return None


def _rightwards(
    doc: _Text,
    sentence: Sentence,
    count: Count,
    allowed: Mapping[str, str],
    positions: set[int],
    lang: Lang,
) -> _Found:
    distance = 0
    for j in range(count.head, min(sentence.stop, count.head + 14)):
        if j in positions and (_within_part(doc, j) or _listed_before(doc, count.head, j)):
            distance += 1
            continue
        if j in positions or doc.toks[j].text in ";:":
            return None
        pred = doc.predicates[j]
        side = 0 if lang == "en" else 1
        if pred in _BLOCKING:
            return (distance, side, _BLOCKED, j)
        if pred is not None and pred in allowed:
            if doc.toks[j - 1].text in _NEGATIONS:
                return None
            return (distance, side, pred, j)
        distance += _cost(doc, j, positions)
    return None


def _listed_before(doc: _Text, start: int, j: int) -> bool:
    """Whether only the words of a list stand between `start` and the count at `j`."""
    return all(_listed(doc, k) for k in range(start, j) if doc.toks[k].text not in ",")


def _listed(doc: _Text, j: int) -> bool:
    tok = doc.toks[j]
    if tok.text in _MORE:
        return False  # "4 killed, 11 more injured": another group
    if tok.is_word and any(c.isdigit() for c in tok.text):
        return True  # a model: "Su-34", "Х-101"
    if tok.is_word and not tok.text.isascii() and tok.text.endswith(_ADJECTIVE_ENDINGS):
        return doc.predicates[j] is None  # "навчальний заклад", "припаркованных"
    return (
        tok.text in cues.SKIP
        or tok.text in cues.ADJECTIVES
        or tok.text in _JOINS
        or tok.text in _LIST_WORDS
        or tok.text in ",-«»\"'“”()"
        or doc.nouns[j] is not None
        or doc.weapons[j] is not None
    )


def _sentence_launch(doc: _Text, sentence: Sentence, count: Count) -> int | None:
    """In a bulletin's list ("атакував 54 БпЛА …, а також 4 ракетами"), the launch verb
    that opens the sentence."""
    for j in range(sentence.first, count.first):
        if doc.predicates[j] == "launch":
            return j
    return None


def _cost(doc: _Text, j: int, positions: set[int]) -> int:
    tok = doc.toks[j]
    if j in positions:
        return 1
    if tok.text in cues.SKIP or tok.text in cues.ADJECTIVES:
        return 0
    if doc.nouns[j] is not None or doc.weapons[j] is not None:
        return 0
    if tok.text in "-«»\"'“”()":
        return 0
    return 1


def _of(
    doc: _Text, sentence: Sentence, first: Count, second: Count | None
) -> list[tuple[Count, ClaimFinding]]:
    """ "21 of the 49 drones", "52 з 54", "9 из 11": intercepted and launched."""
    if second is None:
        return []
    between = [t.text for t in doc.toks[first.head : second.first]]
    named = [j for j in range(first.head, second.first) if doc.weapons[j] is not None]
    joins = (
        between[len(named) :] if named == list(range(first.head, first.head + len(named))) else []
    )
    downed = _intercepted_clause(doc, second)
    if named and joins == [","] and second.quantity.low <= first.quantity.low and downed:
        return _launched_then_intercepted(doc, first, second, named, downed)
    if second.quantity.low < first.quantity.low:
        return []
    if not joins or not set(joins) <= _N_OF_M or joins[0] not in _N_OF_M - {"the"}:
        return []
    noun, _, threat = _noun_after(doc, sentence, second)
    if noun not in ("weapon", None):
        return []
    if threat is None:
        noun, _, threat = _noun_after(doc, sentence, first)
    if noun == "person":
        return []
    threat = threat or _clause_weapon(doc, sentence, first) or _previous_weapon(doc, first)
    near = doc.predicates[max(sentence.first, first.first - _REACH) : second.last + _REACH]
    if threat is None and "intercept" not in near:
        return []
    span = doc.toks[second.last].end
    intercepted = _finding(doc.text, Measure.INTERCEPTED, first.quantity, first.start, span, threat)
    launched = _finding(doc.text, Measure.LAUNCHED, second.quantity, first.start, span, threat)
    return [(first, intercepted), (second, launched)]


_REACH: Final = 60
"""Tokens a count's clause, its weapon or its predicate is looked for on each side: a clause
is far shorter, and a text of numbers with no punctuation costs linear time, not quadratic."""


def _intercepted_clause(doc: _Text, count: Count) -> int | None:
    """ "…, 21 were shot down", "…, 21 збито": the count's own clause says they were downed
    (the index of the word that says it)."""
    after = count.last + 1
    if after < len(doc.toks) and doc.toks[after].text in _AUXILIARIES:
        after += 1
    return after if after < len(doc.toks) and doc.predicates[after] == "intercept" else None


def _launched_then_intercepted(
    doc: _Text, first: Count, second: Count, named: list[int], downed: int
) -> list[tuple[Count, ClaimFinding]]:
    """ "49 drones, 21 were shot down": 49 launched, 21 of them intercepted."""
    threats = {doc.weapons[j] for j in named} - {None}
    if len(threats) != 1:
        return []
    threat = threats.pop()
    span = doc.toks[downed].end
    launched = _finding(doc.text, Measure.LAUNCHED, first.quantity, first.start, span, threat)
    intercepted = _finding(
        doc.text, Measure.INTERCEPTED, second.quantity, first.start, span, threat
    )
    return [(first, launched), (second, intercepted)]


def _clause_weapon(doc: _Text, sentence: Sentence, count: Count) -> str | None:
    """The one weapon named in the count's clause (between commas), if only one."""
    left = count.first
    first = max(sentence.first, count.first - _REACH)
    while left > first and doc.toks[left - 1].text not in ",;:":
        left -= 1
    right = count.last
    stop = min(sentence.stop, count.last + _REACH)
    while right + 1 < stop and doc.toks[right + 1].text not in ",;:":
        right += 1
    threats = {w for w in doc.weapons[left : right + 1] if w is not None}
    return threats.pop() if len(threats) == 1 else None


def _previous_weapon(doc: _Text, count: Count) -> str | None:
    """The weapon named before the count, in its sentence or the one before it, when only
    one is named there."""
    seen: set[str] = set()
    for j in range(count.first - 1, max(-1, count.first - 1 - 2 * _REACH), -1):
        if doc.sentence_of[j] < doc.sentence_of[count.first] - 1:
            break
        if doc.norm[doc.toks[j].end : doc.toks[j + 1].start].count("\n") >= 2:
            break
        if doc.weapons[j] is not None:
            seen.add(doc.weapons[j] or "")
    return seen.pop() if len(seen) == 1 else None


def _is_part(doc: _Text, count: Count) -> bool:
    if count.first > 0 and doc.toks[count.first - 1].text == "no":
        return True  # "no one was killed"
    window = [t.text for t in doc.toks[max(0, count.first - 5) : count.first]]
    while any(w in ".!?;" for w in window):
        window = window[1:]
    words = tuple(window)
    for p in _PARTS_BEFORE:
        for i in range(len(words) - len(p) + 1):
            between = words[i + len(p) :]
            if words[i : i + len(p)] == p and len(between) <= 1 and "," not in between:
                return True  # "серед них 3", "among the injured are two"; not "…, 37 ранены"
    return False


def _of_them_before(doc: _Text, count: Count) -> bool:
    """ "з них 6 дітей", "из них двое": part of the casualties counted before."""
    words = tuple(t.text for t in doc.toks[max(0, count.first - 3) : count.first])
    return any(
        words[i : i + len(p)] == p for p in _PARTS_AFTER for i in range(len(words) - len(p) + 1)
    )


def _within_part(doc: _Text, j: int) -> bool:
    """Whether token `j` is in "including two children", "серед них 3 дітей"."""
    words = tuple(t.text for t in doc.toks[max(0, j - 3) : j])
    return any(
        words[i : i + len(p)] == p for p in _PARTS_BEFORE for i in range(len(words) - len(p) + 1)
    )


def _parts_after(doc: _Text, count: Count) -> bool:
    words = tuple(t.text for t in doc.toks[count.head : count.head + 3])
    return any(words[: len(p)] == p for p in _PARTS_AFTER)


def _is_one_of(doc: _Text, count: Count) -> bool:
    return (
        count.quantity.low == 1
        and count.head < len(doc.toks)
        and doc.toks[count.head].text in _ONE_OF
        and not _SINGLE_PERSON.fullmatch(doc.toks[count.first].text)  # "a resident of …"
    )


def _coordinated(
    doc: _Text,
    previous: tuple[Count, ClaimFinding, int | None],
    count: Count,
    claim: ClaimFinding,
    cue: int | None,
) -> bool:
    """Parts of one phrase: "windows in six apartment buildings and one private residence",
    "повреждены 12 домовладений, 4 многоквартирных дома" (one predicate for both)."""
    before, earlier, earlier_cue = previous
    if (earlier.measure, earlier.weapon) != (claim.measure, claim.weapon):
        return False
    if claim.kind not in ("exact", "zero") or earlier.kind not in ("exact", "zero"):
        return False
    between = range(before.head, count.first)
    if not 1 <= len(between) <= 6 or any(doc.predicates[t] is not None for t in between):
        return False
    if any(_SINGLE_PERSON.fullmatch(doc.toks[k.first].text) for k in (before, count)):
        return False  # "one person was killed, a 67-year-old woman": the same person
    after = count.last + 1
    if after < len(doc.toks) and (
        doc.predicates[after] is not None or doc.toks[after].text in _AUXILIARIES
    ):
        return False  # "49 drones, 21 were shot down": a clause of its own, not a part
    if cue is not None and cue == earlier_cue:
        joined = any(doc.toks[t].text in _JOINS or doc.toks[t].text == "," for t in between)
        return joined and all(_listed(doc, t) for t in between)
    return doc.toks[count.first - 1].text in _JOINS


_AUXILIARIES: Final = frozenset({"were", "was", "are", "is", "have", "has", "had"})


def _summed(text: str, earlier: ClaimFinding, claim: ClaimFinding) -> ClaimFinding:
    quantity = total([claim_quantity(earlier), claim_quantity(claim)])
    start = min(earlier.evidence.start, claim.evidence.start)
    end = max(earlier.evidence.end, claim.evidence.end)
    return _finding(text, Measure(claim.measure), quantity, start, end, claim.weapon)


def _single_persons(doc: _Text, sentence: Sentence, counts: Sequence[Count]) -> list[Count]:
    """A person named alone ("a man", "погиб мужчина") counts 1."""
    taken = {i for k in counts for i in range(k.first - 1, k.head + 4)}
    found: list[Count] = []
    for j in range(sentence.first, sentence.stop):
        tok = doc.toks[j]
        if j in taken or not tok.is_word or not _SINGLE_PERSON.fullmatch(tok.text):
            continue
        if tok.text.isascii() and not _article_before(doc, sentence, j):
            continue
        if found and _joined(doc, found[-1].last, j):
            first = found.pop()
            found.append(Count(Quantity.exact(2), first.start, tok.end, first.first, j))
            continue
        found.append(Count(Quantity.exact(1), tok.start, tok.end, j, j))
    return found


def _joined(doc: _Text, last: int, j: int) -> bool:
    """ "a man and a woman", "мужчина и женщина": two persons of one phrase."""
    between = [t.text for t in doc.toks[last + 1 : j]]
    if not between or between[0] not in _JOINS or len(between) > 5:
        return False
    return all(
        w in ("a", "an") or w.isdigit() or w == "-" or w in _DESCRIBING or w.endswith("old")
        for w in between[1:]
    )


def _article_before(doc: _Text, sentence: Sentence, j: int) -> bool:
    """ "a man", "a 67-year-old woman", "an elderly man": the article, then at most
    descriptive words."""
    for k in range(j - 1, max(sentence.first, j - 5) - 1, -1):
        word = doc.toks[k].text
        if word in ("a", "an", "one"):
            return True
        if not (word.isdigit() or word == "-" or word in _DESCRIBING or word.endswith("old")):
            return False
    return False


def _zeros(doc: _Text, sentence: Sentence) -> list[ClaimFinding]:
    found: list[ClaimFinding] = []
    for measure, pattern in _ZEROS:
        match = pattern.search(doc.norm, sentence.start, sentence.end)
        local = _LOCAL.match(doc.norm, match.end()) if match else None
        if (
            match
            and not local
            and not _LOCAL_BEFORE.search(doc.norm[max(0, match.start() - 40) : match.start()])
        ):
            start, end = match.span()
            found.append(_finding(doc.text, Measure(measure), Quantity.exact(0), start, end, None))
    return found
