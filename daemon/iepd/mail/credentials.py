"""The mail password (or OAuth2 access token): from the keyring, a systemd credential,
or a command. The only module that imports ``keyring``.

The secret travels as a :class:`Secret` so that a stray ``repr``, f-string or log line
shows ``********`` instead of the password. Nothing here logs, stores or puts the secret
(or a command's output) into an error message.
"""

from __future__ import annotations

import logging
import subprocess
import threading
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import Final

import keyring
import keyring.backend
import keyring.backends.chainer
import keyring.errors

from iepd.config.model import MailSettings
from iepd.errors import CredentialError

logger = logging.getLogger(__name__)

KEYRING_SERVICE: Final = "iepd"
COMMAND_TIMEOUT: Final = 30.0

# Backends that either cannot keep a secret or do not keep it at all. Matched by
# module and class name so that keyrings.alt need not be installed to be refused.
_REFUSED_BACKENDS: Final[Mapping[tuple[str, str], str]] = {
    ("keyring.backends.fail", "Keyring"): (
        "no usable keyring was found (no Secret Service or KWallet on a D-Bus session)"
    ),
    ("keyring.backends.null", "Keyring"): "the null keyring stores nothing",
    ("keyrings.alt.file", "PlaintextKeyring"): (
        "keyrings.alt's PlaintextKeyring keeps passwords in a file, only base64-encoded"
    ),
}

_WHAT_TO_DO_INSTEAD: Final = (
    "on a server, give iepd the password as a systemd credential "
    '(mail.password.source = "credential" with LoadCredentialEncrypted= or LoadCredential= '
    'in the unit) or through a password manager (mail.password.source = "command")'
)


class Secret:
    """A password or token that does not show itself in ``repr``, ``str`` or logs."""

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        self._value = value

    def reveal(self) -> str:
        """Return the secret itself, for the one call that must send it."""
        return self._value

    def __repr__(self) -> str:
        return "Secret('********')"

    __str__ = __repr__

    def __reduce__(self) -> str | tuple[object, ...]:
        # Pickling would write the secret somewhere (a cache, a queue, a crash dump).
        raise TypeError("a Secret cannot be pickled")


class FreshSecret(Secret):
    """An OAuth2 access token, fetched again from its source for every new connection.

    A token expires (Microsoft's and Google's after about an hour), so the one read at
    start-up cannot serve a daemon that runs for weeks. ``reveal()`` is called once per
    login (IMAP and SMTP alike), so asking the source there gives each connection a fresh
    token without any caller having to know; the first reveal uses the value read when
    the secret was made, which also proved the source works. ``reveal()`` may therefore
    run a program: call it off the event loop, and expect CredentialError from it.
    """

    __slots__ = ("_fetch", "_fresh", "_lock")

    def __init__(self, first: Secret, fetch: Callable[[], Secret]) -> None:
        super().__init__(first.reveal())
        self._fetch = fetch
        self._lock = threading.Lock()
        self._fresh = True

    def reveal(self) -> str:
        with self._lock:
            if self._fresh:
                self._fresh = False
                return self._value
        # Outside the lock: the watcher thread and a send may each fetch their own.
        return self._fetch().reveal()


def get_secret(
    mail: MailSettings, environ: Mapping[str, str], *, timeout: float = COMMAND_TIMEOUT
) -> Secret:
    """Given the mail settings and the process environment, return the mail password
    from the configured source (keyring, systemd credential or command); with
    ``mail.auth = "xoauth2"`` a FreshSecret, which asks the source again per connection.

    Raise CredentialError, with what to do about it, if it cannot be had.
    """
    secret = _read_secret(mail, environ, timeout)
    if mail.auth == "xoauth2":
        return FreshSecret(secret, lambda: _read_secret(mail, environ, timeout))
    return secret


def _read_secret(mail: MailSettings, environ: Mapping[str, str], timeout: float) -> Secret:
    source = mail.password.source
    if source == "keyring":
        secret = _from_keyring(mail.username)
    elif source == "credential":
        secret = _from_credential(mail.password.name, environ)
    elif source == "command":
        secret = _from_command(mail.password.command, environ, timeout)
    else:
        raise CredentialError(
            f'mail.password.source: expected "keyring", "credential" or "command", got "{source}"'
        )
    logger.debug("mail password for %s read from its %s", mail.username, source)
    return secret


def store_password(username: str, password: str) -> None:
    """Given the mail username and its password, store the password in the keyring
    (service "iepd"), as ``iepd password set`` does.

    Raise CredentialError if the keyring would not keep it safe or refuses it.
    """
    if not password:
        raise CredentialError("the password is empty: nothing was stored")
    backends = _usable_backends()
    for backend in backends:
        try:
            backend.set_password(KEYRING_SERVICE, username, password)
        except NotImplementedError:
            continue
        except Exception as exc:
            raise CredentialError(
                f"the keyring ({_backend_name(backend)}) refused to store the password "
                f'for service "{KEYRING_SERVICE}", user "{username}": '
                f"{_scrub(str(exc), password) or type(exc).__name__}"
            ) from None
        logger.info(
            'password stored in the keyring (%s) for service "%s", user "%s"',
            _backend_name(backend),
            KEYRING_SERVICE,
            username,
        )
        return
    raise CredentialError(f"no keyring backend here can store passwords; {_WHAT_TO_DO_INSTEAD}")


