"""A letter as `iepd preview` shows it: the exact message, readable by a person.

A letter in plain ASCII prints as it goes on the wire. One with accents ("reunión", in
Spanish) goes as quoted-printable with its subject RFC 2047-encoded, which no parent can
read ("reuni=C3=B3n"); it prints with its headers and body decoded, the same text.
"""

from __future__ import annotations

from email.message import EmailMessage

from iepd.letters.mail_policy import MAIL_POLICY


def readable_letter(message: EmailMessage) -> str:
    """Given a letter, return its headers and body as text a person reads."""
    wire = message.as_bytes(policy=MAIL_POLICY).decode("utf-8", "replace").replace("\r\n", "\n")
    if message.get("Content-Transfer-Encoding", "7bit") == "7bit" and wire.isascii():
        return wire
    readable = MAIL_POLICY.clone(utf8=True, linesep="\n")
    headers = "".join(
        readable.fold(name, value)
        for name, value in message.items()
        if name.lower() != "content-transfer-encoding"
    )
    return f"{headers}\n{message.get_content()}"
