"""Durations written the way a person writes them in the config: "7d", "36h", "1d12h"."""

from __future__ import annotations

import re

from iepd.config.model import Duration

DURATION_FORMAT = (
    'a duration like "7d", "36h", "15m", "90s" or "1d12h" '
    "(whole numbers of d, h, m, s in that order, each at most once, more than zero in all)"
)

# A century is far beyond any school deadline; the cap keeps timedelta arithmetic from
# overflowing later when a typo adds digits.
MAX_DAYS = 36_500

# re.ASCII: "\d" would otherwise accept digits of other scripts, which int() then reads.
_DURATION = re.compile(
    r"(?:(?P<d>[0-9]+)d)?(?:(?P<h>[0-9]+)h)?(?:(?P<m>[0-9]+)m)?(?:(?P<s>[0-9]+)s)?",
    re.ASCII,
)


def parse_duration(text: str) -> Duration:
    """Given text such as "1d12h", return the Duration it names.

    Days are kept apart from hours, minutes and seconds ("36h" is 36 hours, not a day
    and a half of school days). Raise ValueError, naming the expected format, if the text is
    not one or more of <number>d, <number>h, <number>m, <number>s in that order, if the
    total is zero, or if it exceeds a century.
    """
    match = _DURATION.fullmatch(text) if isinstance(text, str) else None
    if match is None or not any(match.groups()):
        raise ValueError(f"expected {DURATION_FORMAT}, got {text!r}")
    days, hours, minutes, seconds = (int(group or 0) for group in match.groups())
    total_seconds = hours * 3600 + minutes * 60 + seconds
    if days == 0 and total_seconds == 0:
        raise ValueError(f"expected {DURATION_FORMAT}, got {text!r} (zero)")
    if days + total_seconds // 86_400 > MAX_DAYS:
        raise ValueError(f"expected at most {MAX_DAYS}d (a century), got {text!r}")
    return Duration(days=days, seconds=total_seconds)


def format_duration(duration: Duration) -> str:
    """Given a Duration, return its shortest text that parse_duration reads back to an equal
    Duration ("36h" stays "36h"; 90 seconds become "1m30s"). Raise ValueError if it is not
    positive, because such a duration has no text in the config's format."""
    if duration.days < 0 or duration.seconds < 0 or (duration.days, duration.seconds) == (0, 0):
        raise ValueError(f"a duration must be positive, got {duration!r}")
    return str(duration)
