"""The mail password from the keyring, a systemd credential or a command, and its masking."""

from __future__ import annotations

import logging
import pickle
from collections.abc import Iterator
from pathlib import Path
from typing import ClassVar

import keyring
import keyring.backend
import keyring.backends.chainer
import keyring.backends.fail
import keyring.backends.null
import keyring.errors
import pytest

from iepd.config.model import ImapSettings, MailSettings, PasswordSource, SmtpSettings
from iepd.errors import CredentialError
from iepd.mail.credentials import Secret, get_secret, store_password

USER = "jordan@family.example"
PASSWORD = "correct horse battery staple"


class _NotViable:
    """A priority that makes keyring never pick the class on its own, so that defining a
    test backend cannot change which keyring another test in this process gets."""

    def __get__(self, instance: object, owner: type) -> float:
        raise RuntimeError("a test-only keyring backend")


class MemoryKeyring(keyring.backend.KeyringBackend):
    """A real keyring backend that keeps passwords in a dict."""

    priority = _NotViable()

    def __init__(self) -> None:
        super().__init__()
        self.passwords: dict[tuple[str, str], str] = {}

    def get_password(self, service: str, username: str) -> str | None:
        return self.passwords.get((service, username))

    def set_password(self, service: str, username: str, password: str) -> None:
        self.passwords[(service, username)] = password

    def delete_password(self, service: str, username: str) -> None:
        self.passwords.pop((service, username), None)


class LockedKeyring(MemoryKeyring):
    def get_password(self, service: str, username: str) -> str | None:
        raise keyring.errors.KeyringLocked("the collection is locked")


class PlaintextKeyring(MemoryKeyring):
    """Stands in for keyrings.alt.file.PlaintextKeyring (not installed here, and it must
    not be: keyring would then pick it for every other test)."""


PlaintextKeyring.__module__ = "keyrings.alt.file"


def chain_of(*members: keyring.backend.KeyringBackend) -> keyring.backends.chainer.ChainerBackend:
    class Chain(keyring.backends.chainer.ChainerBackend):
        priority = _NotViable()
        backends: ClassVar[list[keyring.backend.KeyringBackend]] = list(members)

    return Chain()


@pytest.fixture(autouse=True)
def restore_keyring() -> Iterator[None]:
    previous = keyring.get_keyring()
    yield
    keyring.set_keyring(previous)


@pytest.fixture
def memory_keyring() -> MemoryKeyring:
    backend = MemoryKeyring()
    keyring.set_keyring(backend)
    return backend


def mail_settings(
    source: str, *, name: str = "iepd-mail-password", command: tuple[str, ...] = ()
) -> MailSettings:
    return MailSettings(
        username=USER,
        password=PasswordSource(source=source, name=name, command=command),
        imap=ImapSettings(host="imap.family.example", port=993, security="tls"),
        smtp=SmtpSettings(host="smtp.family.example", port=465, security="tls"),
    )


# Secret


def test_secret_repr_str_and_format_are_masked() -> None:
    secret = Secret(PASSWORD)
    for shown in (repr(secret), str(secret), f"{secret}", repr([secret])):
        assert PASSWORD not in shown
        assert "Secret('********')" in shown


def test_secret_reveal_returns_the_value() -> None:
    assert Secret(PASSWORD).reveal() == PASSWORD


def test_secret_cannot_be_pickled() -> None:
    with pytest.raises(TypeError):
        pickle.dumps(Secret(PASSWORD))


# keyring


def test_keyring_returns_the_stored_password(memory_keyring: MemoryKeyring) -> None:
    memory_keyring.set_password("iepd", USER, PASSWORD)
    assert get_secret(mail_settings("keyring"), {}).reveal() == PASSWORD


def test_keyring_without_a_password_says_to_run_password_set(
    memory_keyring: MemoryKeyring,
) -> None:
    with pytest.raises(CredentialError) as caught:
        get_secret(mail_settings("keyring"), {})
    assert str(caught.value) == (
        f'no password in the keyring for service "iepd", user "{USER}"; run: iepd password set'
    )


def test_keyring_looks_the_password_up_under_service_iepd_and_the_mail_username(
    memory_keyring: MemoryKeyring,
) -> None:
    memory_keyring.set_password("other-service", USER, "wrong")
    memory_keyring.set_password("iepd", "someone@else.example", "wrong")
    with pytest.raises(CredentialError, match="no password in the keyring"):
        get_secret(mail_settings("keyring"), {})


