"""Which sentences speak of the event the report is about, and whether it is an attack at all.

- **Background**: a sentence that recalls another event ("last week", "earlier this month",
  "a year ago", "нагадаємо", "минулого тижня", "напомним", "ранее", "на прошлой неделе") is
  background; when it opens its paragraph, the whole paragraph is.
- **Attack**: a report is about an attack when it names a weapon or an attack ("attacked",
  "shelling", "обстріляли", "удар", "сбиты") outside its background, and does not say it is
  something else: a gas explosion, a road accident, a drill, a fake, "not an attack".
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Final

from tocsin.records.extraction.text import Sentence
from tocsin.records.extraction.weapons import Mention

_DAYS: Final = "monday|tuesday|wednesday|thursday|friday|saturday|sunday"
_MONTHS: Final = (
    "january|february|march|april|may|june|july|august|september|october|november|december"
)
_MONTHS_GEN_UK: Final = (
    "січня|лютого|березня|квітня|травня|червня|липня|серпня|вересня|жовтня|листопада|грудня"
)
_MONTHS_GEN_RU: Final = (
    "января|февраля|марта|апреля|мая|июня|июля|августа|сентября|октября|ноября|декабря"
)
_MONTHS_IN: Final = (
    "січні|лютому|березні|квітні|травні|червні|липні|серпні|вересні|жовтні|листопаді|грудні"
    "|январе|феврале|марте|апреле|мае|июне|июле|августе|сентябре|октябре|ноябре|декабре"
)
_BACKGROUND: Final = re.compile(
    rf"\blast (?:week|month|year|spring|summer|autumn|fall|winter|{_DAYS})\b"
    r"|\bearlier (?:this|that|in the) (?:week|month|year)\b|^previously\b"
    r"|\b(?:a|one|two|three|four|five|six|\d+) (?:years?|months?|weeks?) ago\b|\brecall that\b"
    r"|\bin (?:a|an) (?:earlier|previous|similar) (?:attack|strike)|\bon the same day last\b"
    r"|нагада\w*|раніше|минулого (?:тижня|місяця|року)|торік|(?:рік|місяць|тиждень|тижні|роки"
    r"|років) тому|минулої (?:неділі|суботи|п'ятниці|середи)|напомн\w*|ранее|на прошлой неделе"
    r"|в прошлом (?:месяце|году)|(?:год|месяц|неделю|недели|года|лет) назад|в прошлое"
    r"|прошлой (?:ночью|весной|осенью|зимой)|минулої (?:ночі|весни|осені|зими)"
    r"|\b(?:a|one|two|three|four|five|several|\d+) (?:days?|weeks?|months?) (?:earlier|before)\b"
    r"|за (?:день|тиждень|місяць|неделю|месяц) до (?:цього|этого)|(?:днем|неделей|месяцем) ранее"
    r"|^(?:для довідки|for reference|для справки|справочно)\b"
    r"|\b(?:over the past|in the past|this|last) (?:week|month|year)\b"
    r"|за (?:минулий |минулого |прошедшую |прошлую |цей |этот )?(?:тиждень|місяць|рік|неделю"
    r"|месяц|год)\b|\bsince the (?:beginning|start) of\b|з початку (?:року|війни|місяця)"
    rf"|с начала (?:года|войны|месяца)|на початку (?:{_MONTHS_GEN_UK})"
    rf"|в начале (?:{_MONTHS_GEN_RU})"
    rf"|\b(?:in early|at the (?:start|beginning) of|in mid-|in late) (?:{_MONTHS})\b"
    rf"|^reminder\b|^as a reminder\b|\bwas last (?:struck|hit|attacked|shelled)\b"
    rf"|\bsince (?:last|{_MONTHS})\b|^in (?:{_MONTHS})\b|^(?:у|в) (?:{_MONTHS_IN})\b"
    r"|\b(?:that|the previous|an earlier|a previous) (?:attack|strike)\b"
    r"|(?:того|тієї|той|того же) (?:удару|атаки|удара|обстрілу|обстрела)"
)
# the event of the report, told after a recalled one in the same paragraph
_NOW: Final = re.compile(
    r"^(?:overnight|tonight|today|this morning|this evening|on the night|вночі|уночі|сьогодні"
    r"|у ніч на|в ніч на|ночью|сегодня|этой ночью|в ночь на)\b"
)
# "as reported earlier": the same event, told before
_SAME_EVENT: Final = re.compile(
    r"as (?:previously |earlier )?reported(?: earlier| previously)?|як (?:раніше )?повідомля\w*"
    r"(?: раніше)?|как (?:ранее )?сообща\w*(?: ранее)?|раніше повідомля\w*|ранее сообща\w*"
)
# what happens again and again: that sentence only, never its paragraph
_HABITUAL: Final = re.compile(
    r"\b(?:almost |nearly )?every (?:day|night)\b|\bregularly\b|\bnear-daily\b"
    r"|щодн[яе]|щоночі|ежедневно|каждую ночь|каждый день|кожн(?:ої|ого) (?:ночі|дня)"
    r"|при сигнал\w*|у разі сигнал\w*|в случае сигнал\w*|when you hear|in case of (?:an? )?alert"
    r"|не ігноруйте|не игнорируйте|do not ignore"
)
# recalled only outside the first paragraph: "Вчера …" after a report about today
_LATER_BACKGROUND: Final = re.compile(
    r"^(?:yesterday|the day before|вчора|учора|напередодні|позавчора|вчера|накануне"
    r"|позавчера)\b"
)
_ATTACK: Final = re.compile(
    r"\b(?:attack\w*|struck|strikes?|shelled|shelling|air raid|air defen[cs]e|shot down|"
    r"intercepted|hit by|атак\w*|удар\w*|обстріл\w*|обстрел\w*|обстріля\w*|обстреля\w*|"
    r"прил[еь]т\w*|влучан\w*|ппо|сбит\w*|збит\w*|збиття|ворог\w*|противник\w*|окупант\w*|"
    r"вражеск\w*|ворож\w*|всу|рф|росіян\w*|россиян\w*|росія|russia\w*|enemy|"
    r"детонац\w*|сдетонир\w*)\b"
)
_NOT_ATTACK: Final = re.compile(
    r"not an attack|wasn't an attack|no sign of an attack|gas explosion|gas leak"
    r"|explosion of (?:a |\w+ )?gas|(?:household|domestic) gas|вибух\w* (?:\w+ )?газу"
    r"|взрыв\w* (?:\w+ )?газа|витік\w* газу|утечк\w* газа|побутов\w* газ\w*|бытов\w* газ\w*"
    r"|не (?:була|було|є|була спричинена) (?:атак|обстріл)"
    r"|не (?:было|является|была) (?:атак|обстрел)"
    r"|не атака|не обстріл|не обстрел"
    r"|road accident|traffic accident|car crash|дтп|дорожньо-транспортн\w*"
    r"|дорожно-транспортн\w*|зіткнен\w*|столкновени\w*|\bfake\b|фейк\w*"
    r"|не відповідає дійсності|не соответству\w* действительности|is false|are false"
    r"|спростов\w*|опроверг\w*|disinformation|misinformation|дезінформац\w*|дезинформац\w*"
    r"|weather forecast|forecasters?|синоптик\w*|thunderstorm|snowfall|blizzard|heavy snow"
    r"|severe storm|bad weather|by the weather|шторм\w*|шквал\w*|(?<!\w)гроз[аиоу]\w*"
    r"|\bnot by (?:\w+ )?(?:shelling|attacks?|strikes?)|прогноз погоди"
    r"|прогноз погоды|негод\w*|непогод\w*|снігопад\w*|снегопад\w*|\bhail\b|hailstorm"
    r"|anniversary|річниц\w*|роковин\w*|годовщин\w*|\bmatch\b|матч\w*|чемпіонат\w*"
    r"|чемпионат\w*|\bleague\b|tournament|турнір\w*|турнир\w*"
    r"|піротехнік\w*|розмінуван\w*|demining|\bsappers?\b|вибухонебезпечн\w*|взрывоопасн\w*"
    r"|разминировани\w*|unexploded ordnance|пиротехник\w*|знешкодженн\w* боєприпас\w*"
    r"|landmine|mine explosion|підірвав\w* на (?:міні|вибухівці)|подорвал\w* на (?:мине|взрывн)"
    r"|not caused by (?:\w+ )?(?:fire|shelling|attacks?|strikes?)|industrial accident"
    r"|не спричинен\w* (?:обстріл\w*|ворож\w*|атак\w*)|не связан\w* с (?:обстрел\w*|атак\w*)"
    r"|не пов'язан\w* (?:з|із) (?:обстріл\w*|атак\w*)|pyrotechnicians?|explosive (?:objects|items)"
    r"|(?:found|discovered) (?:an? )?(?:anti-tank |anti-personnel )?mines?|controlled detonation"
    r"|контрольован\w* підрив\w*|контролируем\w* подрыв\w*|виявив\w* (?:міну|снаряд)"
    r"|обнаружил\w* (?:мину|снаряд)"
    r"|апеляційн\w* суд|вирок\w*|приговор\w*|verdict|sentenced|засудил\w*|засуджен\w*"
    r"|осуждён\w*|осужден\w*"
    r"|потерпел\w* крушение|катастроф\w* (?:літака|самол[её]та|вертол[её]та|гелікоптера)"
    r"|технічн\w* несправн\w*|техническ\w* неисправн\w*|воздействи\w* противника не было"
    r"|учебно-тренировочн\w*|навчально-тренувальн\w*|plane crash|crashed during"
    r"|вшанов\w*|пам'ять загибл\w*|commemorat\w*|memorial service|minute of silence"
    r"|хвилин\w* мовчання|минут\w* молчания|память погибш\w*"
)
# a drill or a siren test, unless the report also speaks of an attack that happened
_DRILL: Final = re.compile(
    r"\bdrills?\b|\bexercises?\b(?!\s+(?:caution|care|vigilance))|навчанн\w*|учени[яей]"
    r"|тренуванн\w*|тренировк\w*|siren test|test of (?:the )?(?:sirens|warning system)"
    r"|перевірк\w* (?:сирен|систем\w* оповіщення)|проверк\w* (?:сирен|систем\w* оповещения)"
)
_HAPPENED: Final = re.compile(
    r"\b(?:attacked|shelled|struck|shot down|intercepted|атакува\w*|атакував|обстріля\w*"
    r"|збит\w*|збили|вдарил\w*|атаковал\w*|обстреля\w*|сбит\w*|сбили|ударил\w*"
    r"|влучил\w*|влучання|прильот\w*|попадани\w*|прилет\w*)\b"
)


def background(norm: str, sentences: Sequence[Sentence]) -> list[bool]:
    """For each sentence: whether it speaks of another event."""
    flags: list[bool] = []
    paragraph_background: dict[int, bool] = {}
    opened: set[int] = set()
    for sentence in sentences:
        first_of_paragraph = sentence.paragraph not in opened
        opened.add(sentence.paragraph)
        said = _SAME_EVENT.sub("", norm[sentence.start : sentence.end])
        recalls = bool(_BACKGROUND.search(said)) or (
            sentence.paragraph > 0 and bool(_LATER_BACKGROUND.search(said))
        )
        if first_of_paragraph and recalls:
            paragraph_background[sentence.paragraph] = True
        inherited = paragraph_background.get(sentence.paragraph, False)
        if inherited and not recalls and _NOW.search(said):
            inherited = False  # "Earlier this month … . Overnight, drones hit Kharkiv again"
        flags.append(recalls or inherited or bool(_HABITUAL.search(said)))
    return flags


def is_attack(
    norm: str, sentences: Sequence[Sentence], flags: Sequence[bool], mentions: Sequence[Mention]
) -> bool:
    """Whether the report speaks of an attack (outside its background)."""
    if _NOT_ATTACK.search(norm):
        return False
    if _DRILL.search(norm) and not _HAPPENED.search(norm):
        return False
    main = [s for s, other in zip(sentences, flags, strict=True) if not other]
    if any(any(s.start <= m.start < s.end for s in main) for m in mentions):
        return True
    return any(_ATTACK.search(norm, s.start, s.end) for s in main)
