"""The sender's address from a From header, as mail programs really write it.

``email.utils.parseaddr`` follows RFC 5322, where a comma outside quotes separates two
mailboxes: "Ochoa, Marisol <mochoa@district.example>" (a name in directory order that the
program left unquoted) and "Pat Lee, District Liaison <liaison@district.example>" read as the
bare word "Ochoa" or "Pat Lee", and on CPythons with the stricter parsing of 2024 as nothing.
A person reads the one address in angle brackets, and so must iepd: otherwise the school's
answer is taken for a stranger's, and so is the parent's own mail.
"""

from __future__ import annotations

import re
from email.utils import parseaddr

# An addr-spec in angle brackets: "<mochoa@district.example>".
_BRACKETED = re.compile(r"<\s*([^<>\s@]+@[^<>\s@]+)\s*>")


def sender(value: str) -> tuple[str, str | None]:
    """Given a From header's value, return (the display name as written, the lower-case
    addr-spec, or None when there is none). Where RFC 5322 parsing finds no address with a
    domain and the value holds exactly one address in angle brackets, that one is the
    sender's and all before it her name; two bracketed addresses leave it as parsed."""
    name, address = parseaddr(value)
    if "@" not in address:
        bracketed = _BRACKETED.findall(value)
        if len(bracketed) == 1:
            name, address = value[: value.index("<")].strip().strip('"').strip(), bracketed[0]
    address = "".join(address.split()).lower()
    return name, (address or None)
