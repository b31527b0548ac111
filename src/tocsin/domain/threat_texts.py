"""The built-in threat types, written as a deployment would write `[threats.<id>]` tables.

They pass through the same checks as a deployment's own (`Catalogue.with_overrides`).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final


def _air_cap(event_code: str, severity: str, category: str = "Security") -> dict[str, str]:
    return {
        "category": category,
        "event_code": event_code,
        "urgency": "Immediate",
        "severity": severity,
        "certainty": "Likely",
        "response_type": "Shelter",
    }


_SHELTER_NOW: Final = {
    "en": "Go to the nearest shelter immediately. Stay away from windows. "
    "Stay in the shelter until the all-clear.",
    "uk": "Негайно прямуйте до найближчого укриття. Тримайтеся подалі від вікон. "
    "Залишайтеся в укритті до відбою тривоги.",
    "ru": "Немедленно пройдите в ближайшее укрытие. Держитесь подальше от окон. "
    "Оставайтесь в укрытии до отбоя тревоги.",
}
_PUBLIC_SPACES_CLOSE: Final = {
    "en": [
        "Public spaces close: schools, shops, markets and offices.",
        "Public transport stops at the nearest stop.",
        "If there is no shelter nearby, lie flat on the ground and cover your head.",
    ],
    "uk": [
        "Громадські місця припиняють роботу: заклади освіти, магазини, ринки, установи.",
        "Громадський транспорт зупиняється на найближчій зупинці.",
        "Якщо поруч немає укриття, ляжте на землю та закрийте голову руками.",
    ],
    "ru": [
        "Общественные места прекращают работу: учебные заведения, магазины, рынки, учреждения.",
        "Общественный транспорт останавливается на ближайшей остановке.",
        "Если рядом нет укрытия, лягте на землю и закройте голову руками.",
    ],
}

# how incidents are classed in conflict-event exports (ACLED style)
_REMOTE: Final = "Explosions/Remote violence"
_SHELLING: Final = {"event_type": _REMOTE, "sub_event_type": "Shelling/artillery/missile attack"}
_AIR_STRIKE: Final = {"event_type": _REMOTE, "sub_event_type": "Air/drone strike"}

BUILTIN: Final[Mapping[str, Mapping[str, Any]]] = {
    "chemical": {
        "rank": 90,
        "names": {"en": "Chemical hazard", "uk": "Хімічна небезпека", "ru": "Химическая опасность"},
        "signal": {"en": "Chemical Alert!", "uk": "Хімічна тривога!", "ru": "Химическая тревога!"},
        "instructions": {
            "en": "Stay indoors. Close windows, doors and vents and seal the gaps. "
            "Follow evacuation orders.",
            "uk": "Залишайтеся в приміщенні. Зачиніть вікна, двері й вентиляційні отвори, "
            "загерметизуйте щілини. Виконуйте розпорядження про евакуацію.",
            "ru": "Оставайтесь в помещении. Закройте окна, двери и вентиляционные отверстия, "
            "загерметизируйте щели. Выполняйте распоряжения об эвакуации.",
        },
        "measures": {
            "en": [
                "Switch off ventilation and air conditioning.",
                "If you must go out, cover your nose and mouth with a damp cloth.",
                "Wait for the evacuation routes to be announced.",
            ],
            "uk": [
                "Вимкніть вентиляцію та кондиціонери.",
                "Якщо мусите вийти, прикрийте ніс і рот вологою тканиною.",
                "Чекайте на оголошення маршрутів евакуації.",
            ],
            "ru": [
                "Выключите вентиляцию и кондиционеры.",
                "Если вам необходимо выйти, закройте нос и рот влажной тканью.",
                "Ждите объявления маршрутов эвакуации.",
            ],
        },
        "siren": {"pattern": "wail", "seconds": 180},
        "cap": _air_cap("TOCSIN-CHEM", "Extreme", category="CBRNE"),
        "color": "#2e7d32",
        "incident": {"event_type": _REMOTE, "sub_event_type": "Chemical weapon"},
        "keywords": ["chemical", "хімічн", "химическ"],
    },
    "radiation": {
        "rank": 85,
        "names": {
            "en": "Radiation hazard",
            "uk": "Радіаційна небезпека",
            "ru": "Радиационная опасность",
        },
        "signal": {
            "en": "Radiation Danger!",
            "uk": "Радіаційна небезпека!",
            "ru": "Радиационная опасность!",
        },
        "instructions": {
            "en": "Stay indoors. Close windows and doors. "
            "Take potassium iodide only when the authorities tell you to.",
            "uk": "Залишайтеся в приміщенні. Зачиніть вікна та двері. "
            "Приймайте йодид калію лише за вказівкою влади.",
            "ru": "Оставайтесь в помещении. Закройте окна и двери. "
            "Принимайте йодид калия только по указанию властей.",
        },
        "measures": {
            "en": [
                "Switch off ventilation and air conditioning.",
                "Keep food and water in closed containers.",
                "If you were outdoors, take off your outer clothing and take a shower.",
            ],
            "uk": [
                "Вимкніть вентиляцію та кондиціонери.",
                "Зберігайте їжу та воду в закритому посуді.",
                "Якщо ви були надворі, зніміть верхній одяг і прийміть душ.",
            ],
            "ru": [
                "Выключите вентиляцию и кондиционеры.",
                "Храните еду и воду в закрытой посуде.",
                "Если вы были на улице, снимите верхнюю одежду и примите душ.",
            ],
        },
        "siren": {"pattern": "wail", "seconds": 180},
        "cap": _air_cap("TOCSIN-RAD", "Extreme", category="CBRNE"),
        "color": "#6a1b9a",
        "incident": {"event_type": "Strategic developments", "sub_event_type": "Other"},
        "keywords": ["radiation", "radiological", "nuclear", "радіаці", "радиаци"],
    },
    "missile": {
        "rank": 80,
        "names": {"en": "Missile threat", "uk": "Ракетна небезпека", "ru": "Ракетная опасность"},
        "signal": {"en": "Rocket Danger!", "uk": "Ракетна небезпека!", "ru": "Ракетная опасность!"},
        "instructions": _SHELTER_NOW,
        "measures": _PUBLIC_SPACES_CLOSE,
        "siren": {"pattern": "continuous", "seconds": 180},
        "cap": _air_cap("TOCSIN-MISSILE", "Extreme"),
        "color": "#c62828",
        "incident": _SHELLING,
        "keywords": ["missile", "rocket", "ballistic", "ракетн", "ракета", "ракети", "ракеты"],
        "aliases": [
            "rocket",
            "rockets",
            "missiles",
            "ballistic_missile",
            "cruise_missile",
            "ballistic",
            "cruise",
        ],
    },
    "aviation": {
        "rank": 70,
        "names": {
            "en": "Aviation threat",
            "uk": "Авіаційна небезпека",
            "ru": "Авиационная опасность",
        },
        "signal": {
            "en": "Aviation Danger!",
            "uk": "Авіаційна небезпека!",
            "ru": "Авиационная опасность!",
        },
        "instructions": {
            "en": "Military aircraft may strike with guided bombs or missiles. "
            "Go to the nearest shelter immediately. Stay away from windows.",
            "uk": "Військова авіація може завдати удару керованими авіабомбами або ракетами. "
            "Негайно прямуйте до найближчого укриття. Тримайтеся подалі від вікон.",
            "ru": "Военная авиация может нанести удар управляемыми авиабомбами или ракетами. "
            "Немедленно пройдите в ближайшее укрытие. Держитесь подальше от окон.",
        },
        "measures": _PUBLIC_SPACES_CLOSE,
        "siren": {"pattern": "continuous", "seconds": 180},
        "cap": _air_cap("TOCSIN-AVIATION", "Extreme"),
        "color": "#880e4f",
        "incident": _AIR_STRIKE,
        "keywords": [
            "aviation threat",
            "aviation danger",
            "military aircraft",
            "air strike",
            "airstrike",
            "guided bomb",
            "авіаційна небезпека",
            "авиационная опасность",
            "авіабомб",
            "авиабомб",
        ],
        "aliases": ["guided_bomb", "guided_bombs", "kab", "aircraft"],
    },
    "air": {
        "rank": 60,
        "names": {"en": "Air raid alert", "uk": "Повітряна тривога", "ru": "Воздушная тревога"},
        "signal": {"en": "Air Raid Alert!", "uk": "Повітряна тривога!", "ru": "Воздушная тревога!"},
        "instructions": {
            "en": "Go to the nearest shelter now. Stay there until the all-clear.",
            "uk": "Негайно прямуйте до найближчого укриття. Залишайтеся в ньому до відбою тривоги.",
            "ru": "Немедленно пройдите в ближайшее укрытие. Оставайтесь в нём до отбоя тревоги.",
        },
        "measures": {
            "en": [
                "Schools and public buildings move everyone to shelter.",
                "Shops and offices suspend service.",
            ],
            "uk": [
                "Заклади освіти та громадські будівлі переводять усіх до укриттів.",
                "Магазини та установи припиняють обслуговування.",
            ],
            "ru": [
                "Учебные заведения и общественные здания переводят всех в укрытия.",
                "Магазины и учреждения приостанавливают обслуживание.",
            ],
        },
        "siren": {"pattern": "wail", "seconds": 180},
        "cap": _air_cap("TOCSIN-AIR", "Severe"),
        "color": "#ef5350",
        "incident": _AIR_STRIKE,
        "keywords": [
            "air raid",
            "air-raid",
            "air attack",
            "air alert",
            "повітряна тривога",
            "воздушная тревога",
        ],
    },
    "urban_fighting": {
        "rank": 55,
        "names": {"en": "Street fighting", "uk": "Вуличні бої", "ru": "Уличные бои"},
        "signal": {
            "en": "Street Fighting Danger!",
            "uk": "Загроза вуличних боїв!",
            "ru": "Угроза уличных боёв!",
        },
        "instructions": {
            "en": "Stay inside and away from windows. "
            "Do not go out until the authorities say it is safe.",
            "uk": "Залишайтеся в приміщенні, подалі від вікон. "
            "Не виходьте на вулицю, доки влада не повідомить, що це безпечно.",
            "ru": "Оставайтесь в помещении, подальше от окон. "
            "Не выходите на улицу, пока власти не сообщат, что это безопасно.",
        },
        "measures": {
            "en": [
                "Movement in the streets is prohibited.",
                "Move to a basement or an inner room; keep lights off near windows.",
                "Do not film or post troop movements.",
            ],
            "uk": [
                "Пересування вулицями заборонено.",
                "Перейдіть до підвалу або внутрішньої кімнати, не вмикайте світло біля вікон.",
                "Не знімайте й не публікуйте переміщення військових.",
            ],
            "ru": [
                "Передвижение по улицам запрещено.",
                "Перейдите в подвал или внутреннюю комнату, не включайте свет у окон.",
                "Не снимайте и не публикуйте передвижения военных.",
            ],
        },
        "siren": {"pattern": "pulsed", "seconds": 120},
        "cap": _air_cap("TOCSIN-URBAN", "Severe"),
        "color": "#455a64",
        "incident": {"event_type": "Battles", "sub_event_type": "Armed clash"},
        "keywords": ["street fighting", "urban fighting", "вуличні бої", "уличные бои"],
    },
    "artillery": {
        "rank": 50,
        "names": {
            "en": "Artillery shelling",
            "uk": "Артилерійський обстріл",
            "ru": "Артиллерийский обстрел",
        },
        "signal": {
            "en": "Shelling Danger!",
            "uk": "Загроза артобстрілу!",
            "ru": "Угроза артобстрела!",
        },
        "instructions": {
            "en": "Take cover in a basement or shelter. Stay away from windows. "
            "Do not go outdoors.",
            "uk": "Сховайтеся в підвалі або укритті. Тримайтеся подалі від вікон. "
            "Не виходьте на вулицю.",
            "ru": "Укройтесь в подвале или укрытии. Держитесь подальше от окон. "
            "Не выходите на улицу.",
        },
        "measures": {
            "en": [
                "Shelling, including rocket artillery (MLRS), can go on for hours: "
                "stay in shelter until the all-clear.",
                "If you are caught outdoors, lie down in a ditch or hollow and cover your head.",
                "Public transport stops and outdoor work ends.",
            ],
            "uk": [
                "Обстріл, зокрема з реактивних систем залпового вогню, може тривати годинами: "
                "залишайтеся в укритті до відбою тривоги.",
                "Якщо обстріл застав вас надворі, ляжте в заглибину чи канаву "
                "та закрийте голову руками.",
                "Громадський транспорт зупиняється, роботи надворі припиняються.",
            ],
            "ru": [
                "Обстрел, в том числе из реактивных систем залпового огня, может длиться часами: "
                "оставайтесь в укрытии до отбоя тревоги.",
                "Если обстрел застал вас на улице, лягте в углубление или канаву "
                "и закройте голову руками.",
                "Общественный транспорт останавливается, работы на улице прекращаются.",
            ],
        },
        "siren": {"pattern": "pulsed", "seconds": 120},
        "cap": _air_cap("TOCSIN-ARTILLERY", "Severe"),
        "color": "#6d4c41",
        "incident": _SHELLING,
        "keywords": [
            "artillery",
            "shelling",
            "mlrs",
            "артилер",
            "артиллер",
            "артобстріл",
            "артобстрел",
            "обстріл",
            "обстрел",
        ],
        "aliases": ["shelling", "shell", "shells", "mlrs"],
    },
    "uav": {
        "rank": 40,
        "names": {"en": "Drone threat", "uk": "Загроза БпЛА", "ru": "Угроза БПЛА"},
        "signal": {"en": "UAV Danger!", "uk": "Загроза БпЛА!", "ru": "Угроза БПЛА!"},
        "instructions": {
            "en": "Stay indoors and away from windows. "
            "Take cover in a corridor, a windowless room or a shelter.",
            "uk": "Залишайтеся в приміщенні, подалі від вікон. "
            "Сховайтеся в коридорі, кімнаті без вікон або в укритті.",
            "ru": "Оставайтесь в помещении, подальше от окон. "
            "Укройтесь в коридоре, комнате без окон или в укрытии.",
        },
        "measures": {
            "en": [
                "Follow the two-wall rule: keep at least two walls between you and the street.",
                "If you are outdoors, go into the nearest building or shelter.",
            ],
            "uk": [
                "Дотримуйтеся правила двох стін: між вами та вулицею "
                "мають бути щонайменше дві стіни.",
                "Якщо ви надворі, зайдіть до найближчої будівлі або укриття.",
            ],
            "ru": [
                "Соблюдайте правило двух стен: между вами и улицей должно быть не менее двух стен.",
                "Если вы на улице, зайдите в ближайшее здание или укрытие.",
            ],
        },
        "siren": {"pattern": "pulsed", "seconds": 120},
        "cap": _air_cap("TOCSIN-UAV", "Severe"),
        "color": "#f9a825",
        "incident": _AIR_STRIKE,
        "keywords": [
            "drone",
            "uav",
            "unmanned aerial",
            "shahed",
            "бпла",
            "дрон",
            "безпілотн",
            "беспилотн",
        ],
        "aliases": ["drone", "drones", "shahed", "shaheds", "uavs"],
    },
}
