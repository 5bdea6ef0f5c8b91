"""What the reminder about a school's message says iepd will do next, when, and how to stop
it (issue 15)."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

from test_letters import flat, make_config

from iepd.config.model import Assist
from iepd.letters.next_words import next_step_words

READ_AT = datetime(2026, 12, 7, 16, 0, tzinfo=UTC)  # Monday Dec 7, 10 am in Chicago


def words(tmp_path: Path, klass: str, text: str = "We will be in touch.", **assist: object) -> str:
    config = make_config(tmp_path)
    if assist:
        config = replace(config, assist=replace(Assist(), **assist))  # type: ignore[arg-type]
    return flat(next_step_words(config, "sam-request", klass, READ_AT, text))


def test_an_answer_says_when_iepd_asks_for_the_date_and_how_to_stop(tmp_path: Path) -> None:
    said = words(tmp_path, "answer")
    assert "ask for one in writing on Monday, December 14, 2026" in said
    assert "MEETING" in said and "CLOSE" in said


def test_an_answer_naming_a_day_is_left_to_the_parent(tmp_path: Path) -> None:
    said = words(tmp_path, "answer", "Could we meet Tuesday at 3:30?")
    assert "does not send it by itself" in said and "SEND" in said


def test_without_auto_send_every_letter_waits_for_send(tmp_path: Path) -> None:
    for klass in ("answer", "informal", "declined", "invite"):
        said = words(tmp_path, klass, auto_send=frozenset())
        assert "reply SEND" in said and "iepd send sam-request" in said, klass
        assert "CLOSE" in said


def test_the_refusal_names_prior_written_notice(tmp_path: Path) -> None:
    assert "34 CFR 300.503" in words(tmp_path, "declined")


def test_an_auto_reply_starts_nothing(tmp_path: Path) -> None:
    assert words(tmp_path, "auto_reply") == ""