@pytest.mark.parametrize(
    "backend",
    [keyring.backends.fail.Keyring(), keyring.backends.null.Keyring(), PlaintextKeyring()],
    ids=["fail", "null", "keyrings.alt plaintext"],
)
def test_keyring_refuses_backends_that_cannot_keep_a_secret(
    backend: keyring.backend.KeyringBackend,
) -> None:
    keyring.set_keyring(backend)
    with pytest.raises(CredentialError) as caught:
        get_secret(mail_settings("keyring"), {})
    message = str(caught.value)
    assert "systemd credential" in message
    assert 'mail.password.source = "command"' in message
    assert "LoadCredential" in message


def test_keyring_refuses_the_plaintext_backend_even_when_it_holds_the_password() -> None:
    backend = PlaintextKeyring()
    backend.set_password("iepd", USER, PASSWORD)
    keyring.set_keyring(backend)
    with pytest.raises(CredentialError, match="base64"):
        get_secret(mail_settings("keyring"), {})


def test_keyring_refuses_a_chainer_whose_members_are_all_refused() -> None:
    plaintext = PlaintextKeyring()
    plaintext.set_password("iepd", USER, PASSWORD)
    keyring.set_keyring(chain_of(plaintext, keyring.backends.null.Keyring()))
    with pytest.raises(CredentialError, match="systemd credential"):
        get_secret(mail_settings("keyring"), {})


def test_keyring_chainer_uses_only_its_safe_members() -> None:
    plaintext = PlaintextKeyring()
    plaintext.set_password("iepd", USER, "from the plaintext file")
    safe = MemoryKeyring()
    safe.set_password("iepd", USER, PASSWORD)
    keyring.set_keyring(chain_of(plaintext, safe))
    assert get_secret(mail_settings("keyring"), {}).reveal() == PASSWORD


def test_keyring_that_is_locked_says_so() -> None:
    keyring.set_keyring(LockedKeyring())
    with pytest.raises(CredentialError, match="locked"):
        get_secret(mail_settings("keyring"), {})


def test_store_password_then_get_secret_round_trips(memory_keyring: MemoryKeyring) -> None:
    store_password(USER, PASSWORD)
    assert memory_keyring.passwords == {("iepd", USER): PASSWORD}
    assert get_secret(mail_settings("keyring"), {}).reveal() == PASSWORD


@pytest.mark.parametrize(
    "backend",
    [keyring.backends.fail.Keyring(), keyring.backends.null.Keyring(), PlaintextKeyring()],
    ids=["fail", "null", "keyrings.alt plaintext"],
)
def test_store_password_refuses_backends_that_cannot_keep_a_secret(
    backend: keyring.backend.KeyringBackend,
) -> None:
    keyring.set_keyring(backend)
    with pytest.raises(CredentialError, match="systemd credential"):
        store_password(USER, PASSWORD)
    if isinstance(backend, PlaintextKeyring):
        assert backend.passwords == {}


def test_store_password_refuses_an_empty_password(memory_keyring: MemoryKeyring) -> None:
    with pytest.raises(CredentialError, match="empty"):
        store_password(USER, "")
    assert memory_keyring.passwords == {}


