"""Find the config file, read it with the standard library's tomllib, and check it into
the settings of ``config.model``.

Every problem is collected, with its key path, into one ConfigError: a parent fixing a
config should see all of them at once, not one per restart. Key paths count array items
from 1 (``request[2]`` is the second ``[[request]]``), as a person counts them in the file.
The ``[mail]`` section has a reader of its own, ``config.mail``.
"""

from __future__ import annotations

import logging
import os
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from iepd.config import values
from iepd.config.mail import read_mail
from iepd.config.model import (
    LANGUAGES,
    REASONS,
    REQUIRED_DETAILS,
    Assist,
    Child,
    Config,
    Contact,
    Parent,
    RequestSettings,
    Timing,
)
from iepd.config.table import Table
from iepd.errors import ConfigError
from iepd.vocabulary import AUTO_SEND_KINDS

logger = logging.getLogger(__name__)

SYSTEM_CONFIG_PATH = Path("/etc/iepd/config.toml")


def find_config_path(
    cli_path: str | None, environ: Mapping[str, str], *, system_path: Path = SYSTEM_CONFIG_PATH
) -> Path:
    """Given the --config option and the environment, return the config file to read.

    The order is --config, $IEPD_CONFIG, $XDG_CONFIG_HOME/iepd/config.toml (default
    ~/.config), then ``system_path``. When neither of the last two exists, return the XDG
    path, so that the error names where a user's config belongs.
    """
    for given in (cli_path, environ.get("IEPD_CONFIG")):
        if given:
            return values.expand_user(given, environ).absolute()
    xdg = environ.get("XDG_CONFIG_HOME", "")
    # The XDG spec says to ignore a relative value.
    base = Path(xdg) if os.path.isabs(xdg) else values.home(environ) / ".config"
    candidate = base / "iepd" / "config.toml"
    if candidate.exists() or not system_path.exists():
        return candidate
    return system_path


def load_config(path: Path, environ: Mapping[str, str] = os.environ) -> Config:
    """Given the path of a TOML config, return the validated Config.

    Raise ConfigError naming the file and listing every problem found, one line each, if
    the file cannot be read, is not TOML, or holds any invalid, missing or unknown key.
    """
    path = values.expand_user(str(path), environ).absolute()
    data = read_toml(path)
    problems: list[str] = []
    root = Table(problems, "", data)
    parent = _read_parent(root.table("parent", required=True, keys="name and email"), environ)
    mail = read_mail(root.table("mail"), parent.email if parent else "", path.parent, environ)
    timing = _read_timing(root.table("timing"))
    assist = _read_assist(root.table("assist"))
    child_tables = root.tables("child", required=True)
    children = [_read_child(table) for table in child_tables]
    request_tables = root.tables("request")
    requests = [_read_request(table) for table in request_tables]
    state_dir = root.file_path("state_dir", path.parent, environ)
    root.finish()
    # Cross-references use the ids as written, so that they are checked even in a table
    # that has other problems.
    child_ids = _check_ids(problems, "child", child_tables)
    _check_ids(problems, "request", request_tables)
    for number, table in enumerate(request_tables, start=1):
        child = _valid_id(table.data.get("child"))
        if child and child_ids and child not in child_ids:
            choices = ", ".join(values.quote(child_id) for child_id in child_ids)
            problems.append(
                f"request[{number}].child: expected the id of a [[child]] ({choices}), "
                f"got {values.describe(child)}"
            )
    complete_children = [child for child in children if child is not None]
    complete_requests = [request for request in requests if request is not None]
    if problems:
        raise ConfigError(str(path), problems)
    # Every None above came with a problem; this only narrows the types.
    assert parent is not None and mail is not None
    assert len(complete_children) == len(children) and len(complete_requests) == len(requests)
    logger.debug("config %s: %d children, %d requests", path, len(complete_children), len(requests))
    return Config(
        path=path,
        state_dir=state_dir or default_state_dir(environ),
        parent=parent,
        mail=mail,
        timing=timing,
        children=tuple(complete_children),
        requests=tuple(complete_requests),
        assist=assist,
    )


