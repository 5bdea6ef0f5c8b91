from __future__ import annotations

import os
import unicodedata
from datetime import date, datetime, time, timedelta
from email.headerregistry import Address
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from iepd.config.load import find_config_path, load_config
from iepd.config.mail import PRESETS
from iepd.config.model import REASONS, Duration, SendWindow
from iepd.config.values import check_text, control_at, is_email, system_timezone
from iepd.errors import EX_CONFIG, ConfigError

REPO = Path(__file__).resolve().parents[2]

MINIMAL = """\
[parent]
name = "Jordan Rivera"
email = "jordan@family.example"
timezone = "America/Chicago"

[mail]

[mail.password]
source = "keyring"

[mail.imap]
host = "imap.family.example"

[mail.smtp]
host = "smtp.family.example"
port = 465

[timing]
followup_after = "7d"

[[child]]
id = "sam"
name = "Sam Rivera"
grade = "4th grade"
school = "Lincoln Elementary School"
pronouns = "he"
case_manager = { name = "Dana Alvarez", email = "dalvarez@district.example" }
principal = { name = "Lee Chen", email = "lchen@district.example" }

[[request]]
id = "sam-speech"
child = "sam"
reason = "services_not_delivered"
concern = "Half of the speech sessions were missed."
availability = ["Mon after 3:30 pm"]

[request.details]
service = "60 minutes per week of speech therapy"
"""

SECOND_CHILD = """
[[child]]
id = "sam"
name = "Sam Two"
grade = "2nd grade"
school = "Lincoln Elementary School"
pronouns = "she"
case_manager = { name = "Dana Alvarez", email = "dalvarez@district.example" }
principal = { name = "Lee Chen", email = "lchen@district.example" }
"""

SECOND_REQUEST = """
[[request]]
id = "sam-speech"
child = "sam"
reason = "general"
concern = "Another concern."
availability = ["Any day"]
"""

NO_CHILD = MINIMAL[: MINIMAL.index("[[child]]")]


def edit(*replacements: tuple[str, str]) -> str:
    """Return MINIMAL with each (old, new) applied; old must occur exactly once."""
    text = MINIMAL
    for old, new in replacements:
        assert text.count(old) == 1, old
        text = text.replace(old, new)
    return text


def add(section: str, line: str) -> str:
    """Return MINIMAL with a line added at the start of a section such as "[mail.imap]"."""
    return edit((f"{section}\n", f"{section}\n{line}\n"))


ALL_REASONS = ", ".join(f'"{reason}"' for reason in REASONS)

