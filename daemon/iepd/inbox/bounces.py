"""Delivery failures reported by mail systems: the only module that imports flufl.bounce."""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from email import message_from_bytes, policy
from email.message import Message

from flufl.bounce import all_failures

logger = logging.getLogger(__name__)

# flufl.bounce logs every detector it runs at INFO, and a traceback at ERROR whenever one of its
# heuristic detectors trips over a malformed message. We catch those and flag the message
# ourselves (one line, below), so its own records would only flood the journal.
logging.getLogger("flufl.bounce").setLevel(logging.CRITICAL)

_EIGHT_BIT = re.compile(rb"[\x80-\xff]")
# The heuristic detectors read every line with dozens of patterns (about 2 s per MB). What they
# look for (the report, the notice) comes first; what comes last is the returned original.
SCAN_LIMIT = 64 * 1024


@dataclass(frozen=True)
class Failures:
    """Recipients a bounce reports: ``permanent`` failed for good, ``temporary`` were delayed."""

    permanent: tuple[str, ...] = ()
    temporary: tuple[str, ...] = ()
    error: str | None = None  # why the detectors could not run to the end


def find_failures(message: Message, raw: bytes | None = None) -> Failures:
    """Given a parsed message (compat32 policy) and optionally its raw bytes, return the
    recipients the bounce detectors report, lower-cased and sorted. Never raises: when the
    detectors fail, they are tried once more on the raw bytes with 8-bit bytes masked (their
    usual stumbling block), and ``error`` names what went wrong if that fails too. Only the
    first SCAN_LIMIT bytes of a longer message are read, so that a huge one cannot stall us."""
    if raw is not None and len(raw) > SCAN_LIMIT:
        raw = raw[:SCAN_LIMIT]
        message = message_from_bytes(raw, policy=policy.compat32)
    try:
        return _scan(message)
    except Exception as error:  # the heuristic detectors were not written for hostile input
        first = error
    if raw is not None:
        try:
            masked = message_from_bytes(_EIGHT_BIT.sub(b"?", raw), policy=policy.compat32)
            return _scan(masked)
        except Exception as error:
            first = error
    logger.warning("bounce detectors failed on a malformed message: %r", first)
    return Failures(error=type(first).__name__)


def _scan(message: Message) -> Failures:
    temporary, permanent = all_failures(message)
    return Failures(permanent=_decode(permanent), temporary=_decode(temporary))


def _decode(addresses: frozenset[bytes]) -> tuple[str, ...]:
    return tuple(sorted({raw.decode("ascii", "replace").strip().lower() for raw in addresses}))
