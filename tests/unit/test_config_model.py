"""The settings the config is read into are values of their own kind, not tuples: a
setting never equals a tuple of its fields, is not unpacked by position, and two kinds
holding the same words are not equal."""

from __future__ import annotations

from datetime import time

import pytest

from iepd.config.mail import PRESETS
from iepd.config.model import Contact, Duration, SendWindow, SmtpSettings


@pytest.mark.parametrize(
    ("setting", "same_fields"),
    [
        pytest.param(Duration(days=7), (7, 0), id="duration"),
        pytest.param(
            Contact("Dana Alvarez", "d@district.example"),
            ("Dana Alvarez", "d@district.example"),
            id="contact",
        ),
        pytest.param(
            SmtpSettings("smtp.family.example", 465, "tls"),
            ("smtp.family.example", 465, "tls"),
            id="smtp",
        ),
        pytest.param(
            SendWindow(frozenset({0}), time(8), time(16)),
            (frozenset({0}), time(8), time(16)),
            id="send_window",
        ),
    ],
)
def test_a_setting_never_equals_a_tuple_of_its_fields(
    setting: object, same_fields: tuple[object, ...]
) -> None:
    assert setting != same_fields
    with pytest.raises(TypeError):  # nor is it unpacked by position
        iter(setting)  # type: ignore[call-overload]


def test_a_longer_duration_is_not_ordered_by_its_fields() -> None:
    # As a tuple, (0 days, 2 days of seconds) sorted before (1 day, 0 seconds).
    with pytest.raises(TypeError):
        _ = Duration(seconds=2 * 86400) < Duration(days=1)  # type: ignore[operator]


def test_a_preset_is_not_a_tuple_of_its_settings() -> None:
    gmail = PRESETS["gmail"]
    assert gmail != ("imap.gmail.com", "smtp.gmail.com", 465, "tls", "[Gmail]/Sent Mail", True)