def _from_keyring(username: str) -> Secret:
    for backend in _usable_backends():
        try:
            password = backend.get_password(KEYRING_SERVICE, username)
        except keyring.errors.KeyringLocked:
            raise CredentialError(
                f"the keyring ({_backend_name(backend)}) is locked: unlock it (log in to "
                f"the desktop session) or use another password source; {_WHAT_TO_DO_INSTEAD}"
            ) from None
        except Exception as exc:
            raise CredentialError(
                f"the keyring ({_backend_name(backend)}) could not be read: "
                f"{type(exc).__name__}: {exc}"
            ) from None
        if password:
            return Secret(password)
    raise CredentialError(
        f'no password in the keyring for service "{KEYRING_SERVICE}", user "{username}"; '
        "run: iepd password set"
    )


def _usable_backends() -> list[keyring.backend.KeyringBackend]:
    """Return the keyring backends fit to hold a password, best first.

    A chainer is unpacked so that a plaintext member can never be the one that answers.
    Raise CredentialError if none is fit.
    """
    current = keyring.get_keyring()
    if isinstance(current, keyring.backends.chainer.ChainerBackend):
        members: list[keyring.backend.KeyringBackend] = list(current.backends)
    else:
        members = [current]
    usable = [member for member in members if _refusal(member) is None]
    if usable:
        return usable
    reasons = sorted({_refusal(member) or "" for member in members}) or [
        "no keyring backend is installed"
    ]
    raise CredentialError(
        f"the keyring cannot be used ({_backend_name(current)}: {'; '.join(reasons)}); "
        f"{_WHAT_TO_DO_INSTEAD}"
    )


def _refusal(backend: keyring.backend.KeyringBackend) -> str | None:
    """Return why backend must not hold the mail password, or None if it may."""
    for cls in type(backend).__mro__:
        reason = _REFUSED_BACKENDS.get((cls.__module__, cls.__name__))
        if reason is not None:
            return reason
        if cls.__module__.startswith("keyrings.alt") and (
            "plaintext" in cls.__name__.lower() or "base64" in cls.__name__.lower()
        ):
            return f"{cls.__module__}.{cls.__name__} does not encrypt passwords"
    return None


def _backend_name(backend: keyring.backend.KeyringBackend) -> str:
    return f"{type(backend).__module__}.{type(backend).__name__}"


def _from_credential(name: str, environ: Mapping[str, str]) -> Secret:
    directory = environ.get("CREDENTIALS_DIRECTORY", "")
    if not directory:
        raise CredentialError(
            'mail.password.source = "credential" needs $CREDENTIALS_DIRECTORY, which '
            "systemd sets only for a unit with LoadCredential= or LoadCredentialEncrypted=; "
            f"it is not set here: add LoadCredential={name}:/path/to/password-file to the "
            'unit, or use mail.password.source = "keyring" or "command" outside systemd'
        )
    if not name or "/" in name or name in (".", ".."):
        raise CredentialError(f'mail.password.name: expected a file name, got "{name}"')
    path = Path(directory) / name
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise CredentialError(
            f"no systemd credential {path}: the unit must pass it with "
            f"LoadCredential={name}:... or LoadCredentialEncrypted={name}:... "
            "(the name must match mail.password.name)"
        ) from None
    except OSError as exc:
        raise CredentialError(
            f"the systemd credential {path} cannot be read: {exc.strerror or exc}"
        ) from None
    text = _decode(data, f"the systemd credential {path}")
    text = _strip_one_newline(text)
    if not text:
        raise CredentialError(f"the systemd credential {path} is empty")
    if "\n" in text or "\r" in text:
        raise CredentialError(
            f"the systemd credential {path} holds more than one line; "
            "it must hold only the password"
        )
    return Secret(text)


def _from_command(command: Iterable[str], environ: Mapping[str, str], timeout: float) -> Secret:
    argv = list(command)
    if not argv:
        raise CredentialError(
            'mail.password.command: required when mail.password.source = "command"'
        )
    # Only the program's name goes into messages: later arguments may be sensitive.
    program = argv[0]
    try:
        completed = subprocess.run(
            argv,
            stdin=subprocess.DEVNULL,
            capture_output=True,
            timeout=timeout,
            env=dict(environ),
            check=False,
        )
    except FileNotFoundError:
        raise CredentialError(
            f'mail.password.command: the program "{program}" was not found'
        ) from None
    except PermissionError:
        raise CredentialError(
            f'mail.password.command: the program "{program}" cannot be run (permission denied)'
        ) from None
    except subprocess.TimeoutExpired:
        raise CredentialError(
            f'mail.password.command: "{program}" did not finish within {timeout:g} seconds '
            "(is it waiting for a passphrase? iepd cannot answer prompts)"
        ) from None
    except OSError as exc:
        raise CredentialError(
            f'mail.password.command: "{program}" could not be started: {exc.strerror or exc}'
        ) from None
    if completed.returncode != 0:
        # Its output is never shown: a failing password manager may still print secrets.
        raise CredentialError(
            f'mail.password.command: "{program}" failed with exit status '
            f"{completed.returncode} (its output is not shown); run it by hand to see why"
        )
    text = _decode(completed.stdout, f'the output of "{program}"')
    # Password managers such as pass print the password on the first line and may
    # add notes after it, as msmtp's passwordeval and mbsync's PassCmd expect.
    first_line = _strip_one_newline(text).split("\n", 1)[0].rstrip("\r")
    if not first_line:
        raise CredentialError(
            f'mail.password.command: "{program}" printed no password on its first line'
        )
    return Secret(first_line)


def _decode(data: bytes, what: str) -> str:
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        raise CredentialError(f"{what} is not UTF-8 text") from None


def _strip_one_newline(text: str) -> str:
    if text.endswith("\r\n"):
        return text[:-2]
    if text.endswith("\n"):
        return text[:-1]
    return text


def _scrub(text: str, secret: str) -> str:
    return text.replace(secret, "********") if secret else text