# (id, config text, the one problem line expected). "{dir}" stands for the config's folder.
BROKEN = [
    ("smtp-port-as-string", edit(("port = 465", 'port = "587"')),
     'mail.smtp.port: expected an integer 1-65535, got "587" (a string)'),
    ("imap-port-zero", add("[mail.imap]", "port = 0"),
     "mail.imap.port: expected an integer 1-65535, got 0 (an integer)"),
    ("smtp-port-too-large", edit(("port = 465", "port = 70000")),
     "mail.smtp.port: expected an integer 1-65535, got 70000 (an integer)"),
    ("imap-unknown-key", add("[mail.imap]", 'pasword = "x"'),
     'mail.imap: unknown key "pasword"'),
    ("top-level-unknown-key", 'colour = "blue"\n' + MINIMAL,
     'top level: unknown key "colour"'),
    ("top-level-unknown-key-suggestion", 'children = "x"\n' + MINIMAL,
     'top level: unknown key "children"; did you mean "child"?'),
    ("password-typo-suggests-source", edit(('source = "keyring"', 'sorce = "keyring"')),
     'mail.password: unknown key "sorce"; did you mean "source"?'),
    ("unknown-key-in-case-manager",
     edit(('"dalvarez@district.example" }', '"dalvarez@district.example", phone = "1" }')),
     'child[1].case_manager: unknown key "phone"'),
    ("unknown-detail-for-reason", add("[request.details]", 'hours = "3"'),
     'request[1].details: unknown key "hours" (reason "services_not_delivered" takes: service)'),
    ("detail-for-a-reason-without-details", edit(('reason = "services_not_delivered"',
                                                  'reason = "general"')),
     'request[1].details: unknown key "service" (reason "general" takes no details)'),
    ("required-detail-missing",
     edit(('service = "60 minutes per week of speech therapy"', "")),
     'request[1].details.service: required when reason = "services_not_delivered"'),
    ("detail-empty", edit(('service = "60 minutes per week of speech therapy"', 'service = ""')),
     'request[1].details.service: expected a non-empty string, got "" (a string)'),
    ("outside-evaluation-needs-areas", edit(
        ('reason = "services_not_delivered"', 'reason = "outside_evaluation"'),
        ('service = "60 minutes per week of speech therapy"', 'evaluator = "Dr. Patel"')),
     'request[1].details.areas: required when reason = "outside_evaluation"'),
    ("parent-email-missing", edit(('email = "jordan@family.example"\n', "")),
     "parent.email: required"),
    ("parent-missing", edit(('[parent]\nname = "Jordan Rivera"\nemail = "jordan@family.example"\n'
                             'timezone = "America/Chicago"\n', "")),
     "parent: required (a table with name and email)"),
    ("parent-not-a-table", edit(('[parent]\nname = "Jordan Rivera"\n'
                                 'email = "jordan@family.example"\ntimezone = "America/Chicago"\n',
                                 'parent = "Jordan"\n')),
     'parent: expected a table, got "Jordan" (a string)'),
    ("crlf-in-parent-name",
     edit(('name = "Jordan Rivera"', 'name = "Jordan\\r\\nBcc: x@evil.example"')),
     'parent.name: expected one line of text without control characters, '
     'got "Jordan\\r\\nBcc: x@evil.example" (a string)'),
    ("newline-in-child-school", edit(('school = "Lincoln Elementary School"',
                                      'school = "Lincoln\\nX-Evil: 1"')),
     'child[1].school: expected one line of text without control characters, '
     'got "Lincoln\\nX-Evil: 1" (a string)'),
    ("line-separator-in-contact-name", edit(('name = "Lee Chen"', 'name = "Lee\\u2028Chen"')),
     'child[1].principal.name: expected one line of text without control characters, '
     'got "Lee\\u2028Chen" (a string)'),
    ("nul-in-concern", edit(('sessions were missed."', 'sessions\\u0000 were missed."')),
     "request[1].concern: expected text without control characters other than newline and tab, "
     'got "Half of the speech sessions\\u0000 were missed." (a string)'),
    ("escape-in-signature", add("[parent]", 'signature = "J\\u001b[31m"'),
     "parent.signature: expected text without control characters other than newline and tab, "
     'got "J\\u001B[31m" (a string)'),
    ("escape-in-postal-address", add("[parent]", 'postal_address = "12 Elm St\\u001b[2J"'),
     "parent.postal_address: expected text without control characters other than newline and "
     'tab, got "12 Elm St\\u001B[2J" (a string)'),
    ("tab-in-postal-address", add("[parent]", 'postal_address = "12 Elm St\\tApt 2"'),
     "parent.postal_address: expected text without control characters other than newline, "
     'got "12 Elm St\\tApt 2" (a string)'),
    ("newline-in-username", add("[mail]", 'username = "jordan\\n"'),
     'mail.username: expected one line of text without control characters, got "jordan\\n" '
     "(a string)"),
    ("email-with-display-name",
     edit(('email = "jordan@family.example"', 'email = "Jordan <jordan@family.example>"')),
     "parent.email: expected a plain email address like name@example.org (no name, <> or "
     'quotes), got "Jordan <jordan@family.example>" (a string)'),
    ("email-without-dotted-domain", add("[parent]", 'remind_to = "jordan@localhost"'),
     "parent.remind_to: expected a plain email address like name@example.org (no name, <> or "
     'quotes), got "jordan@localhost" (a string)'),
    ("two-addresses-in-one", edit(('email = "lchen@district.example"',
                                   'email = "lchen@district.example,x@evil.example"')),
     "child[1].principal.email: expected a plain email address like name@example.org (no name, "
     '<> or quotes), got "lchen@district.example,x@evil.example" (a string)'),
    ("undefined-child", edit(('child = "sam"', 'child = "alex"')),
     'request[1].child: expected the id of a [[child]] ("sam"), got "alex" (a string)'),
    ("duplicate-child-id", MINIMAL + SECOND_CHILD,
     'child[2].id: duplicate id "sam" (also child[1])'),
    ("duplicate-request-id", MINIMAL + SECOND_REQUEST,
     'request[2].id: duplicate id "sam-speech" (also request[1])'),
    ("request-id-with-capitals", edit(('id = "sam-speech"', 'id = "Sam Speech"')),
     'request[1].id: expected lower-case letters, digits and "-" (like "sam-speech-2026"), '
     'got "Sam Speech" (a string)'),
    ("child-id-missing", edit(('id = "sam"\n', "")),
     "child[1].id: required"),
    ("unknown-reason", edit(('reason = "services_not_delivered"', 'reason = "bullying"'),
                            ("[request.details]\n", ""),
                            ('service = "60 minutes per week of speech therapy"\n', "")),
     f'request[1].reason: expected one of {ALL_REASONS}, got "bullying" (a string)'),
    ("availability-empty", edit(('availability = ["Mon after 3:30 pm"]', "availability = []")),
     "request[1].availability: expected a non-empty array of non-empty strings, got [] (an array)"),
    ("availability-blank-item", edit(('["Mon after 3:30 pm"]', '["Mon after 3:30 pm", " "]')),
     'request[1].availability[2]: expected a non-empty string, got " " (a string)'),
    ("availability-not-a-list", edit(('["Mon after 3:30 pm"]', '"Mon after 3:30 pm"')),
     "request[1].availability: expected a non-empty array of non-empty strings, "
     'got "Mon after 3:30 pm" (a string)'),
    ("pronouns-unknown", edit(('pronouns = "he"', 'pronouns = "xe"')),
     'child[1].pronouns: expected one of "he", "she", "they", got "xe" (a string)'),
    ("timezone-abbreviation", edit(('timezone = "America/Chicago"', 'timezone = "Central"')),
     'parent.timezone: expected an IANA time zone name like "America/Chicago", '
     'got "Central" (a string)'),
    ("plain-smtp-to-a-remote-host", add("[mail.smtp]", 'security = "plain"'),
     'mail.smtp.security: "plain" (no encryption) is allowed only for a loopback host '
     '(127.0.0.1, ::1, localhost), but mail.smtp.host is "smtp.family.example"'),
    ("security-unknown", add("[mail.imap]", 'security = "ssl"'),
     'mail.imap.security: expected one of "tls", "starttls", "plain", got "ssl" (a string)'),
    ("duration-in-words", edit(('followup_after = "7d"', 'followup_after = "7 days"')),
     'timing.followup_after: expected a duration like "7d", "36h", "15m", "90s" or "1d12h" '
     "(whole numbers of d, h, m, s in that order, each at most once, more than zero in all), "
     'got "7 days" (a string)'),
    ("duration-as-integer", edit(('followup_after = "7d"', "escalate_after = 7")),
     'timing.escalate_after: expected a duration like "7d", "36h", "15m", "90s" or "1d12h" '
     "(whole numbers of d, h, m, s in that order, each at most once, more than zero in all), "
     "got 7 (an integer)"),
    ("deadline-zero", add("[timing]", 'meeting_deadline = "0d"'),
     'timing.meeting_deadline: expected a duration like "7d", "36h", "15m", "90s" or "1d12h" '
     "(whole numbers of d, h, m, s in that order, each at most once, more than zero in all), "
     'or "" for none, got "0d" (a string)'),
    ("idle-refresh-beyond-rfc-2177", add("[mail.imap]", 'idle_refresh = "30m"'),
     'mail.imap.idle_refresh: expected at most 29m (RFC 2177), got "30m" (a string)'),
    ("holiday-in-words", add("[timing]", 'holidays = [2026-11-26, "Dec 25"]'),
     'timing.holidays[2]: expected a date like 2026-12-25, got "Dec 25" (a string)'),
    ("holiday-with-a-time", add("[timing]", "holidays = [2026-12-25T00:00:00]"),
     "timing.holidays[1]: expected a date like 2026-12-25, "
     "got 2026-12-25T00:00:00 (a local date-time)"),
    ("send-window-in-words", add("[timing]", 'send_window = "weekdays 9-5"'),
     'timing.send_window: expected a window like "Mon-Fri 07:30-16:00" or "Mon,Wed,Fri '
     '08:00-12:00" (start before end), or "" for none, got "weekdays 9-5" (a string)'),
    ("send-window-ends-before-it-starts", add("[timing]", 'send_window = "Mon-Fri 16:00-07:30"'),
     'timing.send_window: expected a window like "Mon-Fri 07:30-16:00" or "Mon,Wed,Fri '
     '08:00-12:00" (start before end), or "" for none, got "Mon-Fri 16:00-07:30" (a string)'),
    ("send-at-with-offset", add("[[request]]", "send_at = 2026-12-01T08:00:00Z"),
     "request[1].send_at: expected a local date-time like 2026-12-01T08:00:00 (no offset: the "
     "parent's timezone), got 2026-12-01T08:00:00+00:00 (an offset date-time)"),
    ("meeting-at-date-only", add("[[request]]", "meeting_at = 2026-12-12"),
     "request[1].meeting_at: expected a local date-time like 2026-12-01T08:00:00 (no offset: "
     "the parent's timezone), got 2026-12-12 (a date)"),
    ("urgent-as-string", add("[[request]]", 'urgent = "yes"'),
     'request[1].urgent: expected true or false, got "yes" (a string)'),
    ("auth-unknown", add("[mail]", 'auth = "oauth"'),
     'mail.auth: expected one of "password", "xoauth2", got "oauth" (a string)'),
    ("password-source-unknown", edit(('source = "keyring"', 'source = "file"')),
     'mail.password.source: expected one of "keyring", "credential", "command", '
     'got "file" (a string)'),
    ("command-source-without-command", edit(('source = "keyring"', 'source = "command"')),
     'mail.password.command: required when source = "command"'),
    ("command-empty", add("[mail.password]", "command = []").replace("keyring", "command"),
     "mail.password.command: expected a non-empty array of strings without control characters "
     "(the program and its arguments), got [] (an array)"),
    ("command-without-command-source", add("[mail.password]", 'command = ["pass", "show"]'),
     'mail.password.command: only used when source = "command" (source is "keyring")'),
    ("credential-name-with-a-slash",
     add("[mail.password]", 'name = "../secret"').replace('"keyring"', '"credential"'),
     'mail.password.name: expected a credential file name of letters, digits and "_.@-", '
     'got "../secret" (a string)'),
    ("ca-file-missing", add("[mail]", 'ca_file = "missing.pem"'),
     "mail.ca_file: no such file: {dir}/missing.pem"),
    ("no-child", NO_CHILD,
     "child: required (at least one [[child]] table)"),
    ("child-as-a-single-table", NO_CHILD + '[child]\nid = "sam"\n',
     'child: expected an array of tables ([[child]]), got { id = "sam" } (a table)'),
    ("principal-missing",
     edit(('principal = { name = "Lee Chen", email = "lchen@district.example" }\n', "")),
     "child[1].principal: required (a table with name and email)"),
    ("school-domain-in-capitals", add("[[child]]", 'school_domains = ["District.example"]'),
     'child[1].school_domains[1]: expected a lower-case domain name like district.example, '
     'got "District.example" (a string)'),
    ("provider-unknown", add("[mail]", 'provider = "hotmail"'),
     'mail.provider: expected one of "", "gmail", "outlook", "microsoft365", "icloud", "yahoo", '
     '"fastmail", got "hotmail" (a string)'),
    ("imap-host-missing-without-provider", edit(('host = "imap.family.example"', "")),
     "mail.imap.host: required when mail.provider is not set"),
    ("host-with-a-space", edit(('host = "imap.family.example"', 'host = "imap family"')),
     'mail.imap.host: expected a host name or IP address, got "imap family" (a string)'),
    ("state-dir-not-a-string", "state_dir = 5\n" + MINIMAL,
     "state_dir: expected a string, got 5 (an integer)"),
]  # fmt: skip


