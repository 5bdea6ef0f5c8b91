"""A reply is the parent's command only when it quotes a reminder's Message-ID, so every
Message-ID iepd makes carries at least 128 unguessable bits (SPEC, "Commands by email")."""

from __future__ import annotations

import math
import re

from iepd.letters.compose import make_message_id

HEX = frozenset("0123456789abcdef")


def random_part(message_id: str) -> str:
    found = re.fullmatch(r"<([^.@<>]+)\.iepd@family\.example>", message_id)
    assert found, message_id
    return found.group(1)


def test_a_message_id_carries_at_least_128_random_bits() -> None:
    part = random_part(make_message_id("jordan@family.example"))

    assert set(part) <= HEX
    assert len(part) * math.log2(len(HEX)) >= 128


def test_message_ids_do_not_repeat_and_use_the_whole_alphabet() -> None:
    parts = [random_part(make_message_id("jordan@family.example")) for _ in range(2000)]

    assert len(set(parts)) == len(parts)
    # every hex digit turns up in every position: no fixed prefix (a clock, a pid) hides
    # inside the random part and shrinks it
    for position in range(len(parts[0])):
        assert {part[position] for part in parts} == HEX
