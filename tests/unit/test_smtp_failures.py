"""Which error a failed SMTP submission becomes, and its words: retry, never, or unknown."""

from __future__ import annotations

import pytest

from iepd.errors import PermanentSendError, TransientSendError, UncertainSendError
from iepd.mail.smtp_failures import (
    SmtpReply,
    all_refused_error,
    describe,
    lost_before_data,
    refusal_error,
    uncertain,
)

WHERE = "SMTP smtp.example.org:587"


def chained(outer: BaseException, inner: BaseException) -> BaseException:
    """Return outer raised from inner, as a library raising its own error would leave it."""
    try:
        try:
            raise inner
        except BaseException as cause:
            raise outer from cause
    except BaseException as raised:
        return raised
    raise AssertionError("unreachable")


@pytest.mark.parametrize(
    ("code", "kind", "words"),
    [
        (421, TransientSendError, "turned down the message for now"),
        (452, TransientSendError, "temporary failure, it answered 452 busy"),
        (550, PermanentSendError, "refused the message for good"),
        (554, PermanentSendError, "permanent failure, it answered 554 busy"),
        (-1, TransientSendError, "gave an answer iepd cannot read (-1 busy)"),
        (250, TransientSendError, "gave an answer iepd cannot read"),
    ],
)
def test_refusal_error_by_reply_code(code: int, kind: type[Exception], words: str) -> None:
    error = refusal_error(WHERE, "the message", code, "busy")
    assert type(error) is kind
    assert words in str(error)


def test_all_refused_error_is_transient_when_one_refusal_is() -> None:
    error = all_refused_error(
        WHERE, {"a@x.org": SmtpReply(550, "no such user"), "b@x.org": SmtpReply(451, "later")}
    )
    assert isinstance(error, TransientSendError)
    assert "<a@x.org>: 550 no such user; <b@x.org>: 451 later" in str(error)


def test_all_refused_error_is_permanent_when_every_refusal_is() -> None:
    error = all_refused_error(WHERE, {"a@x.org": SmtpReply(550, "no such user")})
    assert isinstance(error, PermanentSendError)


@pytest.mark.parametrize(
    ("exc", "closed", "words"),
    [
        (chained(OSError("lost"), TimeoutError()), False, "the server stopped answering (lost)"),
        (chained(OSError("x"), ConnectionRefusedError()), False, "the connection was refused"),
        (ConnectionResetError(), True, "the server reset the connection"),
        (OSError("gone"), True, "the server closed the connection (gone)"),
        (BrokenPipeError("pipe"), False, "the connection failed (BrokenPipeError: pipe)"),
    ],
)
def test_describe_reads_the_cause_chain(exc: BaseException, closed: bool, words: str) -> None:
    assert describe(exc, closed_by_server=closed).startswith(words)


def test_lost_before_data_may_be_retried_and_uncertain_may_not() -> None:
    before = lost_before_data(WHERE, "the server reset the connection")
    during = uncertain(WHERE, "the server reset the connection")
    assert isinstance(before, TransientSendError)
    assert str(before).endswith("before the message was sent; iepd will try again")
    assert isinstance(during, UncertainSendError)
    assert "may or may not have accepted it" in str(during)
