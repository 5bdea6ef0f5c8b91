"""Choosing the Sent folder from what LIST and NAMESPACE said, and when a Sent copy that
cannot be filed is given up: pure, no server."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from iepd.mail.sent_folder import choose_sent_folder, flagged_sent_folder, namespace_prefixes
from iepd.outbox.sent_copy import copy_failure_is_lasting, retry_delay

NOW = datetime(2026, 12, 1, 14, 0, tzinfo=UTC)


def listing(*names: str, delimiter: str = "/", flags: dict[str, tuple[bytes, ...]] | None = None):
    return [((flags or {}).get(name, (b"\\HasNoChildren",)), delimiter, name) for name in names]


CYRUS = listing("INBOX", "INBOX.Drafts", "INBOX.Sent", "INBOX.Trash", delimiter=".")


@pytest.mark.parametrize(
    ("configured", "folders", "prefixes", "expected"),
    [
        # the configured folder wins, even over the flagged one
        ("Sent", listing("INBOX", "Sent", "Outbox", flags={"Outbox": (b"\\Sent",)}), [], "Sent"),
        # else the folder flagged \Sent (a localised name)
        ("Sent", listing("INBOX", "Gesendet", flags={"Gesendet": (b"\\sent",)}), [], "Gesendet"),
        # Debian's Cyrus: under the personal namespace, no flag
        ("Sent", CYRUS, ["INBOX."], "INBOX.Sent"),
        # the same, known only from LIST's delimiter (no NAMESPACE)
        ("Sent", CYRUS, namespace_prefixes(CYRUS, []), "INBOX.Sent"),
        ("Sent", listing("INBOX", "INBOX/Sent"), ["", "INBOX/"], "INBOX/Sent"),
        # another client's name, as such or under the namespace
        ("Sent", listing("INBOX", "Sent Items"), [], "Sent Items"),
        (
            "Sent",
            listing("INBOX", "INBOX.Sent Messages", delimiter="."),
            ["INBOX."],
            "INBOX.Sent Messages",
        ),
        # a configured name already under the prefix is not prefixed twice
        ("INBOX.Sent", CYRUS, ["INBOX."], "INBOX.Sent"),
        # case is ignored when nothing matches exactly
        ("sent", listing("INBOX", "SENT"), [], "SENT"),
        # the configured name under the namespace comes before the common names
        (
            "Envoyés",
            listing("INBOX", "Sent", "INBOX.Envoyés", delimiter="."),
            ["INBOX."],
            "INBOX.Envoyés",
        ),
        # nothing that could be it
        ("Sent", listing("INBOX", "Drafts", "Trash"), ["INBOX/"], None),
        # a folder that cannot hold mail never is
        ("Sent", listing("INBOX", "Sent", flags={"Sent": (b"\\Noselect",)}), [], None),
        # with no name configured, the flagged or a common one
        ("", listing("INBOX", "Sent"), [], "Sent"),
    ],
)
def test_choose_sent_folder(
    configured: str, folders: list, prefixes: list[str], expected: str | None
) -> None:
    assert choose_sent_folder(configured, folders, prefixes) == expected


def test_namespace_prefixes_put_the_servers_own_first_and_drop_the_empty_one() -> None:
    assert namespace_prefixes(listing("INBOX", "Sent"), ["", "INBOX/"]) == ["INBOX/"]
    assert namespace_prefixes(CYRUS, ["INBOX."]) == ["INBOX."]
    assert namespace_prefixes(listing("INBOX", delimiter=""), []) == []


def test_flagged_sent_folder_reads_the_special_use_flag_in_any_case() -> None:
    assert (
        flagged_sent_folder(listing("INBOX", "Copies", flags={"Copies": (b"\\SENT",)})) == "Copies"
    )
    assert flagged_sent_folder(CYRUS) is None


@pytest.mark.parametrize(
    ("attempts", "since", "lasting"),
    [
        (1, timedelta(0), False),
        (5, timedelta(hours=30), False),  # a long sleep is not six failures
        (6, timedelta(hours=5, minutes=59), False),  # six quick failures are not hours of them
        (6, timedelta(hours=6), True),
        (20, timedelta(days=3), True),
    ],
)
def test_a_copy_failure_lasts_after_six_attempts_over_six_hours(
    attempts: int, since: timedelta, lasting: bool
) -> None:
    assert copy_failure_is_lasting(attempts, NOW - since, NOW) is lasting


def test_copy_retries_back_off_to_one_hour() -> None:
    assert [retry_delay(n) for n in (1, 2, 3)] == [
        timedelta(minutes=1),
        timedelta(minutes=2),
        timedelta(minutes=4),
    ]
    assert retry_delay(12) == timedelta(hours=1)
