"""The text as the rules read it: one normal form, tokens and sentences, all with offsets.

`normal` folds case, apostrophes, dashes and non-breaking spaces without changing the length,
so an offset found in it is an offset in the text as sent. Tokens are words (a hyphen and
digits may follow: `kh-101`, `shahed-136`), runs of digits, and single punctuation marks.
Sentences end at `.`, `!`, `?` or a line break, except after the usual abbreviations
(`м.`, `с.`, `обл.`, `St.`), and paragraphs at an empty line. `extract` takes both from the
spaCy pipeline (`pipeline`), whose tokenizer gives these tokens and which splits sentences by
these rules.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Final


def words(text: str) -> frozenset[str]:
    """The words of a space-separated list (the lexicons' way of writing their tables)."""
    return frozenset(text.split())


def phrases(text: str) -> tuple[tuple[str, ...], ...]:
    """The phrases of a `|`-separated list, each as its words."""
    return tuple(tuple(p.split()) for p in text.split("|"))


_FOLD: Final = str.maketrans(
    {
        "’": "'",
        "ʼ": "'",
        "`": "'",
        "‘": "'",
        "ʹ": "'",
        "–": "-",
        "—": "-",
        "−": "-",
        "‒": "-",
        "‑": "-",
        "\u00a0": " ",
        "\u202f": " ",
        "\u2009": " ",
        "ё": "е",
        "Ё": "Е",
    }
)
_TOKEN: Final = re.compile(r"\d+|[^\W\d_]+(?:['-][^\W\d_]+)*(?:-\d+[^\W\d_]*)?|[^\w\s]", re.UNICODE)
ABBREVIATIONS: Final = words(
    "м с смт сел селе обл р г гг пос ст вул ул просп пр пл бул mr mrs dr st no ім им тис "
    "млн грн руб км ок ін др т п etc vs proc напр див см тыс"
)


def normal(text: str) -> str:
    """Lower case with folded apostrophes, dashes and spaces; as long as `text`."""
    folded = text.translate(_FOLD)
    lowered = folded.lower()
    if len(lowered) == len(folded):
        return lowered
    return "".join(c.lower() if len(c.lower()) == 1 else c for c in folded)


@dataclass(frozen=True, slots=True)
class Token:
    start: int
    end: int
    text: str  # in normal form

    @property
    def is_digits(self) -> bool:
        return self.text.isdecimal()

    @property
    def is_word(self) -> bool:
        return self.text[:1].isalpha()


@dataclass(frozen=True, slots=True)
class Sentence:
    start: int
    end: int
    paragraph: int
    first: int  # index of its first token in the text's tokens
    stop: int  # index after its last token


def tokens(norm: str) -> list[Token]:
    return [Token(m.start(), m.end(), m.group()) for m in _TOKEN.finditer(norm)]
