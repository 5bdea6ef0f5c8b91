"""Pure checks and descriptions of single config values, for ``config.table.Table``.

Problem lines read ``<key path>: expected <what>, got <value> (<its TOML type>)``; the
``expected`` texts live here so that tests and docs can quote them.
"""

from __future__ import annotations

import functools
import os
import re
import zoneinfo
from collections.abc import Iterator, Mapping
from datetime import date, datetime, time
from pathlib import Path

from iepd.config.model import SendWindow

ONE_LINE = "one line of text without control characters"
BODY_TEXT = "text without control characters other than newline and tab"
EMAIL = "a plain email address like name@example.org (no name, <> or quotes)"
DOMAIN = "a lower-case domain name like district.example"
IDENTIFIER = 'lower-case letters, digits and "-" (like "sam-speech-2026")'
LOCAL_DATETIME = "a local date-time like 2026-12-01T08:00:00 (no offset: the parent's timezone)"
DATE = "a date like 2026-12-25"
SEND_WINDOW = (
    'a window like "Mon-Fri 07:30-16:00" or "Mon,Wed,Fri 08:00-12:00" (start before end), '
    'or "" for none'
)
COMMAND = "a non-empty array of strings without control characters (the program and its arguments)"

_ATOM = r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+"
_LABEL = r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
_EMAIL = re.compile(rf"{_ATOM}(?:\.{_ATOM})*@{_LABEL}(?:\.{_LABEL})+", re.ASCII)
_HOST = re.compile(rf"{_LABEL}(?:\.{_LABEL})*\.?", re.ASCII)
_LOWER_LABEL = r"[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?"
_LOWER_DOMAIN = re.compile(rf"{_LOWER_LABEL}(?:\.{_LOWER_LABEL})+", re.ASCII)
IDENTIFIER_PATTERN = re.compile(r"[a-z0-9-]+", re.ASCII)
CREDENTIAL_PATTERN = re.compile(r"[A-Za-z0-9_.@-]+", re.ASCII)
BARE_KEY_PATTERN = re.compile(r"[A-Za-z0-9_-]+", re.ASCII)
_ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", re.ASCII)
_ISO_DATETIME = re.compile(
    r"[0-9]{4}-[0-9]{2}-[0-9]{2}[T ][0-9]{2}:[0-9]{2}(:[0-9]{2}(\.[0-9]+)?)?"
)
_WINDOW = re.compile(
    r"\s*(?:(?P<days>[A-Za-z][A-Za-z ,-]*?)\s+)?"
    r"(?P<start>[0-9]{1,2}:[0-9]{2})\s*-\s*(?P<end>[0-9]{1,2}:[0-9]{2})\s*",
    re.ASCII,
)
_WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
# Line and paragraph separators end a line for some mail software, so they count as controls.
_CONTROL_CATEGORIES = frozenset({"Cc", "Zl", "Zp"})
_ENCODED_WORD = re.compile(r"=\?.*\?=", re.DOTALL)
# bool before int, datetime (handled first) before date: each is a subclass of the next.
_TYPE_NAMES: tuple[tuple[type, str], ...] = (
    (bool, "a boolean"),
    (int, "an integer"),
    (float, "a float"),
    (str, "a string"),
    (date, "a date"),
    (time, "a local time"),
    (list, "an array"),
    (dict, "a table"),
)


def check_text(
    problems: list[str], path: str, value: object, multiline: bool, allow_empty: bool
) -> str | None:
    """Given a value at ``path``, return it if it is acceptable text, else record why and
    return None. Single-line text may reach a header, so it admits no control character."""
    if not isinstance(value, str):
        problems.append(f"{path}: expected a string, got {describe(value)}")
        return None
    if not allow_empty and not value.strip():
        problems.append(f"{path}: expected a non-empty string, got {describe(value)}")
        return None
    bad = control_at(value, "\n\t" if multiline else "")
    if bad is not None:
        expected = BODY_TEXT if multiline else ONE_LINE
        problems.append(f"{path}: expected {expected}, got {quote(value, bad)} (a string)")
        return None
    if not multiline and _ENCODED_WORD.search(value):
        # The email package decodes "=?utf-8?q?=0D=0A...?=" in a header it is given and may
        # write the CR LF out raw; letters.py refuses such a value, so refuse it here, where
        # the parent is told which key, instead of failing when the letter is rendered.
        problems.append(f"{path}: expected {ONE_LINE} without an encoded word (=?...?=)")
        return None
    return value


