"""The config's [assist] table and a request's attendees (v2)."""

from __future__ import annotations

from pathlib import Path

import pytest
from test_config import MINIMAL, add, environ_for, problems_of, write

from iepd.config.load import load_config
from iepd.config.model import Duration
from iepd.errors import ConfigError

REPO = Path(__file__).resolve().parents[2]


def test_assist_defaults_auto_send_ask_for_date_only(tmp_path: Path) -> None:
    config = load_config(write(tmp_path, MINIMAL), environ_for(tmp_path))
    assert config.assist.auto_send == frozenset({"ask_for_date"})
    assert config.assist.commands_by_email is True
    assert config.assist.recap_correct_within == Duration(days=10)
    assert config.requests[0].attendees == ()


def test_assist_values_are_read(tmp_path: Path) -> None:
    text = (
        MINIMAL
        + '\n[assist]\nauto_send = ["insist", "confirm"]\ncommands_by_email = false\n'
        + 'recap_correct_within = "5d"\n'
    )
    config = load_config(write(tmp_path, text), environ_for(tmp_path))
    assert config.assist.auto_send == frozenset({"insist", "confirm"})
    assert config.assist.commands_by_email is False
    assert config.assist.recap_correct_within == Duration(days=5)


def test_an_empty_auto_send_sends_nothing_by_itself(tmp_path: Path) -> None:
    config = load_config(
        write(tmp_path, MINIMAL + "\n[assist]\nauto_send = []\n"), environ_for(tmp_path)
    )
    assert config.assist.auto_send == frozenset()


@pytest.mark.parametrize(
    ("value", "problem"),
    [
        ('["recap"]', 'assist.auto_send: expected items among "ask_for_date", "insist",'
         ' "pwn_request", "confirm", got "recap" (a string)'),
        ('"ask_for_date"', 'assist.auto_send: expected an array of "ask_for_date", "insist",'
         ' "pwn_request", "confirm", got "ask_for_date" (a string)'),
    ],
)  # fmt: skip
def test_the_recap_can_never_be_sent_without_the_parent(
    tmp_path: Path, value: str, problem: str
) -> None:
    assert problems_of(tmp_path, MINIMAL + f"\n[assist]\nauto_send = {value}\n") == [problem]


def test_an_unknown_assist_key_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as caught:
        text = MINIMAL + "\n[assist]\nauto_sned = []\n"
        load_config(write(tmp_path, text), environ_for(tmp_path))
    assert any("assist" in line and "auto_sned" in line for line in caught.value.problems)


def test_attendees_are_read_in_order(tmp_path: Path) -> None:
    text = add("[[request]]", 'attendees = ["Dr. Ana Lee, private SLP", "Maria Rivera"]')
    config = load_config(write(tmp_path, text), environ_for(tmp_path))
    assert config.requests[0].attendees == ("Dr. Ana Lee, private SLP", "Maria Rivera")


def test_the_example_documents_assist_and_attendees(tmp_path: Path) -> None:
    config = load_config(REPO / "config.example.toml", environ_for(tmp_path))
    assert config.assist.auto_send == frozenset({"ask_for_date"})
    assert config.requests[0].attendees == ()