def test_the_secret_never_reaches_the_log(
    memory_keyring: MemoryKeyring, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    store_password(USER, PASSWORD)
    get_secret(mail_settings("keyring"), {})
    assert caplog.records, "expected the source to be logged"
    assert PASSWORD not in caplog.text


# systemd credential


def test_credential_reads_the_file_and_strips_one_trailing_newline(tmp_path: Path) -> None:
    (tmp_path / "iepd-mail-password").write_text(PASSWORD + "\n")
    secret = get_secret(mail_settings("credential"), {"CREDENTIALS_DIRECTORY": str(tmp_path)})
    assert secret.reveal() == PASSWORD


def test_credential_without_a_trailing_newline_is_taken_as_is(tmp_path: Path) -> None:
    (tmp_path / "mail").write_text(" spaced  ")
    secret = get_secret(
        mail_settings("credential", name="mail"), {"CREDENTIALS_DIRECTORY": str(tmp_path)}
    )
    assert secret.reveal() == " spaced  "


def test_credential_without_credentials_directory_explains_load_credential() -> None:
    with pytest.raises(CredentialError) as caught:
        get_secret(mail_settings("credential"), {})
    assert "$CREDENTIALS_DIRECTORY" in str(caught.value)
    assert "LoadCredential=iepd-mail-password:" in str(caught.value)


def test_credential_with_a_missing_file_names_the_path(tmp_path: Path) -> None:
    with pytest.raises(CredentialError) as caught:
        get_secret(mail_settings("credential"), {"CREDENTIALS_DIRECTORY": str(tmp_path)})
    assert str(tmp_path / "iepd-mail-password") in str(caught.value)
    assert "mail.password.name" in str(caught.value)


def test_credential_that_is_empty_is_an_error(tmp_path: Path) -> None:
    (tmp_path / "iepd-mail-password").write_text("\n")
    with pytest.raises(CredentialError, match="empty"):
        get_secret(mail_settings("credential"), {"CREDENTIALS_DIRECTORY": str(tmp_path)})


def test_credential_of_several_lines_is_an_error_that_does_not_show_them(
    tmp_path: Path,
) -> None:
    (tmp_path / "iepd-mail-password").write_text("first-line\nsecond-line\n")
    with pytest.raises(CredentialError) as caught:
        get_secret(mail_settings("credential"), {"CREDENTIALS_DIRECTORY": str(tmp_path)})
    assert "more than one line" in str(caught.value)
    assert "first-line" not in str(caught.value)


def test_credential_name_cannot_leave_the_credentials_directory(tmp_path: Path) -> None:
    with pytest.raises(CredentialError, match="file name"):
        get_secret(
            mail_settings("credential", name="../etc/passwd"),
            {"CREDENTIALS_DIRECTORY": str(tmp_path)},
        )


# command


def test_command_output_is_the_password() -> None:
    secret = get_secret(mail_settings("command", command=("printf", "s3cret")), {})
    assert secret.reveal() == "s3cret"


def test_command_output_loses_its_trailing_newline() -> None:
    secret = get_secret(mail_settings("command", command=("printf", "s3cret\\n")), {})
    assert secret.reveal() == "s3cret"


def test_command_output_first_line_is_the_password_as_pass_prints_it() -> None:
    command = ("printf", "s3cret\\nlogin: jordan\\nurl: mail.example\\n")
    assert get_secret(mail_settings("command", command=command), {}).reveal() == "s3cret"


def test_command_runs_without_a_shell_and_with_the_given_environment() -> None:
    command = ("printf", "%s", "$HOME;$(id)")
    assert get_secret(mail_settings("command", command=command), {}).reveal() == "$HOME;$(id)"
    from_environment = ("sh", "-c", 'printf %s "$IEPD_TEST_SECRET"')
    secret = get_secret(
        mail_settings("command", command=from_environment), {"IEPD_TEST_SECRET": "from-env"}
    )
    assert secret.reveal() == "from-env"


def test_command_that_fails_gives_its_status_but_never_its_output() -> None:
    command = ("sh", "-c", "echo leaked-out; echo leaked-err >&2; exit 3")
    with pytest.raises(CredentialError) as caught:
        get_secret(mail_settings("command", command=command), {})
    message = str(caught.value)
    assert "exit status 3" in message
    assert "leaked" not in message
    assert caught.value.__cause__ is None


def test_command_with_empty_output_is_an_error() -> None:
    with pytest.raises(CredentialError, match="no password"):
        get_secret(mail_settings("command", command=("true",)), {})


def test_command_that_does_not_exist_is_named() -> None:
    with pytest.raises(CredentialError, match=r"iepd-no-such-program.*not found"):
        get_secret(mail_settings("command", command=("iepd-no-such-program",)), {})


def test_command_that_hangs_is_stopped_with_a_hint() -> None:
    with pytest.raises(CredentialError, match="did not finish within"):
        get_secret(mail_settings("command", command=("sleep", "30")), {}, timeout=0.2)


def test_command_missing_is_an_error() -> None:
    with pytest.raises(CredentialError, match=r"mail\.password\.command"):
        get_secret(mail_settings("command", command=()), {})


def test_unknown_source_is_an_error() -> None:
    with pytest.raises(CredentialError, match='got "vault"'):
        get_secret(mail_settings("vault"), {})
