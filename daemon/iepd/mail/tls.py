"""Verified TLS for both mail connections, and words for the ways TLS fails.

Only the standard library's ``ssl`` is used here so that ``outbox`` and ``imap`` share one
policy: the system trust store plus an optional extra CA file, TLS 1.2 or newer, and the
host name always checked. There is no switch to turn verification off.
"""

from __future__ import annotations

import functools
import logging
import ssl
from pathlib import Path

from iepd.errors import MailServerError

logger = logging.getLogger(__name__)

# OpenSSL's X509_V_ERR_* codes (x509_vfy.h) that a person can do something about.
_UNTRUSTED_CODES = frozenset({2, 18, 19, 20, 21, 27})
_NOT_YET_VALID = 9
_EXPIRED = 10
_REVOKED = 23
_NAME_MISMATCH_CODES = frozenset({62, 64})


def client_context(ca_file: Path | None) -> ssl.SSLContext:
    """Given an optional extra CA bundle, return a client context that verifies the
    server's certificate against the system store plus that bundle, checks the host
    name and refuses anything older than TLS 1.2.

    Raise MailServerError if the CA file cannot be read or holds no certificate.
    """
    # Loading the system store is the slow part of a connection, so it is done once (the
    # history in docs/benchmarks.md). A context is safe to share between connections and
    # threads; a CA file that changes (size or mtime) gets a new one.
    if ca_file is None:
        return _shared_context(None, None)
    try:
        status = ca_file.stat()
    except OSError:
        return _new_context(ca_file)  # raises the MailServerError that says why
    return _shared_context(ca_file, (status.st_mtime_ns, status.st_size))


@functools.lru_cache(maxsize=4)
def _shared_context(ca_file: Path | None, version: tuple[int, int] | None) -> ssl.SSLContext:
    return _new_context(ca_file)


def _new_context(ca_file: Path | None) -> ssl.SSLContext:
    context = ssl.create_default_context(ssl.Purpose.SERVER_AUTH)
    # create_default_context already sets these; set them again so that a change of
    # Python's defaults can never weaken iepd's policy silently.
    context.verify_mode = ssl.CERT_REQUIRED
    context.check_hostname = True
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    if ca_file is not None:
        try:
            context.load_verify_locations(cafile=str(ca_file))
        except FileNotFoundError as exc:
            raise MailServerError(f"the CA file {ca_file} (mail.ca_file) does not exist") from exc
        except PermissionError as exc:
            raise MailServerError(
                f"the CA file {ca_file} (mail.ca_file) cannot be read: permission denied"
            ) from exc
        except (ssl.SSLError, OSError) as exc:
            raise MailServerError(
                f"the CA file {ca_file} (mail.ca_file) holds no usable PEM certificate"
            ) from exc
    return context


def find_tls_error(exc: BaseException) -> ssl.SSLError | None:
    """Given any exception, return the ``ssl.SSLError`` it is or was caused by, or None.

    Client libraries wrap TLS failures differently (aiosmtplib wraps an implicit-TLS
    failure in its connect error but raises the raw error for STARTTLS), so follow
    ``__cause__`` and ``__context__`` a few steps.
    """
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        if isinstance(current, ssl.SSLError):
            return current
        seen.add(id(current))
        current = current.__cause__ or current.__context__
    return None


def explain_tls_error(exc: BaseException, host: str) -> str:
    """Given a TLS failure (or an exception caused by one) while talking to host, return
    one sentence that says what went wrong and what to do about it.
    """
    tls_error = find_tls_error(exc) or exc
    if isinstance(tls_error, ssl.SSLCertVerificationError):
        return _explain_verification(tls_error, host)
    reason = str(getattr(tls_error, "reason", "") or "").upper()
    text = str(tls_error)
    if "WRONG_VERSION_NUMBER" in reason or "WRONG_VERSION_NUMBER" in text.upper():
        return (
            f"the server {host} did not answer in TLS on this port: check security "
            '("tls" for ports 465 and 993, "starttls" for ports 587 and 143)'
        )
    if any(
        marker in reason
        for marker in ("PROTOCOL_VERSION", "UNSUPPORTED_PROTOCOL", "NO_PROTOCOLS_AVAILABLE")
    ):
        return (
            f"the TLS handshake with {host} failed: the server offers no TLS version "
            "iepd accepts (TLS 1.2 or newer)"
        )
    return f"the TLS handshake with {host} failed: {text or type(tls_error).__name__}"


def _explain_verification(error: ssl.SSLCertVerificationError, host: str) -> str:
    code = error.verify_code
    detail = error.verify_message or str(error)
    if code == _EXPIRED:
        return (
            f"the certificate of {host} has expired ({detail}): the server's operator must "
            "renew it; check also that this computer's clock is right"
        )
    if code == _NOT_YET_VALID:
        return (
            f"the certificate of {host} is not valid yet ({detail}): check that this "
            "computer's clock is right"
        )
    if code in _NAME_MISMATCH_CODES:
        return (
            f"the certificate presented by {host} is for another host name ({detail}): "
            "check the host in the config, or use the name the certificate was issued for"
        )
    if code == _REVOKED:
        return f"the certificate of {host} has been revoked ({detail})"
    if code in _UNTRUSTED_CODES:
        return (
            f"the certificate of {host} is not signed by a trusted certificate authority "
            f"({detail}): if the server uses its own CA, set mail.ca_file to that CA's "
            "certificate (PEM)"
        )
    return f"the certificate of {host} could not be verified ({detail})"
