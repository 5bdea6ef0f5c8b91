"""The words for a provider's refusals, OAuth2 errors and unreachable ports; the presets."""

from __future__ import annotations

import base64
import json

import pytest

from iepd.config.mail import PRESETS
from iepd.mail import providers

GMAIL_SMTP_534 = (
    "534 5.7.9 Application-specific password required. Learn more at\n"
    "5.7.9  https://support.google.com/mail/?p=InvalidSecondFactor"
)


@pytest.mark.parametrize(
    ("words", "fix"),
    [
        (GMAIL_SMTP_534, providers.APP_SPECIFIC_FIX),
        (
            "[ALERT] Application-specific password required: "
            "https://support.google.com/accounts/answer/185833 (Failure)",
            providers.APP_SPECIFIC_FIX,
        ),
        (
            "[ALERT] Your account is not enabled for IMAP use. Please visit your Gmail "
            "settings page and enable your account for IMAP access. (Failure)",
            providers.IMAP_DISABLED_FIX,
        ),
        ("[ALERT] IMAP access is disabled for your domain.", providers.IMAP_DISABLED_FIX),
        ("User is authenticated but not connected.", providers.IMAP_DISABLED_FIX),
        (
            "535 5.7.139 Authentication unsuccessful, basic authentication is disabled.",
            providers.BASIC_AUTH_OFF_FIX,
        ),
        (
            "535 5.7.139 Authentication unsuccessful, SmtpClientAuthentication is disabled "
            "for the Tenant.",
            providers.SMTP_AUTH_OFF_FIX,
        ),
        (
            "[ALERT] Please log in via your web browser: "
            "https://support.google.com/mail/accounts/answer/78754 (Failure)",
            providers.WEB_LOGIN_FIX,
        ),
        ("[AUTHENTICATIONFAILED] Authentication failed.", None),
        ("535 5.7.8 Authentication credentials invalid", None),
    ],
)
def test_explain_refusal_maps_each_providers_words_to_its_fix(words: str, fix: str | None) -> None:
    assert providers.explain_refusal(words) == fix


def test_explain_login_refusal_of_a_bare_failure_at_microsoft_says_passwords_are_off() -> None:
    words = "AUTHENTICATE failed."
    assert (
        providers.explain_login_refusal(words, "outlook.office365.com", "password")
        == providers.BASIC_AUTH_OFF_FIX
    )
    assert providers.explain_login_refusal(words, "outlook.office365.com", "xoauth2") is None
    assert providers.explain_login_refusal(words, "imap.family.example", "password") is None


def test_explain_login_refusal_at_gmail_names_the_app_password_page() -> None:
    words = "[AUTHENTICATIONFAILED] Invalid credentials (Failure)"
    text = providers.explain_login_refusal(words, "imap.gmail.com", "password")
    assert text is not None and "myaccount.google.com/apppasswords" in text


def encoded(error: dict[str, str]) -> str:
    return base64.b64encode(json.dumps(error).encode()).decode()


@pytest.mark.parametrize(
    ("challenge", "expected"),
    [
        (
            encoded({"status": "401", "schemes": "Bearer", "scope": "https://mail.google.com/"}),
            "the access token was refused (401): it has expired or was revoked; fetch a new one",
        ),
        (
            json.dumps({"status": "invalid_token", "schemes": "bearer"}).encode(),
            "the access token was refused (invalid_token)",
        ),
        (
            encoded({"status": "403", "scope": "https://mail.google.com/"}),
            "request it with the mail scope (https://mail.google.com/)",
        ),
        (encoded({"status": "400"}), "check that mail.username is the account"),
        (encoded({"status": "500"}), "the OAuth2 login was refused (500)"),
        ("not base64 and not json", "the OAuth2 login was refused; fetch a new one"),
        (None, "the OAuth2 login was refused; fetch a new one"),
    ],
)
def test_explain_oauth2_error_decodes_the_servers_json(
    challenge: str | bytes | None, expected: str
) -> None:
    assert expected in providers.explain_oauth2_error(challenge)


def test_explain_unreachable_suggests_the_other_submission_port_off_this_machine() -> None:
    text = providers.explain_unreachable(
        "smtp", "smtp.gmail.com", 465, refused=False, loopback=False
    )
    assert text.startswith("the connection to smtp.gmail.com:465 timed out")
    assert "the port may be blocked by your network" in text
    assert "try 587/STARTTLS or 465/TLS" in text
    assert 'mail.smtp.port = 587 with security = "starttls"' in text
    imap = providers.explain_unreachable(
        "imap", "imap.x.example", 143, refused=True, loopback=False
    )
    assert "was refused" in imap and "993" in imap
    local = providers.explain_unreachable("smtp", "127.0.0.1", 2525, refused=True, loopback=True)
    assert "is the server running" in local and "blocked" not in local


def test_explain_missing_sent_folder_names_the_flagged_one_or_says_there_is_none() -> None:
    assert 'set mail.imap.sent_folder = "Sent"' in providers.explain_missing_sent_folder(
        "Sent Items", "Sent"
    )
    assert "marks no folder as Sent" in providers.explain_missing_sent_folder("Sent Items", None)


@pytest.mark.parametrize(
    ("address", "provider"),
    [
        ("jordan@gmail.com", "gmail"),
        ("Jordan@Hotmail.com", "outlook"),
        ("jordan@me.com", "icloud"),
        ("jordan@yahoo.co.uk", "yahoo"),
        ("jordan@fastmail.fm", "fastmail"),
        ("jordan@family.example", ""),
    ],
)
def test_guess_provider_from_the_address_domain(address: str, provider: str) -> None:
    assert providers.guess_provider(address) == provider


def test_every_preset_has_advice_and_the_published_settings() -> None:
    assert set(PRESETS) == set(providers.PROVIDERS) == set(providers.ADVICE)
    expected = {
        "gmail": ("imap.gmail.com", "smtp.gmail.com", 465, "tls"),
        "outlook": ("outlook.office365.com", "smtp-mail.outlook.com", 587, "starttls"),
        "microsoft365": ("outlook.office365.com", "smtp.office365.com", 587, "starttls"),
        "icloud": ("imap.mail.me.com", "smtp.mail.me.com", 587, "starttls"),
        "yahoo": ("imap.mail.yahoo.com", "smtp.mail.yahoo.com", 465, "tls"),
        "fastmail": ("imap.fastmail.com", "smtp.fastmail.com", 465, "tls"),
    }
    for name, (imap_host, smtp_host, smtp_port, security) in expected.items():
        preset = PRESETS[name]
        assert preset.server("imap") == (imap_host, 993, "tls")
        assert preset.server("smtp") == (smtp_host, smtp_port, security)
    assert {name for name, preset in PRESETS.items() if preset.files_sent} == {
        "gmail",
        "outlook",
        "microsoft365",
    }
    assert providers.ADVICE["microsoft365"].auth == "xoauth2"
