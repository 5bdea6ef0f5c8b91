"""The second reading (decide/second_reading.py): the weight of a reply's words, by a small
model trained on the development authors. Where it disagrees with the rules the reply is said
unsure; it decides only where the rules are unsure themselves and it is clear."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from test_classify_cues import message

from iepd.decide import classify as classify_module
from iepd.decide import second_reading as second_reading_module
from iepd.decide.classify import SECOND_READING_DECIDES, classify
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


@pytest.mark.parametrize(
    ("reading", "probability", "decides"),
    [
        ("informal", SECOND_READING_DECIDES, True),
        ("informal", SECOND_READING_DECIDES - 0.01, False),
    ],
)
def test_where_the_rules_are_unsure_a_clear_second_reading_decides(
    monkeypatch: pytest.MonkeyPatch, reading: str, probability: float, decides: bool
) -> None:
    rules = classify(message(UNSURE_TEXT))
    assert rules.unsure and rules.klass != reading  # the case this test is about

    monkeypatch.setattr(
        classify_module,
        "second_reading",
        lambda sentences: SecondReading(reading, probability, ("call", "chat")),
    )
    result = classify(message(UNSURE_TEXT))

    assert result.klass == (reading if decides else rules.klass)
    assert result.unsure
    assert "words: call, chat" in result.signals[-2]


def test_a_sure_reading_is_never_changed_by_the_second_one(monkeypatch: pytest.MonkeyPatch) -> None:
    text = "We do not believe an IEP meeting is necessary at this time."
    assert classify(message(text)) == classify(message(text))  # deterministic
    rules = classify(message(text))
    assert not rules.unsure and rules.klass == "declined"

    monkeypatch.setattr(
        classify_module,
        "second_reading",
        lambda sentences: SecondReading("answer", 0.99, ("meeting",)),
    )
    result = classify(message(text))

    assert result.klass == "declined"
    assert result.unsure


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
