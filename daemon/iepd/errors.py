"""The exceptions iepd raises on purpose; each carries a message a person can act on."""

from __future__ import annotations

EX_CONFIG = 78  # sysexits.h: configuration error; systemd's RestartPreventExitStatus names it
EX_UNAVAILABLE = 69
EX_TEMPFAIL = 75
EX_SOFTWARE = 70


class IepdError(Exception):
    """An error shown to the user as one message, without a traceback."""

    exit_code = 1


class ConfigError(IepdError):
    """The configuration cannot be used. ``problems`` holds one line per problem."""

    exit_code = EX_CONFIG

    def __init__(self, path: str, problems: list[str]) -> None:
        self.path = path
        self.problems = list(problems)
        lines = "\n".join(f"  - {problem}" for problem in self.problems)
        super().__init__(f"invalid config {path}:\n{lines}")


class CredentialError(IepdError):
    """The mail password could not be obtained."""

    exit_code = EX_CONFIG


class TemplateError(IepdError):
    """A letter or reminder template failed to render."""

    exit_code = EX_CONFIG


class MailServerError(IepdError):
    """A mail server could not be reached or refused us (login, TLS)."""

    exit_code = EX_UNAVAILABLE


class TransientSendError(MailServerError):
    """A 4xx reply or a lost connection before the end of DATA: safe to retry."""

    exit_code = EX_TEMPFAIL


class PermanentSendError(MailServerError):
    """A 5xx reply: the message will never be accepted as it is."""


class UncertainSendError(MailServerError):
    """The connection was lost after the end of DATA was sent: the outcome is unknown."""


class MissingExtraError(IepdError):
    """An optional part of iepd (an extra, such as ``pdf``) is not installed."""

    exit_code = EX_UNAVAILABLE


class StoreError(IepdError):
    """The state database is unusable (corrupt, newer schema, tampered)."""

    exit_code = EX_SOFTWARE