def control_at(text: str, allowed: str) -> int | None:
    """Return the index of the first Cc, Zl or Zp character of text not in allowed, or None."""
    checked = text
    for char in allowed:  # without them, a concern of several lines can take the fast path
        checked = checked.replace(char, "")
    if checked.isprintable():  # the common case, in C: no Cc, Zl or Zp character at all
        return None
    import unicodedata  # here, like ipaddress below: every command loads the config

    for index, char in enumerate(text):
        if unicodedata.category(char) in _CONTROL_CATEGORIES and char not in allowed:
            return index
    return None


def is_email(text: str) -> bool:
    """Return whether text is a bare addr-spec with a dotted domain (no name, quotes or <>)."""
    if not _EMAIL.fullmatch(text) or len(text) > 254:
        return False
    local, domain = text.rsplit("@", 1)
    return len(local) <= 64 and not domain.rsplit(".", 1)[1].isdigit()


def is_host(text: str) -> bool:
    """Return whether text is a host name or an IP address."""
    if _HOST.fullmatch(text) and len(text) <= 253:  # names, and IPv4 addresses too
        return True
    import ipaddress

    try:
        ipaddress.ip_address(text)
    except ValueError:
        return False
    return True


def is_lower_domain(text: str) -> bool:
    return bool(_LOWER_DOMAIN.fullmatch(text)) and not text.rsplit(".", 1)[1].isdigit()


def is_loopback(host: str) -> bool:
    """Return whether host is 127.0.0.0/8, ::1 or "localhost": a password sent in clear to
    these never leaves the machine."""
    if host.rstrip(".").lower() == "localhost":
        return True
    import ipaddress

    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


# Files in a zoneinfo folder that are not IANA zone names, though they hold zone data.
_NOT_ZONES = frozenset({"localtime", "posixrules"})
# "Z <name> ..." starts a zone, "L <target> <name>" makes a link.
_ZI_NAME = re.compile(r"^(?:Z (\S+)|L \S+ (\S+))", re.MULTILINE)


@functools.cache
def _zone_names() -> frozenset[str]:
    # The Zone and Link names of the tzdata.zi beside the compiled zones: one file read,
    # where Python's listing walks the folder and opens every file in it (a tenth of
    # `iepd status`), and lists "localtime" too on systems that link it in there.
    for root in zoneinfo.TZPATH:
        names = _names_in_tzdata_zi(Path(root) / "tzdata.zi")
        if names:
            return names - _NOT_ZONES
    return frozenset(zoneinfo.available_timezones()) - _NOT_ZONES


