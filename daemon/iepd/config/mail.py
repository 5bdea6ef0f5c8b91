"""Read the ``[mail]`` section of the config: the provider presets, the password source,
and the IMAP and SMTP servers (host, port and security filled in from a preset or the
defaults, plain text refused off loopback). Part of ``config.load_config``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from iepd.config import values
from iepd.config.model import (
    DEFAULT_CREDENTIAL_NAME,
    Duration,
    ImapSettings,
    MailSettings,
    PasswordSource,
    SmtpSettings,
)
from iepd.config.table import Table

SECURITIES = ("tls", "starttls", "plain")
DEFAULT_PORTS = {
    "imap": {"tls": 993, "starttls": 143, "plain": 143},
    "smtp": {"tls": 465, "starttls": 587, "plain": 25},
}
# RFC 2177: a server may drop an IDLE after 30 minutes, so re-issue it before that.
MAX_IDLE_REFRESH = Duration(seconds=29 * 60)


@dataclass(frozen=True)
class Preset:
    """A provider's published client settings (IMAP is implicit TLS on 993 everywhere)."""

    imap_host: str
    smtp_host: str
    smtp_port: int
    smtp_security: str
    sent_folder: str
    files_sent: bool  # its SMTP files a Sent copy itself, so iepd must not APPEND another

    def server(self, kind: str) -> tuple[str, int, str]:
        if kind == "imap":
            return self.imap_host, 993, "tls"
        return self.smtp_host, self.smtp_port, self.smtp_security


# Checked against each provider's published settings (docs/providers.md). A Sent folder
# named here may be localised on the server ("[Gmail]/Gesendet"): imap.py then uses the
# folder the server flags \Sent (RFC 6154) instead.
PRESETS: Mapping[str, Preset] = {
    "gmail": Preset("imap.gmail.com", "smtp.gmail.com", 465, "tls", "[Gmail]/Sent Mail", True),
    # Microsoft's page for Outlook.com names smtp-mail.outlook.com; smtp.office365.com is
    # the Microsoft 365 (work or school) host.
    "outlook": Preset(
        "outlook.office365.com", "smtp-mail.outlook.com", 587, "starttls", "Sent Items", True
    ),
    "microsoft365": Preset(
        "outlook.office365.com", "smtp.office365.com", 587, "starttls", "Sent Items", True
    ),
    "icloud": Preset(
        "imap.mail.me.com", "smtp.mail.me.com", 587, "starttls", "Sent Messages", False
    ),
    "yahoo": Preset("imap.mail.yahoo.com", "smtp.mail.yahoo.com", 465, "tls", "Sent", False),
    "fastmail": Preset("imap.fastmail.com", "smtp.fastmail.com", 465, "tls", "Sent", False),
}


def read_mail(
    table: Table, parent_email: str, config_dir: Path, environ: Mapping[str, str]
) -> MailSettings | None:
    """Given the [mail] table, the parent's address (the default username) and the config's
    folder (for a relative ca_file), return the mail settings, or None after reporting the
    problems to the table."""
    provider = table.choice("provider", ("", *PRESETS), default="")
    preset = PRESETS.get(provider or "")
    username = table.text("username")
    auth = table.choice("auth", ("password", "xoauth2"), default="password")
    ca_file = table.file_path("ca_file", config_dir, environ, must_exist=True)
    password = _read_password(table.table("password"))
    imap = _read_imap(table.table("imap"), preset)
    smtp = _read_server(table.table("smtp"), "smtp", preset)
    table.finish()
    if provider is None or auth is None or password is None or imap is None or smtp is None:
        return None
    return MailSettings(
        username=username or parent_email,
        password=password,
        imap=imap,
        smtp=SmtpSettings(*smtp),
        provider=provider,
        auth=auth,
        ca_file=ca_file,
        provider_files_sent=preset.files_sent if preset else False,
    )


def _read_password(table: Table) -> PasswordSource | None:
    source = table.choice("source", ("keyring", "credential", "command"), default="keyring")
    name = table.credential_name("name")
    command = table.command("command", required=source == "command")
    for key, value, wanted in (("name", name, "credential"), ("command", command, "command")):
        if value is not None and source is not None and source != wanted:
            table.problem(key, f'only used when source = "{wanted}" (source is "{source}")')
    table.finish()
    if source is None or (source == "command" and command is None):
        return None
    return PasswordSource(
        source=source,
        name=name or DEFAULT_CREDENTIAL_NAME,
        command=tuple(command or ()),
    )


def _read_server(table: Table, kind: str, preset: Preset | None) -> tuple[str, int, str] | None:
    preset_host, preset_port, preset_security = (
        preset.server(kind) if preset else (None, None, None)
    )
    host = table.host("host", required=preset is None)
    security = table.choice("security", SECURITIES)
    port = table.port("port")
    host = host or preset_host
    if security is not None and port is None:
        port = DEFAULT_PORTS[kind][security]
    if security is None and "security" not in table.data:
        security = preset_security or "tls"
        port = port or preset_port or DEFAULT_PORTS[kind][security]
    if security == "plain" and host and not values.is_loopback(host):
        where = "is" if "host" in table.data else "is (from mail.provider)"
        table.problem(
            "security",
            f'"plain" (no encryption) is allowed only for a loopback host '
            f"(127.0.0.1, ::1, localhost), but {table.key_path('host')} {where} "
            f"{values.quote(host)}",
        )
        return None
    if host is None or port is None or security is None:
        return None
    return host, port, security


def _read_imap(table: Table, preset: Preset | None) -> ImapSettings | None:
    server = _read_server(table, "imap", preset)
    inbox = table.text("inbox")
    sent_folder = table.text("sent_folder", allow_empty=True)
    poll_every = table.duration("poll_every")
    idle_refresh = table.duration("idle_refresh", at_most=MAX_IDLE_REFRESH, why="RFC 2177")
    table.finish()
    if server is None:
        return None
    defaults = ImapSettings(*server)
    if sent_folder is None:
        sent_folder = preset.sent_folder if preset else defaults.sent_folder
    return ImapSettings(
        *server,
        inbox=inbox or defaults.inbox,
        sent_folder=sent_folder,
        poll_every=poll_every.as_timedelta() if poll_every else defaults.poll_every,
        idle_refresh=idle_refresh.as_timedelta() if idle_refresh else defaults.idle_refresh,
    )
