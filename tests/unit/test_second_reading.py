"""The second reading (decide/second_reading.py): the weight of a reply's words, by a small
model trained on the replies written apart from the project. It speaks only with words enough
to weigh; where it disagrees with the rules it decides when it is clear or the rules are
unsure, and the reply is said unsure unless it is clearer still."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from test_classify_cues import message

from iepd.decide import classify as classify_module
from iepd.decide import second_reading as second_reading_module
from iepd.decide.classify import (
    SECOND_READING_DECIDES,
    SECOND_READING_SURE,
    SECOND_READING_WHEN_UNSURE,
    Classification,
    classify,
)
from iepd.decide.second_reading import SecondReading, _model, features, second_reading
from iepd.decide.sentences import read_sentences

TEMPLATES = Path(__file__).resolve().parents[2] / "templates"


def test_the_model_ships_with_iepd_and_knows_the_three_readings() -> None:
    model = _model()

    assert model is not None
    assert set(model.bias) == {"answer", "declined", "informal"}
    assert len(model.weights) > 500


def test_features_are_lemmas_negated_in_their_clause_without_function_words() -> None:
    found = features(read_sentences("We will not hold a meeting, but call me tomorrow."))

    assert {"not", "not_hold", "not_meet"} <= found  # "meeting" by its lemma
    assert "call" in found and "not_call" not in found  # the clause ends before "but"
    assert not {"a", "we", "me", "not_a"} & found


def test_a_one_line_reply_is_left_to_the_rules() -> None:
    assert second_reading(read_sentences("Sounds good, thanks!")) is None


def test_a_sure_reading_the_words_disagree_with_stays_and_is_said_unsure() -> None:
    # The parent's own letter quoted with no marker: the rules read no refusal and no offer in
    # it; its words ("not an informal conversation or a phone call") weigh towards an offer.
    raw = (TEMPLATES / "request" / "general.txt.j2").read_text(encoding="utf-8")
    text = re.sub(r"\{\{.*?\}\}", "Sam", re.sub(r"\{%.*?%\}|\{#.*?#\}", "", raw, flags=re.S))

    result = classify(message(text))

    assert result.klass == "answer"
    assert result.unsure
    assert any(signal.startswith("second reading, by the weight") for signal in result.signals)


# An agreement and a refusal: the rules read a refusal and say they are unsure.
UNSURE_TEXT = "The team will meet on Dec 14. We do not think a meeting is needed."


def read_with(monkeypatch: pytest.MonkeyPatch, text: str, second: SecondReading) -> Classification:
    monkeypatch.setattr(classify_module, "second_reading", lambda sentences: second)
    return classify(message(text))


@pytest.mark.parametrize(
    ("probability", "klass", "unsure"),
    [
        (SECOND_READING_WHEN_UNSURE, "informal", True),  # the rules are unsure: it decides
        (SECOND_READING_SURE, "informal", False),  # ... and a clear one is sure
        (SECOND_READING_WHEN_UNSURE - 0.01, "declined", True),  # barely preferred: no reading
    ],
)
def test_where_the_rules_are_unsure_the_second_reading_decides(
    monkeypatch: pytest.MonkeyPatch, probability: float, klass: str, unsure: bool
) -> None:
    rules = classify(message(UNSURE_TEXT))
    assert rules.unsure and rules.klass == "declined"  # the case this test is about

    result = read_with(
        monkeypatch, UNSURE_TEXT, SecondReading("informal", probability, ("call", "chat"))
    )

    assert (result.klass, result.unsure) == (klass, unsure)
    assert "words: call, chat" in result.signals[-2]


SURE_TEXT = "We do not believe an IEP meeting is necessary at this time."


@pytest.mark.parametrize(
    ("probability", "klass", "unsure"),
    [
        (0.99, "answer", False),  # clear: it decides, and is sure
        (SECOND_READING_DECIDES, "answer", True),  # it decides, not sure enough
        (SECOND_READING_DECIDES - 0.01, "declined", True),  # it only doubts
    ],
)
def test_a_sure_reading_is_changed_only_by_a_clear_second_reading(
    monkeypatch: pytest.MonkeyPatch, probability: float, klass: str, unsure: bool
) -> None:
    assert classify(message(SURE_TEXT)) == classify(message(SURE_TEXT))  # deterministic
    rules = classify(message(SURE_TEXT))
    assert not rules.unsure and rules.klass == "declined"

    result = read_with(monkeypatch, SURE_TEXT, SecondReading("answer", probability, ("meeting",)))

    assert (result.klass, result.unsure) == (klass, unsure)
    assert result.signals[-1] == f"decided: {klass} (the rules and the second reading disagree)"


def test_a_clear_second_reading_that_agrees_makes_an_unsure_reading_sure(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    second = SecondReading("declined", SECOND_READING_SURE, ("not",))

    assert read_with(monkeypatch, UNSURE_TEXT, second).unsure is False


def test_a_short_reply_is_the_rules_to_decide() -> None:
    text = "We do not believe an IEP meeting is necessary. Call me with questions."

    assert second_reading(read_sentences(text)) is None


def test_where_the_rules_read_nothing_the_second_reading_never_decides(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    text = "Sam's class will visit the science museum, and the bus leaves at nine. " * 3
    assert classify(message(text)).signals == ("decided: answer",)  # nothing read

    result = read_with(monkeypatch, text, SecondReading("declined", 0.99, ("museum",)))

    assert (result.klass, result.unsure) == ("answer", True)


@pytest.mark.parametrize("content", ["{", '{"bias": {}}', '{"bias": {"answer": 1}, "weights": 3}'])
def test_a_damaged_model_file_leaves_the_reading_to_the_rules(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, content: str
) -> None:
    (tmp_path / "second_reading.json").write_text(content, encoding="utf-8")
    monkeypatch.setattr(second_reading_module.resources, "files", lambda package: tmp_path)
    _model.cache_clear()
    try:
        assert _model() is None
        text = "We do not believe an IEP meeting is necessary. " * 5
        assert second_reading(read_sentences(text)) is None
    finally:
        monkeypatch.undo()
        _model.cache_clear()