def _names_in_tzdata_zi(path: Path) -> frozenset[str]:
    """Given zic input such as tzdata.zi, return its zone and link names (none if unread)."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return frozenset()
    return frozenset(zone or link for zone, link in _ZI_NAME.findall(text))


def is_timezone(name: str) -> bool:
    # The listing, not ZoneInfo(name): ZoneInfo also opens files such as "localtime".
    return name in _zone_names()


def system_timezone(environ: Mapping[str, str], etc: Path = Path("/etc")) -> str:
    """Given the environment, return the IANA name of the system's timezone: $TZ, else
    /etc/timezone, else the target of the /etc/localtime link, else "UTC"."""
    for candidate in _timezone_candidates(environ, etc):
        name = candidate.rpartition("zoneinfo/")[2]
        if is_timezone(name):
            return name
    return "UTC"


def _timezone_candidates(environ: Mapping[str, str], etc: Path) -> Iterator[str]:
    yield environ.get("TZ", "").lstrip(":")
    try:
        yield (etc / "timezone").read_text(encoding="utf-8").strip()
    except (OSError, UnicodeDecodeError):
        pass
    try:
        yield os.readlink(etc / "localtime")
    except OSError:
        pass


def home(environ: Mapping[str, str]) -> Path:
    return Path(environ.get("HOME") or Path.home())


def expand_user(text: str, environ: Mapping[str, str]) -> Path:
    """Return text as a path with a leading ~ replaced by the home folder of ``environ``."""
    if text == "~" or text.startswith("~/"):
        return home(environ) / text[2:]
    return Path(os.path.expanduser(text))


def to_date(value: object) -> date | None:
    if isinstance(value, datetime):
        return None
    if isinstance(value, date):
        return value
    if isinstance(value, str) and _ISO_DATE.fullmatch(value):
        try:
            return date.fromisoformat(value)
        except ValueError:
            return None
    return None


def to_local_datetime(value: object) -> datetime | None:
    if isinstance(value, str) and _ISO_DATETIME.fullmatch(value):
        try:
            value = datetime.fromisoformat(value)
        except ValueError:
            return None
    if isinstance(value, datetime) and value.tzinfo is None:
        return value
    return None


def parse_send_window(text: str) -> SendWindow | None:
    """Given "Mon-Fri 07:30-16:00" or "Mon,Wed,Fri 08:00-12:00" (no days: every day), return
    the SendWindow, or None if the text is not such a window or its start is not before its
    end."""
    match = _WINDOW.fullmatch(text)
    if match is None:
        return None
    try:
        start, end = (time.fromisoformat(match[name].zfill(5)) for name in ("start", "end"))
    except ValueError:
        return None
    days: set[int] = set()
    for part in (match["days"] or "mon-sun").replace(" ", "").lower().split(","):
        first, _, last = part.partition("-")
        if first not in _WEEKDAYS or (last and last not in _WEEKDAYS):
            return None
        begin, finish = _WEEKDAYS.index(first), _WEEKDAYS.index(last or first)
        # "Fri-Mon" wraps over the weekend, as a person means it.
        days.update(day % 7 for day in range(begin, finish + (7 if finish < begin else 0) + 1))
    return SendWindow(frozenset(days), start, end) if start < end else None


def quote(text: str, focus: int | None = None, limit: int = 60) -> str:
    """Return text in double quotes with TOML escapes for controls, shortened around
    ``focus`` (the character the problem is about) when longer than ``limit``."""
    start = 0 if focus is None else max(0, min(focus - limit // 3, len(text) - limit))
    shown = text[start : start + limit]
    escaped = "".join(_escape(char) for char in shown)
    before = "…" if start > 0 else ""
    after = "…" if start + limit < len(text) else ""
    return f'"{before}{escaped}{after}"'


def _escape(char: str) -> str:
    simple = {"\\": "\\\\", '"': '\\"', "\n": "\\n", "\r": "\\r", "\t": "\\t"}
    if char in simple:
        return simple[char]
    import unicodedata

    if unicodedata.category(char) in {"Cc", "Cf", "Zl", "Zp", "Cs", "Co", "Cn"}:
        return f"\\u{ord(char):04X}" if ord(char) <= 0xFFFF else f"\\U{ord(char):08X}"
    return char


def render(value: object) -> str:
    """Return value written as TOML would write it, shortened."""
    if isinstance(value, str):
        return quote(value)
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, datetime | date | time):
        return value.isoformat()
    if isinstance(value, list):
        items = [render(item) for item in value[:3]] + (["…"] if len(value) > 3 else [])
        return f"[{', '.join(items)}]"
    if isinstance(value, dict):
        pairs = [f"{key} = {render(item)}" for key, item in list(value.items())[:3]]
        return "{ " + ", ".join(pairs + (["…"] if len(value) > 3 else [])) + " }" if pairs else "{}"
    return repr(value)


def type_name(value: object) -> str:
    """Return the TOML type of a value as a person reads it ("a string", "an integer")."""
    if isinstance(value, datetime):
        return "an offset date-time" if value.tzinfo else "a local date-time"
    for kind, name in _TYPE_NAMES:
        if isinstance(value, kind):
            return name
    return type(value).__name__


def describe(value: object) -> str:
    """Return the value and its TOML type, as problem lines show what was found."""
    return f"{render(value)} ({type_name(value)})"
