"""Every message of tests/corpus/ parses, matches and classifies as expected.toml says."""

from __future__ import annotations

import tomllib
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from iepd.decide.classify import classify
from iepd.decide.matching import is_candidate, match
from iepd.inbox.parse import parse_headers_only, parse_message
from support.corpus_context import CONTEXT

CORPUS = Path(__file__).resolve().parent.parent / "corpus"
EXPECTED: dict[str, dict[str, Any]] = tomllib.loads(
    (CORPUS / "expected.toml").read_text(encoding="utf-8")
)


def corpus_files() -> list[str]:
    return sorted(path.name for path in CORPUS.glob("*.eml"))


READINGS = ("answer", "declined", "informal")


def header_block(raw: bytes) -> bytes:
    for separator in (b"\r\n\r\n", b"\n\n"):
        if separator in raw:
            return raw.split(separator, 1)[0] + separator
    return raw


def test_corpus_holds_at_least_45_messages_each_with_an_expectation() -> None:
    files = corpus_files()
    assert len(files) >= 45
    assert set(files) == set(EXPECTED)


@pytest.mark.parametrize("name", corpus_files())
def test_corpus_message_classifies_as_expected(name: str) -> None:
    expected = EXPECTED[name]
    message = parse_message((CORPUS / name).read_bytes())
    result = classify(message)
    # A message that matches no request is never classified by iepd (it is not recorded);
    # which of the three readings of a reply it would get is no expectation. Bounces,
    # auto-replies and invitations still are: they are decided before any reading.
    reading_of_no_reply = not expected["request"] and expected["class"] in READINGS
    if not reading_of_no_reply:
        assert result.klass == expected["class"], result.signals
    if expected["request"]:  # its reminder reads as before: no unsure words added
        assert not result.unsure, result.signals
    if "meeting_start" in expected:
        assert result.meeting_start == datetime.fromisoformat(expected["meeting_start"])
        assert result.meeting_start is not None
        assert result.meeting_start.utcoffset() is not None
    if "location_contains" in expected:
        assert expected["location_contains"] in (result.meeting_location or "")
    if "bounced_recipient" in expected:
        assert result.bounced_recipient == expected["bounced_recipient"]
    if "excerpt_contains" in expected:
        assert expected["excerpt_contains"] in result.excerpt
    if "excerpt_lacks" in expected:
        assert expected["excerpt_lacks"] not in result.excerpt
    assert len(result.excerpt) <= 600


@pytest.mark.parametrize("name", corpus_files())
def test_corpus_message_matches_the_expected_request(name: str) -> None:
    expected = EXPECTED[name]
    message = parse_message((CORPUS / name).read_bytes())
    found = match(message, CONTEXT)
    if expected["request"] == "":
        assert found is None
    else:
        assert found is not None
        assert (found.request_id, found.reason) == (expected["request"], expected["reason"])


@pytest.mark.parametrize("name", corpus_files())
def test_header_first_pass_never_skips_a_message_that_matches(name: str) -> None:
    raw = (CORPUS / name).read_bytes()
    whole = match(parse_message(raw), CONTEXT)
    headers = parse_headers_only(header_block(raw))
    assert headers.text == ""
    if whole is not None:
        assert is_candidate(headers, CONTEXT)


@pytest.mark.parametrize("name", corpus_files())
def test_corpus_message_keeps_its_header_facts(name: str) -> None:
    expected = EXPECTED[name]
    message = parse_message((CORPUS / name).read_bytes())
    assert message.from_addr is not None and message.from_addr == message.from_addr.lower()
    if "problem" in expected:
        assert any(expected["problem"] in problem for problem in message.problems)
    else:
        assert message.date_header is not None
    for key in ("message_id", "subject", "from_name"):
        if key in expected:
            assert getattr(message, key) == expected[key]


@pytest.mark.parametrize(
    "name",
    [
        "21-newsletter-from-school-domain.eml",
        "27-from-the-parent.eml",
        "28-iepd-reminder.eml",
        "32-unrelated-sender-names-child.eml",
    ],
)
def test_header_first_pass_skips_mail_that_can_never_match(name: str) -> None:
    raw = (CORPUS / name).read_bytes()
    assert not is_candidate(parse_headers_only(header_block(raw)), CONTEXT)
