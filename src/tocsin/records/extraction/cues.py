"""The words that say what a count counts, by class, in English, Ukrainian and Russian.

Nouns follow a count ("49 drones", "12 багатоповерхівок", "300 абонентов"); predicates stand
near it ("killed", "поранено", "сбиты", "без света", "windows in …"). `noun` and `predicate`
give a token's class, or None; `SKIP` are the words a count and its predicate may have between
them.
"""

from __future__ import annotations

import re
from typing import Final

from tocsin.records.extraction.text import words

_NOUNS: Final[tuple[tuple[str, str], ...]] = (
    (
        "person",
        r"people|persons?|civilians?|residents?|children|child|kids?|men|man|women|woman"
        r"|teenagers?|boys?|girls?|pensioners?|individuals|villagers|locals|workers?"
        r"|employees?|rescuers?|firefighters?|medics?|drivers?|passengers?|victims"
        r"|люд\w*|осіб|особ[аиу]|мешкан\w*|жител\w*|цивільн\w*|дит[иі]н\w*|діт\w*|чолов\w*"
        r"|жін\w*|підліт\w*|пенсіонер\w*|рятувальник\w*|працівник\w*|медик\w*|водії?\w*"
        r"|пасажир\w*|хлоп\w*|дівчин\w*|человек\w*|граждан\w*|мирн\w*|дет[еия]\w*|ребен\w*"
        r"|мужчин\w*|женщин\w*|подрост\w*|пенсионер\w*|спасател\w*|сотрудник\w*|работник\w*"
        r"|водител\w*|пассажир\w*|парн\w*|девуш\w*",
    ),
    (
        "building",
        r"buildings?|houses?|homes?|residences?|high-rises?|blocks?|dwellings?|cottages?"
        r"|будин\w*|будівл\w*|багатоповерх\w*|багатоквартирн\w*|приватн\w*|домівк\w*|споруд\w*"
        r"|котедж\w*|дом|дома|домов|домах|домам|домами|доме|здани\w*|многоэтаж\w*|многоквартир\w*"
        r"|schools?|kindergartens?|hospitals?|школ\w*|лікарн\w*|садоч\w*|дитсад\w*|больниц\w*"
        r"|частн\w*|домовладени\w*|строени\w*|пятиэтаж\w*|п'ятиповерх\w*|девятиэтаж\w*"
        r"|дев'ятиповерх\w*|хат\w*",
    ),
    (
        "window",
        r"windows?|glazing|вікн\w*|вікон|шибк\w*|склін\w*|окна|окон|окнами|стекл\w*|стёкл\w*"
        r"|остеклени\w*",
    ),
    (
        "vehicle",
        r"cars?|vehicles?|automobiles?|trucks?|buses|bus|minibus\w*|автомобіл\w*|авто|автівк\w*"
        r"|машин\w*|автів\w*|вантажів\w*|автобус\w*|мікроавтобус\w*|транспортн\w*|автомобил\w*"
        r"|грузовик\w*|маршрутк\w*|легков\w*|трактор\w*|tractors?|комбайн\w*",
    ),
    (
        "customer",
        r"subscribers?|customers?|households?|consumers?|accounts|абонент\w*|споживач\w*"
        r"|домогосподарств\w*|потребител\w*|домохозяйств\w*",
    ),
    (
        "facility",
        r"shops?|stores?|warehouses?|enterprises?|garages?"
        r"|садк\w*|магазин\w*|склад\w*|підприєм\w*|гараж\w*"
        r"|больниц\w*|предприяти\w*|заклад\w*|установ\w*|учрежден\w*|institutions?|церкв\w*|храм\w*|churches?|об'єкт\w*|объект\w*",
    ),
    (
        "munition",
        r"explosives?|grenades?|ammunition|munitions|вибухівк\w*|гранат\w*|боєприпас\w*"
        r"|взрывчатк\w*|взрывн\w*|боеприпас\w*|снаряжени\w*",
    ),
    ("attack", r"обстріл\w*|обстрел\w*|shellings|attacks|атак|атаки|нападів|рейд\w*"),
    (
        "combatant",
        r"soldiers?|troops|servicem[ae]n|occupiers|окупант\w*|оккупант\w*|військовослужбов\w*"
        r"|військов\w*|солдат\w*|бойовик\w*|боевик\w*|военнослужащ\w*|военн\w*",
    ),
    (
        "aircraft",
        r"aircraft|jets?|planes?|helicopters?|літак\w*|гелікоптер\w*|вертол[её]т\w*"
        r"|самол[её]т\w*|танк\w*|tanks?",
    ),
    ("family", r"famil\w*|сім'?\w*|сем[ье]\w*|родин\w*"),
    (
        "explosion",
        r"explosions?|detonations?|blasts?|вибух(?:и|ів|у|ом|ами|ах)?|взрыв(?:ы|ов|а|ами|ах)?",
    ),
    (
        "location",
        r"locations?|places?|sites?|spots?|areas?|локаці\w*|місц\w*|мест[ахе]*|точк\w*"
        r"|адрес\w*|населених|населенных|districts?|район\w*|hromadas?|communities|settlements?"
        r"|villages?|сіл|сел|сёл|села|селах|громад\w*|населен\w*",
    ),
    (
        "impact",
        r"hits|impacts?|airstrikes|влучан\w*|влучень|прильот\w*|прилет\w*|прилёт\w*|попадани\w*"
        r"|ударів|авіаудар\w*|авиаудар\w*"
        r"|ударов",
    ),
    ("debris", r"debris|fragments?|wreckage|уламк\w*|обломк\w*"),
)
_PREDICATES: Final[tuple[tuple[str, str], ...]] = (
    (
        "killed",
        r"killed|killing|dead|died|deaths?|fatalit\w*|kill|kills|lives|загин\w*|загибл\w*|вбит\w*"
        r"|загибел\w*|загибель|гибел\w*|гибель|вбил\w*|вбила|тіло|тело|body"
        r"|вбив\w*|вбило|убит\w*|убил\w*|погиб\w*|жертв\w*|смерт\w*|помер\w*|умер\w*|bodies|тіла"
        r"|тела|death|життя|жизни|жизнь",
    ),
    (
        "injured",
        r"injur\w*|wounded|wounds|wounding|hurt|поранен\w*|поранень|поранил\w*|поранив\w*"
        r"|постражд\w*|травмован\w*|травмува\w*|ранен\w*"
        r"|ранил\w*|ранени\w*|пострада\w*|потерпіл\w*|травм\w*|casualt\w*",
    ),
    (
        "launch",
        r"launched|fired|attacked|launch|launches|запуст\w*|випуст\w*|запущ\w*|випущ\w*|выпущ\w*|атакув\w*|застосув\w*"
        r"|атаковал\w*|атакован\w*|выпуст\w*|примени\w*|використав\w*|used|dropped|скину\w*|скинув\w*"
        r"|скинули|сбросил\w*|сбросили|обстріля\w*|обстреля\w*|обстрелян\w*|shelled",
    ),
    (
        "intercept",
        r"shot|downed|intercept\w*|neutrali[sz]ed|збит\w*|збил\w*|збив|збиття|збито|знешкодж\w*"
        r"|знешкод\w*|перехопл\w*|подавл\w*|сбит\w*|сбил\w*|перехва\w*|нейтрализ\w*|ліквідов\w*|поражен\w*"
        r"|уражен\w*",
    ),
    (
        "destroy",
        r"destroyed|destroying|burn\w*|burnt|знищ\w*|згорі\w*|вигорі\w*|уничтож\w*|сгорел\w*"
        r"|выгорел\w*|зруйнован\w*|разрушен\w*",
    ),
    (
        "damage",
        r"damaged?|damaging|пошкод\w*|ушкодж\w*|поврежд\w*|повредил\w*|посечен\w*"
        r"|зачеплен\w*",
    ),
    (
        "power",
        r"power|electricity|light|blackout|outages?|de-energi[sz]ed|знеструм\w*|світла"
        r"|електропостач\w*|електроенерг\w*|електрики|обесточ\w*|света|электричеств\w*"
        r"|электроснабж\w*|электроэнерг\w*",
    ),
    ("water", r"water|водопостач\w*|води|воды|водоснабж\w*"),
    ("heat", r"heat|heating|тепла|опален\w*|теплопостач\w*|отоплен\w*|теплоснабж\w*"),
    (
        "evacuated",
        r"evacuat\w*|relocated|евакуй\w*|евакуюв\w*|евакуац\w*|эвакуир\w*|эвакуац\w*|відселен\w*"
        r"|отселен\w*",
    ),
    (
        "hit",
        r"hit|struck|влучил\w*|влучив|поцілил\w*|поцілив|попал\w*|попали|угодил\w*|потрапил\w*"
        r"|ударив|ударили|вдарив|вдарили|ударил\w*|завдав|завдали|нан[её]с\w*",
    ),
    ("gas", r"gas|газу|газа|газопостач\w*|газоснабж\w*"),
    ("lost", r"lost|втрачен\w*|потерян\w*|утрачен\w*"),
    (
        "restored",
        r"restored|reconnected|відновлен\w*|відновили|відновлено|заживлен\w*|восстановлен\w*"
        r"|восстановили|подключ\w*|підключ\w*",
    ),
    ("fell", r"fell|fallen|falling|falls|впал\w*|упал\w*|падін\w*|падени\w*|падения"),
)
_NOUN_RE: Final = tuple((name, re.compile(pattern)) for name, pattern in _NOUNS)
_PREDICATE_RE: Final = tuple((name, re.compile(pattern)) for name, pattern in _PREDICATES)
SKIP: Final = words(
    "were was been be is are have has had being reportedly also more other another further "
    "rose risen increased grew climbed number toll to зросла зросло зросли збільшилася "
    "збільшилась кількість число количество возросло возросла выросло увеличилось до "
    "in at on of the a an by as ще також було були було був була є в у на по во із з "
    "еще также были был была было еще ещё"
)


ADJECTIVES: Final = words(
    "apartment residential private multi-storey multistorey high-rise administrative "
    "commercial civilian other nearby neighbouring neighboring adjacent more further "
    "житлов житлових житлові житлових приватних приватні багатоквартирних інших сусідніх "
    "жилых жилые частных частные многоквартирных других соседних"
)


def noun(word: str) -> str | None:
    for name, pattern in _NOUN_RE:
        if pattern.fullmatch(word):
            return name
    return None


def predicate(word: str) -> str | None:
    for name, pattern in _PREDICATE_RE:
        if pattern.fullmatch(word):
            return name
    return None
