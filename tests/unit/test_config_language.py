"""The `[parent] language` and `letters_language` keys (issue 16): en | es, English by
default, and any other value a config error naming the key."""

from __future__ import annotations

from pathlib import Path

import pytest
from test_config import MINIMAL, environ_for, write

from iepd.config.load import load_config
from iepd.errors import EX_CONFIG, ConfigError

TIMEZONE_LINE = 'timezone = "America/Chicago"\n'


def with_parent_lines(*lines: str) -> str:
    return MINIMAL.replace(TIMEZONE_LINE, TIMEZONE_LINE + "".join(f"{line}\n" for line in lines))


def test_languages_default_to_english(tmp_path: Path) -> None:
    config = load_config(write(tmp_path, MINIMAL), environ_for(tmp_path))
    assert (config.parent.language, config.parent.letters_language) == ("en", "en")


def test_spanish_reminders_and_letters_are_read(tmp_path: Path) -> None:
    text = with_parent_lines('language = "es"', 'letters_language = "es"')
    config = load_config(write(tmp_path, text), environ_for(tmp_path))
    assert (config.parent.language, config.parent.letters_language) == ("es", "es")


def test_spanish_reminders_keep_english_letters_by_default(tmp_path: Path) -> None:
    config = load_config(
        write(tmp_path, with_parent_lines('language = "es"')), environ_for(tmp_path)
    )
    assert (config.parent.language, config.parent.letters_language) == ("es", "en")


@pytest.mark.parametrize(
    ("line", "problem"),
    [
        ('language = "fr"', 'parent.language: expected one of "en", "es", got "fr" (a string)'),
        (
            'letters_language = "Spanish"',
            'parent.letters_language: expected one of "en", "es", got "Spanish" (a string)',
        ),
        ("language = 1", 'parent.language: expected one of "en", "es", got 1 (an integer)'),
    ],
)
def test_a_bad_language_is_a_config_error_naming_the_key(
    tmp_path: Path, line: str, problem: str
) -> None:
    with pytest.raises(ConfigError) as caught:
        load_config(write(tmp_path, with_parent_lines(line)), environ_for(tmp_path))
    assert caught.value.problems == [problem]
    assert caught.value.exit_code == EX_CONFIG
