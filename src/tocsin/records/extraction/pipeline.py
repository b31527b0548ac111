"""One blank spaCy pipeline per language (`spacy.blank(lang)`, no model), built once: the text
is tokenised once, and its `Doc` carries both the sentences and the weapons named.

    tokenizer      the rules' tokens (`text.tokens`: `kh-101`, `shahed-136` stay whole), over
                   the text as sent, each token's NORM its normal form (`text.normal`)
    tocsin_breaks  a line break starts a sentence; none starts after an abbreviation
                   (`м.`, `обл.`, `р.`, `г.`, `St.`) or inside `3.5`
    sentencizer    the rest: a sentence ends at `.`, `!`, `?` or `…`
    tocsin_weapons the weapon and alert-signal lexicon (`weapons.PATTERNS`) as a `Matcher` on
                   NORM (lower case) and TEXT (names counted only capitalised), into
                   `doc.user_data["weapons"]`: threat id, start and end (a name may be part
                   of a hyphenated token: `FPV-дрон`, `Shahed-type`)

Offsets are the text's own: `span.start_char`, `span.end_char`.
"""

from __future__ import annotations

import functools
from typing import Final

import numpy
import spacy
from spacy.language import Language
from spacy.matcher import Matcher
from spacy.tokens import Doc
from spacy.vocab import Vocab

from tocsin.records.extraction import weapons
from tocsin.records.extraction.model import Lang
from tocsin.records.extraction.text import ABBREVIATIONS, Sentence, Token, normal, tokens

_STOPS: Final = (".", "!", "?", "…")
_FILLER: Final = "tocsin_filler"  # whitespace (beyond one space) or a character no token holds


class _Tokenizer:
    """The rules' tokens as a `Doc`; what lies between them beyond one space is a filler."""

    def __init__(self, vocab: Vocab) -> None:
        self.vocab = vocab

    def __call__(self, text: str) -> Doc:
        norm = normal(text)
        toks = tokens(norm)
        words: list[str] = []
        spaces: list[bool] = []
        norms: list[str] = []
        fillers: list[int] = []
        at = 0
        for tok in toks:
            gap = text[at : tok.start]
            if gap == " " and words:
                spaces[-1] = True
            elif gap:
                fillers.append(len(words))
                words.append(gap)
                spaces.append(False)
                norms.append(gap)
            words.append(text[tok.start : tok.end])
            spaces.append(False)
            norms.append(tok.text)
            at = tok.end
        if at < len(text):
            fillers.append(len(words))
            words.append(text[at:])
            spaces.append(False)
            norms.append(text[at:])
        doc = Doc(self.vocab, words=words, spaces=spaces)
        for token, form in zip(doc, norms, strict=True):
            token.norm_ = form
        doc.user_data[_FILLER] = fillers
        doc.user_data["norm"] = norm
        doc.user_data["tokens"] = toks
        return doc


@Language.component("tocsin_breaks")
def _breaks(doc: Doc) -> Doc:
    """Sentence starts the sentencizer cannot know: line breaks, abbreviations, fillers.

    Set all at once (`Doc.from_array`): setting `Token.is_sent_start` one token at a time
    checks the whole document each time, quadratic in a long text."""
    norm: str = doc.user_data["norm"]
    fillers = set(doc.user_data[_FILLER])
    starts = numpy.zeros(len(doc), dtype="int64")  # 1 starts a sentence, -1 does not, 0 unset
    previous: int | None = None  # index of the previous token that is no filler
    for i, token in enumerate(doc):
        if i in fillers:
            if i > 0:
                starts[i] = -1
            continue
        if previous is None:
            previous = i
            continue
        before = doc[previous]
        gap = norm[before.idx + len(before.text) : token.idx]
        if "\n" in gap:
            starts[i] = 1
        elif before.norm_ in _STOPS:
            if not gap or _abbreviation(doc, previous):
                starts[i] = -1
            elif gap != " " or token.is_punct:
                # a filler between, which the sentencizer takes for a start; or an opening
                # quote, which it counts with the stop
                starts[i] = 1
        else:
            starts[i] = -1  # not even after a quote closing a sentence: «…!» —
        previous = i
    if len(doc):
        doc.from_array(["SENT_START"], starts.astype("uint64").reshape(-1, 1))  # type: ignore[arg-type]
    return doc


def _abbreviation(doc: Doc, stop: int) -> bool:
    if doc[stop].norm_ != "." or stop == 0:
        return False
    word = doc[stop - 1]
    return word.norm_ in ABBREVIATIONS and not word.whitespace_


class _Weapons:
    def __init__(self, vocab: Vocab) -> None:
        self.vocab = vocab
        self.matcher = Matcher(vocab)
        for threat, patterns in weapons.PATTERNS.items():
            self.matcher.add(threat, patterns)

    def __call__(self, doc: Doc) -> Doc:
        found: set[tuple[str, int, int]] = set()
        for label, start, end in self.matcher(doc):
            token = doc[start]
            if end - start == 1 and "-" in token.text:
                found.update(
                    (threat, token.idx + left, token.idx + right)
                    for threat, left, right in weapons.within(token.norm_, token.text)
                )
            else:
                span = doc[start:end]
                found.add((self.vocab.strings[label], span.start_char, span.end_char))
        doc.user_data["weapons"] = sorted(found, key=lambda m: (m[1], -m[2]))
        return doc


@Language.factory("tocsin_weapons")
def _weapons(nlp: Language, name: str) -> _Weapons:
    return _Weapons(nlp.vocab)


@functools.cache
def pipeline(lang: Lang) -> Language:
    nlp = spacy.blank(lang)
    nlp.tokenizer = _Tokenizer(nlp.vocab)
    nlp.add_pipe("tocsin_breaks")
    nlp.add_pipe("sentencizer", config={"punct_chars": list(_STOPS)})
    nlp.add_pipe("tocsin_weapons")
    return nlp


def document(text: str, lang: Lang) -> Doc:
    """`text` read by the pipeline of its language."""
    return pipeline(lang)(text)


def doc_tokens(doc: Doc) -> list[Token]:
    """The rules' tokens of the text (`text.tokens` of its normal form)."""
    toks: list[Token] = doc.user_data["tokens"]
    return toks


def doc_sentences(doc: Doc) -> list[Sentence]:
    """The `Doc`'s sentences over the rules' tokens, with their paragraph's number (a new one
    after an empty line)."""
    norm: str = doc.user_data["norm"]
    fillers = set(doc.user_data[_FILLER])
    found: list[Sentence] = []
    toks = doc_tokens(doc)
    paragraph = 0
    first = 0
    k = 0  # index in toks
    for i, token in enumerate(doc):
        if i in fillers:
            continue
        if k > first and token.is_sent_start:
            found.append(Sentence(toks[first].start, toks[k - 1].end, paragraph, first, k))
            if norm[toks[k - 1].end : toks[k].start].count("\n") >= 2:
                paragraph += 1
            first = k
        k += 1
    if toks:
        found.append(Sentence(toks[first].start, toks[-1].end, paragraph, first, len(toks)))
    return found


def warm() -> None:
    for lang in ("en", "uk", "ru"):
        document("Вночі 5 БпЛА. Ракета.\n\nKh-101", lang)
