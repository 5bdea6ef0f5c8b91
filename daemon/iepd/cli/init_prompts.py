"""The questions `iepd init` asks, how each answer is checked, and the config it writes.

Pure: no terminal, file or network. ``init`` asks these questions (or takes them from
flags) and writes what :func:`render_config` returns. Every answer is a string; a check
returns the answer as it will be written, or raises ValueError with the reason, which the
wizard shows before asking again.
"""

from __future__ import annotations

import argparse
import json
import re
import shlex
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from iepd.config import values
from iepd.mail import providers

Answers = dict[str, str]
OTHER = "other"
PASSWORD_SOURCES = ("keyring", "command", "credential")


@dataclass(frozen=True)
class Question:
    """One answer the config needs: the flag is ``--`` plus the key with dashes."""

    key: str
    prompt: str
    check: Callable[[str, Mapping[str, str]], str]
    default: Callable[[Mapping[str, str]], str] = field(default=lambda answers: "")
    asked: Callable[[Mapping[str, str]], bool] = field(default=lambda answers: True)
    note: str = ""

    @property
    def flag(self) -> str:
        return "--" + self.key.replace("_", "-")


def check_text(text: str, answers: Mapping[str, str]) -> str:
    text = text.strip()
    if not text:
        raise ValueError("an answer is needed")
    if values.control_at(text, "") is not None:
        raise ValueError("one line of text, without control characters")
    return text


def check_email(text: str, answers: Mapping[str, str]) -> str:
    text = text.strip()
    if not values.is_email(text):
        raise ValueError(values.EMAIL)
    return text


def check_timezone(text: str, answers: Mapping[str, str]) -> str:
    text = text.strip()
    if not values.is_timezone(text):
        raise ValueError('an IANA time zone name such as "America/Chicago" or "Europe/Paris"')
    return text


def check_identifier(text: str, answers: Mapping[str, str]) -> str:
    text = text.strip()
    if not values.IDENTIFIER_PATTERN.fullmatch(text):
        raise ValueError(values.IDENTIFIER)
    return text


def check_domain(text: str, answers: Mapping[str, str]) -> str:
    text = text.strip().lower()
    if not values.is_lower_domain(text):
        raise ValueError(values.DOMAIN)
    return text


def check_host(text: str, answers: Mapping[str, str]) -> str:
    text = text.strip()
    if not values.is_host(text):
        raise ValueError("a host name like imap.example.org, or an IP address")
    return text


def check_port(text: str, answers: Mapping[str, str]) -> str:
    text = text.strip()
    if not text.isdigit() or not 1 <= int(text) <= 65535:
        raise ValueError("a port number from 1 to 65535")
    return str(int(text))


def choice(options: tuple[str, ...]) -> Callable[[str, Mapping[str, str]], str]:
    def check(text: str, answers: Mapping[str, str]) -> str:
        text = text.strip().lower()
        if text not in options:
            raise ValueError("one of: " + ", ".join(options))
        return text

    return check


def security_for(kind: str) -> Callable[[str, Mapping[str, str]], str]:
    def check(text: str, answers: Mapping[str, str]) -> str:
        security = choice(("tls", "starttls", "plain"))(text, answers)
        host = answers.get(f"{kind}_host", "")
        if security == "plain" and not values.is_loopback(host):
            raise ValueError(
                f'"plain" sends the password unencrypted, so it is allowed only for this '
                f"machine (127.0.0.1, localhost), not {host}"
            )
        return security

    return check


def check_ca_file(text: str, answers: Mapping[str, str]) -> str:
    text = text.strip()
    if not text:
        return ""
    path = Path(text).expanduser()
    if not path.is_file():
        raise ValueError(f"no such file: {path}")
    return str(path.resolve())


def check_command(text: str, answers: Mapping[str, str]) -> str:
    try:
        argv = shlex.split(text)
    except ValueError as error:
        raise ValueError(f"cannot read it as a command line: {error}") from None
    if not argv or any(values.control_at(arg, "") is not None for arg in argv):
        raise ValueError("a program and its arguments, e.g.: pass show mail/jordan")
    return shlex.join(argv)


def _custom(answers: Mapping[str, str]) -> bool:
    return answers.get("provider") == OTHER


def _first_word_id(answers: Mapping[str, str]) -> str:
    words = re.findall(r"[a-z0-9]+", answers.get("child_name", "").lower())
    return words[0] if words else "child"


def _default_port(kind: str) -> Callable[[Mapping[str, str]], str]:
    ports = {"imap": {"tls": "993"}, "smtp": {"tls": "465", "starttls": "587", "plain": "25"}}
    return lambda answers: ports[kind].get(answers.get(f"{kind}_security", "tls"), "143")


