"""Reading one TOML table of the config: each reader method takes a key, records any problem
with its key path, and returns the accepted value, or None for a missing or rejected one.
Every key asked for is remembered, so that the rest can be reported as unknown."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime
from pathlib import Path

from iepd.config import values
from iepd.config.durations import DURATION_FORMAT, parse_duration
from iepd.config.model import Duration, SendWindow

_MISSING = object()


class Table:
    """One TOML table being read. Every key asked for is remembered, so that ``finish`` can
    report the rest as unknown."""

    def __init__(self, problems: list[str], path: str, data: Mapping[str, object]) -> None:
        self.problems = problems
        self.path = path
        self.data = data
        self._known: list[str] = []

    def key_path(self, key: str) -> str:
        shown = key if values.BARE_KEY_PATTERN.fullmatch(key) else values.quote(key)
        return f"{self.path}.{shown}" if self.path else shown

    def problem(self, key: str, message: str) -> None:
        self.problems.append(f"{self.key_path(key)}: {message}")

    def finish(self, *, report_unknown: bool = True, hint: str = "") -> None:
        """Report every key of the table that no reader asked for."""
        for key in self.data:
            if key in self._known or not report_unknown:
                continue
            import difflib  # here: only a config with a mistake needs it

            message = f"unknown key {values.quote(key)}"
            close = difflib.get_close_matches(key, self._known, n=1)
            if hint:
                message += f" ({hint})"
            elif close:
                message += f'; did you mean "{close[0]}"?'
            self.problems.append(f"{self.path or 'top level'}: {message}")

    def _get(self, key: str, required: bool = False, why: str = "") -> object:
        self._known.append(key)
        value = self.data.get(key, _MISSING)
        if value is not _MISSING:
            return value
        if required:
            self.problem(key, f"required {why}".rstrip())
        return _MISSING

    def table(self, key: str, *, required: bool = False, keys: str = "") -> Table:
        """Return the sub-table; a missing optional one reads as empty. When it is missing
        but required, or not a table, its own problems are not reported: they would only
        repeat the one already reported."""
        value = self._get(key, required, f"(a table with {keys})")
        if value is _MISSING:
            return Table(self.problems if not required else [], self.key_path(key), {})
        if not isinstance(value, dict):
            self.problem(key, f"expected a table, got {values.describe(value)}")
            return Table([], self.key_path(key), {})
        return Table(self.problems, self.key_path(key), value)

    def tables(self, key: str, *, required: bool = False) -> list[Table]:
        value = self._get(key, required, f"(at least one [[{key}]] table)")
        if value is _MISSING:
            return []
        if not isinstance(value, list) or not all(isinstance(item, dict) for item in value):
            self.problem(
                key, f"expected an array of tables ([[{key}]]), got {values.describe(value)}"
            )
            return []
        if required and not value:
            self.problem(key, f"required (at least one [[{key}]] table)")
        where = self.key_path(key)
        return [
            Table(self.problems, f"{where}[{number}]", item)
            for number, item in enumerate(value, start=1)
        ]

    def text(
        self,
        key: str,
        *,
        required: bool = False,
        multiline: bool = False,
        allow_empty: bool = False,
    ) -> str | None:
        value = self._get(key, required)
        if value is _MISSING:
            return None
        return values.check_text(self.problems, self.key_path(key), value, multiline, allow_empty)

    def identifier(self, key: str) -> str | None:
        value = self._get(key, required=True)
        if value is _MISSING:
            return None
        if not isinstance(value, str) or not values.IDENTIFIER_PATTERN.fullmatch(value):
            self.problem(key, f"expected {values.IDENTIFIER}, got {values.describe(value)}")
            return None
        return value

    def email(self, key: str, *, required: bool = False) -> str | None:
        value = self._get(key, required)
        if value is _MISSING:
            return None
        if not isinstance(value, str) or not values.is_email(value):
            self.problem(key, f"expected {values.EMAIL}, got {values.describe(value)}")
            return None
        return value

    def choice(
        self, key: str, options: tuple[str, ...], *, default: str | None = None,
        required: bool = False,
    ) -> str | None:  # fmt: skip
        value = self._get(key, required)
        if value is _MISSING:
            return default
        if not isinstance(value, str) or value not in options:
            expected = ", ".join(values.quote(option) for option in options)
            self.problem(key, f"expected one of {expected}, got {values.describe(value)}")
            return None
        return value

    def choice_list(self, key: str, options: tuple[str, ...]) -> tuple[str, ...] | None:
        """An array whose items are each one of ``options`` (empty allowed); None if
        missing or wrong."""
        value = self._get(key)
        if value is _MISSING:
            return None
        expected = ", ".join(values.quote(option) for option in options)
        if not isinstance(value, list):
            self.problem(key, f"expected an array of {expected}, got {values.describe(value)}")
            return None
        wrong = [item for item in value if not isinstance(item, str) or item not in options]
        for item in wrong:
            self.problem(key, f"expected items among {expected}, got {values.describe(item)}")
        return None if wrong else tuple(value)

    def boolean(self, key: str) -> bool | None:
        value = self._get(key)
        if value is _MISSING or isinstance(value, bool):
            return None if value is _MISSING else bool(value)
        self.problem(key, f"expected true or false, got {values.describe(value)}")
        return None

    def port(self, key: str) -> int | None:
        value = self._get(key)
        if value is _MISSING:
            return None
        if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= 65535:
            self.problem(key, f"expected an integer 1-65535, got {values.describe(value)}")
            return None
        return value

    def host(self, key: str, *, required: bool) -> str | None:
        value = self._get(key, required, "when mail.provider is not set")
        if value is _MISSING:
            return None
        if not isinstance(value, str) or not values.is_host(value):
            self.problem(key, f"expected a host name or IP address, got {values.describe(value)}")
            return None
        return value

    def timezone(self, key: str) -> str | None:
        value = self._get(key)
        if value is _MISSING:
            return None
        if not isinstance(value, str) or not values.is_timezone(value):
            expected = 'an IANA time zone name like "America/Chicago"'
            self.problem(key, f"expected {expected}, got {values.describe(value)}")
            return None
        return value

    def credential_name(self, key: str) -> str | None:
        value = self._get(key)
        if value is _MISSING:
            return None
        if (
            not isinstance(value, str)
            or not values.CREDENTIAL_PATTERN.fullmatch(value)
            or value in (".", "..")
        ):
            expected = 'a credential file name of letters, digits and "_.@-"'
            self.problem(key, f"expected {expected}, got {values.describe(value)}")
            return None
        return value

    def command(self, key: str, *, required: bool) -> tuple[str, ...] | None:
        value = self._get(key, required, 'when source = "command"')
        if value is _MISSING:
            return None
        if (
            not isinstance(value, list)
            or not value
            or not all(
                isinstance(item, str) and values.control_at(item, "") is None for item in value
            )
            or not value[0]
        ):
            self.problem(key, f"expected {values.COMMAND}, got {values.describe(value)}")
            return None
        return tuple(value)

    def file_path(
        self, key: str, base: Path, environ: Mapping[str, str], *, must_exist: bool = False
    ) -> Path | None:
        """Return the path with ~ expanded and a relative one taken from ``base``; "" is none."""
        text = self.text(key, allow_empty=True)
        if not text:
            return None
        path = base / values.expand_user(text, environ)
        if must_exist and not path.is_file():
            self.problem(key, f"{'not a file' if path.exists() else 'no such file'}: {path}")
            return None
        return path

    def duration(
        self, key: str, *, allow_empty: bool = False, at_most: Duration | None = None,
        why: str = "",
    ) -> Duration | None:  # fmt: skip
        value = self._get(key)
        if value is _MISSING or (allow_empty and value == ""):
            return None
        expected = DURATION_FORMAT + (', or "" for none' if allow_empty else "")
        try:
            duration = parse_duration(value) if isinstance(value, str) else None
        except ValueError:
            duration = None
        if duration is None:
            self.problem(key, f"expected {expected}, got {values.describe(value)}")
            return None
        if at_most and duration.as_timedelta() > at_most.as_timedelta():
            self.problem(key, f"expected at most {at_most} ({why}), got {values.describe(value)}")
            return None
        return duration

    def dates(self, key: str) -> tuple[date, ...] | None:
        value = self._get(key)
        if value is _MISSING:
            return None
        if not isinstance(value, list):
            self.problem(
                key, f"expected an array of dates like [2026-12-25], got {values.describe(value)}"
            )
            return None
        found: list[date] = []
        for number, item in enumerate(value, start=1):
            day = values.to_date(item)
            if day is None:
                where = f"{self.key_path(key)}[{number}]"
                self.problems.append(
                    f"{where}: expected {values.DATE}, got {values.describe(item)}"
                )
            else:
                found.append(day)
        return tuple(found) if len(found) == len(value) else None

    def send_window(self, key: str) -> SendWindow | None:
        value = self._get(key)
        if value is _MISSING or value == "":
            return None
        window = values.parse_send_window(value) if isinstance(value, str) else None
        if window is None:
            self.problem(key, f"expected {values.SEND_WINDOW}, got {values.describe(value)}")
        return window

    def local_datetime(self, key: str) -> datetime | None:
        value = self._get(key)
        if value is _MISSING:
            return None
        moment = values.to_local_datetime(value)
        if moment is None:
            self.problem(key, f"expected {values.LOCAL_DATETIME}, got {values.describe(value)}")
        return moment

    def text_list(
        self, key: str, *, required: bool, allow_empty: bool = False
    ) -> tuple[str, ...] | None:
        value = self._get(key, required)
        if value is _MISSING:
            return None
        if not isinstance(value, list) or not (value or allow_empty):
            expected = "an array of non-empty strings" if allow_empty else (
                "a non-empty array of non-empty strings"
            )
            self.problem(key, f"expected {expected}, got {values.describe(value)}")
            return None
        items = [
            values.check_text(self.problems, f"{self.key_path(key)}[{number}]", item, True, False)
            for number, item in enumerate(value, start=1)
        ]
        checked = tuple(item for item in items if item is not None)
        return checked if len(checked) == len(items) else None

    def domains(self, key: str) -> tuple[str, ...] | None:
        value = self._get(key)
        if value is _MISSING:
            return None
        if not isinstance(value, list):
            expected = 'an array of domain names like ["district.example"]'
            self.problem(key, f"expected {expected}, got {values.describe(value)}")
            return None
        found: list[str] = []
        for number, item in enumerate(value, start=1):
            if isinstance(item, str) and values.is_lower_domain(item):
                found.append(item)
            else:
                where = f"{self.key_path(key)}[{number}]"
                self.problems.append(
                    f"{where}: expected {values.DOMAIN}, got {values.describe(item)}"
                )
        return tuple(found) if len(found) == len(value) else None
