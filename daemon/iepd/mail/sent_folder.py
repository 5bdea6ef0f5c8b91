"""Which folder is the Sent folder: pure, from what LIST and NAMESPACE said.

Where the configured name is missing, a server may flag its Sent folder \\Sent (RFC 6154),
or name it under its personal namespace (Debian's stock Cyrus: "INBOX.Sent", with no flag),
or by another client's habit ("Sent Items"). ``imap.ImapSession`` asks the server; this
module only chooses.
"""

from __future__ import annotations

from collections.abc import Iterable

# A folder as LIST gives it: its flags (bytes, any case), its delimiter and its name.
Folder = tuple[Iterable[bytes], str, str]

_SENT_FLAG = b"\\SENT"
_UNUSABLE_FLAGS = frozenset({b"\\NOSELECT", b"\\NONEXISTENT"})
# What a Sent folder is called where no folder carries \\Sent: Dovecot and Courier "Sent",
# Exchange and Outlook "Sent Items", Apple Mail "Sent Messages", Gmail's old "Sent Mail".
COMMON_SENT_NAMES = ("Sent", "Sent Items", "Sent Messages", "Sent Mail")


def flagged_sent_folder(folders: Iterable[Folder]) -> str | None:
    """Given an account's folders, return the first one flagged \\Sent, or None."""
    for flags, _delimiter, name in folders:
        if any(flag.upper() == _SENT_FLAG for flag in flags):
            return name
    return None


def namespace_prefixes(folders: Iterable[Folder], personal: Iterable[str]) -> list[str]:
    """Given an account's folders and its personal namespace prefixes (from NAMESPACE;
    none when the server lacks it), return the prefixes a Sent folder may sit under: those,
    then "INBOX" and each delimiter the folders use ("INBOX." or "INBOX/")."""
    guessed = [f"INBOX{delimiter}" for _flags, delimiter, _name in folders if delimiter]
    return list(dict.fromkeys(prefix for prefix in [*personal, *guessed] if prefix))


def choose_sent_folder(
    configured: str, folders: Iterable[Folder], prefixes: Iterable[str]
) -> str | None:
    """Given mail.imap.sent_folder ("" for none), an account's folders and the prefixes a
    Sent folder may sit under (see namespace_prefixes), return the Sent folder as listed,
    or None if there is none.

    In order: the configured name; the folder flagged \\Sent; the configured name under a
    prefix ("INBOX.Sent"); each of COMMON_SENT_NAMES, as such and under a prefix. A name
    matches exactly, else ignoring case. A folder that cannot hold mail (\\Noselect)
    never matches.
    """
    usable = [
        (flags, name)
        for flags, name in (({flag.upper() for flag in flags}, name) for flags, _, name in folders)
        if not flags & _UNUSABLE_FLAGS
    ]
    exact = {name for _, name in usable}
    folded: dict[str, str] = {}
    for _, name in usable:
        folded.setdefault(name.casefold(), name)
    heads = [prefix for prefix in prefixes if prefix]

    def under(name: str) -> list[str]:
        return [head + name for head in heads if not name.startswith(head)]

    wanted = [configured, *(name for flags, name in usable if _SENT_FLAG in flags)][:2]
    wanted += under(configured)
    for name in COMMON_SENT_NAMES:
        wanted += [name, *under(name)]
    for name in filter(None, wanted):
        if name in exact:
            return name
        if name.casefold() in folded:
            return folded[name.casefold()]
    return None
