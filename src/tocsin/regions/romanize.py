"""Ukrainian → Latin by the official national romanization (Cabinet of Ministers resolution
No. 55 of 27 January 2010), the system Ukrainian institutions and the alert datasets use.

Є, Ї, Й, Ю, Я are written ye, yi, y, yu, ya at the start of a word and ie, i, i, iu, ia
elsewhere; зг is zgh; the soft sign and the apostrophe are dropped. Characters outside the
Ukrainian alphabet pass through unchanged.
"""

from __future__ import annotations

_LETTERS: dict[str, str] = {
    "а": "a", "б": "b", "в": "v", "г": "h", "ґ": "g", "д": "d", "е": "e", "є": "ie",
    "ж": "zh", "з": "z", "и": "y", "і": "i", "ї": "i", "й": "i", "к": "k", "л": "l",
    "м": "m", "н": "n", "о": "o", "п": "p", "р": "r", "с": "s", "т": "t", "у": "u",
    "ф": "f", "х": "kh", "ц": "ts", "ч": "ch", "ш": "sh", "щ": "shch", "ь": "", "ю": "iu",
    "я": "ia",
}  # fmt: skip

_WORD_INITIAL: dict[str, str] = {"є": "ye", "ї": "yi", "й": "y", "ю": "yu", "я": "ya"}

APOSTROPHES = frozenset("'’ʼ‘`")


def romanize(text: str) -> str:
    """`text` in Ukrainian Cyrillic, written in Latin letters."""
    return "".join(_romanize_at(text, i) for i in range(len(text)))


def _romanize_at(text: str, i: int) -> str:
    char = text[i]
    if char in APOSTROPHES:
        return ""
    lower = char.lower()
    if lower not in _LETTERS:
        return char
    latin = _latin(lower, text, i)
    if not char.isupper():
        return latin
    return latin.upper() if _in_capitals(text, i) else latin.capitalize()


def _latin(lower: str, text: str, i: int) -> str:
    if lower == "г" and i > 0 and text[i - 1].lower() == "з":
        return "gh"
    if lower in _WORD_INITIAL and _starts_word(text, i):
        return _WORD_INITIAL[lower]
    return _LETTERS[lower]


def _starts_word(text: str, i: int) -> bool:
    if i == 0:
        return True
    before = text[i - 1]
    return not before.isalpha() and before not in APOSTROPHES


def _in_capitals(text: str, i: int) -> bool:
    """True when the letter is part of a word written in capitals ("КИЇВ", not "Київ")."""
    neighbours = [c for c in (text[i - 1 : i] + text[i + 1 : i + 2]) if c.isalpha()]
    return bool(neighbours) and all(c.isupper() for c in neighbours)