def read_toml(path: Path) -> dict[str, Any]:
    """Given the config's path, return its TOML data.

    Raise ConfigError naming the problem if the file cannot be read, is not UTF-8 or is not
    TOML.
    """
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        message = "no such file; copy config.example.toml there and edit it, or pass --config PATH"
        raise ConfigError(str(path), [message]) from None
    except IsADirectoryError:
        raise ConfigError(str(path), ["is a folder, not a config file"]) from None
    except OSError as error:
        raise ConfigError(str(path), [f"cannot read the file: {error.strerror}"]) from None
    try:
        # utf-8-sig: editors on Windows may start the file with a byte-order mark.
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise ConfigError(
            str(path), [f"not UTF-8 text (bad byte at offset {error.start})"]
        ) from None
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise ConfigError(str(path), [f"TOML syntax error: {error}"]) from None


def default_state_dir(environ: Mapping[str, str]) -> Path:
    """Given the environment, return the state folder used when the config names none:
    systemd's $STATE_DIRECTORY (its first entry), else $XDG_STATE_HOME/iepd, else
    ~/.local/state/iepd."""
    systemd = environ.get("STATE_DIRECTORY", "").split(":")[0]
    if systemd:
        return Path(systemd)
    xdg = environ.get("XDG_STATE_HOME", "")
    if os.path.isabs(xdg):
        return Path(xdg) / "iepd"
    return values.home(environ) / ".local" / "state" / "iepd"


def _read_parent(table: Table, environ: Mapping[str, str]) -> Parent | None:
    name = table.text("name", required=True)
    email = table.email("email", required=True)
    remind_to = table.email("remind_to")
    timezone = table.timezone("timezone")
    signature = table.text("signature", multiline=True)
    postal_address = _postal_address(table)
    language = table.choice("language", LANGUAGES, default="en")
    letters_language = table.choice("letters_language", LANGUAGES, default="en")
    table.finish()
    if name is None or email is None:
        return None
    return Parent(
        name=name,
        email=email,
        remind_to=remind_to or email,
        timezone=timezone or values.system_timezone(environ),
        signature=signature or name,
        postal_address=postal_address,
        language=language or "en",
        letters_language=letters_language or "en",
    )


def _postal_address(table: Table) -> str:
    """The printed letter's sender lines: text of several lines (it never reaches a header),
    without tabs either, which a printed line cannot show; each line trimmed."""
    text = table.text("postal_address", multiline=True, allow_empty=True)
    if text and "\t" in text:
        got = values.quote(text, text.index("\t"))
        expected = "text without control characters other than newline"
        table.problem("postal_address", f"expected {expected}, got {got} (a string)")
        return ""
    return "\n".join(line.strip() for line in (text or "").strip().splitlines())


def _read_timing(table: Table) -> Timing:
    defaults = Timing()
    followup_after = table.duration("followup_after")
    escalate_after = table.duration("escalate_after")
    business_days = table.boolean("business_days")
    holidays = table.dates("holidays")
    send_window = table.send_window("send_window")
    meeting_prep_before = table.duration("meeting_prep_before")
    after_meeting = table.duration("after_meeting")
    meeting_deadline = table.duration("meeting_deadline", allow_empty=True)
    table.finish()
    return Timing(
        followup_after=followup_after or defaults.followup_after,
        escalate_after=escalate_after or defaults.escalate_after,
        business_days=bool(business_days),
        holidays=frozenset(holidays or ()),
        send_window=send_window,
        meeting_prep_before=meeting_prep_before or defaults.meeting_prep_before,
        after_meeting=after_meeting or defaults.after_meeting,
        meeting_deadline=meeting_deadline,
    )


