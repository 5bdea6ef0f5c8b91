"""Every header iepd writes starts its value on the header's own line, so that a filter on
"Subject begins with [iepd]" and Python's own parser both see the value as written."""

from __future__ import annotations

import email
import email.policy
import re
from email.message import EmailMessage
from pathlib import Path

import pytest
from test_letters import followup, make_config, request_letter
from test_reminders import NOW, REQUEST_ID

from iepd.letters.mail_policy import MAIL_POLICY
from iepd.letters.reminders import REMINDER_KINDS, render_reminder, sample_context

# the issue's own name, and a longer one: whether the stock folder breaks after the colon
# depends on where the 78th column falls
NAMES = ("Casey Rivera", "Casey Rivera-Montgomery de la Fuente")
HEADER_LINE = re.compile(rb"^(?P<name>[!-9;-~]+):(?P<rest>.*)$")


def header_lines(raw: bytes) -> list[bytes]:
    head = raw.split(b"\r\n\r\n", 1)[0]
    return [line for line in head.split(b"\r\n") if not line[:1].isspace()]


def assert_values_start_on_their_line(raw: bytes) -> None:
    for line in header_lines(raw):
        found = HEADER_LINE.match(line)
        assert found, line
        assert found["rest"].startswith(b" ") and found["rest"].strip(), line
        assert len(line) <= 998


def test_a_subject_the_stock_policy_folds_after_the_colon_stays_on_its_line() -> None:
    subject = "[iepd] Not delivered: your request for an IEP meeting for Casey Rivera"
    stock = EmailMessage(policy=email.policy.SMTP)
    stock["Subject"] = subject
    assert stock.as_bytes().startswith(b"Subject:\r\n ")  # the behaviour this module undoes
    ours = EmailMessage(policy=MAIL_POLICY)
    ours["Subject"] = subject
    assert ours.as_bytes().startswith(b"Subject: " + subject.encode() + b"\r\n")
    parsed = email.message_from_bytes(ours.as_bytes(), policy=email.policy.default)
    assert parsed["Subject"] == subject


def test_long_headers_that_fold_well_keep_folding_at_78_columns() -> None:
    message = EmailMessage(policy=MAIL_POLICY)
    message["Subject"] = "Re: " + "word " * 30
    message["To"] = ", ".join(f"Person {n} <person{n}@district.example>" for n in range(6))
    raw = message.as_bytes()
    assert all(len(line) <= 78 for line in raw.split(b"\r\n"))
    assert_values_start_on_their_line(raw)


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("kind", REMINDER_KINDS)
def test_every_reminder_writes_each_header_value_on_its_line(
    tmp_path: Path, kind: str, name: str
) -> None:
    config = make_config(tmp_path, child_name=name, urgent=True)
    message = render_reminder(
        config,
        kind,
        REQUEST_ID,
        message_id=f"<{kind}.iepd@family.example>",
        date=NOW,
        context=sample_context(kind, NOW),
    )
    raw = message.as_bytes()
    assert_values_start_on_their_line(raw)
    parsed = email.message_from_bytes(raw, policy=email.policy.default)
    assert str(parsed["Subject"]).startswith("[iepd] ")


@pytest.mark.parametrize("name", NAMES)
def test_the_letters_write_each_header_value_on_its_line(tmp_path: Path, name: str) -> None:
    config = make_config(tmp_path, child_name=name, urgent=True)
    for message in (request_letter(config), followup(config, 1), followup(config, 2)):
        assert_values_start_on_their_line(message.as_bytes())
