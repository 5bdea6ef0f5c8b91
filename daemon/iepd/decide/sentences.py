"""PURE: the new text of a reply as sentences of tokens, each token with its lemma.

A sentence is what a parent would quote; a clause is the part of a sentence that one verb
governs, as far as "but", "however", "pero" or "porque" let us tell. Negation is read within
a clause only: in "we are not able to meet on the 9th, but the team will meet on the 10th"
the "not" says nothing about the second meeting.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from iepd.decide import cues
from iepd.decide.lemmas import Lemmas, plain

_WORD = re.compile(r"\w+(?:[-'’]\w+)*")
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[¿¡\"“'(\[]?[\w])|\s+[-–—]+\s+|(?<=[?!])(?=\w)")
_COMMA = re.compile(r",|\s[-–—]+\s|[–—]")
_CLAUSE_END = re.compile(r";|:\s|\(|\)")
_ABBREVIATION = re.compile(
    r"(?:\b(?:mr|mrs|ms|mx|dr|sr|sra|srta|lic|st|jr|ed|vs|etc|e\.g|i\.e|no|rm|ext|approx|dept"
    r"|a\.\s?m|p\.\s?m)|\b[^\W\d_])\.$",
    re.IGNORECASE,
)
# A month or a day abbreviated ("Oct.", "Tues.") goes on to its date, but a sentence may also
# end with it: "we've been short an SLP since Oct. No need to meet" is two sentences.
_DATE_ABBREVIATION = re.compile(
    r"\b(?:jan|feb|mar|apr|jun|jul|aug|sep|sept|oct|nov|dec|mon|tue|tues|wed|thu|thur|thurs"
    r"|fri)\.$",
    re.IGNORECASE,
)
_NEW_SENTENCE = re.compile(
    r"^[¿¡\"“'(\[]?(?!(?i:(?:jan|feb|mar|apr|may|jun|jul|aug|sept?|oct|nov|dec|mon|tue|tues"
    r"|wed|thu|thur|thurs|fri|sat|sun)\b|(?:january|february|march|april|june|july|august"
    r"|september|october|november|december|monday|tuesday|wednesday|thursday|friday|saturday"
    r"|sunday)\b))[A-Z][a-z]*\b"
)
_ENCLITIC = re.compile(r"(?<=[aei]r)(?:se|nos|los|las|les|lo|la|le|me|te)$")
_LIST_ITEM = re.compile(r"^\s*(?:[-*•·▪]|\d{1,2}[.)])\s+")
_CLOSING = re.compile(
    r"^\s*(?:thanks|thank you|many thanks|best|best regards|kind regards|warm regards|regards"
    r"|sincerely|respectfully|warmly|take care|cheers|atentamente|saludos|saludos cordiales"
    r"|cordialmente|un saludo|gracias|muchas gracias|quedo pendiente|quedo al pendiente)"
    r"[\s,.!]*$",
    re.IGNORECASE,
)
_POSTSCRIPT = re.compile(r"^\s*(?:p\.?\s?s\.?|p\.?\s?d\.?)[\s:.,-]", re.IGNORECASE)
_CLAUSE_BREAKS = frozenset({
    "but", "however", "although", "though", "because", "whereas", "pero", "sino",
    "aunque", "porque", "mientras",
})  # fmt: skip
_ENGLISH = frozenset({
    "the", "and", "to", "of", "a", "in", "is", "that", "for", "it", "we", "you", "with",
    "be", "on", "not", "this", "have", "are", "will", "at", "as", "i", "our", "your", "can",
    "would", "meeting", "thank", "please", "she", "he", "her", "his", "if", "or", "about",
})  # fmt: skip
_SPANISH = frozenset({
    "de", "la", "que", "el", "en", "y", "los", "se", "del", "las", "por", "un", "para",
    "con", "una", "su", "al", "lo", "como", "mas", "pero", "le", "ya", "este", "esta",
    "porque", "muy", "sin", "sobre", "tambien", "me", "hasta", "hay", "usted", "junta",
    "reunion", "gracias", "es", "son", "nos", "si", "ella", "escuela",
})  # fmt: skip
MAX_SENTENCES = 200


@dataclass(frozen=True)
class Token:
    text: str  # as written
    low: str  # lower case, no accents
    lemma: str  # lower case, no accents; a joined phrase is "touch_base"
    # A comma or a dash stands before it: "no need for the team, text me" starts over at "text"
    after_comma: bool = False

    def is_(self, words: frozenset[str]) -> bool:
        return self.lemma in words or self.low in words


@dataclass(frozen=True)
class Sentence:
    text: str  # as written, whitespace collapsed: what evidence quotes
    language: str  # "en" or "es"
    tokens: tuple[Token, ...]
    clauses: tuple[tuple[Token, ...], ...]
    question: bool


@lru_cache(maxsize=1)
def _lemmas() -> Lemmas:
    return Lemmas(cues.VOCABULARY)


def language_of(text: str) -> str:
    """Given some text, return "es" when it reads as Spanish, else "en"."""
    words = [plain(word) for word in _WORD.findall(text[:4000])]
    spanish = sum(word in _SPANISH for word in words)
    english = sum(word in _ENGLISH for word in words)
    return "es" if spanish > english else "en"


def without_closing(text: str) -> str:
    """Given the new text of a reply, return it without the closing and what follows it
    (name, title, telephone, confidentiality notice)."""
    lines = text.splitlines()
    seen_content = False
    for index, line in enumerate(lines):
        if seen_content and _CLOSING.match(line):
            # A postscript below the name is the sender's words again: "P.S. Happy to call."
            after = next(
                (at for at in range(index, len(lines)) if _POSTSCRIPT.match(lines[at])), None
            )
            kept = lines[:index] + (lines[after:] if after is not None else [])
            return "\n".join(kept).strip()
        if len(line.strip()) > 40 or re.search(r"\w[.?!]", line):
            seen_content = True
    return text


_ENDS = re.compile(r"[.!?:;]['\")]*$")


def split_sentences(text: str) -> list[str]:
    """Given plain text with its line breaks, return its sentences, whitespace collapsed.
    Short lines and list items stand alone; hard-wrapped prose is joined first."""
    units: list[str] = []
    for paragraph in re.split(r"\n\s*\n", text):
        current: list[str] = []
        for line in paragraph.splitlines():
            stripped = line.strip()
            if not stripped:
                continue
            # the short last line of wrapped prose ends its sentence: "...data shows Sam is /
            # still not receiving his minutes, we will / schedule an IEP meeting at that time."
            tail = bool(current) and stripped[:1].islower() and not _ENDS.search(current[-1])
            if (_LIST_ITEM.match(stripped) or len(stripped) < 45) and not tail:
                if current:
                    units.append(" ".join(current))
                    current = []
                units.append(_LIST_ITEM.sub("", stripped))
            else:
                current.append(stripped)
        if current:
            units.append(" ".join(current))
    sentences: list[str] = []
    for unit in units:
        pieces = _SENTENCE_END.split(" ".join(unit.split()))
        merged: list[str] = []
        for piece in pieces:
            date = bool(merged) and _DATE_ABBREVIATION.search(merged[-1]) is not None
            if merged and (
                _ABBREVIATION.search(merged[-1]) or (date and not _NEW_SENTENCE.match(piece))
            ):
                merged[-1] = f"{merged[-1]} {piece}"
            else:
                merged.append(piece)
        sentences.extend(piece.strip() for piece in merged if _WORD.search(piece))
    return sentences[:MAX_SENTENCES]


def _phrases() -> dict[tuple[str, ...], str]:
    table: dict[tuple[str, ...], str] = {}
    for entry in cues.PHRASES:
        words, _, name = entry.partition("=")
        key = tuple(plain(words).split())
        table[key] = name or "_".join(key)
    return table


_PHRASE_TABLE = _phrases()
_LONGEST = max(len(key) for key in _PHRASE_TABLE)
# "pull the whole team together", "get the full ARD committee together"
_TOGETHER_VERBS = frozenset({"pull", "bring", "get", "gather", "call"})


def _join_phrases(tokens: list[Token]) -> list[Token]:
    joined: list[Token] = []
    index = 0
    while index < len(tokens):
        for size in range(min(_LONGEST, len(tokens) - index), 0, -1):
            window = tokens[index : index + size]
            for key in ((t.low for t in window), (t.lemma for t in window)):
                name = _PHRASE_TABLE.get(tuple(key))
                if name is not None:
                    text = " ".join(t.text for t in window)
                    joined.append(Token(text, name, name, window[0].after_comma))
                    index += size
                    break
            else:
                continue
            break
        else:
            joined.append(tokens[index])
            index += 1
    for position, token in enumerate(joined):
        if token.lemma in _TOGETHER_VERBS and any(
            later.low == "together" for later in joined[position + 1 : position + 7]
        ):
            joined[position] = Token(
                token.text, "pull_together", "pull_together", token.after_comma
            )
    return joined


def tokenize(text: str, language: str) -> list[Token]:
    """Given one sentence and its language, return its words as tokens, phrases joined."""
    lemmas = _lemmas()
    tokens = []
    previous_end = 0
    for found in _WORD.finditer(text):
        word = found.group(0)
        after_comma = bool(_COMMA.search(text[previous_end : found.start()]))
        previous_end = found.end()
        low = plain(word).replace("’", "'")
        lemma = lemmas.lemma(word.replace("’", "'"), language)
        if lemma == low:  # a short or mixed sentence: the word may be the other language's
            lemma = lemmas.lemma(word.replace("’", "'"), "en" if language == "es" else "es")
        if "-" in low and lemma == low:
            lemma = lemmas.lemma(word.rsplit("-", 1)[-1], language)
        if lemma == low:
            # "reunirnos", "convocarla", "llamarle": the verb without its pronoun
            bare = _ENCLITIC.sub("", low)
            if bare != low:
                lemma = lemmas.lemma(bare, language)
        if _yes(word, text, found.start(), found.end()):
            low = lemma = "yes"  # "Sí, vamos a tener la junta" is no condition
        tokens.append(Token(word, low, lemma, after_comma))
    return _join_phrases(tokens)


def _yes(word: str, text: str, start: int, end: int) -> bool:
    """True for the Spanish "sí" (yes), written with its accent or, typed without it, first
    in the sentence and followed by a comma ("Si, claro")."""
    if word.lower() == "sí":
        return True
    return word.lower() == "si" and not text[:start].strip(" ¡¿\"'") and text[end : end + 1] == ","


def _clauses(text: str, language: str) -> tuple[tuple[Token, ...], ...]:
    """The clauses of a sentence: its parts between semicolons, colons and brackets, cut
    again before "but", "however", "pero", "porque"..."""
    clauses: list[list[Token]] = []
    for piece in _CLAUSE_END.split(text):
        clauses.append([])
        for token in tokenize(piece, language):
            if token.low in _CLAUSE_BREAKS and clauses[-1]:
                clauses.append([])
            clauses[-1].append(token)
    return tuple(tuple(clause) for clause in clauses if clause)


# A signature's lines, read when no closing stands above them: a title ("SST Coordinator /
# Student Support Team Chair", "MTSS Team Lead") and a labelled number ("Call or text: 555").
_TITLE_WORDS = frozenset({
    "coordinator", "chair", "chairperson", "lead", "facilitator", "specialist", "coach",
    "director", "principal", "teacher", "counselor", "psychologist", "pathologist", "slp",
    "liaison", "secretary", "manager", "assistant", "administrator", "supervisor", "dean",
    "interventionist", "coordinadora", "coordinador", "maestra", "maestro", "directora",
    "consejera", "consejero", "enlace", "especialista", "terapeuta", "secretaria",
})  # fmt: skip
_CONTACT_LABEL = re.compile(
    r"^\W*(?:phone|cell|tel|telephone|office|fax|mobile|direct(?: line)?|call or text"
    r"|text or call|ext|tel[eé]fono|cel|celular|oficina|email|e-mail|correo)\b[^a-z]{0,3}"
    r"[\s\S]{0,40}\d{3}",
    re.IGNORECASE,
)


def signature_line(raw: str) -> bool:
    """True for a line of a signature: a short title without a sentence's end, or a labelled
    telephone number."""
    if _CONTACT_LABEL.match(raw):
        return True
    words = [plain(word) for word in _WORD.findall(raw)]
    if len(words) > 10 or raw.rstrip().endswith((".", "?", "!", ":")):
        return False
    if any(word in ("i", "we", "you", "yo", "usted", "please", "let's") for word in words):
        return False
    written = _WORD.findall(raw)
    capitalised = sum(word[:1].isupper() or word[:1].isdigit() for word in written)
    if capitalised * 5 < len(written) * 3:
        return False  # "principal says no mtg needed" is the message, typed in lowercase
    return any(word in _TITLE_WORDS for word in words)


def read_sentences(text: str) -> list[Sentence]:
    """Given the new text of a reply, return its sentences, each tokenised in its own
    language (a Spanish paragraph under two English lines is read as Spanish)."""
    overall = language_of(text)
    sentences = []
    for raw in split_sentences(without_closing(text)):
        if signature_line(raw):
            continue
        words = [plain(word) for word in _WORD.findall(raw)]
        spanish = sum(word in _SPANISH for word in words)
        english = sum(word in _ENGLISH for word in words)
        language = overall if abs(spanish - english) < 2 else ("es" if spanish > english else "en")
        clauses = _clauses(raw, language)
        tokens = tuple(token for clause in clauses for token in clause)
        question = "?" in raw or "¿" in raw
        sentences.append(Sentence(raw, language, tokens, clauses, question))
    return sentences
