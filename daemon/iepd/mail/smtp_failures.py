"""What a failed SMTP submission means for the letter, in words: try again later
(TransientSendError), never as it is (PermanentSendError), unknown whether it arrived
(UncertainSendError), or fix the configuration (MailServerError).

No SMTP library here: ``outbox`` hands in the reply codes and the exceptions it caught,
and raises what these functions return.
"""

from __future__ import annotations

from dataclasses import dataclass

from iepd.config.model import SmtpSettings
from iepd.config.values import is_loopback
from iepd.errors import (
    MailServerError,
    PermanentSendError,
    TransientSendError,
    UncertainSendError,
)
from iepd.letters.words import SMTP_FAILURES
from iepd.mail import providers


@dataclass(frozen=True)
class SmtpReply:
    code: int
    message: str

    def __str__(self) -> str:
        return f"{self.code} {self.message}"


def is_reply_code(code: int) -> bool:
    """Given a code, return True if it is a failure reply (4xx or 5xx)."""
    return 400 <= code <= 599


def is_transient_code(code: int) -> bool:
    """Given a reply code, return True if it is a temporary failure (4xx)."""
    return 400 <= code <= 499


def refusal_error(where: str, what: str, code: int, message: str) -> MailServerError:
    """Given the server, what it refused and its reply, return the error to raise."""
    reply = f"{code} {message}".strip()
    if is_transient_code(code):
        return TransientSendError(
            f"{where} turned down {what} for now (temporary failure, it answered {reply}); "
            "iepd will try again"
        )
    if is_reply_code(code):
        # the sentence a send_failed reminder shows: its words are in letters/words.py, so
        # that a Spanish reminder can say it in Spanish
        sentence = SMTP_FAILURES["en"]["refused"]
        return PermanentSendError(sentence.format(where=where, what=what, reply=reply))
    return TransientSendError(f"{where} gave an answer iepd cannot read ({reply})")


def all_refused_error(where: str, refused: dict[str, SmtpReply]) -> MailServerError:
    """Given the server's reply to each recipient, all refused, return the error to raise:
    transient if any refusal was."""
    replies = "; ".join(f"<{address}>: {reply}" for address, reply in refused.items())
    if any(is_transient_code(reply.code) for reply in refused.values()):
        return TransientSendError(
            f"{where} turned down every recipient, at least one only for now ({replies}); "
            "iepd will try again"
        )
    sentence = SMTP_FAILURES["en"]["refused_all"]
    return PermanentSendError(sentence.format(where=where, reply=replies))


def lost_before_data(where: str, what_happened: str) -> TransientSendError:
    """Given what broke the connection (``describe``) before DATA, return the error to
    raise: nothing can have been delivered, so a retry is safe."""
    return TransientSendError(
        f"{where}: {what_happened} before the message was sent; iepd will try again"
    )


def uncertain(where: str, what_happened: str) -> UncertainSendError:
    """Given what broke the connection (``describe``) during DATA, return the error to
    raise: the server may have taken the message."""
    return UncertainSendError(
        f"{where}: {what_happened} while the message was being handed over; the server "
        "may or may not have accepted it"
    )


def unreachable_words(smtp: SmtpSettings, exc: BaseException) -> str | None:
    """Return why the server could not be reached (refused, timed out), or None."""
    causes = _causes(exc)
    refused = any(isinstance(cause, ConnectionRefusedError) for cause in causes)
    timed_out = any(isinstance(cause, TimeoutError) for cause in causes)
    if not refused and not timed_out:
        return None
    return providers.explain_unreachable(
        "smtp", smtp.host, smtp.port, refused=refused, loopback=is_loopback(smtp.host)
    )


def describe(exc: BaseException, *, closed_by_server: bool) -> str:
    """Given a failed connection's exception, and whether the SMTP library says the server
    closed it, return what happened in a few words."""
    causes = _causes(exc)
    if any(isinstance(cause, TimeoutError) for cause in causes):
        return f"the server stopped answering ({exc})"
    if any(isinstance(cause, ConnectionRefusedError) for cause in causes):
        return "the connection was refused (is the server running, and is the port right?)"
    if any(isinstance(cause, ConnectionResetError) for cause in causes):
        return "the server reset the connection"
    if closed_by_server:
        return f"the server closed the connection ({exc})"
    return f"the connection failed ({type(exc).__name__}: {exc})"


def _causes(exc: BaseException) -> list[BaseException]:
    chain: list[BaseException] = []
    current: BaseException | None = exc
    while current is not None and current not in chain and len(chain) < 8:
        chain.append(current)
        current = current.__cause__ or current.__context__
    return chain