def _default_auth(answers: Mapping[str, str]) -> str:
    advice = providers.ADVICE.get(answers.get("provider", ""))
    return advice.auth if advice else "password"


QUESTIONS: tuple[Question, ...] = (
    Question("parent_name", "Your name, as the school should see it", check_text),
    Question("parent_email", "Your email address (letters go out from it)", check_email),
    Question(
        "timezone",
        "Your time zone",
        check_timezone,
        default=lambda answers: answers.get("_system_timezone", "UTC"),
    ),
    Question("child_name", "Your child's full name", check_text),
    Question(
        "child_id",
        "A short name for this child in the config (lower-case letters, digits, -)",
        check_identifier,
        default=_first_word_id,
    ),
    Question("grade", 'Grade (e.g. "4th grade")', check_text),
    Question("school", "School", check_text),
    Question(
        "pronouns",
        "Pronouns for your child in letters (he, she, they)",
        choice(("he", "she", "they")),
    ),
    Question("case_manager_name", "Case manager's name", check_text),
    Question("case_manager_email", "Case manager's email", check_email),
    Question("principal_name", "Principal's name", check_text),
    Question("principal_email", "Principal's email", check_email),
    Question(
        "school_domain",
        "The school's mail domain (its answers come from it)",
        check_domain,
        default=lambda answers: answers.get("case_manager_email", "").rpartition("@")[2].lower(),
    ),
    Question(
        "provider",
        "Your mail provider (" + ", ".join((*providers.PROVIDERS, OTHER)) + ")",
        choice((*providers.PROVIDERS, OTHER)),
        default=lambda answers: providers.guess_provider(answers.get("parent_email", "")) or OTHER,
    ),
    Question("imap_host", "Incoming (IMAP) server", check_host, asked=_custom),
    Question(
        "imap_security",
        "IMAP security (tls, starttls, plain)",
        security_for("imap"),
        default=lambda answers: "tls",
        asked=_custom,
    ),
    Question("imap_port", "IMAP port", check_port, default=_default_port("imap"), asked=_custom),
    Question("smtp_host", "Outgoing (SMTP) server", check_host, asked=_custom),
    Question(
        "smtp_security",
        "SMTP security (tls, starttls, plain)",
        security_for("smtp"),
        default=lambda answers: "tls",
        asked=_custom,
    ),
    Question("smtp_port", "SMTP port", check_port, default=_default_port("smtp"), asked=_custom),
    Question(
        "ca_file",
        "An extra CA certificate file for a self-hosted server (Enter for none)",
        check_ca_file,
        asked=_custom,
    ),
    Question(
        "username",
        "Login name for the mail servers",
        check_text,
        default=lambda answers: answers.get("parent_email", ""),
    ),
    Question(
        "auth",
        "Login with a password (an app password) or an OAuth2 token (password, xoauth2)",
        choice(("password", "xoauth2")),
        default=_default_auth,
    ),
    Question(
        "password_source",
        "Where iepd gets the secret (keyring, command, credential)",
        choice(PASSWORD_SOURCES),
        default=lambda answers: "command" if answers.get("auth") == "xoauth2" else "keyring",
    ),
    Question(
        "password_command",
        "The command that prints it (e.g. pass show mail/jordan)",
        check_command,
        asked=lambda answers: answers.get("password_source") == "command",
    ),
)


def add_init_arguments(parser: argparse.ArgumentParser) -> None:
    """Add `iepd init`'s options to its subcommand parser: one flag per question."""
    parser.add_argument(
        "--non-interactive",
        action="store_true",
        help="ask nothing: every answer comes from the flags below (or its default)",
    )
    parser.add_argument("--force", action="store_true", help="overwrite an existing config")
    parser.add_argument(
        "--no-connect", action="store_true", help="do not log in to the servers to check"
    )
    parser.add_argument(
        "--password-stdin",
        action="store_true",
        help="read the password for the keyring from standard input (with --non-interactive)",
    )
    for question in QUESTIONS:
        parser.add_argument(question.flag, dest=question.key, metavar="TEXT", help=question.prompt)


def toml_string(text: str) -> str:
    """Return text as a TOML basic string (JSON's escapes are TOML's; answers hold no
    control characters)."""
    return json.dumps(text, ensure_ascii=False)


def request_id(answers: Mapping[str, str]) -> str:
    return f"{answers['child_id']}-meeting-1"


def render_config(answers: Mapping[str, str]) -> str:
    """Given every answer, return the commented config to write."""
    quoted = {key: toml_string(value) for key, value in answers.items()}
    return _HEADER + _parent(quoted) + _mail(answers, quoted) + _child(quoted) + _request(answers)


