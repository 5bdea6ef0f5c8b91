"""Words by their lemma, English and Spanish: the only module that imports simplemma.

"declines", "declined" and "declining" are one word to the classifier, and so are "convocar",
"convocará" and "convocaremos". simplemma's dictionaries are large (English and Spanish
together hold about a million forms, some 85 MiB as Python objects), and the daemon must stay
small while it waits for mail. The classifier only ever asks whether a word is one of a few
hundred lemmas it has cues for, so on first use each language's shipped dictionary is read
once, as a stream, and only the forms whose lemma is in that vocabulary are kept: about a
thousand entries, well under 1 MiB, instead of the whole dictionary. A word outside them is
its own lower-cased self, which is all the classifier needs to know about it.
"""

from __future__ import annotations

import logging
import unicodedata
from collections.abc import Iterable, Iterator, Mapping

import simplemma
from simplemma.strategies import DictionaryLookupStrategy
from simplemma.strategies.dictionaries import StreamDictionaryFactory

logger = logging.getLogger(__name__)

LANGUAGES = ("en", "es")
_CACHE_SIZE = 8192  # distinct words remembered across messages


def plain(word: str) -> str:
    """Given a word, return it lower-cased without accents: Spanish from a phone often comes
    without them ("reunion", "telefono"), and a cue must still be found."""
    decomposed = unicodedata.normalize("NFKD", word.lower())
    return "".join(char for char in decomposed if not unicodedata.combining(char))


def _stream_entries(lang: str) -> Iterator[tuple[str, str]]:
    """Yield (form, lemma) of simplemma's shipped dictionary for ``lang``, one at a time.

    The record reader is simplemma's own (``frontcode``, used by its low-memory mode); it is
    not part of its documented interface, so any change there falls back to the documented
    low-memory mapping, which gives the same entries more slowly."""
    try:
        from simplemma.strategies.dictionaries import frontcode
        from simplemma.strategies.dictionaries.dictionary_factory import _read_decompressed

        data = _read_decompressed(lang)
        reverse, _count, position = frontcode._read_header(data)
        for _, key, value in frontcode._iter_records(data, position):
            if reverse:
                key, value = key[::-1], value[::-1]
            yield key.decode("utf-8", "replace"), value.decode("utf-8", "replace")
    except (ImportError, AttributeError, TypeError, ValueError) as error:
        logger.info("simplemma's stream reader unavailable (%r); using its mapping", error)
        mapping = StreamDictionaryFactory().get_dictionary(lang)
        for form in mapping:
            lemma = mapping.get(form)
            if lemma is not None:
                yield form, lemma


class _VocabularyDictionaries:
    """A simplemma ``DictionaryFactory`` holding, per language, only the forms whose lemma is
    in the vocabulary (compared without accents)."""

    def __init__(self, vocabulary: frozenset[str]) -> None:
        self._vocabulary = frozenset(plain(word) for word in vocabulary)
        self._tables: dict[str, dict[str, str]] = {}

    def get_dictionary(self, lang: str) -> Mapping[str, str]:
        # Two threads may both build a table the first time; the result is the same, and
        # one assignment replaces the other whole.
        table = self._tables.get(lang)
        if table is None:
            table = {
                form: lemma
                for form, lemma in _stream_entries(lang)
                if plain(lemma) in self._vocabulary
            }
            self._tables[lang] = table
            logger.debug("lemma table %s: %d forms kept", lang, len(table))
        return table


class Lemmas:
    """Lemmatises words for a fixed vocabulary of lemmas, English and Spanish."""

    def __init__(self, vocabulary: Iterable[str]) -> None:
        self._dictionaries = _VocabularyDictionaries(frozenset(vocabulary))
        self._lemmatizer = simplemma.Lemmatizer(
            cache_max_size=_CACHE_SIZE,
            lemmatization_strategy=DictionaryLookupStrategy(self._dictionaries),
        )

    def kept(self, lang: str) -> Mapping[str, str]:
        """Given "en" or "es", return the forms kept from simplemma's dictionary, each with
        its lemma (reading the dictionary the first time)."""
        return self._dictionaries.get_dictionary(lang)

    def lemma(self, word: str, lang: str) -> str:
        """Given a word and "en" or "es", return its lemma lower-cased without accents when
        the lemma is in the vocabulary, else the word itself lower-cased without accents.
        Never raises."""
        if not word:
            return ""
        try:
            return plain(self._lemmatizer.lemmatize(word, lang if lang in LANGUAGES else "en"))
        except (TypeError, ValueError):
            return plain(word)
