"""What the well-known mail providers need, and what their refusals mean, in words.

Pure: every function here reads only its arguments. ``imap`` and ``outbox`` pass in what a
server said and get back one sentence naming the cause and the fix; ``init`` uses the
advice and the guess from an address. The hosts and ports themselves live in
``config_mail.PRESETS``.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Final

PROVIDERS: Final = ("gmail", "outlook", "microsoft365", "icloud", "yahoo", "fastmail")


@dataclass(frozen=True)
class Advice:
    """What a parent must do at a provider before iepd can log in."""

    label: str
    secret: str  # what to store: "app password" or "OAuth2 access token"
    auth: str  # the mail.auth iepd suggests: "password" or "xoauth2"
    steps: str  # one sentence: where to get it, what to switch on


ADVICE: Final[Mapping[str, Advice]] = {
    "gmail": Advice(
        "Gmail",
        "app password",
        "password",
        "turn on 2-Step Verification, then create an app password at "
        'https://myaccount.google.com/apppasswords (OAuth2 works too: auth = "xoauth2"); '
        "a Google Workspace administrator may have to allow IMAP",
    ),
    "outlook": Advice(
        "Outlook.com (Hotmail, Live)",
        "OAuth2 access token",
        "xoauth2",
        "Microsoft no longer accepts passwords or app passwords for IMAP and SMTP on "
        'Outlook.com: use auth = "xoauth2" with a command that prints a fresh access '
        "token (for example oama, or mutt_oauth2.py from the mutt sources)",
    ),
    "microsoft365": Advice(
        "Microsoft 365 (work or school)",
        "OAuth2 access token",
        "xoauth2",
        "Microsoft 365 has retired password logins for IMAP and SMTP: use auth = "
        '"xoauth2" with a command that prints a fresh access token; the administrator '
        "must leave IMAP and Authenticated SMTP enabled for the mailbox",
    ),
    "icloud": Advice(
        "iCloud Mail",
        "app password",
        "password",
        "create an app-specific password at https://account.apple.com (Sign-In and "
        "Security, App-Specific Passwords); the login name is your iCloud address",
    ),
    "yahoo": Advice(
        "Yahoo Mail",
        "app password",
        "password",
        'turn on two-step verification, then use "Generate app password" on '
        "https://login.yahoo.com/account/security",
    ),
    "fastmail": Advice(
        "Fastmail",
        "app password",
        "password",
        "create an app password (Settings, Privacy & Security, App passwords) with "
        "access to IMAP and SMTP",
    ),
}

_DOMAINS: Final[Mapping[str, str]] = {
    "gmail.com": "gmail",
    "googlemail.com": "gmail",
    "outlook.com": "outlook",
    "hotmail.com": "outlook",
    "live.com": "outlook",
    "msn.com": "outlook",
    "icloud.com": "icloud",
    "me.com": "icloud",
    "mac.com": "icloud",
    "yahoo.com": "yahoo",
    "ymail.com": "yahoo",
    "rocketmail.com": "yahoo",
    "fastmail.com": "fastmail",
    "fastmail.fm": "fastmail",
}

APP_SPECIFIC_FIX: Final = (
    "the provider wants an app password here, not your normal password: create one "
    "(docs/providers.md says where) and store it with `iepd password set`"
)
IMAP_DISABLED_FIX: Final = (
    "IMAP is turned off for this mailbox: turn it on in the provider's settings (Gmail: "
    "Settings, See all settings, Forwarding and POP/IMAP, Enable IMAP; Microsoft 365: the "
    "administrator enables IMAP for the mailbox), then try again"
)
BASIC_AUTH_OFF_FIX: Final = (
    "the provider has turned password logins off for this account: set "
    'mail.auth = "xoauth2" and give mail.password.command a program that prints a fresh '
    "OAuth2 access token (docs/providers.md)"
)
SMTP_AUTH_OFF_FIX: Final = (
    "sending with a login (SMTP AUTH) is turned off for this mailbox: in Microsoft 365 the "
    "administrator must enable Authenticated SMTP for it"
)
WEB_LOGIN_FIX: Final = (
    "the provider blocked this sign-in until you confirm it: log in once in a web browser, "
    "then use an app password or OAuth2"
)

# (pattern over the server's words, the fix). First match wins; the patterns are the
# providers' own texts, matched without regard to case.
_REFUSALS: Final[tuple[tuple[re.Pattern[str], str], ...]] = tuple(
    (re.compile(pattern, re.IGNORECASE), fix)
    for pattern, fix in (
        (r"application-specific password required|5\.7\.9\b|InvalidSecondFactor", APP_SPECIFIC_FIX),
        (
            r"not enabled for IMAP|IMAP access is disabled|IMAP is disabled|"
            r"authenticated but not connected",
            IMAP_DISABLED_FIX,
        ),
        (r"SmtpClientAuthentication is disabled", SMTP_AUTH_OFF_FIX),
        (
            r"basic authentication is disabled|5\.7\.139|BasicAuthBlocked|"
            r"LogonDenied-BasicAuthBlocked",
            BASIC_AUTH_OFF_FIX,
        ),
        (r"log in via your web browser|WebLoginRequired", WEB_LOGIN_FIX),
    )
)


def guess_provider(address: str) -> str:
    """Given an email address, return the preset name its domain belongs to, or ""."""
    domain = address.rpartition("@")[2].lower()
    if domain.startswith("yahoo."):
        return "yahoo"
    return _DOMAINS.get(domain, "")


def explain_refusal(server_words: str) -> str | None:
    """Given what a mail server said when it refused a login or a command, return the known
    cause and its fix in one sentence, or None when the words are not a known case."""
    for pattern, fix in _REFUSALS:
        if pattern.search(server_words):
            return fix
    return None


def explain_login_refusal(server_words: str, host: str, auth: str) -> str | None:
    """Given a refused login's server words, the server's host and mail.auth, return the
    known cause and fix, or None. Microsoft answers a password login it no longer accepts
    with a bare "AUTHENTICATE failed", so its hosts are recognised by name."""
    known = explain_refusal(server_words)
    if known is not None or auth != "password":
        return known
    provider = _host_provider(host)
    if provider in ("outlook", "microsoft365"):
        return BASIC_AUTH_OFF_FIX
    if provider in ("gmail", "icloud", "yahoo", "fastmail"):
        return (
            f"{ADVICE[provider].label} refuses normal passwords from mail programs: "
            f"use an app password; {ADVICE[provider].steps}; then `iepd password set`"
        )
    return None


def _host_provider(host: str) -> str:
    host = host.lower().rstrip(".")
    for suffix, provider in _HOST_SUFFIXES:
        if host == suffix or host.endswith("." + suffix):
            return provider
    return ""


_HOST_SUFFIXES: Final = (
    ("office365.com", "microsoft365"),
    ("outlook.com", "outlook"),
    ("gmail.com", "gmail"),
    ("mail.me.com", "icloud"),
    ("yahoo.com", "yahoo"),
    ("fastmail.com", "fastmail"),
)


def decode_oauth2_error(challenge: bytes | str) -> dict[str, object] | None:
    """Given the challenge a server sends when it refuses an XOAUTH2 login (base64 JSON,
    or the JSON itself once a library has decoded it), return the decoded object, or
    None if it is neither."""
    raw = challenge.encode("ascii", "replace") if isinstance(challenge, str) else challenge
    raw = raw.strip()
    candidates = [raw]
    try:
        candidates.append(base64.b64decode(raw, validate=True))
    except (binascii.Error, ValueError):
        pass
    for candidate in candidates:
        try:
            decoded = json.loads(candidate.decode("utf-8"))
        except (UnicodeDecodeError, ValueError):
            continue
        if isinstance(decoded, dict):
            return decoded
    return None


def explain_oauth2_error(challenge: bytes | str | None) -> str:
    """Given the error challenge of a refused XOAUTH2 login (or None if the server sent
    none), return one sentence: what was refused and what to do."""
    error = decode_oauth2_error(challenge) if challenge else None
    status = str(error.get("status", "")) if error else ""
    scope = str(error.get("scope", "")) if error else ""
    fetch = (
        "fetch a new one: check that mail.password.command prints a fresh access token "
        "(not a refresh token) for mail.username, and run it by hand to see"
    )
    if status in ("401", "invalid_token"):
        return f"the access token was refused ({status}): it has expired or was revoked; {fetch}"
    if status in ("403", "insufficient_scope"):
        wanted = f" ({scope})" if scope else ""
        return (
            f"the access token was refused ({status}): it does not grant mail access; "
            f"request it with the mail scope{wanted}"
        )
    if status in ("400", "invalid_request"):
        return (
            f"the server could not use the OAuth2 login ({status}): check that mail.username "
            "is the account the token was issued for"
        )
    if status:
        return f"the OAuth2 login was refused ({status}); {fetch}"
    return f"the OAuth2 login was refused; {fetch}"


def explain_unreachable(kind: str, host: str, port: int, *, refused: bool, loopback: bool) -> str:
    """Given the server kind ("imap" or "smtp"), where iepd tried to connect, whether the
    connection was refused (else it timed out) and whether the host is this machine,
    return what happened and what to try."""
    what = "was refused" if refused else "timed out"
    if loopback:
        return (
            f"the connection to {host}:{port} {what} "
            "(is the server running, and is the port right?)"
        )
    if kind == "smtp":
        other = '465 with security = "tls"' if port != 465 else '587 with security = "starttls"'
        return (
            f"the connection to {host}:{port} {what}: the port may be blocked by your network "
            "(some home, school and hotel networks block mail ports); check mail.smtp.host, "
            f"or try 587/STARTTLS or 465/TLS (mail.smtp.port = {other})"
        )
    return (
        f"the connection to {host}:{port} {what}: check mail.imap.host and mail.imap.port "
        "(IMAP with TLS is port 993); the port may be blocked by your network"
    )


def explain_missing_sent_folder(folder: str, flagged: str | None) -> str:
    """Given a Sent folder the server does not have and the folder it flags \\Sent (or
    None), return what to set."""
    if flagged:
        return (
            f'the Sent folder "{folder}" (mail.imap.sent_folder) does not exist; the server '
            f'marks "{flagged}" as its Sent folder: set mail.imap.sent_folder = "{flagged}"'
        )
    return (
        f'the Sent folder "{folder}" (mail.imap.sent_folder) does not exist and the server '
        'marks no folder as Sent: set it to an existing folder, or "" to keep no copies'
    )