def environ_for(tmp_path: Path) -> dict[str, str]:
    return {"HOME": str(tmp_path / "home"), "TZ": "UTC"}


def write(tmp_path: Path, text: str, name: str = "config.toml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def problems_of(tmp_path: Path, text: str) -> list[str]:
    with pytest.raises(ConfigError) as caught:
        load_config(write(tmp_path, text), environ_for(tmp_path))
    return caught.value.problems


def test_minimal_config_is_valid(tmp_path: Path) -> None:
    config = load_config(write(tmp_path, MINIMAL), environ_for(tmp_path))
    assert config.requests[0].details == {"service": "60 minutes per week of speech therapy"}


def test_the_table_holds_at_least_thirty_cases() -> None:
    assert len(BROKEN) >= 30


@pytest.mark.parametrize(
    ("text", "expected"), [case[1:] for case in BROKEN], ids=[case[0] for case in BROKEN]
)
def test_broken_config_reports_exactly_one_problem_line(
    tmp_path: Path, text: str, expected: str
) -> None:
    assert problems_of(tmp_path, text) == [expected.replace("{dir}", str(tmp_path))]


def test_every_problem_is_reported_at_once_in_file_order(tmp_path: Path) -> None:
    text = edit(
        ('email = "jordan@family.example"', 'email = "jordan"'),
        ('host = "imap.family.example"', 'host = "imap.family.example"\npasword = "x"'),
        ("port = 465", 'port = "587"'),
        ('pronouns = "he"', 'pronouns = "it"'),
        ('child = "sam"', 'child = "alex"'),
        ('service = "60 minutes per week of speech therapy"', ""),
    )
    assert problems_of(tmp_path, text) == [
        "parent.email: expected a plain email address like name@example.org (no name, <> or "
        'quotes), got "jordan" (a string)',
        'mail.imap: unknown key "pasword"',
        'mail.smtp.port: expected an integer 1-65535, got "587" (a string)',
        'child[1].pronouns: expected one of "he", "she", "they", got "it" (a string)',
        'request[1].details.service: required when reason = "services_not_delivered"',
        'request[1].child: expected the id of a [[child]] ("sam"), got "alex" (a string)',
    ]


def test_config_error_names_the_file_and_exits_with_ex_config(tmp_path: Path) -> None:
    path = write(tmp_path, edit(("port = 465", 'port = "587"')))
    with pytest.raises(ConfigError) as caught:
        load_config(path, environ_for(tmp_path))
    assert str(caught.value) == (
        f"invalid config {path}:\n"
        '  - mail.smtp.port: expected an integer 1-65535, got "587" (a string)'
    )
    assert caught.value.exit_code == EX_CONFIG


def test_missing_file_is_a_config_error_naming_it(tmp_path: Path) -> None:
    path = tmp_path / "nowhere.toml"
    with pytest.raises(ConfigError) as caught:
        load_config(path, environ_for(tmp_path))
    assert caught.value.path == str(path)
    assert caught.value.problems == [
        "no such file; copy config.example.toml there and edit it, or pass --config PATH"
    ]


def test_toml_syntax_error_keeps_line_and_column(tmp_path: Path) -> None:
    path = write(tmp_path, '[parent]\nname = "Jordan\n')
    with pytest.raises(ConfigError) as caught:
        load_config(path, environ_for(tmp_path))
    assert caught.value.path == str(path)
    [problem] = caught.value.problems
    assert problem.startswith("TOML syntax error: ")
    assert "line 2" in problem


def test_file_that_is_not_utf8_is_a_config_error(tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    path.write_bytes(MINIMAL.encode("utf-8") + b"\n# caf\xe9\n")
    with pytest.raises(ConfigError) as caught:
        load_config(path, environ_for(tmp_path))
    assert caught.value.problems[0].startswith("not UTF-8 text")


def test_byte_order_mark_is_accepted(tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    path.write_bytes(b"\xef\xbb\xbf" + MINIMAL.encode("utf-8"))
    assert load_config(path, environ_for(tmp_path)).parent.name == "Jordan Rivera"


def test_long_value_is_shortened_around_the_control_character(tmp_path: Path) -> None:
    concern = "x" * 100 + "\\u0007" + "y" * 100
    [problem] = problems_of(tmp_path, edit(("Half of the speech sessions were missed.", concern)))
    assert problem == (
        "request[1].concern: expected text without control characters other than newline and "
        f'tab, got "…{"x" * 20}\\u0007{"y" * 39}…" (a string)'
    )


# --- what is accepted ---------------------------------------------------------------------


def test_loaded_config_has_the_absolute_path(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write(tmp_path, MINIMAL)
    monkeypatch.chdir(tmp_path)
    config = load_config(Path("config.toml"), environ_for(tmp_path))
    assert config.path == tmp_path / "config.toml"
    assert config.override_templates_dir == tmp_path / "templates"


def test_body_text_may_hold_newlines_and_tabs(tmp_path: Path) -> None:
    text = edit(
        ("Half of the speech sessions were missed.", "Line one.\\n\\tLine two."),
        ('"Mon after 3:30 pm"', '"Mon\\tafter 3:30 pm"'),
    )
    config = load_config(
        write(tmp_path, add("[parent]", 'signature = "J\\nR"')), environ_for(tmp_path)
    )
    assert config.parent.signature == "J\nR"
    request = load_config(write(tmp_path, text), environ_for(tmp_path)).requests[0]
    assert request.concern == "Line one.\n\tLine two."
    assert request.availability == ("Mon\tafter 3:30 pm",)


def test_postal_address_keeps_its_lines_and_unicode_and_is_optional(tmp_path: Path) -> None:
    line = 'postal_address = "\\n  12 Elm St  \\nApt 2 \\nSpringfield, IL 62701\\n\\n"'
    config = load_config(write(tmp_path, add("[parent]", line)), environ_for(tmp_path))
    assert config.parent.postal_address == "12 Elm St\nApt 2\nSpringfield, IL 62701"
    unicode = add("[parent]", 'postal_address = "ul. Łąkowa 5\\n00-950 Warszawa"')
    config = load_config(write(tmp_path, unicode), environ_for(tmp_path))
    assert config.parent.postal_address == "ul. Łąkowa 5\n00-950 Warszawa"
    assert load_config(write(tmp_path, MINIMAL), environ_for(tmp_path)).parent.postal_address == ""
    empty = add("[parent]", 'postal_address = ""')
    assert load_config(write(tmp_path, empty), environ_for(tmp_path)).parent.postal_address == ""


def test_defaults_come_from_the_parent(tmp_path: Path) -> None:
    config = load_config(write(tmp_path, MINIMAL), environ_for(tmp_path))
    assert config.parent.remind_to == "jordan@family.example"
    assert config.parent.signature == "Jordan Rivera"
    assert config.mail.username == "jordan@family.example"


def test_defaults_of_mail_and_timing(tmp_path: Path) -> None:
    config = load_config(write(tmp_path, MINIMAL), environ_for(tmp_path))
    imap, smtp = config.mail.imap, config.mail.smtp
    assert (imap.host, imap.port, imap.security) == ("imap.family.example", 993, "tls")
    assert (smtp.host, smtp.port, smtp.security) == ("smtp.family.example", 465, "tls")
    assert (imap.inbox, imap.sent_folder) == ("INBOX", "Sent")
    assert imap.poll_every == timedelta(minutes=2)
    assert imap.idle_refresh == timedelta(minutes=9)
    assert config.mail.password.source == "keyring"
    assert config.mail.password.name == "iepd-mail-password"
    assert config.mail.auth == "password"
    assert config.mail.ca_file is None
    assert config.mail.provider_files_sent is False
    assert config.timing.followup_after == Duration(days=7)
    assert config.timing.send_window is None
    assert config.timing.meeting_deadline is None
    assert config.children[0].school_domains == ()
    request = config.requests[0]
    assert (request.urgent, request.hold, request.closed) == (False, False, False)
    assert request.send_at is None


@pytest.mark.parametrize(
    ("security", "imap_port", "smtp_port"),
    [("tls", 993, 465), ("starttls", 143, 587)],
)
def test_ports_default_by_security(
    tmp_path: Path, security: str, imap_port: int, smtp_port: int
) -> None:
    text = edit(
        ('host = "imap.family.example"', f'host = "imap.family.example"\nsecurity = "{security}"'),
        ("port = 465", f'security = "{security}"'),
    )
    mail = load_config(write(tmp_path, text), environ_for(tmp_path)).mail
    assert (mail.imap.port, mail.smtp.port) == (imap_port, smtp_port)


@pytest.mark.parametrize("host", ["127.0.0.1", "127.8.9.10", "::1", "localhost", "LOCALHOST"])
def test_plain_is_allowed_for_loopback_hosts_with_port_143_and_25(
    tmp_path: Path, host: str
) -> None:
    text = edit(
        ('host = "imap.family.example"', f'host = "{host}"\nsecurity = "plain"'),
        ('host = "smtp.family.example"\nport = 465', f'host = "{host}"\nsecurity = "plain"'),
    )
    mail = load_config(write(tmp_path, text), environ_for(tmp_path)).mail
    assert (mail.imap.port, mail.imap.security) == (143, "plain")
    assert (mail.smtp.port, mail.smtp.security) == (25, "plain")


def test_timing_values_are_parsed(tmp_path: Path) -> None:
    text = edit(
        (
            'followup_after = "7d"',
            'followup_after = "36h"\nbusiness_days = true\n'
            'holidays = [2026-12-25, "2027-01-01"]\nsend_window = "Mon-Fri 07:30-16:00"\n'
            'meeting_deadline = "30d"',
        )
    )
    timing = load_config(write(tmp_path, text), environ_for(tmp_path)).timing
    assert timing.followup_after == Duration(seconds=36 * 3600)
    assert timing.business_days is True
    assert timing.holidays == frozenset({date(2026, 12, 25), date(2027, 1, 1)})
    assert timing.send_window == SendWindow(frozenset(range(5)), time(7, 30), time(16, 0))
    assert timing.meeting_deadline == Duration(days=30)


@pytest.mark.parametrize(
    ("text", "weekdays"),
    [
        ("Mon,Wed,Fri 08:00-12:00", {0, 2, 4}),
        ("mon-wed, sat 8:00-12:00", {0, 1, 2, 5}),
        ("Fri-Mon 08:00-12:00", {4, 5, 6, 0}),
        ("08:00-12:00", set(range(7))),
    ],
)
def test_send_window_forms(tmp_path: Path, text: str, weekdays: set[int]) -> None:
    config_text = edit(('followup_after = "7d"', f'send_window = "{text}"'))
    window = load_config(write(tmp_path, config_text), environ_for(tmp_path)).timing.send_window
    assert window == SendWindow(frozenset(weekdays), time(8, 0), time(12, 0))


@pytest.mark.parametrize(
    "value", ["2026-12-01T08:00:00", '"2026-12-01T08:00:00"', '"2026-12-01 08:00"']
)
def test_send_at_is_a_local_datetime_or_an_iso_string(tmp_path: Path, value: str) -> None:
    text = add("[[request]]", f"send_at = {value}")
    request = load_config(write(tmp_path, text), environ_for(tmp_path)).requests[0]
    assert request.send_at == datetime(2026, 12, 1, 8, 0)


def test_password_from_a_command(tmp_path: Path) -> None:
    text = edit(('source = "keyring"', 'source = "command"\ncommand = ["pass", "show", "mail"]'))
    password = load_config(write(tmp_path, text), environ_for(tmp_path)).mail.password
    assert (password.source, password.command) == ("command", ("pass", "show", "mail"))


def test_ca_file_relative_to_the_config_folder_and_with_tilde(tmp_path: Path) -> None:
    (tmp_path / "ca.pem").write_text("pem", encoding="utf-8")
    home = tmp_path / "home"
    home.mkdir()
    (home / "home-ca.pem").write_text("pem", encoding="utf-8")
    config = load_config(
        write(tmp_path, add("[mail]", 'ca_file = "ca.pem"')), environ_for(tmp_path)
    )
    assert config.mail.ca_file == tmp_path / "ca.pem"
    text = add("[mail]", 'ca_file = "~/home-ca.pem"')
    config = load_config(write(tmp_path, text), environ_for(tmp_path))
    assert config.mail.ca_file == home / "home-ca.pem"


# --- presets --------------------------------------------------------------------------------

PROVIDER_ONLY = edit(
    ('host = "imap.family.example"', ""),
    ('host = "smtp.family.example"\nport = 465', ""),
)


@pytest.mark.parametrize(
    ("provider", "imap", "smtp", "sent_folder", "files_sent"),
    [
        ("gmail", ("imap.gmail.com", 993, "tls"), ("smtp.gmail.com", 465, "tls"),
         "[Gmail]/Sent Mail", True),
        ("outlook", ("outlook.office365.com", 993, "tls"),
         ("smtp-mail.outlook.com", 587, "starttls"), "Sent Items", True),
        ("microsoft365", ("outlook.office365.com", 993, "tls"),
         ("smtp.office365.com", 587, "starttls"), "Sent Items", True),
        ("icloud", ("imap.mail.me.com", 993, "tls"), ("smtp.mail.me.com", 587, "starttls"),
         "Sent Messages", False),
        ("yahoo", ("imap.mail.yahoo.com", 993, "tls"), ("smtp.mail.yahoo.com", 465, "tls"),
         "Sent", False),
        ("fastmail", ("imap.fastmail.com", 993, "tls"), ("smtp.fastmail.com", 465, "tls"),
         "Sent", False),
    ],
)  # fmt: skip
def test_provider_preset_fills_servers_and_sent_folder(
    tmp_path: Path,
    provider: str,
    imap: tuple[str, int, str],
    smtp: tuple[str, int, str],
    sent_folder: str,
    files_sent: bool,
) -> None:
    text = PROVIDER_ONLY.replace("[mail]\n", f'[mail]\nprovider = "{provider}"\n')
    mail = load_config(write(tmp_path, text), environ_for(tmp_path)).mail
    assert (mail.imap.host, mail.imap.port, mail.imap.security) == imap
    assert (mail.smtp.host, mail.smtp.port, mail.smtp.security) == smtp
    assert mail.imap.sent_folder == sent_folder
    assert mail.provider_files_sent is files_sent
    assert mail.provider == provider


def test_every_preset_is_tested() -> None:
    assert set(PRESETS) == {"gmail", "outlook", "microsoft365", "icloud", "yahoo", "fastmail"}


def test_explicit_keys_win_over_the_preset(tmp_path: Path) -> None:
    text = (
        PROVIDER_ONLY.replace("[mail]\n", '[mail]\nprovider = "gmail"\n')
        .replace("[mail.imap]\n", '[mail.imap]\nhost = "imap.other.example"\nsent_folder = ""\n')
        .replace("[mail.smtp]\n", '[mail.smtp]\nsecurity = "starttls"\n')
    )
    mail = load_config(write(tmp_path, text), environ_for(tmp_path)).mail
    assert (mail.imap.host, mail.imap.port, mail.imap.security) == (
        "imap.other.example",
        993,
        "tls",
    )
    assert mail.imap.sent_folder == ""
    # A security chosen without a port takes that security's port, not the preset's.
    assert (mail.smtp.host, mail.smtp.port, mail.smtp.security) == (
        "smtp.gmail.com",
        587,
        "starttls",
    )


def test_plain_security_with_a_preset_host_is_refused(tmp_path: Path) -> None:
    text = PROVIDER_ONLY.replace("[mail]\n", '[mail]\nprovider = "gmail"\n').replace(
        "[mail.smtp]\n", '[mail.smtp]\nsecurity = "plain"\n'
    )
    assert problems_of(tmp_path, text) == [
        'mail.smtp.security: "plain" (no encryption) is allowed only for a loopback host '
        '(127.0.0.1, ::1, localhost), but mail.smtp.host is (from mail.provider) "smtp.gmail.com"'
    ]


# --- state folder and time zone -------------------------------------------------------------


def test_state_dir_from_the_config_expands_tilde(tmp_path: Path) -> None:
    text = 'state_dir = "~/iepd-state"\n' + MINIMAL
    config = load_config(write(tmp_path, text), environ_for(tmp_path))
    assert config.state_dir == tmp_path / "home" / "iepd-state"


@pytest.mark.parametrize(
    ("extra", "expected"),
    [
        ({"STATE_DIRECTORY": "/var/lib/iepd:/var/lib/other"}, "/var/lib/iepd"),
        ({"XDG_STATE_HOME": "/xdg/state"}, "/xdg/state/iepd"),
        ({"XDG_STATE_HOME": "relative/state"}, "{home}/.local/state/iepd"),
        ({}, "{home}/.local/state/iepd"),
    ],
)
def test_state_dir_default_order(tmp_path: Path, extra: dict[str, str], expected: str) -> None:
    environ = environ_for(tmp_path) | extra
    config = load_config(write(tmp_path, MINIMAL), environ)
    assert config.state_dir == Path(expected.replace("{home}", environ["HOME"]))


def test_timezone_defaults_to_the_system_one(tmp_path: Path) -> None:
    text = edit(('timezone = "America/Chicago"\n', ""))
    environ = environ_for(tmp_path) | {"TZ": "Europe/Paris"}
    assert load_config(write(tmp_path, text), environ).parent.timezone == "Europe/Paris"


def test_system_timezone_reads_etc_timezone_then_the_localtime_link(tmp_path: Path) -> None:
    etc = tmp_path / "etc"
    etc.mkdir()
    assert system_timezone({}, etc) == "UTC"
    os.symlink("/usr/share/zoneinfo/Asia/Tokyo", etc / "localtime")
    assert system_timezone({}, etc) == "Asia/Tokyo"
    (etc / "timezone").write_text("America/Denver\n", encoding="utf-8")
    assert system_timezone({}, etc) == "America/Denver"
    assert system_timezone({"TZ": ":Europe/Oslo"}, etc) == "Europe/Oslo"
    assert system_timezone({"TZ": "not/a-zone"}, etc) == "America/Denver"


# --- where the config is found --------------------------------------------------------------


def test_config_option_wins(tmp_path: Path) -> None:
    environ = {"HOME": str(tmp_path), "IEPD_CONFIG": "/from/env.toml"}
    assert find_config_path("/from/cli.toml", environ) == Path("/from/cli.toml")


def test_environment_variable_comes_second(tmp_path: Path) -> None:
    environ = {"HOME": str(tmp_path), "IEPD_CONFIG": "~/env.toml"}
    assert find_config_path(None, environ) == tmp_path / "env.toml"


def test_xdg_config_is_used_when_it_exists(tmp_path: Path) -> None:
    xdg = tmp_path / "xdg"
    (xdg / "iepd").mkdir(parents=True)
    (xdg / "iepd" / "config.toml").write_text("", encoding="utf-8")
    system = write(tmp_path, "", "system.toml")
    environ = {"HOME": str(tmp_path), "XDG_CONFIG_HOME": str(xdg)}
    assert find_config_path(None, environ, system_path=system) == xdg / "iepd" / "config.toml"


def test_system_config_is_used_when_the_user_has_none(tmp_path: Path) -> None:
    system = write(tmp_path, "", "system.toml")
    environ = {"HOME": str(tmp_path), "XDG_CONFIG_HOME": str(tmp_path / "xdg")}
    assert find_config_path(None, environ, system_path=system) == system


def test_user_path_is_named_when_no_config_exists(tmp_path: Path) -> None:
    environ = {"HOME": str(tmp_path)}
    found = find_config_path(None, environ, system_path=tmp_path / "absent.toml")
    assert found == tmp_path / ".config" / "iepd" / "config.toml"


def test_relative_xdg_config_home_is_ignored(tmp_path: Path) -> None:
    environ = {"HOME": str(tmp_path), "XDG_CONFIG_HOME": "relative"}
    found = find_config_path(None, environ, system_path=tmp_path / "absent.toml")
    assert found == tmp_path / ".config" / "iepd" / "config.toml"


# --- the example ----------------------------------------------------------------------------


def test_example_config_loads(tmp_path: Path) -> None:
    config = load_config(REPO / "config.example.toml", environ_for(tmp_path))
    assert [child.id for child in config.children] == ["sam"]
    assert [request.reason for request in config.requests] == [
        "services_not_delivered",
        "outside_evaluation",
    ]
    assert config.state_dir == tmp_path / "home" / ".local" / "state" / "iepd"
    assert config.mail.ca_file is None


def test_example_config_leaves_the_state_folder_to_systemd_and_xdg(tmp_path: Path) -> None:
    example = REPO / "config.example.toml"
    under_systemd = {**environ_for(tmp_path), "STATE_DIRECTORY": "/var/lib/iepd"}
    assert load_config(example, under_systemd).state_dir == Path("/var/lib/iepd")
    with_xdg = {**environ_for(tmp_path), "XDG_STATE_HOME": str(tmp_path / "xdg-state")}
    assert load_config(example, with_xdg).state_dir == tmp_path / "xdg-state" / "iepd"


# --- properties of the header-safety checks ------------------------------------------------


@given(st.text())
def test_one_line_text_that_is_accepted_cannot_break_a_header_line(text: str) -> None:
    problems: list[str] = []
    accepted = check_text(problems, "parent.name", text, multiline=False, allow_empty=False)
    if accepted is None:
        assert len(problems) == 1
        assert problems[0].startswith("parent.name: expected ")
    else:
        assert problems == []
        assert accepted.splitlines() == [accepted]


@given(st.text())
def test_body_text_that_is_accepted_holds_no_control_but_newline_and_tab(text: str) -> None:
    accepted = check_text([], "request[1].concern", text, multiline=True, allow_empty=False)
    if accepted is not None:
        controls = [
            char
            for char in accepted
            if unicodedata.category(char) in {"Cc", "Zl", "Zp"} and char not in "\n\t"
        ]
        assert controls == []


@given(st.text(alphabet=st.characters(), max_size=30) | st.from_regex(r"[a-z \n\t\r]{0,20}"))
def test_control_at_finds_the_first_control_character_not_allowed(text: str) -> None:
    for allowed in ("", "\n\t"):
        expected = next(
            (
                index
                for index, char in enumerate(text)
                if unicodedata.category(char) in {"Cc", "Zl", "Zp"} and char not in allowed
            ),
            None,
        )
        assert control_at(text, allowed) == expected


@given(st.emails() | st.text(max_size=40))
def test_accepted_email_is_one_bare_address(text: str) -> None:
    if is_email(text):
        address = Address(addr_spec=text)
        assert address.addr_spec == text
        assert address.display_name == ""
        assert "." in address.domain
        assert not any(char in text for char in ' <>,;"\r\n')


def test_a_timezone_must_be_an_iana_zone_not_a_file_that_happens_to_be_there() -> None:
    from iepd.config.values import is_timezone

    assert is_timezone("America/Chicago")
    assert is_timezone("US/Eastern")  # a link, still a zone name
    assert not is_timezone("localtime")
    assert not is_timezone("posixrules")