def _read_assist(table: Table) -> Assist:
    defaults = Assist()
    auto_send = table.choice_list("auto_send", AUTO_SEND_KINDS)
    commands_by_email = table.boolean("commands_by_email")
    recap_correct_within = table.duration("recap_correct_within")
    table.finish()
    return Assist(
        auto_send=defaults.auto_send if auto_send is None else frozenset(auto_send),
        commands_by_email=defaults.commands_by_email
        if commands_by_email is None
        else commands_by_email,
        recap_correct_within=recap_correct_within or defaults.recap_correct_within,
    )


def _read_contact(table: Table) -> Contact | None:
    name = table.text("name", required=True)
    email = table.email("email", required=True)
    table.finish()
    return Contact(name, email) if name is not None and email is not None else None


def _read_child(table: Table) -> Child | None:
    child_id = table.identifier("id")
    name = table.text("name", required=True)
    grade = table.text("grade", required=True)
    school = table.text("school", required=True)
    pronouns = table.choice("pronouns", ("he", "she", "they"), required=True)
    case_manager = _read_contact(table.table("case_manager", required=True, keys="name and email"))
    principal = _read_contact(table.table("principal", required=True, keys="name and email"))
    school_domains = table.domains("school_domains")
    table.finish()
    if (
        child_id is None
        or name is None
        or grade is None
        or school is None
        or pronouns is None
        or case_manager is None
        or principal is None
    ):
        return None
    return Child(
        child_id, name, grade, school, pronouns, case_manager, principal, school_domains or ()
    )


def _read_request(table: Table) -> RequestSettings | None:
    request_id = table.identifier("id")
    child = table.identifier("child")
    reason = table.choice("reason", REASONS, required=True)
    urgent = table.boolean("urgent")
    concern = table.text("concern", required=True, multiline=True)
    availability = table.text_list("availability", required=True)
    attendees = table.text_list("attendees", required=False, allow_empty=True)
    hold = table.boolean("hold")
    send_at = table.local_datetime("send_at")
    meeting_at = table.local_datetime("meeting_at")
    closed = table.boolean("closed")
    details = _read_details(table.table("details"), reason)
    table.finish()
    if (
        request_id is None
        or child is None
        or reason is None
        or concern is None
        or availability is None
        or details is None
    ):
        return None
    return RequestSettings(
        id=request_id,
        child=child,
        reason=reason,
        concern=concern,
        availability=availability,
        urgent=bool(urgent),
        hold=bool(hold),
        send_at=send_at,
        meeting_at=meeting_at,
        closed=bool(closed),
        details=details,
        attendees=attendees or (),
    )


def _read_details(table: Table, reason: str | None) -> dict[str, str] | None:
    """Given a request's details table and its reason, return the details, reporting keys the
    reason requires and lacks, and keys it does not take."""
    if reason is None:
        table.finish(report_unknown=False)  # which keys belong depends on the unknown reason
        return None
    wanted = REQUIRED_DETAILS.get(reason, ())
    details: dict[str, str] = {}
    for key in wanted:
        value = table.text(key, multiline=True)
        if value is not None:
            details[key] = value
        elif key not in table.data:
            table.problem(key, f'required when reason = "{reason}"')
    takes = f"takes: {', '.join(wanted)}" if wanted else "takes no details"
    table.finish(hint=f'reason "{reason}" {takes}')
    return details if len(details) == len(wanted) else None


def _valid_id(value: object) -> str | None:
    if isinstance(value, str) and values.IDENTIFIER_PATTERN.fullmatch(value):
        return value
    return None


def _check_ids(problems: list[str], kind: str, tables: list[Table]) -> list[str]:
    """Report ids used twice among the tables; return the distinct valid ids in order."""
    first_seen: dict[str, int] = {}
    for number, table in enumerate(tables, start=1):
        item_id = _valid_id(table.data.get("id"))
        if item_id is None:
            continue
        if item_id in first_seen:
            also = f"{kind}[{first_seen[item_id]}]"
            problems.append(f'{kind}[{number}].id: duplicate id "{item_id}" (also {also})')
        else:
            first_seen[item_id] = number
    return list(first_seen)


__all__ = [
    "SYSTEM_CONFIG_PATH",
    "default_state_dir",
    "find_config_path",
    "load_config",
]