_HEADER = """\
# iepd configuration, written by `iepd init`. Every key is explained in
# config.example.toml; change anything here, then run `iepd check`.
# Keep it private (it is mode 0600): it holds names and your child's school details.
# Durations are written "7d", "36h", "15m", "90s" or "1d12h".
"""


def _parent(q: Mapping[str, str]) -> str:
    return f"""
[parent]
# Your name as the school should see it; it goes on the From: line of every letter.
name = {q["parent_name"]}
# Letters are sent From this address, and iepd watches its inbox for the answer.
email = {q["parent_email"]}
# Optional. Where iepd sends you reminders. Default: the email above.
# remind_to = {q["parent_email"]}
# Your time zone: send_at, meeting_at and send_window are read in it.
timezone = {q["timezone"]}
# Optional. The lines under each letter. Default: your name.
# signature = "Your Name\\n(555) 010-0000"
# Optional. language = "es": iepd writes its reminders to you in Spanish (en español);
# letters_language = "es": the letters to the school in Spanish too. Default: "en" for both.
# language = "es"
# letters_language = "es"
"""


def _mail(answers: Mapping[str, str], q: Mapping[str, str]) -> str:
    provider = answers["provider"]
    lines = ["", "[mail]"]
    if provider != OTHER:
        advice = providers.ADVICE[provider]
        lines += [
            f"# {advice.label}: fills in the servers, ports, security and Sent folder; any",
            "# key you add under [mail.imap] or [mail.smtp] wins over the preset.",
            f"# What it needs: {advice.secret}. See docs/providers.md.",
            f"provider = {q['provider']}",
        ]
    lines += [
        "# The login name for both servers.",
        f"username = {q['username']}",
        '# "password" (also an app password), or "xoauth2" when the secret is an OAuth2',
        "# access token, printed fresh by the command below for every connection.",
        f"auth = {q['auth']}",
    ]
    if answers.get("ca_file"):
        lines += ["# An extra CA certificate (PEM) to trust.", f"ca_file = {q['ca_file']}"]
    source = answers["password_source"]
    lines += [
        "",
        "[mail.password]",
        '# "keyring": the system keyring (store it with `iepd password set`);',
        '# "credential": a systemd credential, $CREDENTIALS_DIRECTORY/<name>;',
        '# "command": a program that prints it.',
        f"source = {q['password_source']}",
    ]
    if source == "command":
        argv = shlex.split(answers["password_command"])
        lines.append(f"command = [{', '.join(toml_string(arg) for arg in argv)}]")
    elif source == "credential":
        lines.append('# name = "iepd-mail-password"')
    if provider == OTHER:
        for kind in ("imap", "smtp"):
            lines += [
                "",
                f"[mail.{kind}]",
                f"host = {q[f'{kind}_host']}",
                f"port = {answers[f'{kind}_port']}",
                '# "tls", "starttls", or "plain" (this machine only).',
                f"security = {q[f'{kind}_security']}",
            ]
        lines += [
            '# Where iepd files a copy of each letter ("" = none). When this folder does',
            "# not exist, iepd uses the one the server marks as its Sent folder.",
            'sent_folder = "Sent"',
        ]
    return "\n".join(lines) + "\n"


def _child(q: Mapping[str, str]) -> str:
    return f"""
[timing]
# Every key here is optional; these are the defaults.
# followup_after = "7d"        # no answer this long after the request: follow up
# escalate_after = "7d"        # still none: a second follow-up, the principal copied
# send_window = ""             # e.g. "Mon-Fri 07:30-16:00": letters wait for it

[[child]]
id = {q["child_id"]}
name = {q["child_name"]}
grade = {q["grade"]}
school = {q["school"]}
pronouns = {q["pronouns"]}
# Letters go To the case manager; the principal is copied on urgent requests.
case_manager = {{ name = {q["case_manager_name"]}, email = {q["case_manager_email"]} }}
principal = {{ name = {q["principal_name"]}, email = {q["principal_email"]} }}
# Mail from these domains may be the school's answer.
school_domains = [{q["school_domain"]}]
"""


def _request(answers: Mapping[str, str]) -> str:
    return f"""
# A first request, kept as a draft: `iepd preview {request_id(answers)}` shows its letter.
# Write your concern and availability, choose the reason (see config.example.toml for
# the nine reasons), then delete the `hold = true` line: iepd sends it once.
[[request]]
id = "{request_id(answers)}"
child = "{answers["child_id"]}"
reason = "general"
urgent = false
concern = "Write here, in your own words, what worries you."
availability = ["Mon or Wed after 3:30 pm"]
hold = true
"""
