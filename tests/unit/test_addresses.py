"""addresses and parse: the sender's address as mail programs write it, a name in directory
order with its comma left unquoted included; and what matching makes of it (pure)."""

from __future__ import annotations

import pytest
from test_matching import CTX

from iepd.decide.matching import Match, match
from iepd.inbox.addresses import sender
from iepd.inbox.parse import parse_headers_only, parse_message


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("Marisol Ochoa <MOchoa@District.Example>", ("Marisol Ochoa", "mochoa@district.example")),
        (
            '"Ochoa, Marisol" <mochoa@district.example>',
            ("Ochoa, Marisol", "mochoa@district.example"),
        ),
        # Against RFC 5322, and common: the comma is read as a second mailbox's start.
        ("Ochoa, Marisol <mochoa@district.example>", ("Ochoa, Marisol", "mochoa@district.example")),
        (
            "Pat Lee, District Liaison <liaison@district.example>",
            ("Pat Lee, District Liaison", "liaison@district.example"),
        ),
        ("mochoa@district.example", ("", "mochoa@district.example")),
        # Two real mailboxes: the first is the author, as before.
        ("a@one.example, Bo <b@two.example>", ("", "a@one.example")),
        ("", ("", None)),
    ],
)
def test_sender_reads_the_one_bracketed_address_after_an_unquoted_comma(
    value: str, expected: tuple[str, str | None]
) -> None:
    assert sender(value) == expected


def test_sender_takes_neither_of_two_bracketed_addresses_after_an_unquoted_comma() -> None:
    _, address = sender("Ochoa, Marisol <m@one.example> <n@two.example>")
    assert address not in ("m@one.example", "n@two.example")


def raw(from_header: str, subject: str, body: str) -> bytes:
    return (
        f"From: {from_header}\r\nTo: Jordan Rivera <jordan@family.example>\r\n"
        f"Subject: {subject}\r\nDate: Thu, 10 Dec 2026 09:12:37 -0500\r\n"
        "Message-ID: <m1@district.example>\r\n\r\n"
        f"{body}\r\n"
    ).encode()


def test_a_school_answer_from_a_name_in_directory_order_is_matched() -> None:
    incoming = parse_message(
        raw(
            "Ochoa, Marisol <mochoa@district.example>",
            "Sam Rivera - your request",
            "The IEP team will meet on December 16 at 3:45.",
        )
    )
    assert (incoming.from_name, incoming.from_addr) == ("Ochoa, Marisol", "mochoa@district.example")
    assert match(incoming, CTX) == Match("sam-speech", "sender_names_child")
    headers = parse_headers_only(raw("Ochoa, Marisol <mochoa@district.example>", "x", ""))
    assert headers.from_addr == "mochoa@district.example"


def test_the_parents_own_mail_from_a_name_in_directory_order_is_still_hers() -> None:
    incoming = parse_message(
        raw("Rivera, Jordan <jordan@family.example>", "Sam's IEP meeting", "Sam's IEP")
    )
    assert incoming.from_addr == "jordan@family.example"
    assert match(incoming, CTX) is None
